package importbench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/embedded"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// size is the number of CIs; RIPPLE_BENCH_IMPORT_CIS overrides it for quick
// runs.
func size() int {
	if v, err := strconv.Atoi(os.Getenv("RIPPLE_BENCH_IMPORT_CIS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// BenchmarkImport imports the dataset into a fresh embedded store and into
// the Neo4j at RIPPLE_TEST_NEO4J_URI (WIPED first), then imports it again
// (the steady state of a daily discovery: nothing changes), then loads the
// same rows into the same, wiped Neo4j with hand-written batched UNWIND
// MERGE. It reports CIs/s and relations/s of each and the ratio of the
// engine on Neo4j to the plain load. Run with -benchtime 1x.
func BenchmarkImport(b *testing.B) {
	uri := neo4jtest.Require(b)
	neo4jtest.Exclusive(b, uri)
	ctx := context.Background()
	data := Generate(size(), 7)
	nCIs, nRels := float64(len(data.Items)), float64(len(data.Links))
	b.Logf("dataset: %d CIs, %d relations", len(data.Items), len(data.Links))
	type result struct {
		name string
		took time.Duration
	}
	var results []result
	record := func(name string, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		results = append(results, result{name, time.Since(t0)})
	}
	req := importers.Request{Format: "bench", Source: "kubernetes", Scope: "bench"}
	engineRun := func(s graph.Store, want func(importers.Counts) error) func() error {
		return func() error {
			last, stage := time.Now(), "reading"
			e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy(), Stage: func(next string) {
				b.Logf("  %s: %v", stage, time.Since(last).Round(time.Millisecond))
				last, stage = time.Now(), next
			}}
			defer func() { b.Logf("  %s: %v", stage, time.Since(last).Round(time.Millisecond)) }()
			run, _, err := e.Run(ctx, req, data.Read)
			if err != nil {
				return err
			}
			if run.Outcome != importers.OutcomeSucceeded {
				return fmt.Errorf("outcome %s: %+v", run.Outcome, run.Counts)
			}
			return want(run.Counts)
		}
	}
	created := func(c importers.Counts) error {
		if c.Created != len(data.Items) || c.RelationsCreated != len(data.Links) {
			return fmt.Errorf("counts %+v", c)
		}
		return nil
	}
	unchanged := func(c importers.Counts) error {
		if c.Unchanged != len(data.Items) || c.Created+c.Updated+c.RelationsCreated != 0 {
			return fmt.Errorf("re-import changed something: %+v", c)
		}
		return nil
	}
	for i := 0; i < b.N; i++ {
		results = results[:0]
		dir := b.TempDir()
		emb, err := embedded.Open(ctx, dir, graph.DefaultCatalogue())
		if err != nil {
			b.Fatal(err)
		}
		record("embedded import", engineRun(emb, created))
		record("embedded re-import", engineRun(emb, unchanged))
		_ = emb.Close(ctx)

		neo4jtest.Wipe(b, uri)
		neo, err := rneo4j.Open(ctx, rneo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		record("neo4j import", engineRun(neo, created))
		auditCounts(b, ctx, uri, "after the import", nCIs)
		record("neo4j re-import", engineRun(neo, unchanged))
		auditCounts(b, ctx, uri, "after the re-import", nCIs)
		_ = neo.Close(ctx)

		neo4jtest.Wipe(b, uri)
		driver, err := neo4j.NewDriverWithContext(uri, neo4j.NoAuth())
		if err != nil {
			b.Fatal(err)
		}
		record("neo4j plain UNWIND MERGE", func() error { return plainLoad(ctx, driver, data) })
		// The baseline's constraint is not Ripple's schema: leave none behind.
		if _, err := neo4j.ExecuteQuery(ctx, driver, "DROP CONSTRAINT plain_key IF EXISTS", nil,
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase("neo4j")); err != nil {
			b.Fatal(err)
		}
		_ = driver.Close(ctx)
		neo4jtest.Wipe(b, uri)
	}
	var plain time.Duration
	for _, r := range results {
		if r.name == "neo4j plain UNWIND MERGE" {
			plain = r.took
		}
	}
	fmt.Printf("\nimport of %d CIs and %d relations (one run each, same machine, same Neo4j):\n", len(data.Items), len(data.Links))
	fmt.Printf("%-26s %10s %12s %14s %10s\n", "contender", "time", "CIs/s", "relations/s", "vs plain")
	for _, r := range results {
		s := r.took.Seconds()
		fmt.Printf("%-26s %9.1fs %12.0f %14.0f %9.1fx\n", r.name, s, nCIs/s, nRels/s, s/plain.Seconds())
		b.ReportMetric(s, strings.ReplaceAll(r.name, " ", "-")+"-s")
	}
}

// plainLoad is the baseline a Neo4j user would write by hand: constraints,
// then UNWIND MERGE of nodes and of relationships in batches of 5,000,
// one transaction per batch, no identification, provenance, audit or
// staleness.
func plainLoad(ctx context.Context, d neo4j.DriverWithContext, data Dataset) error {
	run := func(q string, params map[string]any) error {
		_, err := neo4j.ExecuteQuery(ctx, d, q, params, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase("neo4j"))
		return err
	}
	if err := run("CREATE CONSTRAINT plain_key IF NOT EXISTS FOR (n:PlainCI) REQUIRE n.key IS UNIQUE", nil); err != nil {
		return err
	}
	const batch = 5000
	rows := make([]map[string]any, 0, batch)
	flush := func(q string) error {
		if len(rows) == 0 {
			return nil
		}
		err := run(q, map[string]any{"rows": rows})
		rows = rows[:0]
		return err
	}
	const nodeQ = "UNWIND $rows AS r MERGE (n:PlainCI {key: r.key}) SET n.name = r.name, n.class = r.class, n.attrs = r.attrs"
	for _, it := range data.Items {
		id := it.Identifiers[0]
		rows = append(rows, map[string]any{"key": id.Kind + ":" + id.Value, "name": it.Name, "class": it.Class, "attrs": fmt.Sprint(it.Attributes)})
		if len(rows) == batch {
			if err := flush(nodeQ); err != nil {
				return err
			}
		}
	}
	if err := flush(nodeQ); err != nil {
		return err
	}
	// One query per relation type: types cannot be parameters.
	byType := map[string][]map[string]any{}
	for _, l := range data.Links {
		byType[l.Type] = append(byType[l.Type], map[string]any{"from": l.From.Kind + ":" + l.From.Value, "to": l.To.Kind + ":" + l.To.Value})
	}
	for typ, list := range byType {
		q := "UNWIND $rows AS r MATCH (a:PlainCI {key: r.from}) MATCH (b:PlainCI {key: r.to}) MERGE (a)-[:" + typ + "]->(b)"
		for start := 0; start < len(list); start += batch {
			rows = append(rows[:0], list[start:min(start+batch, len(list))]...)
			if err := flush(q); err != nil {
				return err
			}
		}
	}
	return nil
}

// auditCounts prints how many audit nodes the import left, per CI: the
// (:Audit) entries and the (:AuditRef) rows of the shape before issue 11
// (none since).
func auditCounts(b *testing.B, ctx context.Context, uri, when string, nCIs float64) {
	b.Helper()
	d, err := neo4j.NewDriverWithContext(uri, neo4j.NoAuth())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	count := func(label string) float64 {
		res, err := neo4j.ExecuteQuery(ctx, d, "MATCH (n:"+label+") RETURN count(n) AS n", nil,
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
		if err != nil {
			b.Fatal(err)
		}
		n, _, err := neo4j.GetRecordValue[int64](res.Records[0], "n")
		if err != nil {
			b.Fatal(err)
		}
		return float64(n)
	}
	entries, refs := count("Audit"), count("AuditRef")
	fmt.Printf("audit %s: %.0f entries (%.2f per CI), %.0f refs (%.2f per CI)\n", when, entries, entries/nCIs, refs, refs/nCIs)
}

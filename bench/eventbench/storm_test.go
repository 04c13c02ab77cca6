package eventbench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/embedded"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"

	"net/http/httptest"
)

// stormSize is the number of alerts of the storm (RIPPLE_BENCH_STORM,
// default 500): every server behind one core switch that failed.
func stormSize() int { return envInt("RIPPLE_BENCH_STORM", 500) }

// BenchmarkAlertStorm sends a storm of alerts, one per server behind a
// failed core switch, through the Alertmanager webhook in payloads of
// perPayload from senders() senders at once, and reports alerts per second
// with correlation off (the baseline) and on, and the time from the first
// delivery until the storm is one group of stormSize() incidents naming
// the switch. Run with -benchtime 1x; it prints a table. Neo4j is the one
// at RIPPLE_TEST_NEO4J_URI (WIPED first).
func BenchmarkAlertStorm(b *testing.B) {
	uri := neo4jtest.Require(b)
	neo4jtest.Exclusive(b, uri)
	ctx := context.Background()
	var rows []string
	for i := 0; i < b.N; i++ {
		rows = rows[:0]
		for _, correlated := range []bool{false, true} {
			emb, err := embedded.Open(ctx, b.TempDir(), graph.DefaultCatalogue())
			if err != nil {
				b.Fatal(err)
			}
			rows = append(rows, storm(b, "embedded", emb, correlated))
			_ = emb.Close(ctx)

			neo4jtest.Wipe(b, uri)
			neo, err := rneo4j.Open(ctx, rneo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			rows = append(rows, storm(b, "neo4j", neo, correlated))
			_ = neo.Close(ctx)
			neo4jtest.Wipe(b, uri)
		}
	}
	fmt.Printf("\nalert storm: %d alerts (one per server behind a failed switch, %d more servers silent), payloads of %d, %d concurrent senders\n",
		stormSize(), stormSize()/5, perPayload, senders())
	for _, r := range rows {
		fmt.Println(r)
	}
}

func storm(b *testing.B, name string, s graph.Store, correlated bool) string {
	ctx := context.Background()
	n := stormSize()
	stormEstate(b, s, n)
	services := app.New(s, formats.DefaultPolicy())
	if !correlated {
		services.ITSM.IncidentChanged = nil
	}
	var passErr error
	services.Correlation.OnError = func(err error) { passErr = err }
	srv := httptest.NewServer(server.NewHandler(services, server.Config{Logger: benchLogger()}))
	defer srv.Close()
	now := time.Now().UTC().Truncate(time.Second)
	alerts := make([]map[string]any, n)
	for i := range alerts {
		// The storm's alerts start within a minute of each other.
		alerts[i] = amAlert(fmt.Sprintf("s%015x", i), 0, now.Add(-time.Minute+time.Duration(i)*time.Minute/time.Duration(n)))
		alerts[i]["labels"].(map[string]string)["instance"] = stormHost(i) + ":9100"
	}
	t0 := time.Now()
	deliver(b, srv.URL, chunks(alerts), "INCIDENT_CREATED")
	ingest := time.Since(t0)
	mode := "correlation off"
	if !correlated {
		return fmt.Sprintf("%-9s %-16s %8.1f alerts/s  (%d in %v)", name, mode, float64(n)/ingest.Seconds(), n, ingest.Round(time.Millisecond))
	}
	mode = "correlation on"
	var grouped time.Duration
	var children int
	deadline := time.Now().Add(5 * time.Minute)
	for {
		groups, _, err := services.ITSM.ListIncidents(ctx, itsm.IncidentFilter{Open: true, Major: true}, graph.Page{})
		if err != nil {
			b.Fatal(err)
		}
		if len(groups) == 1 {
			_, page, err := services.ITSM.ListIncidents(ctx, itsm.IncidentFilter{Parent: groups[0].ID}, graph.Page{First: 1})
			if err != nil {
				b.Fatal(err)
			}
			children = page.TotalCount
			if children == n && groups[0].Correlation.CauseCI != "" {
				grouped = time.Since(t0)
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: after 5 minutes %d groups, %d children of %d (last pass error: %v)", name, len(groups), children, n, passErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	services.Correlation.Wait()
	t1 := time.Now()
	sum, err := services.Correlation.Correlate(ctx)
	if err != nil || sum.Grouped != 0 {
		b.Fatalf("settled pass: %+v %v", sum, err)
	}
	settled := time.Since(t1)
	b.ReportMetric(float64(n)/ingest.Seconds(), name+"-storm-alerts/s")
	b.ReportMetric(grouped.Seconds(), name+"-storm-to-group-s")
	return fmt.Sprintf("%-9s %-16s %8.1f alerts/s  (%d in %v); grouped under one cause after %v; a pass over the settled group %v",
		name, mode, float64(n)/ingest.Seconds(), n, ingest.Round(time.Millisecond), grouped.Round(time.Millisecond), settled.Round(time.Millisecond))
}

// stormEstate is a core switch with n servers behind it (each serving one
// of apps applications) and n/5 servers elsewhere.
func stormEstate(b testing.TB, s graph.Store, n int) {
	ctx := context.Background()
	var batch graph.Batch
	str := func(v string) *string { return &v }
	sw := graph.Identifier{Kind: "bench-key", Value: "core-sw"}
	batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str("core-sw-1"), Class: str(graph.ClassNetworkDevice), Identifiers: []graph.Identifier{sw}})
	for a := range apps {
		id := graph.Identifier{Kind: "bench-key", Value: fmt.Sprintf("app-%02d", a)}
		batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str(id.Value), Class: str(graph.ClassApplication), Identifiers: []graph.Identifier{id}})
	}
	for i := range n + n/5 {
		id := graph.Identifier{Kind: "fqdn", Value: stormHost(i)}
		app := graph.Identifier{Kind: "bench-key", Value: fmt.Sprintf("app-%02d", i%apps)}
		batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str(fmt.Sprintf("node-%04d", i)), Class: str(graph.ClassServer), Identifiers: []graph.Identifier{id}})
		batch.Relate = append(batch.Relate, graph.BatchRelation{From: graph.CIRef{Identifier: &app}, Type: graph.RelDependsOn, To: graph.CIRef{Identifier: &id}})
		if i < n {
			batch.Relate = append(batch.Relate, graph.BatchRelation{From: graph.CIRef{Identifier: &id}, Type: graph.RelDependsOn, To: graph.CIRef{Identifier: &sw}})
		}
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		b.Fatal(err)
	}
}

func stormHost(i int) string { return fmt.Sprintf("node-%04d.storm.example.com", i) }

// benchLogger writes the server's warnings and errors to stderr, so a
// failed delivery says why.
func benchLogger() zerolog.Logger { return zerolog.New(os.Stderr).Level(zerolog.WarnLevel) }

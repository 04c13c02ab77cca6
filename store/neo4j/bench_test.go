package neo4j

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

// Shape of the dense benchmark graph: 2,000 CIs and 20,000 relations.
const (
	denseApps     = 1600
	denseServers  = 200
	denseClusters = 100
	denseRacks    = 100
	denseBatch    = 1000
	denseMarker   = "dense-v1" // identifier of the hub; proves the graph is built
)

// denseRelCounts is how many relations of each type the graph gets.
var denseRelCounts = []struct {
	typ string
	n   int
}{{graph.RelDependsOn, 12000}, {graph.RelRunsOn, 3000}, {graph.RelMemberOf, 3000}, {graph.RelContains, 2000}}

// buildDense makes the dense graph unless the database already holds it
// (benchmark functions run several times with growing b.N), and returns the
// id of the hub: a server many applications run on, so its downstream
// neighbourhood is large.
func buildDense(b testing.TB, s *Store) string {
	b.Helper()
	ctx := context.Background()
	if page, err := s.ListCIs(ctx, graph.CIFilter{Identifier: denseMarker}, graph.Page{First: 1}); err == nil &&
		len(page.CIs) == 1 && countNodes(b, s, labelCI) == denseApps+denseServers+denseClusters+denseRacks {
		return page.CIs[0].ID
	}
	wipe(b, s)
	start := time.Now()
	type node struct{ class, key string }
	var nodes []node
	add := func(n int, class, prefix string) []int {
		var idx []int
		for i := 0; i < n; i++ {
			idx = append(idx, len(nodes))
			nodes = append(nodes, node{class, fmt.Sprintf("%s-%04d", prefix, i)})
		}
		return idx
	}
	apps := add(denseApps, graph.ClassApplication, "app")
	servers := add(denseServers, graph.ClassServer, "srv")
	clusters := add(denseClusters, graph.ClassCluster, "cl")
	racks := add(denseRacks, graph.ClassRack, "rack")
	nodes[servers[0]].key = denseMarker

	var upserts []graph.CIInput
	for _, n := range nodes {
		upserts = append(upserts, storetest.Input(n.key, n.class, storetest.Ident("bench", n.key)))
	}
	ids := make([]string, 0, len(nodes))
	for start := 0; start < len(upserts); start += denseBatch {
		res, err := s.Apply(ctx, graph.Batch{Upserts: upserts[start:min(start+denseBatch, len(upserts))]})
		if err != nil {
			b.Fatalf("build dense CIs: %v", err)
		}
		for _, ci := range res.CIs {
			ids = append(ids, ci.ID)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list []int) int { return list[rng.IntN(len(list))] }
	seen := map[graph.RelationKey]bool{}
	var rels []graph.BatchRelation
	for _, rc := range denseRelCounts {
		for made := 0; made < rc.n; {
			var from, to int
			switch rc.typ {
			case graph.RelDependsOn:
				from, to = pick(apps), pick(apps)
			case graph.RelRunsOn:
				// A quarter of all RUNS_ON lands on the hub server.
				from, to = pick(apps), pick(servers)
				if made%4 == 0 {
					to = servers[0]
				}
			case graph.RelMemberOf:
				from, to = pick(append(apps[:400:400], servers...)), pick(clusters)
			case graph.RelContains:
				from, to = pick(racks), pick(append(servers[:denseServers:denseServers], apps[:800]...))
			}
			k := graph.RelationKey{From: ids[from], Type: rc.typ, To: ids[to]}
			if from == to || seen[k] {
				continue
			}
			seen[k] = true
			rels = append(rels, graph.BatchRelation{From: graph.CIRef{ID: k.From}, Type: k.Type, To: graph.CIRef{ID: k.To}})
			made++
		}
	}
	rng.Shuffle(len(rels), func(i, j int) { rels[i], rels[j] = rels[j], rels[i] })
	for start := 0; start < len(rels); start += denseBatch {
		if _, err := s.Apply(ctx, graph.Batch{Relate: rels[start:min(start+denseBatch, len(rels))]}); err != nil {
			b.Fatalf("build dense relations: %v", err)
		}
	}
	b.Logf("built dense graph: %d CIs, %d relations in %v", len(nodes), len(rels), time.Since(start).Round(time.Millisecond))
	return ids[servers[0]]
}

// BenchmarkNeighbourhoodDense measures a 6-hop downstream traversal from
// the hub of a 2,000-CI / 20,000-relation graph.
func BenchmarkNeighbourhoodDense(b *testing.B) {
	requireNeo4j(b)
	s := openTestStore(b, Config{})
	hub := buildDense(b, s)
	ctx := context.Background()
	q := graph.NeighbourhoodQuery{Seeds: []string{hub}, Direction: graph.Downstream, MaxDepth: 6}
	sub, err := s.Neighbourhood(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("6-hop downstream from the hub: %d nodes, %d edges", len(sub.Nodes), len(sub.Edges))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Neighbourhood(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(len(sub.Nodes)), "nodes")
	b.ReportMetric(float64(len(sub.Edges)), "edges")
	b.StopTimer()
	if b.N == 1 {
		profileNeighbourhood(b, s, q)
	}
}

// profileNeighbourhood re-runs the traversal statement under PROFILE and
// logs the operators and database hits, plus a one-statement
// variable-length query over the same types for comparison.
func profileNeighbourhood(b testing.TB, s *Store, q graph.NeighbourhoodQuery) {
	b.Helper()
	ctx := context.Background()
	arms, err := s.traversalArms(q)
	if err != nil {
		b.Fatal(err)
	}
	grouping, _ := checkRelTypes(s.cat, "grouping", s.cat.GroupingTypes())
	res, err := neo4j.ExecuteQuery(ctx, s.driver, "PROFILE "+cypherTraverse(arms, q.MaxDepth, grouping),
		map[string]any{"seeds": q.Seeds, "groupClasses": s.groupClasses()},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		b.Fatal(err)
	}
	p := res.Summary.Profile()
	b.Logf("traversal: %d rows, db hits %d, operators %s", len(res.Records), sumHits(p), opSummary(p))

	// For comparison only: reachability over the TO_SOURCE types in one
	// statement, which Neo4j plans as a pruning BFS expand. It cannot give
	// depths, edges or mixed directions, which is why the store does not
	// use it.
	vl := "PROFILE MATCH (s:CI {id: $id})<-[:DEPENDS_ON|HOSTED_ON|MEMBER_OF|RUNS_ON*1..6]-(d:CI) RETURN DISTINCT d.id AS id"
	t0 := time.Now()
	res, err = neo4j.ExecuteQuery(ctx, s.driver, vl, map[string]any{"id": q.Seeds[0]},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("var-length comparison: %d rows in %v, db hits %d, operators %s", len(res.Records), time.Since(t0).Round(time.Microsecond),
		sumHits(res.Summary.Profile()), opSummary(res.Summary.Profile()))
}

func sumHits(p neo4j.ProfiledPlan) int64 {
	if p == nil {
		return 0
	}
	n := p.DbHits()
	for _, c := range p.Children() {
		n += sumHits(c)
	}
	return n
}

// opSummary lists operators with their db hits, root first.
func opSummary(p neo4j.ProfiledPlan) string {
	var parts []string
	var walk func(p neo4j.ProfiledPlan)
	walk = func(p neo4j.ProfiledPlan) {
		op := strings.TrimSuffix(p.Operator(), "@neo4j")
		parts = append(parts, fmt.Sprintf("%s(%d)", op, p.DbHits()))
		for _, c := range p.Children() {
			walk(c)
		}
	}
	if p != nil {
		walk(p)
	}
	return strings.Join(parts, " ")
}

// BenchmarkApply1000 measures one batch creating 1,000 CIs (two
// identifiers each) and 999 relations between them by identifier, the
// re-import of that same batch, which must find nothing to change, and as
// a baseline the same CIs written one UpsertCI call at a time (100 calls
// per op, scaled to 1,000), then logs the ratio.
func BenchmarkApply1000(b *testing.B) {
	requireNeo4j(b)
	s := openTestStore(b, Config{})
	wipe(b, s)
	ctx := context.Background()
	batch := func(run int) graph.Batch {
		var bt graph.Batch
		for i := 0; i < 1000; i++ {
			key := fmt.Sprintf("r%d-%d", run, i)
			bt.Upserts = append(bt.Upserts, graph.CIInput{Name: storetest.Ptr("ci-" + key), Class: storetest.Ptr(graph.ClassApplication),
				Environment: storetest.Ptr("prod"), Attributes: map[string]any{"i": float64(i), "tags": []any{"a", "b"}},
				Identifiers: []graph.Identifier{storetest.Ident("bench", key), storetest.Ident("fqdn", key+".example.com")}})
			if i > 0 {
				bt.Relate = append(bt.Relate, graph.BatchRelation{
					From: graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("bench", key))}, Type: graph.RelDependsOn,
					To: graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("bench", fmt.Sprintf("r%d-%d", run, i-1)))},
				})
			}
		}
		return bt
	}
	runs := 0 // b.Run calls the function again with a larger b.N: keep keys new
	var batchMs, singleMs float64
	b.Run("create", func(b *testing.B) {
		batches := make([]graph.Batch, b.N)
		for i := range batches {
			batches[i] = batch(runs)
			runs++
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			res, err := s.Apply(ctx, batches[i])
			if err != nil {
				b.Fatal(err)
			}
			if res.Created != 1000 || res.RelationsCreated != 999 {
				b.Fatalf("created %d CIs and %d relations, want 1000 and 999", res.Created, res.RelationsCreated)
			}
		}
		batchMs = float64(time.Since(start).Microseconds()) / 1000 / float64(b.N)
		b.ReportMetric(batchMs, "ms/op")
	})
	b.Run("baseline-one-upsert-per-call", func(b *testing.B) {
		inputs := make([][]graph.CIInput, b.N)
		for i := range inputs {
			inputs[i] = batch(runs).Upserts[:100]
			runs++
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			for _, in := range inputs[i] {
				if _, err := s.UpsertCI(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		}
		singleMs = float64(time.Since(start).Microseconds()) / 1000 / float64(b.N) * 10
		b.ReportMetric(singleMs, "ms/1000CIs")
	})
	if batchMs > 0 && singleMs > 0 {
		b.Logf("1,000 CIs: one batch %.0f ms (with 999 relations) vs one call per CI %.0f ms (without): %.1fx",
			batchMs, singleMs, singleMs/batchMs)
	}
	b.Run("reapply-unchanged", func(b *testing.B) {
		bt := batch(-1)
		if _, err := s.Apply(ctx, bt); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			res, err := s.Apply(ctx, bt)
			if err != nil {
				b.Fatal(err)
			}
			if res.Unchanged != 1000 || res.RelationsCreated != 0 {
				b.Fatalf("%d unchanged, %d relations created; want 1000 and 0", res.Unchanged, res.RelationsCreated)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	})
}

// BenchmarkApplyLedger measures an import run of 10,000 CIs (two
// identifiers and three attributes each, with provenance) in one Apply,
// with and without a ledger write seeing every CI by identifier: the first
// import into an empty database, then re-imports of the same data, which
// change no CI. The difference is what the ledger costs an import.
func BenchmarkApplyLedger(b *testing.B) {
	requireNeo4j(b)
	s := openTestStore(b, Config{})
	ctx := context.Background()
	const n = 10000
	scope := graph.ScopeKey{Source: "bench", Scope: "ledger"}
	batch := func(withLedger bool) graph.Batch {
		var bt graph.Batch
		var seen []graph.CIRef
		for i := 0; i < n; i++ {
			key := fmt.Sprintf("h%06d", i)
			ip := storetest.Ident("ip", "10."+key)
			bt.Upserts = append(bt.Upserts, graph.CIInput{Name: storetest.Ptr("host-" + key), Class: storetest.Ptr(graph.ClassServer),
				Environment: storetest.Ptr("prod"), Attributes: map[string]any{"i": float64(i), "os": "Linux", "ports": []any{22.0, 443.0}},
				Identifiers: []graph.Identifier{ip, storetest.Ident("fqdn", key+".example.com")}, Source: scope.Source, Scope: scope.Scope})
			seen = append(seen, graph.CIRef{Identifier: &ip})
		}
		if withLedger {
			st, err := s.Scope(ctx, scope)
			if err != nil {
				b.Fatal(err)
			}
			bt.Ledger = &graph.LedgerWrite{ScopeKey: scope, ExpectGeneration: st.Generation, RunID: graph.NewID(),
				At: graph.Now(), SeenCIs: seen}
		}
		return bt
	}
	run := func(b *testing.B, withLedger, fresh bool) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if fresh {
				wipe(b, s)
			}
			bt := batch(withLedger)
			b.StartTimer()
			start := time.Now()
			res, err := s.Apply(ctx, bt)
			total += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if fresh && res.Created != n || !fresh && res.Unchanged != n {
				b.Fatalf("result %+v", res)
			}
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
	}
	for _, withLedger := range []bool{false, true} {
		name := "without-ledger"
		if withLedger {
			name = "with-ledger"
		}
		b.Run(name+"/create", func(b *testing.B) { run(b, withLedger, true) })
		b.Run(name+"/reimport", func(b *testing.B) { run(b, withLedger, false) })
	}
}

package neo4j

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestConfigRejectsBadURIs(t *testing.T) {
	for _, uri := range []string{"http://127.0.0.1:7687", "127.0.0.1:7687", "bolt://", "::"} {
		t.Run(uri, func(t *testing.T) {
			_, err := Open(context.Background(), Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
			wantErr(t, err, graph.CodeInvalidInput, "uri")
		})
	}
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	start := time.Now()
	// Port 1 on loopback refuses at once; Open must keep trying until the
	// start timeout and then give up with UNAVAILABLE.
	_, err := Open(context.Background(), Config{URI: "bolt://127.0.0.1:1", StartTimeout: 700 * time.Millisecond},
		graph.DefaultCatalogue(), zerolog.Nop())
	if graph.ErrorCode(err) != graph.CodeUnavailable {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 10*time.Second {
		t.Fatalf("Open gave up after %v, want about the 700ms start timeout", d)
	}
}

func TestOpenTwiceKeepsOneSchema(t *testing.T) {
	s1 := openTestStore(t, Config{})
	s2 := openTestStore(t, Config{})
	if err := s2.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := neo4j.ExecuteQuery(context.Background(), s1.driver,
		"SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN name, type", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s1.db))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rec := range res.Records {
		name, _, _ := neo4j.GetRecordValue[string](rec, "name")
		typ, _, _ := neo4j.GetRecordValue[string](rec, "type")
		got[name] = typ
	}
	want := []string{"ci_id", "identifier_key", "record_kind_id", "audit_id", "importscope_key", "sighting_key"}
	for _, name := range want {
		if got[name] != "UNIQUENESS" {
			t.Errorf("constraint %s: got %q, want UNIQUENESS (all: %v)", name, got[name], got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("constraints %v, want exactly %v after two Opens", got, want)
	}
}

func TestRoutingURI(t *testing.T) {
	u, err := url.Parse(requireNeo4j(t))
	if err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, Config{URI: "neo4j://" + u.Host})
	wipe(t, s)
	ci := mustCI(t, s, "routed", graph.ClassServer, ident("serial", "R1"))
	got, err := s.GetCI(context.Background(), ci.ID)
	if err != nil || got.Name != "routed" {
		t.Fatalf("GetCI over neo4j:// = %+v, %v", got, err)
	}
}

func TestIdentifierUniquenessIsEnforcedByTheDatabase(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	mustCI(t, s, "a", graph.ClassServer, ident("serial", "A"))
	b := mustCI(t, s, "b", graph.ClassServer)
	// Bypass the store's own check, as a racing writer would: the
	// constraint must still refuse a second owner for serial:A.
	_, err := writeTx(ctx, s, "steal identifier", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		return struct{}{}, exec(ctx, tx, cypherCreateIdentifiers, map[string]any{"rows": []map[string]any{
			{"ci": b.ID, "key": "serial:A", "kind": "serial", "value": "A"},
		}})
	})
	wantErr(t, err, graph.CodeConflict, "identifiers")
	if n := countNodes(t, s, labelIdentifier); n != 1 {
		t.Fatalf("%d identifier nodes, want 1", n)
	}
}

func TestApplyIdentifierConflictNamesTheItem(t *testing.T) {
	s := newTestStore(t)
	a := mustCI(t, s, "a", graph.ClassServer, ident("serial", "A"))
	_, err := s.Apply(context.Background(), graph.Batch{Upserts: []graph.CIInput{
		input("new", graph.ClassServer, ident("serial", "N")),
		{ID: a.ID, Identifiers: []graph.Identifier{ident("ip", "10.0.0.1"), ident("serial", "N")}},
	}})
	wantErr(t, err, graph.CodeConflict, "upserts[1].identifiers[1]")
}

func TestFailedApplyLeavesNothing(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var b graph.Batch
	for i := 0; i < 500; i++ {
		b.Upserts = append(b.Upserts, input(fmt.Sprintf("ci-%03d", i), graph.ClassApplication, ident("test", fmt.Sprint(i))))
		if i > 0 {
			b.Relate = append(b.Relate, graph.BatchRelation{
				From: graph.CIRef{Identifier: ptr(ident("test", fmt.Sprint(i)))}, Type: graph.RelDependsOn,
				To: graph.CIRef{Identifier: ptr(ident("test", fmt.Sprint(i-1)))},
			})
		}
	}
	// The very last item is bad: everything before it must roll back.
	b.Relate = append(b.Relate, graph.BatchRelation{
		From: graph.CIRef{Identifier: ptr(ident("test", "1"))}, Type: graph.RelMemberOf,
		To: graph.CIRef{Identifier: ptr(ident("test", "2"))},
	})
	_, err := s.Apply(ctx, b)
	wantErr(t, err, graph.CodeInvalidInput, fmt.Sprintf("relate[%d].type", len(b.Relate)-1))
	if n := countNodes(t, s, labelCI) + countNodes(t, s, labelIdentifier) + countRels(t, s); n != 0 {
		t.Fatalf("failed batch left %d nodes/relations", n)
	}
	// Without the bad item the same batch applies in full.
	b.Relate = b.Relate[:len(b.Relate)-1]
	res, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 500 || res.RelationsCreated != 499 {
		t.Fatalf("result %+v", res)
	}
	if got := countRels(t, s); got != 499 {
		t.Fatalf("%d relations in the database, want 499", got)
	}
}

func TestApplyClassChangeRechecksRelations(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	web := mustCI(t, s, "web", graph.ClassServer, ident("serial", "W"))
	group := mustCI(t, s, "tier", graph.ClassCluster, ident("serial", "G"))
	mustRelate(t, s, web, graph.RelMemberOf, group)
	// Found by identifier, moved to a class that may not be a group: the
	// MEMBER_OF relation would break, so the whole batch is refused.
	_, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{
		{Identifiers: []graph.Identifier{ident("serial", "W")}, Class: ptr(graph.ClassVirtualMachine)},
		{Identifiers: []graph.Identifier{ident("serial", "G")}, Class: ptr(graph.ClassServer)},
	}})
	wantErr(t, err, graph.CodeInvalidInput, "upserts[1].class")
	if got, _ := s.GetCI(ctx, web.ID); got.Class != graph.ClassServer {
		t.Fatalf("failed batch changed web to %s", got.Class)
	}
	// Another group class keeps the relation valid.
	res, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{
		{ID: web.ID, Class: ptr(graph.ClassVirtualMachine)},
		{ID: group.ID, Class: ptr(graph.ClassKubernetesCluster)},
	}})
	if err != nil || res.Updated != 2 {
		t.Fatalf("valid class changes: %+v, %v", res, err)
	}
}

func TestApplyCreateThenUnrelateInOneBatch(t *testing.T) {
	s := newTestStore(t)
	a := mustCI(t, s, "a", graph.ClassApplication)
	d := mustCI(t, s, "d", graph.ClassDatabase)
	rel := graph.BatchRelation{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: d.ID}}
	res, err := s.Apply(context.Background(), graph.Batch{Relate: []graph.BatchRelation{rel, rel}, Unrelate: []graph.BatchRelation{rel, rel}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RelationsCreated != 1 || res.RelationsRemoved != 1 || countRels(t, s) != 0 {
		t.Fatalf("result %+v with %d relations stored; want 1 created, 1 removed, none left", res, countRels(t, s))
	}
}

func TestConcurrentWritersOfOneIdentifierAllSucceed(t *testing.T) {
	s := newTestStore(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	ids := make([]string, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.UpsertCI(context.Background(), graph.CIInput{Name: ptr("racy"), Class: ptr(graph.ClassServer),
				Owner: ptr(fmt.Sprintf("w%d", i)), Identifiers: []graph.Identifier{ident("serial", "RACE")}})
			ids[i], errs[i] = res.CI.ID, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v (a lost race should be retried, not reported)", i, err)
		} else if ids[i] != ids[0] {
			t.Errorf("writer %d got CI %s, writer 0 got %s", i, ids[i], ids[0])
		}
	}
	if n := countNodes(t, s, labelCI); n != 1 {
		t.Fatalf("%d CIs, want 1", n)
	}
}

func TestDeleteRemovesIdentifierNodes(t *testing.T) {
	s := newTestStore(t)
	ci := mustCI(t, s, "gone", graph.ClassServer, ident("serial", "G"), ident("ip", "10.9.9.9"))
	if err := s.DeleteCI(context.Background(), ci.ID); err != nil {
		t.Fatal(err)
	}
	if n := countNodes(t, s, labelIdentifier); n != 0 {
		t.Fatalf("%d identifier nodes left", n)
	}
}

func TestListOrdersByteWiseLikeGo(t *testing.T) {
	s := newTestStore(t)
	// Cypher alone would put the emoji (a UTF-16 surrogate pair) before
	// U+FF01; Go's byte order puts it after. Upper case sorts before lower.
	names := []string{"\uFF01bang", "😀smile", "zeta", "Zeta", "émile", "a", "a"}
	for _, n := range names {
		mustCI(t, s, n, graph.ClassServer)
	}
	want := append([]string(nil), names...)
	sort.Strings(want)
	var got []graph.CI
	after := ""
	for {
		page, err := s.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{First: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.CIs...)
		if !page.HasNextPage {
			break
		}
		after = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
	}
	var gotNames []string
	for i, c := range got {
		gotNames = append(gotNames, c.Name)
		if i > 0 && !graph.CursorLess(got[i-1].Name, got[i-1].ID, c.Name, c.ID) {
			t.Fatalf("order broken at %q/%q", got[i-1].Name, c.Name)
		}
	}
	if fmt.Sprint(gotNames) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", gotNames, want)
	}
}

func TestNeighbourhoodCyclesDepthAndMixedDirections(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	// rack -CONTAINS-> hv <-HOSTED_ON- vm <-RUNS_ON- app1 <-DEPENDS_ON- app2
	// plus a DEPENDS_ON cycle app1 -> app2 -> app1 and a back edge
	// app3 -DEPENDS_ON-> vm, app3 -DEPENDS_ON-> app1 (two paths to app3).
	rack := mustCI(t, s, "rack", graph.ClassRack)
	hv := mustCI(t, s, "hv", graph.ClassHypervisor)
	vm := mustCI(t, s, "vm", graph.ClassVirtualMachine)
	app1 := mustCI(t, s, "app1", graph.ClassApplication)
	app2 := mustCI(t, s, "app2", graph.ClassApplication)
	app3 := mustCI(t, s, "app3", graph.ClassApplication)
	mustRelate(t, s, rack, graph.RelContains, hv)
	mustRelate(t, s, vm, graph.RelHostedOn, hv)
	mustRelate(t, s, app1, graph.RelRunsOn, vm)
	mustRelate(t, s, app2, graph.RelDependsOn, app1)
	mustRelate(t, s, app1, graph.RelDependsOn, app2)
	mustRelate(t, s, app3, graph.RelDependsOn, vm)
	mustRelate(t, s, app3, graph.RelDependsOn, app1)
	name := map[string]string{rack.ID: "rack", hv.ID: "hv", vm.ID: "vm", app1.ID: "app1", app2.ID: "app2", app3.ID: "app3"}

	tests := []struct {
		name      string
		q         graph.NeighbourhoodQuery
		depths    string
		edgeCount int
	}{
		{"downstream from the rack", graph.NeighbourhoodQuery{Seeds: []string{rack.ID}, MaxDepth: 32},
			"map[app1:3 app2:4 app3:3 hv:1 rack:0 vm:2]", 7},
		{"depth limit keeps the frontier unexpanded", graph.NeighbourhoodQuery{Seeds: []string{rack.ID}, MaxDepth: 2},
			"map[hv:1 rack:0 vm:2]", 2},
		{"upstream from app2 climbs to the rack", graph.NeighbourhoodQuery{Seeds: []string{app2.ID}, Direction: graph.Upstream, MaxDepth: 32},
			"map[app1:1 app2:0 hv:3 rack:4 vm:2]", 5},
		{"types filter", graph.NeighbourhoodQuery{Seeds: []string{vm.ID}, MaxDepth: 32, Types: []string{graph.RelDependsOn}},
			"map[app3:1 vm:0]", 1},
		{"two seeds, duplicate seed", graph.NeighbourhoodQuery{Seeds: []string{app1.ID, app2.ID, app1.ID}, MaxDepth: 1},
			"map[app1:0 app2:0 app3:1]", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := s.Neighbourhood(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for id, n := range sub.Nodes {
				got[name[id]] = n.Depth
				if n.CI.ID != id {
					t.Fatalf("node %s carries CI %s", id, n.CI.ID)
				}
			}
			if fmt.Sprint(got) != tt.depths {
				t.Fatalf("depths %v, want %s", got, tt.depths)
			}
			if len(sub.Edges) != tt.edgeCount {
				t.Fatalf("%d edges, want %d: %v", len(sub.Edges), tt.edgeCount, sub.Edges)
			}
			seen := map[graph.RelationKey]bool{}
			for _, e := range sub.Edges {
				if seen[e.Key()] {
					t.Fatalf("edge %v returned twice", e.Key())
				}
				seen[e.Key()] = true
				if e.CreatedAt.IsZero() {
					t.Fatalf("edge %v without createdAt", e.Key())
				}
			}
		})
	}
}

// TestTraversalPlanExpandsWithoutPaths pins the level query's plan: an
// index seek per frontier id and plain single-hop expansion, never a
// variable-length (path-enumerating) operator.
func TestTraversalPlanExpandsWithoutPaths(t *testing.T) {
	s := newTestStore(t)
	arms, err := s.traversalArms(graph.NeighbourhoodQuery{Direction: graph.Downstream})
	if err != nil {
		t.Fatal(err)
	}
	res, err := neo4j.ExecuteQuery(context.Background(), s.driver, "EXPLAIN "+cypherExpandLevel(arms),
		map[string]any{"frontier": []string{graph.NewID()}}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	ops := planOperators(res.Summary.Plan())
	t.Logf("plan operators: %v", ops)
	has := func(prefix string) bool {
		for _, op := range ops {
			if len(op) >= len(prefix) && op[:len(prefix)] == prefix {
				return true
			}
		}
		return false
	}
	if !has("NodeUniqueIndexSeek") || !has("Expand(All)") || has("VarLengthExpand") || has("ShortestPath") {
		t.Fatalf("unexpected plan %v", ops)
	}
}

// TestListPlanReadsIndexOrder pins the unfiltered page query to a range
// seek on ci_sortkey read in index order, forward or back: no sort, so a
// page costs its size however many CIs there are.
func TestListPlanReadsIndexOrder(t *testing.T) {
	s := newTestStore(t)
	var b graph.Batch
	for i := 0; i < 300; i++ {
		b.Upserts = append(b.Upserts, input(fmt.Sprintf("ci-%03d", i), graph.ClassServer))
	}
	if _, err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for _, backward := range []bool{false, true} {
		page, _ := cypherListCIs(listFilter{backward: backward})
		ops := explain(t, s, page, map[string]any{"afterKey": "", "beforeKey": lastKey, "limit": int64(51)})
		if !strings.Contains(ops, "NodeIndexSeekByRange") || strings.Contains(ops, "Sort") || strings.Contains(ops, "Top") {
			t.Fatalf("unfiltered page (backward %v) is not an ordered index range seek: %s", backward, ops)
		}
	}
}

func planOperators(p neo4j.Plan) []string {
	if p == nil {
		return nil
	}
	out := []string{p.Operator()}
	for _, c := range p.Children() {
		out = append(out, planOperators(c)...)
	}
	return out
}

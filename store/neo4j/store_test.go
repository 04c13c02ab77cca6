package neo4j

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

func TestConfigRejectsBadURIs(t *testing.T) {
	for _, uri := range []string{"http://127.0.0.1:7687", "127.0.0.1:7687", "bolt://", "::"} {
		t.Run(uri, func(t *testing.T) {
			_, err := Open(context.Background(), Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
			storetest.WantErr(t, err, graph.CodeInvalidInput, "uri")
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
	want := []string{"ci_id", "identifier_key", "record_kind_id", "audit_id", "graph_version_key", "importscope_key", "sighting_key"}
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
	ci := storetest.MustCI(t, s, "routed", graph.ClassServer, storetest.Ident("serial", "R1"))
	got, err := s.GetCI(context.Background(), ci.ID)
	if err != nil || got.Name != "routed" {
		t.Fatalf("GetCI over neo4j:// = %+v, %v", got, err)
	}
}

func TestIdentifierUniquenessIsEnforcedByTheDatabase(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	storetest.MustCI(t, s, "a", graph.ClassServer, storetest.Ident("serial", "A"))
	b := storetest.MustCI(t, s, "b", graph.ClassServer)
	// Bypass the store's own check, as a racing writer would: the
	// constraint must still refuse a second owner for serial:A.
	_, err := writeTx(ctx, s, "steal identifier", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		return struct{}{}, exec(ctx, tx, cypherCreateIdentifiers, map[string]any{"rows": []map[string]any{
			{"ci": b.ID, "key": "serial:A", "kind": "serial", "value": "A"},
		}})
	})
	storetest.WantErr(t, err, graph.CodeConflict, "identifiers")
	if n := countNodes(t, s, labelIdentifier); n != 1 {
		t.Fatalf("%d identifier nodes, want 1", n)
	}
}

func TestDeleteRemovesIdentifierNodes(t *testing.T) {
	s := newTestStore(t)
	ci := storetest.MustCI(t, s, "gone", graph.ClassServer, storetest.Ident("serial", "G"), storetest.Ident("ip", "10.9.9.9"))
	if err := s.DeleteCI(context.Background(), ci.ID); err != nil {
		t.Fatal(err)
	}
	if n := countNodes(t, s, labelIdentifier); n != 0 {
		t.Fatalf("%d identifier nodes left", n)
	}
}

// TestTraversalPlanExpandsWithoutPaths pins the traversal statement's
// plan: levels reduced to distinct new nodes by an aggregation, never a
// variable-length or shortest-path (path-enumerating) operator. (The
// single-hop expansions are pattern comprehensions, evaluated inside
// projections, so they do not show as operators.)
func TestTraversalPlanExpandsWithoutPaths(t *testing.T) {
	s := newTestStore(t)
	arms, err := s.traversalArms(graph.NeighbourhoodQuery{Direction: graph.Downstream})
	if err != nil {
		t.Fatal(err)
	}
	grouping, err := checkRelTypes(s.cat, "grouping", s.cat.GroupingTypes())
	if err != nil {
		t.Fatal(err)
	}
	res, err := neo4j.ExecuteQuery(context.Background(), s.driver, "EXPLAIN "+cypherTraverse(arms, 3, grouping),
		map[string]any{"seeds": []string{graph.NewID()}, "groupClasses": s.groupClasses()}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db))
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
	if !has("EagerAggregation") || has("VarLengthExpand") || has("ShortestPath") {
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
		b.Upserts = append(b.Upserts, storetest.Input(fmt.Sprintf("ci-%03d", i), graph.ClassServer))
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

package embedded

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

// snapshot is everything a client can list: every CI, every relation and
// every record.
type snapshot struct {
	CIs       []graph.CI
	Relations map[string][]graph.Relation
	Records   map[graph.RecordKind][]graph.Record
}

func takeSnapshot(t testing.TB, s *Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var snap snapshot
	after := ""
	for {
		page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: graph.MaxPageSize, After: after})
		if err != nil {
			t.Fatalf("ListCIs: %v", err)
		}
		snap.CIs = append(snap.CIs, page.CIs...)
		if !page.HasNextPage {
			break
		}
		after = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
	}
	ids := make([]string, len(snap.CIs))
	for i, ci := range snap.CIs {
		ids[i] = ci.ID
	}
	rels, err := s.RelationsOf(ctx, ids, graph.Both, nil)
	if err != nil {
		t.Fatalf("RelationsOf: %v", err)
	}
	snap.Relations = rels
	snap.Records = map[graph.RecordKind][]graph.Record{}
	for _, kind := range graph.RecordKinds {
		if recs := allRecords(t, s, kind, graph.RecordFilter{}, graph.MaxPageSize); len(recs) > 0 {
			snap.Records[kind] = recs
		}
	}
	return snap
}

func TestFailedApplyLeavesDiskAndMemoryUntouched(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	app := mustCI(t, s, "app", graph.ClassApplication, ident("app-id", "shop"))
	db := mustCI(t, s, "db", graph.ClassDatabase, ident("serial", "DB"))
	mustRelate(t, s, app, graph.RelDependsOn, db)
	before := takeSnapshot(t, s)
	histories := func() [][]graph.AuditEntry {
		return [][]graph.AuditEntry{fullHistory(t, s, app.ID, 10), fullHistory(t, s, db.ID, 10)}
	}
	histBefore := histories()

	// Every kind of staged change, then a failure in the very last step.
	_, err = s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{
			input("vm", graph.ClassVirtualMachine, ident("serial", "VM")),
			{ID: db.ID, Name: ptr("db-renamed"), Identifiers: []graph.Identifier{ident("fqdn", "db.example.com")}},
		},
		Relate: []graph.BatchRelation{{From: graph.CIRef{ID: db.ID}, Type: graph.RelRunsOn, To: graph.CIRef{Identifier: ptr(ident("serial", "VM"))}}},
		Unrelate: []graph.BatchRelation{
			{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: db.ID}},
			{From: graph.CIRef{ID: app.ID}, Type: "NOPE", To: graph.CIRef{ID: db.ID}},
		},
	})
	wantErr(t, err, graph.CodeInvalidInput, "unrelate[1].type")

	if got := takeSnapshot(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("memory changed by a failed batch:\n got %+v\nwant %+v", got, before)
	}
	if got := histories(); !reflect.DeepEqual(got, histBefore) {
		t.Fatalf("a failed batch left audit entries: %+v", got)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	// The identifiers the failed batch claimed must still be free.
	if _, err := s.UpsertCI(ctx, input("other", graph.ClassServer, ident("fqdn", "db.example.com"), ident("serial", "VM"))); err != nil {
		t.Fatalf("identifiers of a failed batch stayed claimed: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	after := takeSnapshot(t, s)
	if len(after.CIs) != len(before.CIs)+1 || !reflect.DeepEqual(after.Relations, before.Relations) {
		t.Fatalf("disk differs from what was committed: %+v", after)
	}
}

func TestRelateThenUnrelateInOneBatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := mustCI(t, s, "a", graph.ClassApplication)
	b := mustCI(t, s, "b", graph.ClassApplication)
	mustRelate(t, s, a, graph.RelDependsOn, b)
	rel := graph.BatchRelation{From: graph.CIRef{ID: b.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: a.ID}}
	old := graph.BatchRelation{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}}
	res, err := s.Apply(ctx, graph.Batch{
		Relate:   []graph.BatchRelation{rel, rel, old},
		Unrelate: []graph.BatchRelation{rel, old, old},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.RelationsCreated != 1 || res.RelationsRemoved != 2 {
		t.Fatalf("created %d removed %d, want 1 and 2", res.RelationsCreated, res.RelationsRemoved)
	}
	if snap := takeSnapshot(t, s); len(snap.Relations) != 0 {
		t.Fatalf("relations left: %v", snap.Relations)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

func TestReturnedValuesAreCopies(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	res, err := s.UpsertCI(ctx, graph.CIInput{Name: ptr("a"), Class: ptr(graph.ClassCluster),
		Attributes:  map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"x"}},
		Identifiers: []graph.Identifier{ident("serial", "A")}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.CI.ID
	want := takeSnapshot(t, s)
	scribble := func(ci graph.CI) {
		ci.Attributes["nested"].(map[string]any)["k"] = "changed"
		ci.Attributes["list"].([]any)[0] = "changed"
		ci.Attributes["new"] = true
		ci.Identifiers[0].Value = "changed"
	}
	scribble(res.CI)
	got, _ := s.GetCI(ctx, id)
	scribble(got)
	byID, _ := s.CIsByIDs(ctx, []string{id})
	scribble(byID[id])
	page, _ := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
	scribble(page.CIs[0])
	sub, _ := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{id}})
	scribble(sub.Nodes[id].CI)
	batch, _ := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{{ID: id}}})
	scribble(batch.CIs[0])
	if got := takeSnapshot(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("callers changed the store through returned values:\n got %+v\nwant %+v", got, want)
	}
}

func TestSecondOpenOfADirectoryIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir)
	start := time.Now()
	_, err := Open(context.Background(), dir, nil)
	wantErr(t, err, graph.CodeUnavailable, "")
	if !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Fatalf("error does not name the locked file: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %v for the lock", d)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ci := mustCI(t, s, "a", graph.ClassServer)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = s.GetCI(ctx, ci.ID)
	wantErr(t, err, graph.CodeUnavailable, "")
	_, err = s.UpsertCI(ctx, input("b", graph.ClassServer))
	wantErr(t, err, graph.CodeUnavailable, "")
	wantErr(t, s.Ping(ctx), graph.CodeUnavailable, "")
}

func TestCancelledContext(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.UpsertCI(ctx, input("a", graph.ClassServer))
	wantErr(t, err, graph.CodeUnavailable, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("context error lost from the chain: %v", err)
	}
	if n := len(takeSnapshot(t, s).CIs); n != 0 {
		t.Fatalf("cancelled upsert wrote %d CIs", n)
	}
}

// TestListCIsAgainstReference pages through random data with every filter
// and compares with a brute-force sort-and-filter.
func TestListCIsAgainstReference(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	rng := rand.New(rand.NewPCG(1, 2))
	classes := []string{graph.ClassServer, graph.ClassDatabase, graph.ClassApplication}
	envs := []string{"prod", "test", ""}
	var b graph.Batch
	for i := 0; i < 300; i++ {
		// Few distinct names, so that (name, id) ties are common.
		in := input(fmt.Sprintf("%s-%02d", []string{"Web", "web", "db", "Ωmega"}[rng.IntN(4)], rng.IntN(20)),
			classes[rng.IntN(len(classes))], ident("serial", fmt.Sprint(i)))
		in.Environment = ptr(envs[rng.IntN(len(envs))])
		if i%10 == 0 {
			// Each value is held by two CIs under different kinds.
			kind := []string{"ip", "asset-tag"}[(i/10)%2]
			in.Identifiers = append(in.Identifiers, ident(kind, fmt.Sprintf("v%d", i/20)))
		}
		b.Upserts = append(b.Upserts, in)
	}
	res, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	all := res.CIs
	if res.Created != len(b.Upserts) {
		t.Fatalf("created %d CIs, want %d", res.Created, len(b.Upserts))
	}
	tests := []graph.CIFilter{
		{},
		{Class: graph.ClassServer},
		{Environment: "prod", Search: "WEB"},
		{Search: "ωMEGA"},
		{Identifier: "v0"},
		{Identifier: "7"},
		{Identifier: "v3", Class: graph.ClassDatabase},
		{Identifier: "v4", Search: "nothing-like-this"},
		{Owner: "nobody"},
	}
	for _, f := range tests {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []string
			for _, ci := range all {
				if referenceMatch(ci, f) {
					want = append(want, ci.ID)
				}
			}
			sortByNameID(all, want)
			for _, size := range []int{1, 7, graph.MaxPageSize} {
				var got []string
				after := ""
				for {
					page, err := s.ListCIs(ctx, f, graph.Page{First: size, After: after})
					if err != nil {
						t.Fatal(err)
					}
					if page.TotalCount != len(want) {
						t.Fatalf("size %d: totalCount %d, want %d", size, page.TotalCount, len(want))
					}
					for _, ci := range page.CIs {
						got = append(got, ci.ID)
					}
					if !page.HasNextPage {
						break
					}
					after = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("size %d: got %d ids, want %d in (name, id) order", size, len(got), len(want))
				}
			}
		})
	}
}

func referenceMatch(ci graph.CI, f graph.CIFilter) bool {
	if f.Class != "" && ci.Class != f.Class || f.Environment != "" && ci.Environment != f.Environment ||
		f.Owner != "" && ci.Owner != f.Owner || f.Status != "" && ci.Status != f.Status ||
		!strings.Contains(strings.ToLower(ci.Name), strings.ToLower(f.Search)) {
		return false
	}
	if f.Identifier == "" {
		return true
	}
	for _, id := range ci.Identifiers {
		if id.Value == f.Identifier {
			return true
		}
	}
	return false
}

func sortByNameID(all []graph.CI, ids []string) {
	name := map[string]string{}
	for _, ci := range all {
		name[ci.ID] = ci.Name
	}
	sort.Slice(ids, func(i, j int) bool { return graph.CursorLess(name[ids[i]], ids[i], name[ids[j]], ids[j]) })
}

// TestNeighbourhoodAgainstReference compares the traversal on a random
// graph with a level-by-level expansion written against the public API.
func TestNeighbourhoodAgainstReference(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ids := buildRandomGraph(t, s, 300, 1500, 7)
	for _, dir := range []graph.TraversalDirection{graph.Downstream, graph.Upstream} {
		for _, types := range [][]string{nil, {graph.RelContains, graph.RelMemberOf}, {graph.RelDependsOn, graph.RelConnectsTo}} {
			for _, depth := range []int{1, 3, 32} {
				q := graph.NeighbourhoodQuery{Seeds: []string{ids[0], ids[1], ids[0]}, Direction: dir, MaxDepth: depth, Types: types}
				t.Run(fmt.Sprintf("dir%d/%v/%d", dir, types, depth), func(t *testing.T) {
					sub, err := s.Neighbourhood(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					wantDepth, wantEdges := referenceBFS(t, s, q)
					gotDepth := map[string]int{}
					for id, n := range sub.Nodes {
						gotDepth[id] = n.Depth
						if n.CI.ID != id {
							t.Fatalf("node %s carries CI %s", id, n.CI.ID)
						}
					}
					if !reflect.DeepEqual(gotDepth, wantDepth) {
						t.Fatalf("got %d nodes, want %d (or depths differ)", len(gotDepth), len(wantDepth))
					}
					gotEdges := keysOf(sub.Edges)
					if !reflect.DeepEqual(gotEdges, wantEdges) {
						t.Fatalf("got %d edges, want %d", len(gotEdges), len(wantEdges))
					}
				})
			}
		}
	}
}

// referenceBFS expands one level at a time through RelationsOf.
func referenceBFS(t *testing.T, s *Store, q graph.NeighbourhoodQuery) (map[string]int, []graph.RelationKey) {
	t.Helper()
	q, err := s.Catalogue().CheckNeighbourhoodQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	toSource, toTarget, _ := s.Catalogue().TraversalTypes(q.Types)
	inbound, outbound := toSource, toTarget // downstream
	if q.Direction == graph.Upstream {
		inbound, outbound = toTarget, toSource
	}
	depth := map[string]int{}
	var frontier []string
	for _, id := range q.Seeds {
		if _, ok := depth[id]; !ok {
			depth[id] = 0
			frontier = append(frontier, id)
		}
	}
	var edges []graph.RelationKey
	for d := 0; d < q.MaxDepth && len(frontier) > 0; d++ {
		var next []string
		visit := func(r graph.Relation, peer string) {
			edges = append(edges, r.Key())
			if _, ok := depth[peer]; !ok {
				depth[peer] = d + 1
				next = append(next, peer)
			}
		}
		for _, id := range frontier {
			if len(inbound) > 0 {
				in, err := s.RelationsOf(context.Background(), []string{id}, graph.Incoming, inbound)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range in[id] {
					visit(r, r.From)
				}
			}
			if len(outbound) > 0 {
				out, err := s.RelationsOf(context.Background(), []string{id}, graph.Outgoing, outbound)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out[id] {
					visit(r, r.To)
				}
			}
		}
		frontier = next
	}
	return depth, sortedKeys(edges)
}

func keysOf(rels []graph.Relation) []graph.RelationKey {
	out := make([]graph.RelationKey, len(rels))
	for i, r := range rels {
		out[i] = r.Key()
	}
	return sortedKeys(out)
}

func sortedKeys(ks []graph.RelationKey) []graph.RelationKey {
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		return a.From+a.Type+a.To < b.From+b.Type+b.To
	})
	return ks
}

// buildRandomGraph creates n CIs and m distinct relations of mixed types
// that the default catalogue accepts, in batches, and returns the CI ids
// sorted by decreasing incoming degree (ids[0] is the best-connected).
func buildRandomGraph(t testing.TB, s *Store, n, m int, seed uint64) []string {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed))
	// A tenth are groups (MEMBER_OF targets) and a tenth racks (CONTAINS
	// sources, never DEPENDS_ON/RUNS_ON sources); the rest are software.
	classOf := func(i int) string {
		switch i % 10 {
		case 0:
			return graph.ClassCluster
		case 1:
			return graph.ClassRack
		case 2, 3:
			return graph.ClassVirtualMachine
		default:
			return graph.ClassApplication
		}
	}
	var ups []graph.CIInput
	for i := 0; i < n; i++ {
		ups = append(ups, graph.CIInput{Name: ptr(fmt.Sprintf("ci-%05d", i)), Class: ptr(classOf(i)),
			Attributes:  map[string]any{"index": float64(i), "tier": "gold"},
			Identifiers: []graph.Identifier{ident("serial", fmt.Sprintf("S%05d", i))}})
	}
	var ids []string
	for start := 0; start < n; start += 1000 {
		res, err := s.Apply(ctx, graph.Batch{Upserts: ups[start:min(start+1000, n)]})
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range res.CIs {
			ids = append(ids, ci.ID)
		}
	}
	// Skewed targets (a few hubs) make the traversal look like a real estate.
	pick := func() int { return int(float64(n) * rng.Float64() * rng.Float64()) }
	seen := map[graph.RelationKey]bool{}
	var batch []graph.BatchRelation
	indeg := make([]int, n)
	for len(seen) < m {
		from, to := rng.IntN(n), pick()
		var typ string
		switch r := rng.IntN(10); {
		case r < 5:
			typ = graph.RelDependsOn
		case r < 7:
			typ = graph.RelRunsOn
		case r < 8:
			typ = graph.RelConnectsTo
		case r < 9:
			typ = graph.RelMemberOf
			to = (to / 10) * 10 // a Cluster
		default:
			typ = graph.RelContains
			from = (from/10)*10 + 1 // a Rack
		}
		if classOf(from) == graph.ClassRack && typ != graph.RelContains && typ != graph.RelConnectsTo || from == to {
			continue
		}
		k := graph.RelationKey{From: ids[from], Type: typ, To: ids[to]}
		if seen[k] {
			continue
		}
		seen[k] = true
		indeg[to]++
		batch = append(batch, graph.BatchRelation{From: graph.CIRef{ID: k.From}, Type: typ, To: graph.CIRef{ID: k.To}})
		if len(batch) == 5000 || len(seen) == m {
			if _, err := s.Apply(ctx, graph.Batch{Relate: batch}); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return indeg[order[a]] > indeg[order[b]] })
	out := make([]string, n)
	for i, o := range order {
		out[i] = ids[o]
	}
	return out
}

// TestDroppedRelationTypeSurvivesReopen opens a file with a catalogue that
// no longer knows a relation type the file uses.
func TestDroppedRelationTypeSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCI(t, s, "a", graph.ClassApplication)
	b := mustCI(t, s, "b", graph.ClassApplication)
	mustRelate(t, s, a, graph.RelConnectsTo, b)
	mustRelate(t, s, a, graph.RelDependsOn, b)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	def := graph.DefaultCatalogue()
	var rels []graph.RelationType
	for _, rt := range def.RelationTypes() {
		if rt.Name != graph.RelConnectsTo {
			rels = append(rels, rt)
		}
	}
	cat, err := graph.NewCatalogue(def.Classes(), rels)
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	got, err := s.RelationsOf(ctx, []string{a.ID}, graph.Outgoing, nil)
	if err != nil || len(got[a.ID]) != 2 {
		t.Fatalf("RelationsOf = %v, %v; want both relations, the unknown type included", got, err)
	}
	// A class change is judged only by relation types the catalogue knows.
	if _, err := s.UpsertCI(ctx, graph.CIInput{ID: b.ID, Class: ptr(graph.ClassDatabase)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RelationsOf(ctx, []string{a.ID}, graph.Both, nil); len(got) != 0 {
		t.Fatalf("relations of a deleted CI survive: %v", got)
	}
}

func TestOpenRefusesDamagedFiles(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"future schema", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) }},
		{"dangling relation", func(tx *bolt.Tx) error {
			k := graph.RelationKey{From: graph.NewID(), Type: graph.RelDependsOn, To: graph.NewID()}
			v, _ := encodeRel(graph.Relation{From: k.From, Type: k.Type, To: k.To})
			return tx.Bucket(bucketRels).Put(relKey(k), v)
		}},
		{"identifier of nobody", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdents).Put(identKey(ident("serial", "X")), []byte(graph.NewID()))
		}},
		{"unindexed identifier", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdents).Delete(identKey(ident("serial", "A")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s, err := Open(ctx, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			mustCI(t, s, "a", graph.ClassServer, ident("serial", "A"))
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(ctx, dir, nil); err == nil {
				t.Fatal("Open accepted a damaged file")
			}
		})
	}
}

// TestConcurrentReadsAndWrites runs traversals and listings while batches
// commit; with -race it checks the locking.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ids := buildRandomGraph(t, s, 200, 600, 3)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: ids[:2], MaxDepth: 6}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListCIs(ctx, graph.CIFilter{Search: "ci-"}, graph.Page{First: 20}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: ids[0], States: []string{"NEW"}}, graph.Page{First: 5}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.History(ctx, ids[0], graph.Page{First: 5}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Sightings(ctx, scopeNmap); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.SightingsOf(ctx, ids[:20]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		newRef := graph.CIRef{Identifier: ptr(ident("new", fmt.Sprint(i)))}
		rel := graph.BatchRelation{From: newRef, Type: graph.RelDependsOn, To: graph.CIRef{ID: ids[0]}}
		b := graph.Batch{Upserts: []graph.CIInput{input(fmt.Sprintf("new-%d", i), graph.ClassApplication, ident("new", fmt.Sprint(i)))},
			Relate: []graph.BatchRelation{rel}, Ledger: run(scopeNmap, int64(i), time.Now())}
		b.Ledger.SeenCIs = []graph.CIRef{newRef, {ID: ids[i]}, {ID: ids[len(ids)-1-i]}}
		b.Ledger.SeenRelations = []graph.BatchRelation{rel}
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutRecord(ctx, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW",
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: ids[0]}}, Doc: []byte(`{}`)}, 0); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := s.DeleteCI(ctx, ids[len(ids)-1-i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	checkAuditAgreesWithData(t, s)
}

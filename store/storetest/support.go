package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// The helpers below serve this suite and the stores' own tests alike, so
// that neither store package keeps a copy of them.

// Ptr returns a pointer to v, for the optional fields of CIInput.
func Ptr[T any](v T) *T { return &v }

// Ident builds an identifier.
func Ident(kind, value string) graph.Identifier { return graph.Identifier{Kind: kind, Value: value} }

// Input builds a create input with the given identifiers.
func Input(name, class string, ids ...graph.Identifier) graph.CIInput {
	return graph.CIInput{Name: Ptr(name), Class: Ptr(class), Identifiers: ids}
}

// MustCI creates a CI, failing the test on error.
func MustCI(t testing.TB, s graph.Store, name, class string, ids ...graph.Identifier) graph.CI {
	t.Helper()
	return mustCI(context.Background(), t, s, name, class, ids...)
}

// MustRelate relates two CIs, failing the test on error.
func MustRelate(t testing.TB, s graph.Store, from graph.CI, typ string, to graph.CI) {
	t.Helper()
	mustRelate(context.Background(), t, s, from, typ, to)
}

// WantErr fails unless err is a domain error with the code and field and a
// message for the client.
func WantErr(t testing.TB, err error, code graph.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s on field %q", code, field)
	}
	var de *graph.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %T %v, want a *graph.Error %s on %q", err, err, code, field)
	}
	if de.Code != code || de.Field != field {
		t.Fatalf("got %s on field %q (%v), want %s on field %q", de.Code, de.Field, err, code, field)
	}
	if de.Message == "" {
		t.Fatalf("error %v has an empty message", err)
	}
}

// Snapshot is everything a client can list: every CI, every relation and
// every record.
type Snapshot struct {
	CIs       []graph.CI
	Relations map[string][]graph.Relation
	Records   map[graph.RecordKind][]graph.Record
}

// TakeSnapshot reads everything a client can list.
func TakeSnapshot(t testing.TB, s graph.Store) Snapshot {
	t.Helper()
	ctx := context.Background()
	var snap Snapshot
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
		if recs := AllRecords(t, s, kind, graph.RecordFilter{}, graph.MaxPageSize); len(recs) > 0 {
			snap.Records[kind] = recs
		}
	}
	return snap
}

// AllRecords pages through every record of a kind matching f, first at a
// time.
func AllRecords(t testing.TB, s graph.Store, kind graph.RecordKind, f graph.RecordFilter, first int) []graph.Record {
	t.Helper()
	var out []graph.Record
	after := ""
	for {
		p, err := s.ListRecords(context.Background(), kind, f, graph.Page{First: first, After: after})
		if err != nil {
			t.Fatalf("ListRecords: %v", err)
		}
		out = append(out, p.Records...)
		if !p.HasNextPage {
			return out
		}
		after = graph.RecordCursor(f.Order, p.Records[len(p.Records)-1])
	}
}

// FullHistory pages through the history of about, first entries at a time.
func FullHistory(t testing.TB, s graph.Store, about string, first int) []graph.AuditEntry {
	t.Helper()
	var out []graph.AuditEntry
	after := ""
	for {
		p, err := s.History(context.Background(), about, graph.Page{First: first, After: after})
		if err != nil {
			t.Fatalf("History(%s): %v", about, err)
		}
		out = append(out, p.Entries...)
		if !p.HasNextPage {
			return out
		}
		after = graph.IDCursor(p.Entries[len(p.Entries)-1].ID)
	}
}

// BuildRandomGraph creates n CIs and m distinct relations of mixed types
// that the default catalogue accepts, in batches, and returns the CI ids
// sorted by decreasing incoming degree (ids[0] is the best-connected).
func BuildRandomGraph(t testing.TB, s graph.Store, n, m int, seed uint64) []string {
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
		ups = append(ups, graph.CIInput{Name: Ptr(fmt.Sprintf("ci-%05d", i)), Class: Ptr(classOf(i)),
			Attributes:  map[string]any{"index": float64(i), "tier": "gold"},
			Identifiers: []graph.Identifier{Ident("serial", fmt.Sprintf("S%05d", i))}})
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

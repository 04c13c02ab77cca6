package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// refRecords is the brute-force model ListRecords is checked against.
type refRecords map[string]graph.Record

func (m refRecords) list(kind graph.RecordKind, f graph.RecordFilter) []string {
	var out []string
	for id, r := range m {
		if r.Kind != kind {
			continue
		}
		if len(f.States) > 0 && !slices.Contains(f.States, r.State) {
			continue
		}
		if f.CI != "" && !slices.ContainsFunc(r.Links, func(l graph.RecordLink) bool { return l.CI == f.CI }) {
			continue
		}
		if f.Ref != "" && !slices.Contains(r.Refs, f.Ref) {
			continue
		}
		if !f.Overlaps(r.Start, r.End) {
			continue
		}
		out = append(out, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// RecordsAgainstReference writes n random records, rewrites or deletes a
// third of them, then pages through random filters (about n/2 of them) and
// compares every page with a brute-force filter-and-sort. With n = 900 the
// data is large enough for an indexing store to use every plan it has
// (whole kind, single and merged id-ordered sets, time index). When reopen
// is set, the store is then handed to it (a store that keeps data across
// restarts closes and reopens itself there, checking whatever it must) and
// the listings are checked again on the store it returns.
func RecordsAgainstReference(t *testing.T, s graph.Store, n int, reopen func(graph.Store) graph.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 9))
	var cis []string
	for i := range 30 {
		cis = append(cis, mustCI(ctx, t, s, fmt.Sprintf("ci-%d", i), graph.ClassApplication).ID)
	}
	states := []string{"NEW", "SCHEDULED", "IN_PROGRESS", "CLOSED", "CANCELLED"}
	refs := []string{"PROBLEM:a", "PROBLEM:b", "CHANGE:c", "INCIDENT:d"}
	kinds := []graph.RecordKind{graph.KindChange, graph.KindIncident}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) *time.Time { return tp(base.AddDate(0, 0, d)) }
	randomize := func(r *graph.Record) {
		r.State = states[rng.IntN(len(states))]
		r.Links, r.Refs = nil, nil
		for range rng.IntN(4) {
			r.Links = append(r.Links, graph.RecordLink{Role: "TARGETS", CI: cis[rng.IntN(len(cis))]})
		}
		for range rng.IntN(3) {
			r.Refs = append(r.Refs, refs[rng.IntN(len(refs))])
		}
		r.Start, r.End = nil, nil
		switch rng.IntN(6) {
		case 0: // no window
		case 1:
			r.Start = day(rng.IntN(365))
		case 2:
			r.End = day(rng.IntN(365))
		default:
			d := rng.IntN(365)
			r.Start, r.End = day(d), day(d+rng.IntN(10))
		}
		r.Doc = json.RawMessage(fmt.Sprintf(`{"n":%d}`, rng.IntN(1000)))
	}
	ref := refRecords{}
	var ids []string
	for range n {
		r := graph.Record{Kind: kinds[rng.IntN(2)], ID: graph.NewID()}
		randomize(&r)
		out := mustPut(ctx, t, s, r, 0)
		ref[r.ID], ids = out, append(ids, r.ID)
	}
	for range n / 3 {
		id := ids[rng.IntN(len(ids))]
		cur, ok := ref[id]
		if !ok {
			continue
		}
		if rng.IntN(4) == 0 {
			if err := s.DeleteRecord(ctx, cur.Kind, id, cur.Version); err != nil {
				t.Fatal(err)
			}
			delete(ref, id)
			continue
		}
		r := cur
		randomize(&r)
		ref[id] = mustPut(ctx, t, s, r, cur.Version)
	}

	randomFilter := func() graph.RecordFilter {
		var f graph.RecordFilter
		if rng.IntN(3) == 0 {
			for range 1 + rng.IntN(3) {
				f.States = append(f.States, states[rng.IntN(len(states))])
			}
		}
		if rng.IntN(4) == 0 {
			f.CI = cis[rng.IntN(len(cis))]
		}
		if rng.IntN(5) == 0 {
			f.Ref = refs[rng.IntN(len(refs))]
		}
		if rng.IntN(2) == 0 {
			d := rng.IntN(400) - 20
			f.From = day(d)
		}
		if rng.IntN(2) == 0 {
			d := rng.IntN(400) - 20
			f.To = day(d)
		}
		return f
	}
	check := func(s graph.Store, rounds int) {
		t.Helper()
		fixed := []graph.RecordFilter{{}, {States: []string{"CLOSED", "NEW"}}, {CI: cis[0]}, {Ref: "PROBLEM:a"},
			{From: day(100), To: day(101)}, {From: day(300)}, {To: day(5)}, {CI: graph.NewID()}, {States: []string{"NOPE"}}}
		for i := 0; i < rounds+len(fixed); i++ {
			f := randomFilter()
			if i < len(fixed) {
				f = fixed[i]
			}
			kind := kinds[rng.IntN(2)]
			want := ref.list(kind, f)
			first := 1 + rng.IntN(60)
			var got []string
			after := ""
			for {
				p, err := s.ListRecords(ctx, kind, f, graph.Page{First: first, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if p.TotalCount != len(want) {
					t.Fatalf("%s %+v: total %d, want %d", kind, f, p.TotalCount, len(want))
				}
				for _, r := range p.Records {
					got = append(got, r.ID)
					if !reflect.DeepEqual(r, ref[r.ID]) {
						t.Fatalf("listed %+v, stored %+v", r, ref[r.ID])
					}
				}
				if p.HasNextPage != (len(got) < len(want)) || (len(p.Records) != first && p.HasNextPage) {
					t.Fatalf("%s %+v: %d of %d after a page of %d, HasNextPage %v", kind, f, len(got), len(want), len(p.Records), p.HasNextPage)
				}
				if !p.HasNextPage {
					break
				}
				after = graph.RecordCursor(f.Order, p.Records[len(p.Records)-1])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s %+v (first %d):\n got %v\nwant %v", kind, f, first, got, want)
			}
		}
	}
	check(s, n*4/9)
	// A cursor need not name a record that is still there.
	gone := graph.NewID()
	p, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{First: 500, After: graph.RecordCursor(graph.RecordOrder{}, graph.Record{ID: gone})})
	if err != nil || len(p.Records) != len(ref.list(graph.KindChange, graph.RecordFilter{})) {
		t.Fatalf("listing after an id newer than all: %d records, %v", len(p.Records), err)
	}
	// A record spanning millennia makes a time index useless (its span
	// saturates); the listings must not notice.
	long := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Start: tp(time.Date(100, 1, 1, 0, 0, 0, 0, time.UTC)),
		End: tp(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)), Doc: json.RawMessage(`{}`)}
	ref[long.ID] = mustPut(ctx, t, s, long, 0)
	check(s, n/9)
	CheckAuditAgreesWithData(t, s)
	if reopen != nil {
		check(reopen(s), n*2/9)
	}
}

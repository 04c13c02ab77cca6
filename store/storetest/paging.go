package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// pagingCases pin Relay paging both ways (first/after, last/before) on CIs
// and records, and record listings in every order.
var pagingCases = []testCase{
	{"CIsForwardThenBackGiveTheSameItems", func(ctx context.Context, t *testing.T, s graph.Store) {
		for i := 0; i < 23; i++ {
			name := fmt.Sprintf("host-%02d", (i*7)%23)
			if i == 22 {
				name = "host-05" // a shared name exercises the id tie-break
			}
			mustCI(ctx, t, s, name, graph.ClassServer)
		}
		mustCI(ctx, t, s, "host-db", graph.ClassDatabase)
		for _, f := range []graph.CIFilter{{}, {Class: graph.ClassServer}, {Search: "HOST-1"}} {
			t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
				forward := pageCIs(ctx, t, s, f, 5, false, nil)
				if len(forward) < 3 {
					t.Fatalf("only %d CIs listed", len(forward))
				}
				for i := 1; i < len(forward); i++ {
					if !graph.CursorLess(forward[i-1].Name, forward[i-1].ID, forward[i].Name, forward[i].ID) {
						t.Fatalf("forward order broken at %d", i)
					}
				}
				back := pageCIs(ctx, t, s, f, 5, true, nil)
				if fmt.Sprint(ciIDs(back)) != fmt.Sprint(ciIDs(forward)) {
					t.Fatalf("paging back gave %v, forward %v", names(back), names(forward))
				}
			})
		}
	}},
	{"CIsBackwardInsertsNeitherDuplicateNorSkip", func(ctx context.Context, t *testing.T, s graph.Store) {
		before := map[string]bool{}
		for i := 0; i < 30; i++ {
			before[mustCI(ctx, t, s, fmt.Sprintf("m-%02d", i), graph.ClassServer).ID] = true
		}
		inserted := 0
		got := pageCIs(ctx, t, s, graph.CIFilter{}, 7, true, func() {
			for _, n := range []string{"a-early", "m-15x", "z-late"} {
				mustCI(ctx, t, s, fmt.Sprintf("%s-%d", n, inserted), graph.ClassServer)
				inserted++
			}
		})
		checkOnceEach(t, ciIDs(got), before)
		for i := 1; i < len(got); i++ {
			if !graph.CursorLess(got[i-1].Name, got[i-1].ID, got[i].Name, got[i].ID) {
				t.Fatalf("order broken at %s, %s", got[i-1].Name, got[i].Name)
			}
		}
	}},
	{"PageFlags", func(ctx context.Context, t *testing.T, s graph.Store) {
		for i := 0; i < 5; i++ {
			mustCI(ctx, t, s, fmt.Sprintf("n%d", i), graph.ClassServer)
			mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Doc: doc(map[string]any{"title": "x"})}, 0)
		}
		type flags struct {
			n          int
			next, prev bool
		}
		all, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
		if err != nil || len(all.CIs) != 5 {
			t.Fatalf("list: %d CIs, %v", len(all.CIs), err)
		}
		recs, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{}, graph.Page{})
		if err != nil || len(recs.Records) != 5 {
			t.Fatalf("list records: %d, %v", len(recs.Records), err)
		}
		mid, midRec := graph.EncodeCursor(all.CIs[2]), graph.RecordCursor(graph.RecordOrder{}, recs.Records[2])
		tests := []struct {
			name        string
			page, rpage graph.Page
			want        flags
		}{
			{"first page", graph.Page{First: 2}, graph.Page{First: 2}, flags{2, true, false}},
			{"after the middle", graph.Page{First: 5, After: mid}, graph.Page{First: 5, After: midRec}, flags{2, false, true}},
			{"last page", graph.Page{Last: 2}, graph.Page{Last: 2}, flags{2, false, true}},
			{"last of all", graph.Page{Last: 9}, graph.Page{Last: 9}, flags{5, false, false}},
			{"before the middle", graph.Page{Last: 1, Before: mid}, graph.Page{Last: 1, Before: midRec}, flags{1, true, true}},
			{"all before the middle", graph.Page{Last: 5, Before: mid}, graph.Page{Last: 5, Before: midRec}, flags{2, true, false}},
			{"before alone takes the default size", graph.Page{Before: mid}, graph.Page{Before: midRec}, flags{2, true, false}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.ListCIs(ctx, graph.CIFilter{}, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if got := (flags{len(p.CIs), p.HasNextPage, p.HasPreviousPage}); got != tt.want || p.TotalCount != 5 {
					t.Errorf("CIs: %+v (total %d), want %+v", got, p.TotalCount, tt.want)
				}
				r, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{}, tt.rpage)
				if err != nil {
					t.Fatal(err)
				}
				if got := (flags{len(r.Records), r.HasNextPage, r.HasPreviousPage}); got != tt.want || r.TotalCount != 5 {
					t.Errorf("records: %+v (total %d), want %+v", got, r.TotalCount, tt.want)
				}
			})
		}
		if p, _ := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{Last: 1, Before: mid}); len(p.CIs) != 1 || p.CIs[0].ID != all.CIs[1].ID {
			t.Fatalf("last 1 before the middle gave %v, want %s", names(p.CIs), all.CIs[1].Name)
		}
	}},
	{"BadPaging", func(ctx context.Context, t *testing.T, s graph.Store) {
		ci := mustCI(ctx, t, s, "a", graph.ClassServer)
		rec := mustPut(ctx, t, s, graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Doc: doc(map[string]any{"title": "x"})}, 0)
		ciCursor, recCursor := graph.EncodeCursor(ci), graph.RecordCursor(graph.RecordOrder{}, rec)
		startAsc := graph.RecordOrder{By: graph.SortStart, Ascending: true}
		tests := []struct {
			name        string
			page, rpage graph.Page
			order       graph.RecordOrder
			field       string
		}{
			{"first and last", graph.Page{First: 1, Last: 1}, graph.Page{First: 1, Last: 1}, graph.RecordOrder{}, "last"},
			{"after and before", graph.Page{After: ciCursor, Before: ciCursor}, graph.Page{After: recCursor, Before: recCursor}, graph.RecordOrder{}, "before"},
			{"first and before", graph.Page{First: 1, Before: ciCursor}, graph.Page{First: 1, Before: recCursor}, graph.RecordOrder{}, "before"},
			{"last and after", graph.Page{Last: 1, After: ciCursor}, graph.Page{Last: 1, After: recCursor}, graph.RecordOrder{}, "after"},
			{"negative last", graph.Page{Last: -1}, graph.Page{Last: -1}, graph.RecordOrder{}, "last"},
			{"huge last", graph.Page{Last: graph.MaxPageSize + 1}, graph.Page{Last: graph.MaxPageSize + 1}, graph.RecordOrder{}, "last"},
			{"garbage before", graph.Page{Before: "%%%"}, graph.Page{Before: "%%%"}, graph.RecordOrder{}, "before"},
			{"the other listing's cursor after", graph.Page{After: recCursor}, graph.Page{After: ciCursor}, graph.RecordOrder{}, "after"},
			{"the other listing's cursor before", graph.Page{Before: recCursor}, graph.Page{Before: ciCursor}, graph.RecordOrder{}, "before"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.ListCIs(ctx, graph.CIFilter{}, tt.page)
				WantErr(t, err, graph.CodeInvalidInput, tt.field)
				_, err = s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: tt.order}, tt.rpage)
				WantErr(t, err, graph.CodeInvalidInput, tt.field)
			})
		}
		// A record cursor is good for its order only, direction included.
		for _, o := range []graph.RecordOrder{startAsc, {By: graph.SortStart}, {Ascending: true}, {By: graph.SortUpdated}} {
			_, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: o}, graph.Page{After: recCursor})
			WantErr(t, err, graph.CodeInvalidInput, "after")
			_, err = s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: o}, graph.Page{Before: recCursor})
			WantErr(t, err, graph.CodeInvalidInput, "before")
		}
		_, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: graph.RecordOrder{By: "PRIORITY"}}, graph.Page{})
		WantErr(t, err, graph.CodeInvalidInput, "orderBy.field")
	}},
	{"RecordsInEveryOrderBothWays", func(ctx context.Context, t *testing.T, s graph.Store) {
		base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		var made []graph.Record
		for i := 0; i < 13; i++ {
			r := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: []string{"NEW", "DONE"}[i%2], Doc: doc(map[string]any{"title": i})}
			switch {
			case i%5 == 4: // no start: last whichever the direction
			case i%4 == 1: // shared starts exercise the id tie-break
				r.Start = tp(base)
			default:
				r.Start = tp(base.Add(time.Duration((i*7)%13) * time.Hour))
			}
			made = append(made, mustPut(ctx, t, s, r, 0))
		}
		// Updates in another order than creation move UPDATED.
		for _, i := range []int{7, 2, 11} {
			made[i].Doc = doc(map[string]any{"title": "touched"})
			made[i] = mustPut(ctx, t, s, made[i], made[i].Version)
		}
		for _, o := range []graph.RecordOrder{{}, {Ascending: true}, {By: graph.SortUpdated}, {By: graph.SortUpdated, Ascending: true},
			{By: graph.SortStart}, {By: graph.SortStart, Ascending: true}} {
			for _, states := range [][]string{nil, {"NEW"}} {
				f := graph.RecordFilter{Order: o, States: states}
				t.Run(fmt.Sprintf("%s %v", o, states), func(t *testing.T) {
					var want []graph.Record
					for _, r := range made {
						if states == nil || r.State == states[0] {
							want = append(want, r)
						}
					}
					slices.SortFunc(want, func(a, b graph.Record) int { return o.Compare(o.Key(&a), a.ID, o.Key(&b), b.ID) })
					if o.By == graph.SortStart && want[len(want)-1].Start != nil {
						t.Fatalf("the oracle does not put records without a start last")
					}
					forward := pageRecords(ctx, t, s, graph.KindChange, f, 3, false, nil)
					if fmt.Sprint(recIDs(forward)) != fmt.Sprint(recIDs(want)) {
						t.Fatalf("forward gave %v, want %v", recIDs(forward), recIDs(want))
					}
					back := pageRecords(ctx, t, s, graph.KindChange, f, 4, true, nil)
					if fmt.Sprint(recIDs(back)) != fmt.Sprint(recIDs(want)) {
						t.Fatalf("back gave %v, want %v", recIDs(back), recIDs(want))
					}
				})
			}
		}
		// The order is the one asked for, not just self-consistent.
		p, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: graph.RecordOrder{By: graph.SortStart, Ascending: true}}, graph.Page{First: 1})
		if err != nil || len(p.Records) != 1 || !p.Records[0].Start.Equal(base) {
			t.Fatalf("earliest start first: %+v, %v", p.Records, err)
		}
		p, err = s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{Order: graph.RecordOrder{By: graph.SortUpdated}}, graph.Page{First: 1})
		if err != nil || len(p.Records) != 1 || p.Records[0].ID != made[11].ID {
			t.Fatalf("latest update first: %+v, %v", p.Records, err)
		}
	}},
	{"RecordInsertsWhilePagingNeitherDuplicateNorSkip", func(ctx context.Context, t *testing.T, s graph.Store) {
		base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		put := func(t *testing.T, start *time.Time) string {
			return mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: start, Doc: doc(map[string]any{"title": "x"})}, 0).ID
		}
		before := map[string]bool{}
		for i := 0; i < 12; i++ {
			before[put(t, tp(base.Add(time.Duration(i)*time.Hour)))] = true
		}
		for _, tc := range []struct {
			order    graph.RecordOrder
			backward bool
		}{
			{graph.RecordOrder{By: graph.SortStart, Ascending: true}, false},
			{graph.RecordOrder{By: graph.SortStart, Ascending: true}, true},
			{graph.RecordOrder{}, true},
		} {
			o := tc.order
			t.Run(fmt.Sprintf("%s backward=%v", o, tc.backward), func(t *testing.T) {
				got := pageRecords(ctx, t, s, graph.KindIncident, graph.RecordFilter{Order: o}, 5, tc.backward, func() {
					// Before, inside and after the remaining range.
					put(t, tp(base.Add(-5*time.Hour)))
					put(t, tp(base.Add(6*time.Hour)))
					put(t, nil)
				})
				checkOnceEach(t, recIDs(got), before)
				for i := 1; i < len(got); i++ {
					if o.Compare(o.Key(&got[i-1]), got[i-1].ID, o.Key(&got[i]), got[i].ID) >= 0 {
						t.Fatalf("order broken at %d", i)
					}
				}
			})
		}
	}},
}

// pageCIs pages through a CI listing forward or back, calling between (if
// set) after each page, and returns everything seen in listing order.
func pageCIs(ctx context.Context, t *testing.T, s graph.Store, f graph.CIFilter, size int, backward bool, between func()) []graph.CI {
	t.Helper()
	return pageThrough(t, size, backward, between, graph.EncodeCursor, func(p graph.Page) ([]graph.CI, bool, bool, error) {
		page, err := s.ListCIs(ctx, f, p)
		return page.CIs, page.HasNextPage, page.HasPreviousPage, err
	})
}

// pageRecords is pageCIs for records.
func pageRecords(ctx context.Context, t *testing.T, s graph.Store, kind graph.RecordKind, f graph.RecordFilter, size int, backward bool, between func()) []graph.Record {
	t.Helper()
	cursor := func(r graph.Record) string { return graph.RecordCursor(f.Order, r) }
	return pageThrough(t, size, backward, between, cursor, func(p graph.Page) ([]graph.Record, bool, bool, error) {
		page, err := s.ListRecords(ctx, kind, f, p)
		return page.Records, page.HasNextPage, page.HasPreviousPage, err
	})
}

// pageThrough follows a listing's cursors to its end (forward) or its
// start (backward) and returns the items in listing order.
func pageThrough[T any](t *testing.T, size int, backward bool, between func(), cursor func(T) string,
	list func(graph.Page) (items []T, hasNext, hasPrev bool, err error)) []T {
	t.Helper()
	var pages [][]T
	var p graph.Page
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatalf("paging does not terminate")
		}
		if backward {
			p.Last = size
		} else {
			p.First = size
		}
		items, hasNext, hasPrev, err := list(p)
		if err != nil {
			t.Fatalf("list(%+v): %v", p, err)
		}
		if len(items) > size {
			t.Fatalf("page of %d items, asked for %d", len(items), size)
		}
		pages = append(pages, items)
		more := hasNext
		if backward {
			more = hasPrev
		}
		if !more {
			break
		}
		if len(items) == 0 {
			t.Fatalf("empty page claims more")
		}
		if backward {
			p.Before = cursor(items[0])
		} else {
			p.After = cursor(items[len(items)-1])
		}
		if between != nil {
			between()
		}
	}
	if backward {
		slices.Reverse(pages)
	}
	return slices.Concat(pages...)
}

// checkOnceEach fails when an id is listed twice or one of existed is not
// listed at all.
func checkOnceEach(t *testing.T, ids []string, existed map[string]bool) {
	t.Helper()
	if len(existed) == 0 || len(ids) == 0 {
		t.Fatalf("nothing to check: %d listed, %d existed", len(ids), len(existed))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
	for id := range existed {
		if !seen[id] {
			t.Fatalf("%s existed before paging began but was skipped", id)
		}
	}
}

func ciIDs(cis []graph.CI) []string {
	out := make([]string, len(cis))
	for i, c := range cis {
		out[i] = c.ID
	}
	return out
}

func recIDs(recs []graph.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

package resolvers

import (
	"fmt"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestConnection(t *testing.T) {
	for _, tc := range []struct {
		name               string
		n                  int
		hasNext, hasPrev   bool
		req                pageRequest
		edges              int
		start, end         string
		wantNext, wantPrev bool
	}{
		{name: "a first page", n: 3, hasNext: true, edges: 3, start: "c1", end: "c3", wantNext: true},
		{name: "a last page after a cursor", n: 2, hasPrev: true, req: pageRequest{Page: graph.Page{After: "c0"}}, edges: 2, start: "c1", end: "c2", wantPrev: true},
		{name: "a page back", n: 2, hasNext: true, hasPrev: true, req: pageRequest{Page: graph.Page{Last: 2, Before: "c9"}}, edges: 2, start: "c1", end: "c2", wantNext: true, wantPrev: true},
		{name: "an empty page", n: 0},
		{name: "first: 0 over a non-empty list", n: 1, req: pageRequest{countOnly: true}, wantNext: true},
		{name: "first: 0 over an empty list", n: 0, hasNext: true, req: pageRequest{countOnly: true}},
		{name: "last: 0 over a non-empty list", n: 1, req: pageRequest{Page: graph.Page{Last: 1}, countOnly: true}, wantPrev: true},
		{name: "last: 0 before a cursor", n: 0, hasNext: true, hasPrev: true, req: pageRequest{Page: graph.Page{Last: 1, Before: "c1"}, countOnly: true}, wantNext: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edges, info := connection(tc.n, tc.hasNext, tc.hasPrev, tc.req, func(i int) (string, string) {
				c := fmt.Sprintf("c%d", i+1)
				return "node " + c, c
			})
			if edges == nil || len(edges) != tc.edges {
				t.Fatalf("edges %#v, want %d (never null)", edges, tc.edges)
			}
			if info.HasNextPage != tc.wantNext || info.HasPreviousPage != tc.wantPrev {
				t.Errorf("page info %+v", info)
			}
			if deref(info.StartCursor) != tc.start || deref(info.EndCursor) != tc.end {
				t.Errorf("cursors %v..%v, want %q..%q", deref(info.StartCursor), deref(info.EndCursor), tc.start, tc.end)
			}
		})
	}
}

func TestPage(t *testing.T) {
	zero, five, cur := 0, 5, "c"
	for _, tc := range []struct {
		name         string
		first, last  *int
		after, befor *string
		want         pageRequest
	}{
		{name: "nothing", want: pageRequest{}},
		{name: "first", first: &five, after: &cur, want: pageRequest{Page: graph.Page{First: 5, After: "c"}}},
		{name: "last", last: &five, befor: &cur, want: pageRequest{Page: graph.Page{Last: 5, Before: "c"}}},
		{name: "first: 0 probes one", first: &zero, want: pageRequest{Page: graph.Page{First: 1}, countOnly: true}},
		{name: "last: 0 probes one", last: &zero, befor: &cur, want: pageRequest{Page: graph.Page{Last: 1, Before: "c"}, countOnly: true}},
		{name: "both go to the store, which rejects them", first: &zero, last: &five, want: pageRequest{Page: graph.Page{First: 1, Last: 5}, countOnly: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := page(tc.first, tc.after, tc.last, tc.befor); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

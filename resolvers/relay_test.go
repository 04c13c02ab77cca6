package resolvers

import (
	"fmt"
	"testing"
)

func TestConnection(t *testing.T) {
	after := "c0"
	for _, tc := range []struct {
		name               string
		n                  int
		hasNext, countOnly bool
		after              *string
		edges              int
		start, end         string
		wantNext, wantPrev bool
	}{
		{name: "a first page", n: 3, hasNext: true, edges: 3, start: "c1", end: "c3", wantNext: true},
		{name: "a last page after a cursor", n: 2, after: &after, edges: 2, start: "c1", end: "c2", wantPrev: true},
		{name: "an empty page", n: 0},
		{name: "first: 0 over a non-empty list", n: 1, countOnly: true, wantNext: true},
		{name: "first: 0 over an empty list", n: 0, hasNext: true, countOnly: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edges, info := connection(tc.n, tc.hasNext, tc.countOnly, tc.after, func(i int) (string, string) {
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

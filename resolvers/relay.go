package resolvers

import (
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// page translates a connection's first/after into a store page. first: 0
// is honoured as "no items" (Relay semantics, handy for asking only
// totalCount) although stores read 0 as "default size": one item is
// fetched to learn whether any exist, and connection drops it.
func page(first *int, after *string) (p graph.Page, countOnly bool) {
	p.After = deref(after)
	switch {
	case first != nil && *first == 0:
		return graph.Page{First: 1, After: p.After}, true
	case first != nil:
		p.First = *first
	}
	return p, false
}

// connection is the one Relay connection builder: from a page of n nodes
// (whose i-th edge and cursor edge returns), whether more follow, and the
// page's request, it makes the edges (never null) and the page info. A
// countOnly page (first: 0) has no edges; it has a next page when the
// probe item exists.
func connection[E any](n int, hasNext, countOnly bool, after *string, edge func(i int) (e E, cursor string)) ([]E, *model.PageInfo) {
	edges := make([]E, 0, n)
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: deref(after) != ""}
	if countOnly {
		info.HasNextPage = n > 0
		return edges, info
	}
	for i := range n {
		e, cursor := edge(i)
		edges = append(edges, e)
		if i == 0 {
			info.StartCursor = &cursor
		}
		if i == n-1 {
			info.EndCursor = &cursor
		}
	}
	return edges, info
}

package resolvers

import (
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// pageRequest is a connection's paging arguments as a store page.
type pageRequest struct {
	graph.Page
	// countOnly is first: 0 or last: 0 (see page).
	countOnly bool
}

// page translates a connection's first/after/last/before into a store
// page. first: 0 and last: 0 are honoured as "no items" (Relay semantics,
// handy for asking only totalCount) although stores read 0 as "default
// size": one item is fetched to learn whether any exist, and connection
// drops it. Mixed directions go to the store, which rejects them.
func page(first *int, after *string, last *int, before *string) pageRequest {
	req := pageRequest{Page: graph.Page{After: deref(after), Before: deref(before)}}
	// A zero size stays non-zero, so that first: 0 with last still
	// reaches the store as the mix it rejects.
	if first != nil {
		req.First = *first
		if *first == 0 {
			req.First, req.countOnly = 1, true
		}
	}
	if last != nil {
		req.Last = *last
		if *last == 0 {
			req.Last, req.countOnly = 1, true
		}
	}
	return req
}

// connection is the one Relay connection builder: from a page of n nodes
// (whose i-th edge and cursor edge returns), the store's page flags and the
// page's request, it makes the edges (never null) and the page info. A
// countOnly page has no edges; items exist the way it looked when the
// probe item does.
func connection[E any](n int, hasNext, hasPrev bool, req pageRequest, edge func(i int) (e E, cursor string)) ([]E, *model.PageInfo) {
	edges := make([]E, 0, n)
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}
	if req.countOnly {
		if req.Backward() {
			info.HasPreviousPage = n > 0
		} else {
			info.HasNextPage = n > 0
		}
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

// recordConnection builds a connection over a page of records decoded as
// nodes (nodes[i] is rp.Records[i]), with cursors in the listing's order.
func recordConnection[N, E any](nodes []N, rp graph.RecordPage, o graph.RecordOrder, req pageRequest, edge func(node N, cursor string) E) ([]E, *model.PageInfo) {
	return connection(len(nodes), rp.HasNextPage, rp.HasPreviousPage, req, func(i int) (E, string) {
		c := graph.RecordCursor(o, rp.Records[i])
		return edge(nodes[i], c), c
	})
}

// recordOrder translates a record list's orderBy; a nil direction is DESC.
func recordOrder(field graph.RecordSort, dir *model.OrderDirection) graph.RecordOrder {
	return graph.RecordOrder{By: field, Ascending: dir != nil && *dir == model.OrderDirectionAsc}
}

package resolvers

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// listCIs pages through CIs. first: 0 is honoured as "no items" (Relay
// semantics, handy for asking only totalCount) although the store reads 0
// as "default size": one item is fetched to learn whether any follow.
func (r *Resolver) listCIs(ctx context.Context, f graph.CIFilter, first *int, after string) (*model.CIConnection, error) {
	p := graph.Page{After: after}
	countOnly := first != nil && *first == 0
	switch {
	case countOnly:
		p.First = 1
	case first != nil:
		p.First = *first
	}
	page, err := r.Store.ListCIs(ctx, f, p)
	if err != nil {
		return nil, err
	}
	conn := &model.CIConnection{
		Edges:      []model.CIEdge{},
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: after != ""},
		TotalCount: page.TotalCount,
	}
	if countOnly {
		conn.PageInfo.HasNextPage = len(page.CIs) > 0
		return conn, nil
	}
	r.loadersFor(ctx).prime(ctx, page.CIs...)
	for i := range page.CIs {
		conn.Edges = append(conn.Edges, model.CIEdge{Cursor: graph.EncodeCursor(page.CIs[i]), Node: &page.CIs[i]})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

package resolvers

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// listCIs pages through CIs, ordered by (name, id), and primes the
// operation's loader with them.
func (r *Resolver) listCIs(ctx context.Context, f graph.CIFilter, first *int, after *string) (*model.CIConnection, error) {
	p, countOnly := page(first, after)
	cis, err := r.Store.ListCIs(ctx, f, p)
	if err != nil {
		return nil, err
	}
	if !countOnly {
		r.loadersFor(ctx).prime(ctx, cis.CIs...)
	}
	conn := &model.CIConnection{TotalCount: cis.TotalCount}
	conn.Edges, conn.PageInfo = connection(len(cis.CIs), cis.HasNextPage, countOnly, after, func(i int) (model.CIEdge, string) {
		c := graph.EncodeCursor(cis.CIs[i])
		return model.CIEdge{Cursor: c, Node: &cis.CIs[i]}, c
	})
	return conn, nil
}

package resolvers

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// listCIs pages through CIs, ordered by (name, id), and primes the
// operation's loader with them.
func (r *Resolver) listCIs(ctx context.Context, f graph.CIFilter, req pageRequest) (*model.CIConnection, error) {
	return r.ciConnection(ctx, req, func() (graph.CIPage, error) { return r.Store.ListCIs(ctx, f, req.Page) })
}

// ciConnection turns the page list reads into a connection, priming the
// operation's loader (the present's, or under asOf that instant's).
func (r *Resolver) ciConnection(ctx context.Context, req pageRequest, list func() (graph.CIPage, error)) (*model.CIConnection, error) {
	cis, err := list()
	if err != nil {
		return nil, err
	}
	if !req.countOnly {
		r.loadersFor(ctx).prime(ctx, cis.CIs...)
	}
	conn := &model.CIConnection{TotalCount: cis.TotalCount}
	conn.Edges, conn.PageInfo = connection(len(cis.CIs), cis.HasNextPage, cis.HasPreviousPage, req, func(i int) (model.CIEdge, string) {
		c := graph.EncodeCursor(cis.CIs[i])
		return model.CIEdge{Cursor: c, Node: &cis.CIs[i]}, c
	})
	return conn, nil
}

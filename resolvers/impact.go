package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// A blast radius names its CIs by their heads (graph.CIHead); the fields
// that show CIs load them whole, one batch per list or page, and only
// when the query asks for them.

// selects reports whether the current field's selection asks for the
// field at path (child names, e.g. "edges", "node", "ci"), aliases and
// fragments included.
func selects(ctx context.Context, path ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return true // not inside an operation: assume everything is wanted
	}
	op := graphql.GetOperationContext(ctx)
	sel := fc.Field.Selections
	for _, name := range path {
		var next []graphql.CollectedField
		for _, f := range graphql.CollectFields(op, sel, nil) {
			if f.Name == name {
				next = append(next, f)
			}
		}
		if len(next) == 0 {
			return false
		}
		sel = nil
		for _, f := range next {
			sel = append(sel, f.Selections...)
		}
	}
	return true
}

// preloadImpacted reads in one batch the CIs a list of impacted CIs shows
// under the current field: their own when "ci" is asked (at prefix), and
// those of their explaining paths when "path" is.
func (r *Resolver) preloadImpacted(ctx context.Context, list []impact.Impacted, prefix ...string) error {
	withCI, withPath := selects(ctx, append(prefix, "ci")...), selects(ctx, append(prefix, "path")...)
	if !withCI && !withPath {
		return nil
	}
	seen := make(map[string]bool, len(list))
	var ids []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, im := range list {
		if withCI {
			add(im.CI.ID)
		}
		if withPath {
			for _, id := range im.Path {
				add(id)
			}
		}
	}
	return r.loadersFor(ctx).preload(ctx, ids)
}

// impactedList resolves a list field of impacted CIs (impacted, services).
func (r *Resolver) impactedList(ctx context.Context, list []impact.Impacted) ([]impact.Impacted, error) {
	if err := r.preloadImpacted(ctx, list); err != nil {
		return nil, err
	}
	return list, nil
}

// headCIs loads the CIs of heads whole, in order, skipping those deleted
// since the heads were read.
func (r *Resolver) headCIs(ctx context.Context, heads []graph.CIHead) ([]graph.CI, error) {
	ids := make([]string, len(heads))
	for i, h := range heads {
		ids[i] = h.ID
	}
	return r.loadersFor(ctx).loadCIs(ctx, ids)
}

// impactedConnection is one page of a blast radius's impacted CIs with
// the totals over all of them; only the page's CIs are read.
func (r *Resolver) impactedConnection(ctx context.Context, br *impact.BlastRadius, first *int, after *string) (*model.ImpactedCIConnection, error) {
	req := page(first, after, nil, nil)
	pg, err := br.PageImpacted(req.Page)
	if err != nil {
		return nil, err
	}
	if !req.countOnly {
		if err := r.preloadImpacted(ctx, pg.Impacted, "edges", "node"); err != nil {
			return nil, err
		}
	}
	conn := &model.ImpactedCIConnection{TotalCount: len(br.Impacted), ByEffect: br.ByEffect(), ByClass: br.ByClass()}
	conn.Edges, conn.PageInfo = connection(len(pg.Impacted), pg.HasNextPage, pg.HasPreviousPage, req, func(i int) (model.ImpactedCIEdge, string) {
		c := impact.ImpactedCursor(pg.Impacted[i])
		return model.ImpactedCIEdge{Cursor: c, Node: &pg.Impacted[i]}, c
	})
	return conn, nil
}

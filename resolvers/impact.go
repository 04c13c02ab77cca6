package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// A blast radius names its CIs by their heads (graph.CIHead). The fields
// that return lists of impacted CIs or dependencies resolve the items' CIs
// and paths themselves, once per list or page: from the heads when the
// query asks only head fields of them, else read in one store call. The
// items are then plain structs (model.ImpactedCI, model.Dependency) that
// gqlgen marshals inline, with no resolver call per item.

// selects reports whether the current field's selection asks for the
// field at path (child names, e.g. "edges", "node", "ci"), aliases and
// fragments included.
func selects(ctx context.Context, path ...string) bool {
	_, ok := selection(ctx, path...)
	return ok
}

// selection is what the current field's selection asks of the field at
// path, merged over aliases and fragments; ok is false when it is not
// asked for. Outside an operation everything is taken as asked.
func selection(ctx context.Context, path ...string) (sel ast.SelectionSet, ok bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, true
	}
	op := graphql.GetOperationContext(ctx)
	sel = fc.Field.Selections
	for _, name := range path {
		var next ast.SelectionSet
		found := false
		for _, f := range graphql.CollectFields(op, sel, nil) {
			if f.Name == name {
				found = true
				next = append(next, f.Selections...)
			}
		}
		if !found {
			return nil, false
		}
		sel = next
	}
	return sel, true
}

// headFields are the CI fields a CI head answers.
var headFields = map[string]bool{"__typename": true, "id": true, "name": true, "class": true, "criticality": true}

// onlyHead reports whether a selection of CI fields asks for nothing a CI
// head does not hold, in which case the CI need not be read at all.
func onlyHead(ctx context.Context, sel ast.SelectionSet) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return false
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), sel, nil) {
		if !headFields[f.Name] {
			return false
		}
	}
	return true
}

// headCI is a CI as far as its head tells: what a query asking only head
// fields of a CI is answered from (see onlyHead).
func headCI(h graph.CIHead) graph.CI {
	return graph.CI{ID: h.ID, Name: h.Name, Class: h.Class, Criticality: h.Criticality}
}

// itemCIs resolves the CIs and paths of the n items of a list the current
// field returns, its items' selection being at path below the field (none
// for a list, "edges", "node" for a connection): CIs from their heads when
// the query asks for nothing more of them, else read with every path CI
// in one store call; paths only when asked. A CI deleted since the
// traversal is nil (its item then errors as a missing non-null field) and
// left out of paths.
func (r *Resolver) itemCIs(ctx context.Context, n int, head func(int) graph.CIHead, path func(int) []string, at ...string) (cis []*graph.CI, paths [][]graph.CI, err error) {
	ciSel, wantCI := selection(ctx, append(at, "ci")...)
	_, wantPath := selection(ctx, append(at, "path")...)
	fromHeads := wantCI && onlyHead(ctx, ciSel)
	var ids []string
	if wantCI && !fromHeads {
		ids = make([]string, 0, n)
		for i := range n {
			ids = append(ids, head(i).ID)
		}
	}
	if wantPath {
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			seen[id] = true
		}
		for i := range n {
			for _, id := range path(i) {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	found, err := r.loadersFor(ctx).preload(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	if wantCI {
		// One backing array for the CIs, not one allocation per item.
		all := make([]graph.CI, n)
		cis = make([]*graph.CI, n)
		for i := range n {
			h := head(i)
			if fromHeads {
				all[i] = headCI(h)
			} else if ci, ok := found[h.ID]; ok {
				all[i] = ci
			} else {
				continue
			}
			cis[i] = &all[i]
		}
	}
	if wantPath {
		paths = make([][]graph.CI, n)
		for i := range n {
			p := path(i)
			paths[i] = make([]graph.CI, 0, len(p))
			for _, id := range p {
				if ci, ok := found[id]; ok {
					paths[i] = append(paths[i], ci)
				}
			}
		}
	}
	return cis, paths, nil
}

// impactedCIs is a list of impacted CIs as the API shows it; at locates
// the items' selection below the current field (see itemCIs).
func (r *Resolver) impactedCIs(ctx context.Context, items []impact.Impacted, at ...string) ([]model.ImpactedCI, error) {
	cis, paths, err := r.itemCIs(ctx, len(items),
		func(i int) graph.CIHead { return items[i].CI },
		func(i int) []string { return items[i].Path }, at...)
	if err != nil {
		return nil, err
	}
	out := make([]model.ImpactedCI, len(items))
	for i, im := range items {
		out[i] = model.ImpactedCI{Distance: im.Distance, Effect: im.Effect}
		if cis != nil {
			out[i].CI = cis[i]
		}
		if paths != nil {
			out[i].Path = paths[i]
		}
	}
	return out, nil
}

// dependencies is a list of dependencies as the API shows it.
func (r *Resolver) dependencies(ctx context.Context, deps []impact.Dependency) ([]model.Dependency, error) {
	cis, paths, err := r.itemCIs(ctx, len(deps),
		func(i int) graph.CIHead { return deps[i].CI },
		func(i int) []string { return deps[i].Path })
	if err != nil {
		return nil, err
	}
	out := make([]model.Dependency, len(deps))
	for i, d := range deps {
		out[i] = model.Dependency{Distance: d.Distance}
		if cis != nil {
			out[i].CI = cis[i]
		}
		if paths != nil {
			out[i].Path = paths[i]
		}
	}
	return out, nil
}

// headCIs resolves a list of CIs named by their heads: from the heads
// when the query asks nothing more of them, else loaded whole, in order,
// skipping those deleted since the heads were read.
func (r *Resolver) headCIs(ctx context.Context, heads []graph.CIHead) ([]graph.CI, error) {
	if sel, _ := selection(ctx); onlyHead(ctx, sel) {
		out := make([]graph.CI, len(heads))
		for i, h := range heads {
			out[i] = headCI(h)
		}
		return out, nil
	}
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
	nodes, err := r.impactedCIs(ctx, pg.Impacted, "edges", "node")
	if err != nil {
		return nil, err
	}
	conn := &model.ImpactedCIConnection{TotalCount: len(br.Impacted), ByEffect: br.ByEffect(), ByClass: br.ByClass()}
	conn.Edges, conn.PageInfo = connection(len(pg.Impacted), pg.HasNextPage, pg.HasPreviousPage, req, func(i int) (model.ImpactedCIEdge, string) {
		c := impact.ImpactedCursor(pg.Impacted[i])
		return model.ImpactedCIEdge{Cursor: c, Node: &nodes[i]}, c
	})
	return conn, nil
}

package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// A blast radius names its CIs by their heads (graph.CIHead); the fields
// that show CIs are batch resolvers (see gqlgen.yml) that read them whole
// in one store call per list or page, and only when the query asks for
// more than the heads hold.

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
func headCI(h graph.CIHead) *graph.CI {
	return &graph.CI{ID: h.ID, Name: h.Name, Class: h.Class, Criticality: h.Criticality}
}

// cisOfHeads resolves the CI field of a list's items (a batch resolver's
// parents), which name their CIs by heads: from the heads when the query
// asks nothing more of them, else read in one store call. A CI deleted
// since the traversal is nil (its item errors as NOT_FOUND would).
func (r *Resolver) cisOfHeads(ctx context.Context, heads []graph.CIHead) ([]*graph.CI, error) {
	out := make([]*graph.CI, len(heads))
	if sel, _ := selection(ctx); onlyHead(ctx, sel) {
		for i, h := range heads {
			out[i] = headCI(h)
		}
		return out, nil
	}
	ids := make([]string, len(heads))
	for i, h := range heads {
		ids[i] = h.ID
	}
	found, err := r.loadersFor(ctx).preload(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if ci, ok := found[id]; ok {
			out[i] = &ci
		}
	}
	return out, nil
}

// loadPaths resolves the explaining paths of a list's items (a batch
// resolver's parents) with one store call for all their CIs, skipping CIs
// deleted since.
func (r *Resolver) loadPaths(ctx context.Context, paths [][]string) ([][]graph.CI, error) {
	seen := map[string]bool{}
	var ids []string
	for _, p := range paths {
		for _, id := range p {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	found, err := r.loadersFor(ctx).preload(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([][]graph.CI, len(paths))
	for i, p := range paths {
		out[i] = make([]graph.CI, 0, len(p))
		for _, id := range p {
			if ci, ok := found[id]; ok {
				out[i] = append(out[i], ci)
			}
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
			out[i] = *headCI(h)
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
// the totals over all of them; only the page's CIs are read (by the batch
// resolvers of ImpactedCI, whose parents are the page's items).
func (r *Resolver) impactedConnection(ctx context.Context, br *impact.BlastRadius, first *int, after *string) (*model.ImpactedCIConnection, error) {
	req := page(first, after, nil, nil)
	pg, err := br.PageImpacted(req.Page)
	if err != nil {
		return nil, err
	}
	conn := &model.ImpactedCIConnection{TotalCount: len(br.Impacted), ByEffect: br.ByEffect(), ByClass: br.ByClass()}
	conn.Edges, conn.PageInfo = connection(len(pg.Impacted), pg.HasNextPage, pg.HasPreviousPage, req, func(i int) (model.ImpactedCIEdge, string) {
		c := impact.ImpactedCursor(pg.Impacted[i])
		return model.ImpactedCIEdge{Cursor: c, Node: &pg.Impacted[i]}, c
	})
	return conn, nil
}

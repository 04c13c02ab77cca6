package resolvers

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// ciRefs resolves a record's links to CI references: the CIs that exist
// through the operation's loader (batched with every other CI field), and
// the tombstones of those deleted since. Deleted references are rare, so
// their tombstones are read per record rather than batched.
func (r *Resolver) ciRefs(ctx context.Context, links []graph.RecordLink) ([]model.CIReference, error) {
	out := make([]model.CIReference, 0, len(links))
	if len(links) == 0 {
		return out, nil
	}
	ids := make([]string, len(links))
	for i, l := range links {
		ids[i] = l.CI
	}
	cis, errs := r.loadersFor(ctx).cis.LoadMany(ctx, ids)()
	var gone []string
	for i, l := range links {
		if len(errs) > 0 && errs[i] != nil {
			return nil, errs[i]
		}
		ref := model.CIReference{Role: l.Role, ID: l.CI, Ci: cis[i]}
		if ci := cis[i]; ci != nil {
			ref.Name, ref.Class = &ci.Name, &ci.Class
		} else {
			ref.Deleted = true
			gone = append(gone, l.CI)
		}
		out = append(out, ref)
	}
	if len(gone) == 0 {
		return out, nil
	}
	stones, err := graph.Tombstones(ctx, r.Store, gone)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if st, ok := stones[out[i].ID]; ok && out[i].Deleted {
			out[i].Name, out[i].Class = &st.Name, &st.Class
			out[i].DeletedAt, out[i].DeletedBy = &st.DeletedAt, &st.DeletedBy
		}
	}
	return out, nil
}

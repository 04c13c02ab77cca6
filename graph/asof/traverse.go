package asof

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
)

// Neighbourhood expands breadth-first from the seeds over the graph as it
// was; see graph.Traverser. It mirrors the stores' traversal: nodes at
// MaxDepth are reached but not expanded, every traversable edge of an
// expanded node is returned once, and a redundancy group's Members counts
// its grouping relations (reached or not), all at the instant. Each level
// costs a bounded number of store calls whatever its width.
func (v *View) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	cat := v.Catalogue()
	q, err := cat.CheckNeighbourhoodQuery(q)
	if err != nil {
		return graph.Subgraph{}, err
	}
	toSource, toTarget, err := cat.TraversalTypes(q.Types)
	if err != nil {
		return graph.Subgraph{}, err
	}
	// Failure crosses A -T-> B from B to A for TO_SOURCE types and from A
	// to B for TO_TARGET types; downstream follows it, upstream goes
	// against it (as the stores' plan does).
	inTypes, outTypes := toSource, toTarget
	if q.Direction == graph.Upstream {
		inTypes, outTypes = toTarget, toSource
	}
	seeds, err := v.CIsByIDs(ctx, q.Seeds)
	if err != nil {
		return graph.Subgraph{}, err
	}
	depth := map[string]int{}
	order := []string{}
	for i, id := range q.Seeds {
		if _, ok := seeds[id]; !ok {
			return graph.Subgraph{}, graph.NotFound(graph.FieldIndex("ciIds", i), "CI", id)
		}
		if _, ok := depth[id]; !ok {
			depth[id] = 0
			order = append(order, id)
		}
	}
	var edges []graph.Relation
	frontier := order
	for d := 0; d < q.MaxDepth && len(frontier) > 0; d++ {
		if err := ctx.Err(); err != nil {
			return graph.Subgraph{}, graph.Unavailable(err, "traversal as of %s cancelled", stamp(v.at))
		}
		var next []string
		visit := func(rels map[string][]graph.Relation, peerOf func(graph.Relation) string) {
			for _, id := range frontier {
				for _, r := range rels[id] {
					edges = append(edges, r)
					if p := peerOf(r); !seen(depth, p) {
						depth[p] = d + 1
						next = append(next, p)
					}
				}
			}
		}
		if len(inTypes) > 0 {
			in, err := v.RelationsOf(ctx, frontier, graph.Incoming, inTypes)
			if err != nil {
				return graph.Subgraph{}, err
			}
			visit(in, func(r graph.Relation) string { return r.From })
		}
		if len(outTypes) > 0 {
			out, err := v.RelationsOf(ctx, frontier, graph.Outgoing, outTypes)
			if err != nil {
				return graph.Subgraph{}, err
			}
			visit(out, func(r graph.Relation) string { return r.To })
		}
		order = append(order, next...)
		frontier = next
	}
	cis, err := v.CIsByIDs(ctx, order)
	if err != nil {
		return graph.Subgraph{}, err
	}
	members, err := v.members(ctx, cis)
	if err != nil {
		return graph.Subgraph{}, err
	}
	sub := graph.Subgraph{Nodes: make(map[string]*graph.Node, len(order)), Edges: edges}
	for _, id := range order {
		ci, ok := cis[id]
		if !ok {
			// A relation at the instant implies both ends then; an end
			// the trail cannot place was noted as a gap by ciAt.
			v.gap(id, "reached by a relation at the instant, but the CI's state then is not recorded")
			continue
		}
		node := &graph.Node{CI: ci.Head(), Depth: depth[id], Members: members[id]}
		if _, group := members[id]; group {
			node.Attributes = ci.Attributes // the threshold of healthy members
		}
		sub.Nodes[id] = node
	}
	return sub, nil
}

func seen(depth map[string]int, id string) bool {
	_, ok := depth[id]
	return ok
}

// members counts, for the redundancy groups among cis, their grouping
// relations at the instant.
func (v *View) members(ctx context.Context, cis map[string]graph.CI) (map[string]int, error) {
	cat := v.Catalogue()
	var groups []string
	for id, ci := range cis {
		if cl, ok := cat.Class(ci.Class); ok && cl.RedundancyGroup {
			groups = append(groups, id)
		}
	}
	grouping := cat.GroupingTypes()
	if len(groups) == 0 || len(grouping) == 0 {
		return nil, nil
	}
	rels, err := v.RelationsOf(ctx, groups, graph.Incoming, grouping)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(groups))
	for _, id := range groups {
		out[id] = len(rels[id])
	}
	return out, nil
}

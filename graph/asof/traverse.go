package asof

import (
	"context"
	"fmt"
	"slices"

	"github.com/ripple-cmdb/ripple/graph"
)

// Neighbourhood expands breadth-first from the seeds over the graph as it
// was; see graph.Traverser. It mirrors the stores' traversal: nodes at
// MaxDepth are reached but not expanded, every traversable edge of an
// expanded node is returned once, and a redundancy group's Members counts
// its grouping relations (reached or not), all at the instant.
//
// The past neighbourhood is mostly the present one, so it starts from one
// store traversal of the present (one call, the store's own plan) and
// walks the past over it: each node's present relations with its changes
// since the instant undone, its timeline read with the rest of its
// breadth-first level (one call per level). Only nodes the present
// traversal did not expand (reached only through relations removed since,
// or beyond its depth) cost another traversal call, one per level that has
// any.
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
	now := &present{q: q, inTypes: inTypes, outTypes: outTypes, nodes: map[string]graph.Node{}, cis: map[string]*graph.CI{},
		gone: map[string]bool{}, in: map[string][]graph.Relation{}, out: map[string][]graph.Relation{}, read: map[string]bool{}}
	seeds := dedupe(slices.Clone(q.Seeds))
	if err := v.explore(ctx, now, seeds, q.MaxDepth); err != nil {
		return graph.Subgraph{}, err
	}
	if err := v.readCIs(ctx, now, seeds); err != nil {
		return graph.Subgraph{}, err
	}
	tls, err := v.load(ctx, seeds)
	if err != nil {
		return graph.Subgraph{}, err
	}
	depth := map[string]int{}
	order := []string{}
	for i, id := range q.Seeds {
		if v.ciAt(id, now.ci(id), tls[id], false) == nil {
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
		var unread []string
		for _, id := range frontier {
			if !now.read[id] {
				unread = append(unread, id)
			}
		}
		if len(unread) > 0 {
			if err := v.explore(ctx, now, unread, q.MaxDepth-d); err != nil {
				return graph.Subgraph{}, err
			}
		}
		tls, err := v.load(ctx, frontier)
		if err != nil {
			return graph.Subgraph{}, err
		}
		var next []string
		visit := func(dir graph.Direction, types []string, rels map[string][]graph.Relation, peerOf func(graph.Relation) string) {
			if len(types) == 0 {
				return
			}
			for _, id := range frontier {
				for _, r := range v.relationsAt(id, rels[id], tls[id], dir, types) {
					edges = append(edges, r)
					if p := peerOf(r); !seen(depth, p) {
						depth[p] = d + 1
						next = append(next, p)
					}
				}
			}
		}
		visit(graph.Incoming, inTypes, now.in, func(r graph.Relation) string { return r.From })
		visit(graph.Outgoing, outTypes, now.out, func(r graph.Relation) string { return r.To })
		order = append(order, next...)
		frontier = next
	}
	cis, err := v.nodesAt(ctx, now, order)
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

// present is what a past traversal has read of the present graph: the
// nodes its traversals reached (heads, and a redundancy group's
// attributes), CIs read whole (those the traversals did not reach), and,
// for the nodes it has read the relations of (read), their traversable
// relations now, by the end failure crosses them from.
type present struct {
	q                 graph.NeighbourhoodQuery
	inTypes, outTypes []string
	nodes             map[string]graph.Node
	cis               map[string]*graph.CI
	gone              map[string]bool // ids that do not exist now
	in, out           map[string][]graph.Relation
	read              map[string]bool
}

// explore reads the present neighbourhood of ids within maxDepth in one
// store traversal. Ids that do not exist now have no present relations.
// Timelines are read per level by the caller, for what the past reaches
// only: far back, that can be much less than what the present does.
func (v *View) explore(ctx context.Context, now *present, ids []string, maxDepth int) error {
	q := graph.NeighbourhoodQuery{Seeds: ids, Direction: now.q.Direction, MaxDepth: maxDepth, Types: now.q.Types}
	sub, err := v.src.Neighbourhood(ctx, q)
	if graph.ErrorCode(err) == graph.CodeNotFound {
		// Some are gone now: traverse from the others.
		if err := v.readCIs(ctx, now, ids); err != nil {
			return err
		}
		q.Seeds = q.Seeds[:0:0]
		for _, id := range ids {
			if now.gone[id] {
				now.read[id] = true
			} else {
				q.Seeds = append(q.Seeds, id)
			}
		}
		if len(q.Seeds) == 0 {
			return nil
		}
		sub, err = v.src.Neighbourhood(ctx, q)
	}
	if err != nil {
		return fmt.Errorf("traverse the present graph from %d CIs: %w", len(q.Seeds), err)
	}
	fresh := map[string]bool{}
	// The traversal returns heads, which is all a past traversal shows of
	// a CI untouched since (the others are rebuilt from their history).
	for id, n := range sub.Nodes {
		if _, ok := now.nodes[id]; !ok {
			now.nodes[id] = *n
		}
		// The store expanded the nodes short of maxDepth, so it returned
		// all their traversable relations.
		if n.Depth < maxDepth && !now.read[id] {
			now.read[id], fresh[id] = true, true
		}
	}
	for _, r := range sub.Edges {
		switch {
		case slices.Contains(now.inTypes, r.Type) && fresh[r.To]:
			now.in[r.To] = append(now.in[r.To], r)
		case slices.Contains(now.outTypes, r.Type) && fresh[r.From]:
			now.out[r.From] = append(now.out[r.From], r)
		}
	}
	return nil
}

// nodesAt returns the CIs among ids as they were at the instant, reading
// now those the traversal has not.
func (v *View) nodesAt(ctx context.Context, now *present, ids []string) (map[string]graph.CI, error) {
	if err := v.readCIs(ctx, now, ids); err != nil {
		return nil, err
	}
	tls, err := v.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]graph.CI, len(ids))
	for _, id := range ids {
		if ci := v.ciAt(id, now.ci(id), tls[id], false); ci != nil {
			out[id] = *ci
		}
	}
	return out, nil
}

// ci returns what the past traversal knows of a CI now: as a traversal
// returned it (head and group attributes: what a node carries) or as
// read whole; nil if it is gone now (or not read yet).
func (now *present) ci(id string) *graph.CI {
	if ci, ok := now.cis[id]; ok {
		return ci
	}
	if n, ok := now.nodes[id]; ok {
		h := n.CI
		return &graph.CI{ID: h.ID, Name: h.Name, Class: h.Class, Criticality: h.Criticality, Owner: h.Owner, Attributes: n.Attributes}
	}
	return nil
}

// readCIs reads, in one store call, the present CIs among ids that no
// traversal returned and not read yet, and notes those that are gone now.
func (v *View) readCIs(ctx context.Context, now *present, ids []string) error {
	var unread []string
	for _, id := range ids {
		if _, ok := now.nodes[id]; ok {
			continue
		}
		if _, ok := now.cis[id]; !ok && !now.gone[id] {
			unread = append(unread, id)
		}
	}
	if len(unread) == 0 {
		return nil
	}
	got, err := v.src.CIsByIDs(ctx, unread)
	if err != nil {
		return fmt.Errorf("read %d present CIs: %w", len(unread), err)
	}
	for _, id := range unread {
		if ci, ok := got[id]; ok {
			now.cis[id] = &ci
		} else {
			now.gone[id] = true
		}
	}
	return nil
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

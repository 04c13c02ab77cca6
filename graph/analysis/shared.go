package analysis

import (
	"context"
	"slices"

	"github.com/ripple-cmdb/ripple/graph"
)

// sharedReach answers the downstream traversals of several seed sets from
// one traversal of their union: an analysis that needs the blast radii of
// nine changes asks the store once, not nine times.
//
// A store's Neighbourhood of seeds S (downstream, depth D) is the nodes
// within D hops of S and every traversable edge whose cause end lies
// within D-1 hops (the expanded nodes). For S inside the union U, every
// node within D hops of S is within D hops of U, and every node within D-1
// hops of S is within D-1 hops of U, so was expanded with all its edges:
// the union's subgraph holds S's whole. Walking it again from S with the
// same rule (nodes at depth D are reached but not expanded) gives exactly
// the subgraph the store would return for S, node depths included; the
// members and attributes of a node do not depend on the seeds. Any other
// query goes to the store.
type sharedReach struct {
	graph.Traverser
	q     graph.NeighbourhoodQuery // the union's, checked
	seeds map[string]bool
	sub   graph.Subgraph
	// The union's subgraph indexed for walking: node numbers, and for
	// each node the edges (indexes into sub.Edges) it causes to fail and
	// the nodes they affect.
	index    map[string]int32
	ids      []string
	causes   [][]int32
	affected [][]int32
}

// newSharedReach traverses downstream from the union of the seed sets, to
// the default depth, and indexes the result.
func newSharedReach(ctx context.Context, s graph.Traverser, union []string) (*sharedReach, error) {
	cat := s.Catalogue()
	q, err := cat.CheckNeighbourhoodQuery(graph.NeighbourhoodQuery{Seeds: union, Direction: graph.Downstream})
	if err != nil {
		return nil, err
	}
	sub, err := s.Neighbourhood(ctx, q)
	if err != nil {
		return nil, err
	}
	r := &sharedReach{Traverser: s, q: q, seeds: map[string]bool{}, sub: sub,
		index: make(map[string]int32, len(sub.Nodes)), ids: make([]string, 0, len(sub.Nodes))}
	for _, id := range q.Seeds {
		r.seeds[id] = true
	}
	for id := range sub.Nodes {
		r.index[id] = int32(len(r.ids))
		r.ids = append(r.ids, id)
	}
	r.causes, r.affected = make([][]int32, len(r.ids)), make([][]int32, len(r.ids))
	for i, e := range sub.Edges {
		rt, ok := cat.RelationType(e.Type)
		if !ok {
			continue
		}
		cause, affected, flows := rt.Flow(e.From, e.To)
		c, okC := r.index[cause]
		a, okA := r.index[affected]
		if !flows || !okC || !okA {
			continue
		}
		r.causes[c] = append(r.causes[c], int32(i))
		r.affected[c] = append(r.affected[c], a)
	}
	return r, nil
}

// Neighbourhood answers q from the union's subgraph when it is the same
// traversal from seeds inside the union, and from the store otherwise.
func (r *sharedReach) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	if !r.covers(q) {
		return r.Traverser.Neighbourhood(ctx, q)
	}
	depth := make(map[int32]int, len(q.Seeds))
	var queue []int32
	for _, id := range q.Seeds {
		n := r.index[id]
		if _, seen := depth[n]; !seen {
			depth[n] = 0
			queue = append(queue, n)
		}
	}
	var edges []graph.Relation
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		d := depth[n]
		if d >= q.MaxDepth {
			continue // reached, not expanded
		}
		for i, e := range r.causes[n] {
			edges = append(edges, r.sub.Edges[e])
			if a := r.affected[n][i]; !seen(depth, a) {
				depth[a] = d + 1
				queue = append(queue, a)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return graph.Subgraph{}, graph.Unavailable(err, "blast radius: the request was cancelled or timed out")
	}
	out := graph.Subgraph{Nodes: make(map[string]*graph.Node, len(queue)), Edges: edges}
	for _, n := range queue {
		node := *r.sub.Nodes[r.ids[n]] // heads, members and attributes are the seeds' own too
		node.Depth = depth[n]
		out.Nodes[r.ids[n]] = &node
	}
	return out, nil
}

// covers reports whether q is the union's traversal from some of its
// seeds.
func (r *sharedReach) covers(q graph.NeighbourhoodQuery) bool {
	if q.Direction != r.q.Direction || q.MaxDepth != r.q.MaxDepth || !slices.Equal(q.Types, r.q.Types) || len(q.Seeds) == 0 {
		return false
	}
	for _, id := range q.Seeds {
		if !r.seeds[id] {
			return false
		}
	}
	return true
}

func seen(depth map[int32]int, n int32) bool {
	_, ok := depth[n]
	return ok
}

package embedded

import (
	"context"
	"fmt"
	"sync"

	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

// Neighbourhood expands breadth-first from the seeds; see graph.Store.
func (s *Store) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	q, err := s.cat.CheckNeighbourhoodQuery(q)
	if err != nil {
		return graph.Subgraph{}, err
	}
	toSource, toTarget, err := s.cat.TraversalTypes(q.Types)
	if err != nil {
		return graph.Subgraph{}, err
	}
	tx, done, err := s.view(ctx)
	if err != nil {
		return graph.Subgraph{}, err
	}
	defer done()

	seeds := make([]int32, len(q.Seeds))
	for i, id := range q.Seeds {
		slot, ok := s.mem.lookup(id)
		if !ok {
			return graph.Subgraph{}, graph.NotFound(fmt.Sprintf("ciIds[%d]", i), "CI", id)
		}
		seeds[i] = slot
	}
	w := s.newWalk(plan(s.mem, q.Direction, toSource, toTarget), int32(q.MaxDepth))
	defer s.releaseWalk(w)
	if err := w.run(ctx, s.mem, seeds); err != nil {
		return graph.Subgraph{}, err
	}
	return s.materialise(tx, w)
}

// step is one way of leaving a node: the adjacency lists of one relation
// type, outgoing or incoming.
type step struct {
	t   int
	out bool
}

// plan turns a direction and the propagating types into steps. Failure
// crosses A -T-> B from B to A for TO_SOURCE types and from A to B for
// TO_TARGET types. Downstream follows it: a node's dependants are the
// sources of its incoming TO_SOURCE edges and the targets of its outgoing
// TO_TARGET edges. Upstream is the mirror image.
func plan(m *memState, dir graph.TraversalDirection, toSource, toTarget []string) []step {
	downstream := dir == graph.Downstream
	steps := make([]step, 0, len(toSource)+len(toTarget))
	for _, name := range toSource {
		steps = append(steps, step{t: m.typeIdx[name], out: !downstream})
	}
	for _, name := range toTarget {
		steps = append(steps, step{t: m.typeIdx[name], out: downstream})
	}
	return steps
}

// walk is one breadth-first traversal. Its buffers are pooled: depth is
// indexed by slot (-1 = not reached) and reset entry by entry afterwards,
// which costs O(reached) rather than O(all CIs), so a traversal allocates
// little beyond its result.
type walk struct {
	steps    []step
	maxDepth int32
	depth    []int32
	queue    []int32 // reached slots in BFS order
	edges    int     // traversable edges found while expanding
}

func (s *Store) newWalk(steps []step, maxDepth int32) *walk {
	w, _ := s.visits.Get().(*walk)
	if w == nil {
		w = &walk{}
	}
	for len(w.depth) < len(s.mem.nodes) {
		w.depth = append(w.depth, -1)
	}
	w.steps, w.maxDepth, w.queue, w.edges = steps, maxDepth, w.queue[:0], 0
	return w
}

func (s *Store) releaseWalk(w *walk) {
	for _, slot := range w.queue {
		w.depth[slot] = -1
	}
	w.queue = w.queue[:0]
	s.visits.Put(w)
}

// run assigns depths and counts edges; it touches nothing but int32s, which
// keeps it at a small fraction of the cost of building the result.
func (w *walk) run(ctx context.Context, m *memState, seeds []int32) error {
	for _, slot := range seeds {
		if w.depth[slot] < 0 {
			w.depth[slot] = 0
			w.queue = append(w.queue, slot)
		}
	}
	for head := 0; head < len(w.queue); head++ {
		if head&4095 == 4095 && ctx.Err() != nil {
			return ctxError(ctx.Err())
		}
		slot := w.queue[head]
		d := w.depth[slot]
		if d >= w.maxDepth {
			continue // nodes at MaxDepth are included but not expanded
		}
		n := &m.nodes[slot]
		for _, st := range w.steps {
			lists := n.in
			if st.out {
				lists = n.out
			}
			list := edgesOf(lists, st.t)
			w.edges += len(list)
			for _, e := range list {
				if w.depth[e.peer] < 0 {
					w.depth[e.peer] = d + 1
					w.queue = append(w.queue, e.peer)
				}
			}
		}
	}
	return nil
}

// materialise builds the Subgraph of a finished walk. Edges are emitted by
// walking the expanded nodes' lists again into a slice sized from the
// count: growing a slice of pointer-rich Relations by doubling costs more
// (copies plus GC write barriers) than the second pass. Each edge is found
// from exactly one end, so none repeats.
//
// Nodes hold CI heads built from memory, whose strings are shared with
// it; only a redundancy group's CI is read from the file, for the
// attributes that hold its threshold (graph.Traverser makes a Subgraph
// read-only for callers).
func (s *Store) materialise(tx *bolt.Tx, w *walk) (graph.Subgraph, error) {
	m := s.mem
	edges := make([]graph.Relation, 0, w.edges)
	for _, slot := range w.queue {
		if w.depth[slot] >= w.maxDepth {
			continue
		}
		n := &m.nodes[slot]
		for _, st := range w.steps {
			lists := n.in
			if st.out {
				lists = n.out
			}
			for _, e := range edgesOf(lists, st.t) {
				edges = append(edges, m.relation(slot, st.t, e, st.out))
			}
		}
	}
	// One backing array for all nodes: the map needs pointers, not one
	// allocation per node.
	nodes := make([]graph.Node, len(w.queue))
	sub := graph.Subgraph{Nodes: make(map[string]*graph.Node, len(w.queue)), Edges: edges}
	cis := tx.Bucket(bucketCIs)
	for i, slot := range w.queue {
		n := &m.nodes[slot]
		nodes[i] = graph.Node{Depth: int(w.depth[slot]), CI: graph.CIHead{ID: n.id, Name: n.name, Class: m.str(n.class),
			Criticality: graph.Criticality(m.str(n.criticality)), Owner: m.str(n.owner)}}
		if members := s.members(slot); members > 0 {
			attrs, err := s.groups.attributes(tx.ID(), slot, func() (map[string]any, error) {
				ci, err := readCIFrom(cis, n.id)
				if err != nil {
					return nil, err
				}
				return ci.Attributes, nil
			})
			if err != nil {
				return graph.Subgraph{}, graph.Internal(err, "cannot read CI %s", n.id)
			}
			nodes[i].Members, nodes[i].Attributes = members, attrs
		}
		sub.Nodes[n.id] = &nodes[i]
	}
	return sub, nil
}

// groupCache holds the attributes of the redundancy groups traversals
// reached, as read from the file in one bbolt transaction: every commit
// starts a new transaction id, which drops them all, so they are never
// stale. A blast radius over a data centre reaches hundreds of groups, and
// reading and decoding their records was half the cost of the call. The
// maps are shared read-only with every caller (graph.Node allows it).
type groupCache struct {
	mu    sync.Mutex
	txid  int
	attrs map[int32]map[string]any // by slot
}

// attributes returns the attributes of the group in slot as of the
// transaction txid, calling read on a miss.
func (c *groupCache) attributes(txid int, slot int32, read func() (map[string]any, error)) (map[string]any, error) {
	c.mu.Lock()
	if c.txid == txid {
		if attrs, ok := c.attrs[slot]; ok {
			c.mu.Unlock()
			return attrs, nil
		}
	}
	c.mu.Unlock()
	attrs, err := read()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A reader of an older transaction than the cache's keeps its
	// reading to itself; a newer one starts the cache afresh.
	switch {
	case txid > c.txid || c.attrs == nil:
		c.txid, c.attrs = txid, map[int32]map[string]any{slot: attrs}
	case txid == c.txid:
		c.attrs[slot] = attrs
	}
	return attrs, nil
}

// members counts the grouping relations into a redundancy group, whatever
// the traversal followed. The count comes first: it is a few slice
// lengths, while the class check hashes a string, and most CIs have no
// members.
func (s *Store) members(slot int32) int {
	n := &s.mem.nodes[slot]
	total := 0
	for _, t := range s.groupTypes {
		total += len(edgesOf(n.in, t))
	}
	if total == 0 || !s.groupClasses[s.mem.str(n.class)] {
		return 0
	}
	return total
}

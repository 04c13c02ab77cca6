package impact

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// edge is a relation seen the way failure flows: cause failing affects
// affected. Ends are node indexes.
type edge struct {
	cause, affected int32
	grouping        bool
}

// Graph is a subgraph indexed once for propagation: its CIs numbered
// 0..Len()-1 in id order (so every walk over it is deterministic), its
// relations turned into edges the way failure flows. It is read-only after
// NewGraph and may be shared by several Walkers, so callers that ask "what
// if this CI failed?" for hundreds of CIs pay for the index once.
type Graph struct {
	ids   []string
	nodes []*graph.Node // by node index, as the subgraph holds them
	index map[string]int32
	out   [][]edge // by cause, sorted by affected
	in    [][]edge // by affected
	// need is, for redundancy groups, how many members must stay up, and
	// total how many members the group has (those outside the subgraph
	// included); neither changes between runs.
	need, total []int32
}

// NewGraph indexes sub. Relations of unknown or non-propagating types and
// relations with an end outside the subgraph are ignored.
//
// It runs once per blast radius, over subgraphs of tens of thousands of
// CIs, so it allocates a handful of arrays rather than a slice per node:
// every node's out and in lists are windows on two shared arrays (a
// counting sort by node), and each out list comes out ordered by affected
// node because the edges are placed into it in affected order.
func NewGraph(cat *graph.Catalogue, sub graph.Subgraph) *Graph {
	n := len(sub.Nodes)
	// Sorting by a number made of the id's first eight bytes, with the
	// whole id only to break ties, gives id order at a fraction of the
	// cost of comparing strings (ids are UUIDs: ties are rare).
	type entry struct {
		prefix uint64
		id     string
		node   *graph.Node
	}
	entries := make([]entry, 0, n)
	for id, node := range sub.Nodes {
		entries = append(entries, entry{prefix: idPrefix(id), id: id, node: node})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	g := &Graph{ids: make([]string, n), nodes: make([]*graph.Node, n), index: make(map[string]int32, n)}
	for i, e := range entries {
		g.ids[i], g.nodes[i] = e.id, e.node
		g.index[e.id] = int32(i)
	}
	flows := flowCache{cat: cat}
	edges := make([]edge, 0, len(sub.Edges))
	inCount := make([]int32, n+1)
	outCount := make([]int32, n+1)
	for i := range sub.Edges {
		r := &sub.Edges[i]
		rt := flows.of(r.Type)
		if rt == nil {
			continue
		}
		causeID, affectedID, _ := rt.Flow(r.From, r.To)
		cause, okCause := g.index[causeID]
		affected, okAffected := g.index[affectedID]
		if !okCause || !okAffected {
			continue
		}
		edges = append(edges, edge{cause: cause, affected: affected, grouping: rt.Grouping})
		inCount[affected+1]++
		outCount[cause+1]++
	}
	for i := 1; i <= n; i++ {
		inCount[i] += inCount[i-1]
		outCount[i] += outCount[i-1]
	}
	inAll, outAll := make([]edge, len(edges)), make([]edge, len(edges))
	next := slices.Clone(inCount[:n])
	for _, e := range edges {
		inAll[next[e.affected]] = e
		next[e.affected]++
	}
	// Placing the edges by affected node (the in lists, in node order)
	// leaves every out list sorted by affected.
	copy(next, outCount[:n])
	for _, e := range inAll {
		outAll[next[e.cause]] = e
		next[e.cause]++
	}
	g.out, g.in = make([][]edge, n), make([][]edge, n)
	for i := range n {
		g.in[i] = inAll[inCount[i]:inCount[i+1]:inCount[i+1]]
		g.out[i] = outAll[outCount[i]:outCount[i+1]:outCount[i+1]]
	}
	g.need, g.total = make([]int32, n), make([]int32, n)
	for i, node := range g.nodes {
		members := int32(0)
		for _, e := range g.in[i] {
			if e.grouping {
				members++
			}
		}
		if members == 0 {
			continue
		}
		g.total[i] = max(int32(node.Members), members)
		g.need[i] = int32(RequiredHealthy(node.Attributes, int(g.total[i])))
	}
	return g
}

// idPrefix is the first eight bytes of id as a big-endian number, zero
// padded: a < b between two prefixes means a < b between the ids, and
// equal prefixes leave the order to the rest of the ids (zero is the
// least byte, so a shorter id still sorts first).
func idPrefix(id string) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}

// flowCache looks up relation types by name for a run of edges: a
// subgraph has few types, so a short list compared by name (the strings
// usually share their bytes, which makes the comparison a pointer check)
// beats hashing every edge's type into the catalogue's map.
type flowCache struct {
	cat   *graph.Catalogue
	names []string
	types []*graph.RelationType // nil: unknown or not propagating
}

func (c *flowCache) of(name string) *graph.RelationType {
	for i, n := range c.names {
		if n == name {
			return c.types[i]
		}
	}
	var found *graph.RelationType
	if rt, ok := c.cat.RelationType(name); ok {
		if _, _, flows := rt.Flow("a", "b"); flows {
			found = &rt
		}
	}
	c.names, c.types = append(c.names, name), append(c.types, found)
	return found
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.ids) }

// ID is the CI id of node n.
func (g *Graph) ID(n int32) string { return g.ids[n] }

// Lookup returns the node of the CI with this id, if it is in the graph.
func (g *Graph) Lookup(id string) (int32, bool) {
	n, ok := g.index[id]
	return n, ok
}

// Neighbours calls f for every node one propagating relation away from n,
// in either direction (a node may be reported more than once).
func (g *Graph) Neighbours(n int32, f func(int32)) {
	for _, e := range g.out[n] {
		f(e.affected)
	}
	for _, e := range g.in[n] {
		f(e.cause)
	}
}

// Propagate runs one propagation from the seeds (ids outside the graph are
// ignored) and returns it as a State.
func (g *Graph) Propagate(seeds []string) State {
	nodes := make([]int32, 0, len(seeds))
	for _, id := range seeds {
		if n, ok := g.index[id]; ok {
			nodes = append(nodes, n)
		}
	}
	w := g.NewWalker()
	reached := w.Run(nodes...)
	st := State{
		Effect:   make(map[string]Effect, len(reached)),
		Distance: make(map[string]int, len(reached)),
		Parent:   make(map[string]string, len(reached)),
	}
	for _, n := range reached {
		id := g.ids[n]
		st.Effect[id] = w.effect[n]
		if w.dist[n] >= 0 {
			st.Distance[id] = int(w.dist[n])
		}
		if w.parent[n] >= 0 {
			st.Parent[id] = g.ids[w.parent[n]]
		}
	}
	return st
}

// Walker runs propagations over one Graph with reusable buffers: each run
// costs only the CIs it reaches. A Walker is not safe for concurrent use;
// make one per goroutine.
type Walker struct {
	g       *Graph
	effect  []Effect
	dist    []int32
	parent  []int32
	reached []int32 // nodes with an effect, seeds first, in explanation order
	queue   []int32
}

// NewWalker returns a Walker over g.
func (g *Graph) NewWalker() *Walker {
	w := &Walker{g: g, effect: make([]Effect, g.Len()), dist: make([]int32, g.Len()), parent: make([]int32, g.Len())}
	for i := range w.dist {
		w.dist[i], w.parent[i] = -1, -1
	}
	return w
}

// Run marks the seeds DOWN and spreads failure until nothing changes. A
// node affected through an ordinary propagating relation takes the worst
// effect among its causes; a redundancy group is DOWN when fewer than its
// required number of members are up and DEGRADED while any member is down
// or degraded. Effects only ever get worse, so the worklist terminates
// (each node changes at most twice) even on cycles.
//
// Run returns the nodes left with an effect, valid until the next Run. The
// explained ones (those with a Distance) come first in breadth-first order,
// the seeds first of all, in the order given (repeats are ignored).
func (w *Walker) Run(seeds ...int32) []int32 {
	for _, n := range w.reached {
		w.effect[n], w.dist[n], w.parent[n] = Up, -1, -1
	}
	w.reached = w.reached[:0]
	for _, s := range seeds {
		if w.effect[s] != Down {
			w.effect[s] = Down
			w.reached = append(w.reached, s)
		}
	}
	seeded := len(w.reached)
	queue := append(w.queue[:0], w.reached...)
	for head := 0; head < len(queue); head++ {
		for _, e := range w.g.out[queue[head]] {
			a := e.affected
			if w.effect[a] == Down {
				continue // nothing is worse, seeds included
			}
			if next := w.evaluate(a); next > w.effect[a] {
				if w.effect[a] == Up {
					w.reached = append(w.reached, a)
				}
				w.effect[a] = next
				queue = append(queue, a)
			}
		}
	}
	w.queue = queue
	w.explain(seeded)
	return w.reached
}

func (w *Walker) evaluate(n int32) Effect {
	worst := Up
	var down int32
	impactedMember, group := false, false
	for _, e := range w.g.in[n] {
		eff := w.effect[e.cause]
		if !e.grouping {
			worst = max(worst, eff)
			continue
		}
		group = true
		if eff == Down {
			down++
		}
		if eff != Up {
			impactedMember = true
		}
	}
	if group {
		if w.g.total[n]-down < w.g.need[n] {
			worst = Down
		} else if impactedMember {
			worst = max(worst, Degraded)
		}
	}
	return worst
}

// explain finds, breadth-first from the seeds (the first seeded nodes of
// reached), one shortest path made only of explaining edges: a cause with
// the same effect as the CI it affects through an ordinary relation, or,
// for a group, a DOWN member when the group is DOWN and any impacted member
// when it is DEGRADED. It reorders reached so that explained nodes come
// first, by distance.
func (w *Walker) explain(seeded int) {
	queue := append(w.queue[:0], w.reached[:seeded]...)
	for _, s := range queue {
		w.dist[s] = 0
	}
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		for _, e := range w.g.out[n] {
			a := e.affected
			if w.dist[a] >= 0 || w.effect[a] == Up {
				continue
			}
			explains := w.effect[e.cause] == w.effect[a]
			if e.grouping {
				explains = w.effect[e.cause] == Down || (w.effect[a] == Degraded && w.effect[e.cause] != Up)
			}
			if explains {
				w.dist[a], w.parent[a] = w.dist[n]+1, n
				queue = append(queue, a)
			}
		}
	}
	if len(queue) < len(w.reached) {
		for _, n := range w.reached {
			if w.dist[n] < 0 {
				queue = append(queue, n)
			}
		}
	}
	w.queue, w.reached = w.reached, queue
}

// Effect is n's effect in the last run.
func (w *Walker) Effect(n int32) Effect { return w.effect[n] }

// Distance is the length of n's explaining path in the last run, -1 when it
// has none (or is not reached).
func (w *Walker) Distance(n int32) int32 { return w.dist[n] }

// Path returns n's explaining path in the last run, seed first.
func (w *Walker) Path(n int32) []int32 {
	if w.dist[n] < 0 {
		return nil
	}
	path := make([]int32, w.dist[n]+1)
	for i, cur := len(path)-1, n; i >= 0; i, cur = i-1, w.parent[cur] {
		path[i] = cur
	}
	return path
}

// Package spread is a single-seed twin of impact.Propagate for callers that
// propagate from every CI of one subgraph in turn. impact.Propagate rebuilds
// its index and allocates result maps on each call, which is fine once per
// request but dominates when root-cause ranking asks "what if this CI
// failed?" for hundreds of CIs. Here the subgraph is indexed once and each
// run touches only the CIs it reaches. The rules are impact.Propagate's;
// spread_test checks both agree on random graphs, so any change to the rules
// there must be mirrored here.
package spread

import (
	"sort"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// edge is a relation seen the way failure flows: cause failing affects
// affected. Ends are node indexes.
type edge struct {
	cause, affected int32
	grouping        bool
}

// Graph is a subgraph indexed for repeated propagation. Nodes are numbered
// in id order so that every walk is deterministic. It is read-only after New
// and may be shared by several Walkers.
type Graph struct {
	IDs   []string
	Index map[string]int32
	out   [][]edge // by cause, sorted by affected
	in    [][]edge // by affected
	// need is, for redundancy groups, how many members must stay up; a
	// group's member total never changes between runs, so neither does it.
	need, total []int32
}

// New indexes sub. Relations of unknown or non-propagating types and
// relations with an end outside the subgraph are ignored, as in
// impact.Propagate.
func New(cat *graph.Catalogue, sub graph.Subgraph) *Graph {
	g := &Graph{IDs: make([]string, 0, len(sub.Nodes)), Index: make(map[string]int32, len(sub.Nodes))}
	for id := range sub.Nodes {
		g.IDs = append(g.IDs, id)
	}
	sort.Strings(g.IDs)
	for i, id := range g.IDs {
		g.Index[id] = int32(i)
	}
	n := len(g.IDs)
	g.out, g.in = make([][]edge, n), make([][]edge, n)
	g.need, g.total = make([]int32, n), make([]int32, n)
	for _, r := range sub.Edges {
		rt, ok := cat.RelationType(r.Type)
		if !ok {
			continue
		}
		from, okFrom := g.Index[r.From]
		to, okTo := g.Index[r.To]
		if !okFrom || !okTo {
			continue
		}
		var e edge
		switch rt.Propagation {
		case graph.PropagateToSource:
			e = edge{cause: to, affected: from}
		case graph.PropagateToTarget:
			e = edge{cause: from, affected: to, grouping: rt.Grouping}
		default:
			continue
		}
		g.out[e.cause] = append(g.out[e.cause], e)
		g.in[e.affected] = append(g.in[e.affected], e)
	}
	for _, list := range g.out {
		sort.Slice(list, func(a, b int) bool { return list[a].affected < list[b].affected })
	}
	for i, id := range g.IDs {
		members := int32(0)
		for _, e := range g.in[i] {
			if e.grouping {
				members++
			}
		}
		if members == 0 {
			continue
		}
		node := sub.Nodes[id]
		g.total[i] = max(int32(node.Members), members)
		g.need[i] = int32(impact.RequiredHealthy(node.CI.Attributes, int(g.total[i])))
	}
	return g
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.IDs) }

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

// Walker runs propagations over one Graph with reusable buffers. A Walker
// is not safe for concurrent use; make one per goroutine.
type Walker struct {
	g       *Graph
	effect  []impact.Effect
	dist    []int32
	parent  []int32
	reached []int32 // nodes with an effect, seed first, in explanation order
	queue   []int32
}

// NewWalker returns a Walker over g.
func (g *Graph) NewWalker() *Walker {
	w := &Walker{g: g, effect: make([]impact.Effect, g.Len()), dist: make([]int32, g.Len()), parent: make([]int32, g.Len())}
	for i := range w.dist {
		w.dist[i], w.parent[i] = -1, -1
	}
	return w
}

// Run marks seed DOWN and spreads its failure; it returns the nodes left
// with an effect, valid until the next Run. The explained ones (those with a
// Distance) come first in breadth-first order, the seed first of all.
func (w *Walker) Run(seed int32) []int32 {
	for _, n := range w.reached {
		w.effect[n], w.dist[n], w.parent[n] = impact.Up, -1, -1
	}
	w.reached = w.reached[:0]
	w.effect[seed] = impact.Down
	w.reached = append(w.reached, seed)
	queue := append(w.queue[:0], seed)
	for head := 0; head < len(queue); head++ {
		for _, e := range w.g.out[queue[head]] {
			if e.affected == seed {
				continue
			}
			if next := w.evaluate(e.affected); next > w.effect[e.affected] {
				if w.effect[e.affected] == impact.Up {
					w.reached = append(w.reached, e.affected)
				}
				w.effect[e.affected] = next
				queue = append(queue, e.affected)
			}
		}
	}
	w.queue = queue
	w.explain(seed)
	return w.reached
}

func (w *Walker) evaluate(n int32) impact.Effect {
	worst := impact.Up
	var down int32
	impactedMember, group := false, false
	for _, e := range w.g.in[n] {
		eff := w.effect[e.cause]
		if !e.grouping {
			worst = max(worst, eff)
			continue
		}
		group = true
		if eff == impact.Down {
			down++
		}
		if eff != impact.Up {
			impactedMember = true
		}
	}
	if group {
		if w.g.total[n]-down < w.g.need[n] {
			worst = impact.Down
		} else if impactedMember {
			worst = max(worst, impact.Degraded)
		}
	}
	return worst
}

// explain assigns shortest explaining paths with impact.Propagate's rule and
// reorders reached so that explained nodes come first, by distance.
func (w *Walker) explain(seed int32) {
	w.dist[seed] = 0
	queue := append(w.queue[:0], seed)
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		for _, e := range w.g.out[n] {
			a := e.affected
			if w.dist[a] >= 0 || w.effect[a] == impact.Up {
				continue
			}
			explains := w.effect[e.cause] == w.effect[a]
			if e.grouping {
				explains = w.effect[e.cause] == impact.Down || (w.effect[a] == impact.Degraded && w.effect[e.cause] != impact.Up)
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
	w.queue = w.reached
	w.reached = queue
}

// Effect is n's effect in the last run.
func (w *Walker) Effect(n int32) impact.Effect { return w.effect[n] }

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

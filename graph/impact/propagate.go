// Package impact computes how failure spreads through the configuration
// graph: blast radius (what breaks when some CIs go down) and dependencies
// (what a CI needs). It is pure Go over the subgraph a store returns, so both
// stores share one definition of the rules.
package impact

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// Effect is how badly a CI is hit.
type Effect int

// Effects, ordered so that the worse effect compares greater.
const (
	Up Effect = iota
	Degraded
	Down
)

func (e Effect) String() string {
	switch e {
	case Down:
		return "DOWN"
	case Degraded:
		return "DEGRADED"
	default:
		return "UP"
	}
}

// Attribute names read from redundancy-group CIs.
const (
	AttrMinHealthy        = "minHealthy"
	AttrMinHealthyPercent = "minHealthyPercent"
)

// impactEdge is a relation seen the way failure flows: cause failing
// affects affected. Ends are indexes into the sorted node list.
type impactEdge struct {
	cause, affected int32
	grouping        bool
}

// State is the outcome of propagation over a subgraph. Only CIs that are
// hit (and the seeds) appear in its maps.
type State struct {
	Effect map[string]Effect
	// Distance and Parent describe one shortest explaining path from a seed.
	Distance map[string]int
	Parent   map[string]string
}

// Propagate marks the seeds DOWN and spreads failure through the subgraph
// until nothing changes. A CI affected through an ordinary propagating
// relation takes the worst effect among its causes; a redundancy group is
// DOWN when fewer than its required number of members are up and DEGRADED
// while any member is down or degraded. Effects only ever get worse, so the
// worklist terminates (each node changes at most twice) even on cycles.
func Propagate(cat *graph.Catalogue, sub graph.Subgraph, seeds []string) State {
	g := newImpactGraph(cat, sub)
	effect := make([]Effect, len(g.ids))
	isSeed := make([]bool, len(g.ids))
	var queue, seedIdx []int32
	for _, s := range seeds {
		i, ok := g.index[s]
		if !ok || isSeed[i] {
			continue
		}
		isSeed[i] = true
		effect[i] = Down
		queue = append(queue, i)
		seedIdx = append(seedIdx, i)
	}

	evaluate := func(n int32) Effect {
		worst := Up
		var members, down int
		impactedMember := false
		for _, e := range g.in[n] {
			eff := effect[e.cause]
			if !e.grouping {
				worst = max(worst, eff)
				continue
			}
			members++
			if eff == Down {
				down++
			}
			if eff != Up {
				impactedMember = true
			}
		}
		if members > 0 {
			node := sub.Nodes[g.ids[n]]
			total := max(node.Members, members)
			if total-down < RequiredHealthy(node.CI.Attributes, total) {
				worst = Down
			} else if impactedMember {
				worst = max(worst, Degraded)
			}
		}
		return worst
	}

	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.out[n] {
			if isSeed[e.affected] {
				continue
			}
			if next := evaluate(e.affected); next > effect[e.affected] {
				effect[e.affected] = next
				queue = append(queue, e.affected)
			}
		}
	}
	return g.explain(seedIdx, effect)
}

// impactGraph is the subgraph in the direction failure flows, with nodes
// numbered in id order so that every walk over it is deterministic.
type impactGraph struct {
	ids     []string
	index   map[string]int32
	out, in [][]impactEdge // by cause (sorted by affected id), by affected
}

func newImpactGraph(cat *graph.Catalogue, sub graph.Subgraph) *impactGraph {
	g := &impactGraph{ids: make([]string, 0, len(sub.Nodes)), index: make(map[string]int32, len(sub.Nodes))}
	for id := range sub.Nodes {
		g.ids = append(g.ids, id)
	}
	sort.Strings(g.ids)
	for i, id := range g.ids {
		g.index[id] = int32(i)
	}
	g.out = make([][]impactEdge, len(g.ids))
	g.in = make([][]impactEdge, len(g.ids))
	for _, r := range sub.Edges {
		rt, ok := cat.RelationType(r.Type)
		if !ok {
			continue
		}
		from, okFrom := g.index[r.From]
		to, okTo := g.index[r.To]
		if !okFrom || !okTo {
			continue
		}
		var e impactEdge
		switch rt.Propagation {
		case graph.PropagateToSource:
			e = impactEdge{cause: to, affected: from}
		case graph.PropagateToTarget:
			e = impactEdge{cause: from, affected: to, grouping: rt.Grouping}
		default:
			continue
		}
		g.out[e.cause] = append(g.out[e.cause], e)
		g.in[e.affected] = append(g.in[e.affected], e)
	}
	for _, list := range g.out {
		sort.Slice(list, func(i, j int) bool { return list[i].affected < list[j].affected })
	}
	return g
}

// explain finds, breadth-first from the seeds, one shortest path made only
// of explaining edges: a cause with the same effect as the CI it affects
// through an ordinary relation, or, for a group, a DOWN member when the group
// is DOWN and any impacted member when it is DEGRADED.
func (g *impactGraph) explain(seeds []int32, effect []Effect) State {
	dist := make([]int32, len(g.ids))
	parent := make([]int32, len(g.ids))
	for i := range dist {
		dist[i], parent[i] = -1, -1
	}
	queue := append([]int32(nil), seeds...)
	for _, s := range seeds {
		dist[s] = 0
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.out[n] {
			if dist[e.affected] >= 0 || effect[e.affected] == Up {
				continue
			}
			explains := effect[e.cause] == effect[e.affected]
			if e.grouping {
				explains = effect[e.cause] == Down || (effect[e.affected] == Degraded && effect[e.cause] != Up)
			}
			if explains {
				dist[e.affected] = dist[n] + 1
				parent[e.affected] = n
				queue = append(queue, e.affected)
			}
		}
	}
	st := State{Effect: map[string]Effect{}, Distance: map[string]int{}, Parent: map[string]string{}}
	for i, eff := range effect {
		if eff == Up {
			continue
		}
		id := g.ids[i]
		st.Effect[id] = eff
		if dist[i] >= 0 {
			st.Distance[id] = int(dist[i])
		}
		if parent[i] >= 0 {
			st.Parent[id] = g.ids[parent[i]]
		}
	}
	return st
}

// RequiredHealthy is how many members of a group must be up for it to be
// up: the minHealthy count when set, else minHealthyPercent of the members
// (rounded up), else one. Values may arrive as JSON numbers or strings.
func RequiredHealthy(attrs map[string]any, members int) int {
	if n, ok := number(attrs[AttrMinHealthy]); ok && n >= 0 {
		return int(math.Ceil(n))
	}
	if p, ok := number(attrs[AttrMinHealthyPercent]); ok && p >= 0 {
		return int(math.Ceil(float64(members) * p / 100))
	}
	return 1
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(x), "%"), 64)
		return f, err == nil
	}
	return 0, false
}

// PathTo returns the explaining path from a seed to id, seed first.
func (s State) PathTo(id string) []string {
	var rev []string
	for cur, ok := id, true; ok; cur, ok = s.Parent[cur] {
		rev = append(rev, cur)
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

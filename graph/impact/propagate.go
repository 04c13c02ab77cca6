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

// impactEdge is a relation seen the way failure flows: Cause failing
// affects Affected.
type impactEdge struct {
	cause, affected string
	grouping        bool
}

// State is the outcome of propagation over a subgraph.
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
	out := map[string][]impactEdge{} // by cause
	in := map[string][]impactEdge{}  // by affected
	for _, r := range sub.Edges {
		rt, ok := cat.RelationType(r.Type)
		if !ok {
			continue
		}
		var e impactEdge
		switch rt.Propagation {
		case graph.PropagateToSource:
			e = impactEdge{cause: r.To, affected: r.From, grouping: rt.Grouping}
		case graph.PropagateToTarget:
			e = impactEdge{cause: r.From, affected: r.To}
		default:
			continue
		}
		if sub.Nodes[e.cause] == nil || sub.Nodes[e.affected] == nil {
			continue
		}
		out[e.cause] = append(out[e.cause], e)
		in[e.affected] = append(in[e.affected], e)
	}

	effect := map[string]Effect{}
	isSeed := map[string]bool{}
	var queue []string
	for _, s := range seeds {
		if sub.Nodes[s] == nil || isSeed[s] {
			continue
		}
		isSeed[s] = true
		effect[s] = Down
		queue = append(queue, s)
	}

	evaluate := func(id string) Effect {
		worst := Up
		var members, down int
		impactedMember := false
		for _, e := range in[id] {
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
			node := sub.Nodes[id]
			total := max(node.Members, members)
			if total-down < requiredHealthy(node.CI.Attributes, total) {
				worst = Down
			} else if impactedMember {
				worst = max(worst, Degraded)
			}
		}
		return worst
	}

	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, e := range out[id] {
			if isSeed[e.affected] {
				continue
			}
			if next := evaluate(e.affected); next > effect[e.affected] {
				effect[e.affected] = next
				queue = append(queue, e.affected)
			}
		}
	}

	dist, parent := explain(seeds, isSeed, effect, out)
	return State{Effect: effect, Distance: dist, Parent: parent}
}

// explain finds, breadth-first from the seeds, one shortest path made only
// of explaining edges: a cause with the same effect as the CI it affects
// through an ordinary relation, or, for a group, a DOWN member when the group
// is DOWN and any impacted member when it is DEGRADED.
func explain(seeds []string, isSeed map[string]bool, effect map[string]Effect, out map[string][]impactEdge) (map[string]int, map[string]string) {
	dist := map[string]int{}
	parent := map[string]string{}
	var queue []string
	for _, s := range seeds {
		if _, done := dist[s]; isSeed[s] && !done {
			dist[s] = 0
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		// Visit in a stable order so the chosen path does not depend on
		// map iteration or on the order a store returned edges in.
		edges := append([]impactEdge(nil), out[id]...)
		sort.Slice(edges, func(i, j int) bool { return edges[i].affected < edges[j].affected })
		for _, e := range edges {
			if _, done := dist[e.affected]; done || effect[e.affected] == Up {
				continue
			}
			explains := effect[e.cause] == effect[e.affected]
			if e.grouping {
				explains = effect[e.cause] == Down || (effect[e.affected] == Degraded && effect[e.cause] != Up)
			}
			if explains {
				dist[e.affected] = dist[id] + 1
				parent[e.affected] = id
				queue = append(queue, e.affected)
			}
		}
	}
	return dist, parent
}

// requiredHealthy is how many members of a group must be up for it to be
// up: the minHealthy count when set, else minHealthyPercent of the members
// (rounded up), else one. Values may arrive as JSON numbers or strings.
func requiredHealthy(attrs map[string]any, members int) int {
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

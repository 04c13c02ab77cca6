// Package impact computes how failure spreads through the configuration
// graph: blast radius (what breaks when some CIs go down) and dependencies
// (what a CI needs). It is pure Go over the subgraph a store returns, so both
// stores share one definition of the rules.
package impact

import (
	"math"
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

// State is the outcome of propagation over a subgraph. Only CIs that are
// hit (and the seeds) appear in its maps.
type State struct {
	Effect map[string]Effect
	// Distance and Parent describe one shortest explaining path from a seed.
	Distance map[string]int
	Parent   map[string]string
}

// Propagate marks the seeds DOWN and spreads failure through the subgraph
// with the rules of Walker.Run. Callers that propagate many times over one
// subgraph should index it once with NewGraph and reuse a Walker.
func Propagate(cat *graph.Catalogue, sub graph.Subgraph, seeds []string) State {
	return NewGraph(cat, sub).Propagate(seeds)
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

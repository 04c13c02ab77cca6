package spread

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// randomSubgraph mixes every propagation kind, groups with thresholds,
// members outside the subgraph, cycles and edges to unknown nodes.
func randomSubgraph(rng *rand.Rand, n, m int) graph.Subgraph {
	s := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	id := func(i int) string { return fmt.Sprintf("n%04d", i) }
	for i := range n {
		ci := graph.CI{ID: id(i), Name: id(i), Class: graph.ClassApplication}
		node := &graph.Node{CI: ci}
		if i%7 == 0 {
			node.CI.Class = graph.ClassCluster
			switch rng.Intn(3) {
			case 0:
				node.CI.Attributes = map[string]any{"minHealthy": float64(1 + rng.Intn(3))}
			case 1:
				node.CI.Attributes = map[string]any{"minHealthyPercent": "60%"}
			}
			node.Members = rng.Intn(3)
		}
		s.Nodes[id(i)] = node
	}
	types := []string{graph.RelDependsOn, graph.RelRunsOn, graph.RelHostedOn, graph.RelContains, graph.RelConnectsTo, "UNKNOWN"}
	for len(s.Edges) < m {
		a, b := rng.Intn(n), rng.Intn(n+3) // a few dangling ends
		if a == b {
			continue
		}
		typ := types[rng.Intn(len(types))]
		if b%7 == 0 && rng.Intn(2) == 0 {
			typ = graph.RelMemberOf
		}
		s.Edges = append(s.Edges, graph.Relation{From: id(a), Type: typ, To: id(b)})
	}
	return s
}

// TestMatchesImpactPropagate runs every node as a seed and compares
// effects and explaining distances with the reference implementation.
func TestMatchesImpactPropagate(t *testing.T) {
	cat := graph.DefaultCatalogue()
	for seed := int64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewSource(seed))
		sub := randomSubgraph(rng, 60, 20+int(seed)*25)
		g := New(cat, sub)
		w := g.NewWalker()
		for i, id := range g.IDs {
			want := impact.Propagate(cat, sub, []string{id})
			reached := w.Run(int32(i))
			if len(reached) != len(want.Effect) {
				t.Fatalf("graph %d seed %s: reached %d, want %d", seed, id, len(reached), len(want.Effect))
			}
			lastDist := int32(0)
			for k, n := range reached {
				nid := g.IDs[n]
				if w.Effect(n) != want.Effect[nid] {
					t.Fatalf("graph %d seed %s: %s is %v, want %v", seed, id, nid, w.Effect(n), want.Effect[nid])
				}
				d, ok := want.Distance[nid]
				if !ok {
					d = -1
				}
				if int(w.Distance(n)) != d {
					t.Fatalf("graph %d seed %s: %s at distance %d, want %d", seed, id, nid, w.Distance(n), d)
				}
				if k == 0 && n != int32(i) {
					t.Fatalf("seed not first")
				}
				if d >= 0 {
					if int32(d) < lastDist {
						t.Fatalf("explained nodes out of order")
					}
					lastDist = int32(d)
					if p := w.Path(n); len(p) != d+1 || p[0] != int32(i) || p[d] != n {
						t.Fatalf("bad path %v", p)
					}
				}
			}
		}
	}
}

func BenchmarkRunAll(b *testing.B) {
	cat := graph.DefaultCatalogue()
	sub := randomSubgraph(rand.New(rand.NewSource(1)), 500, 1500)
	g := New(cat, sub)
	w := g.NewWalker()
	b.ResetTimer()
	for range b.N {
		for i := range g.Len() {
			w.Run(int32(i))
		}
	}
}

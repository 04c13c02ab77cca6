package impact

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// randomSubgraph mixes every propagation kind, groups with thresholds,
// members outside the subgraph, cycles and edges to unknown nodes.
func randomSubgraph(rng *rand.Rand, n, m int) graph.Subgraph {
	s := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	id := func(i int) string { return fmt.Sprintf("n%04d", i) }
	for i := range n {
		node := &graph.Node{CI: graph.CIHead{ID: id(i), Name: id(i), Class: graph.ClassApplication}}
		if i%7 == 0 {
			node.CI.Class = graph.ClassCluster
			switch rng.Intn(3) {
			case 0:
				node.Attributes = map[string]any{"minHealthy": float64(1 + rng.Intn(3))}
			case 1:
				node.Attributes = map[string]any{"minHealthyPercent": "60%"}
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

// TestWalkerReuse runs every node as a seed on one reused Walker and
// compares each run with a fresh propagation (a new Graph and Walker), so
// that nothing of one run leaks into the next; it also checks the order
// Run promises and the paths it gives.
func TestWalkerReuse(t *testing.T) {
	cat := graph.DefaultCatalogue()
	for seed := int64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewSource(seed))
		sub := randomSubgraph(rng, 60, 20+int(seed)*25)
		g := NewGraph(cat, sub)
		w := g.NewWalker()
		spread := 0
		for i := range int32(g.Len()) {
			id := g.ID(i)
			want := Propagate(cat, sub, []string{id})
			reached := w.Run(i)
			if len(reached) != len(want.Effect) {
				t.Fatalf("graph %d seed %s: reached %d, want %d", seed, id, len(reached), len(want.Effect))
			}
			if len(reached) > 1 {
				spread++
			}
			lastDist := int32(0)
			for k, n := range reached {
				nid := g.ID(n)
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
				if k == 0 && n != i {
					t.Fatalf("graph %d seed %s: seed not first", seed, id)
				}
				if d < 0 {
					lastDist = 1 << 30 // unexplained nodes come last
					continue
				}
				if int32(d) < lastDist {
					t.Fatalf("graph %d seed %s: explained nodes out of order", seed, id)
				}
				lastDist = int32(d)
				if p := w.Path(n); len(p) != d+1 || p[0] != i || p[d] != n {
					t.Fatalf("graph %d seed %s: bad path %v to %s", seed, id, p, nid)
				}
			}
		}
		if spread == 0 {
			t.Fatalf("graph %d: no seed reached anything", seed)
		}
	}
}

// TestWalkerSeeds checks that several seeds, given in any order and with
// repeats, give the same propagation.
func TestWalkerSeeds(t *testing.T) {
	cat := graph.DefaultCatalogue()
	sub := randomSubgraph(rand.New(rand.NewSource(3)), 60, 120)
	g := NewGraph(cat, sub)
	w := g.NewWalker()
	first := fmt.Sprint(w.Run(4, 9, 20))
	effects := map[int32]Effect{}
	for _, n := range w.Run(4, 9, 20) {
		effects[n] = w.Effect(n)
	}
	if again := fmt.Sprint(w.Run(4, 9, 4, 20, 9)); again != first {
		t.Fatalf("repeated seeds: reached %s, want %s", again, first)
	}
	reached := w.Run(20, 4, 9)
	if len(reached) != len(effects) || len(reached) < 4 {
		t.Fatalf("reordered seeds: reached %d nodes, want %d (at least 4)", len(reached), len(effects))
	}
	for _, n := range reached {
		if w.Effect(n) != effects[n] {
			t.Fatalf("reordered seeds: %s is %v, want %v", g.ID(n), w.Effect(n), effects[n])
		}
	}
	if got := w.Run(); len(got) != 0 {
		t.Fatalf("no seeds: reached %v", got)
	}
}

// BenchmarkWalkerRunAll propagates from every node of a 500-CI graph in
// turn, as root-cause ranking does.
func BenchmarkWalkerRunAll(b *testing.B) {
	cat := graph.DefaultCatalogue()
	sub := randomSubgraph(rand.New(rand.NewSource(1)), 500, 1500)
	g := NewGraph(cat, sub)
	w := g.NewWalker()
	b.ResetTimer()
	for range b.N {
		for i := range int32(g.Len()) {
			w.Run(i)
		}
	}
}

// TestNewGraphNumbersInIDOrder: nodes are numbered in id order whatever
// the ids' lengths and shared prefixes (the sort compares the first eight
// bytes as a number first).
func TestNewGraphNumbersInIDOrder(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
	}{
		{"uuids", []string{"f47ac10b-58cc-4372-a567-0e02b2c3d479", "0b2c3d47-58cc-4372-a567-0e02b2c3d479", "f47ac10a-58cc-4372-a567-0e02b2c3d479"}},
		{"shared first eight bytes", []string{"abcdefgh-2", "abcdefgh-10", "abcdefgh-1", "abcdefgh"}},
		{"shorter than eight bytes", []string{"ab", "a", "ab\x00", "abc", "b", "ab\x00\x00\x01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := graph.Subgraph{Nodes: map[string]*graph.Node{}}
			for _, id := range tt.ids {
				sub.Nodes[id] = &graph.Node{CI: graph.CIHead{ID: id}}
			}
			g := NewGraph(graph.DefaultCatalogue(), sub)
			if g.Len() != len(tt.ids) {
				t.Fatalf("%d nodes, want %d", g.Len(), len(tt.ids))
			}
			want := slices.Sorted(slices.Values(tt.ids))
			for i, id := range want {
				if got := g.ID(int32(i)); got != id {
					t.Fatalf("node %d is %q, want %q (order %q)", i, got, id, want)
				}
				if g.nodes[i] != sub.Nodes[id] {
					t.Errorf("node %d does not hold %q's node", i, id)
				}
			}
		})
	}
}

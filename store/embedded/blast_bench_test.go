package embedded

import (
	"context"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

// BenchmarkBlastRadiusVsBFS puts the store call (Neighbourhood, 6 hops
// downstream) and the whole blast radius (Neighbourhood plus propagation)
// side by side with a bare Go BFS over the same adjacency, interleaved in
// one run so that a busy machine slows all three alike, for seeds whose
// radius is small, medium, large and most of the graph. It logs the
// medians and the ratios to the bare BFS (the target: the store
// call within 3×).
//
// The graph is storetest.BuildRandomGraph (skewed targets, so a few hubs)
// of RIPPLE_BENCH_CIS CIs (default 20,000) and five relations per CI.
func BenchmarkBlastRadiusVsBFS(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("RIPPLE_BENCH_CIS")); err == nil && v > 0 {
		n = v
	}
	s := newStore(b)
	ids := storetest.BuildRandomGraph(b, s, n, 5*n, 42)
	ctx := context.Background()
	adj, slotOf := bareAdjacency(s)

	// Seeds by the size of their reach: the smallest reach above 10, and
	// the ones nearest 1 %, 10 % and 40 % of the graph.
	sample := make([]string, 0, 400)
	for i := 0; i < 400; i++ {
		sample = append(sample, ids[i*len(ids)/400])
	}
	reach := make([]int, 0, len(sample))
	for _, id := range sample {
		reach = append(reach, len(bareBFS(adj, slotOf[id], 6)))
	}
	pick := func(target int) string {
		best := -1
		for i, r := range reach {
			if r > 10 && (best < 0 || abs(r-target) < abs(reach[best]-target)) {
				best = i
			}
		}
		return sample[best]
	}
	seeds := []struct {
		name string
		id   string
	}{{"small", pick(0)}, {"1%", pick(n / 100)}, {"10%", pick(n / 10)}, {"40%", pick(2 * n / 5)}}

	for _, sd := range seeds {
		b.Run(sd.name, func(b *testing.B) {
			q := graph.NeighbourhoodQuery{Seeds: []string{sd.id}, Direction: graph.Downstream, MaxDepth: 6}
			// Wall time and process CPU time (the latter unmoved by other
			// processes taking the cores, which on a shared machine make
			// wall times swing several-fold).
			var storeT, blastT, bareT, storeC, blastC, bareC []time.Duration
			var nodes, impacted, bare, edges int
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				sub, err := s.Neighbourhood(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				t1, c1 := time.Now(), cpuTime()
				br, err := impact.ComputeBlastRadius(ctx, s, q.Seeds, 6, nil)
				if err != nil {
					b.Fatal(err)
				}
				t2, c2 := time.Now(), cpuTime()
				reached := bareBFS(adj, slotOf[sd.id], 6)
				t3, c3 := time.Now(), cpuTime()
				storeT, blastT, bareT = append(storeT, t1.Sub(t0)), append(blastT, t2.Sub(t1)), append(bareT, t3.Sub(t2))
				storeC, blastC, bareC = append(storeC, c1-c0), append(blastC, c2-c1), append(bareC, c3-c2)
				nodes, impacted, bare, edges = len(sub.Nodes), len(br.Impacted), len(reached), len(sub.Edges)
			}
			if nodes != bare {
				b.Fatalf("store reached %d CIs, bare BFS %d", nodes, bare)
			}
			st, bl, ba := medianOf(storeT), medianOf(blastT), medianOf(bareT)
			stc, blc, bac := medianOf(storeC), medianOf(blastC), medianOf(bareC)
			b.ReportMetric(float64(nodes), "reached")
			b.ReportMetric(float64(edges), "edges")
			b.ReportMetric(float64(st)/float64(ba), "store/bfs")
			b.ReportMetric(float64(bl)/float64(ba), "blast/bfs")
			b.Logf("%d CIs, seed reaching %d (%d impacted), p50 of %d: wall: store call %v, blast radius %v, bare BFS %v (store/BFS %.1f×, blast/BFS %.1f×); CPU: %v, %v, %v (%.1f×, %.1f×)",
				n, nodes, impacted, len(storeT), st, bl, ba, ratio(st, ba), ratio(bl, ba), stc, blc, bac, ratio(stc, bac), ratio(blc, bac))
		})
	}
}

// bareAdjacency copies the store's downstream adjacency over the default
// propagating types into plain slices: the bare BFS's input.
func bareAdjacency(s *Store) ([][]int32, map[string]int32) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	toSource, toTarget, _ := s.cat.TraversalTypes(nil)
	steps := plan(s.mem, graph.Downstream, toSource, toTarget)
	adj := make([][]int32, len(s.mem.nodes))
	slotOf := make(map[string]int32, len(s.mem.nodes))
	for slot := range s.mem.nodes {
		n := &s.mem.nodes[slot]
		slotOf[n.id] = int32(slot)
		for _, st := range steps {
			lists := n.in
			if st.out {
				lists = n.out
			}
			for _, e := range edgesOf(lists, st.t) {
				adj[slot] = append(adj[slot], e.peer)
			}
		}
	}
	return adj, slotOf
}

// bareBFS is the floor: a breadth-first walk to maxDepth over int32
// adjacency, returning the nodes reached.
func bareBFS(adj [][]int32, seed int32, maxDepth int) []int32 {
	depth := make([]int8, len(adj))
	for i := range depth {
		depth[i] = -1
	}
	depth[seed] = 0
	queue := []int32{seed}
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		if int(depth[n]) >= maxDepth {
			continue
		}
		for _, p := range adj[n] {
			if depth[p] < 0 {
				depth[p] = depth[n] + 1
				queue = append(queue, p)
			}
		}
	}
	return queue
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

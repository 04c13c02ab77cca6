package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// BenchmarkNeighbourhood measures the blast-radius hot path: a 6-hop
// downstream traversal from the best-connected CI of a dense generated
// graph, built through Apply. The "levels-via-RelationsOf" case is the
// baseline: the same expansion written against the public API, one
// RelationsOf call per frontier, which is what a store without in-memory
// adjacency would make a client do.
func BenchmarkNeighbourhood(b *testing.B) {
	sizes := []struct {
		name         string
		cis, edges   int
		withBaseline bool
	}{
		{"2k-CIs-20k-relations", 2000, 20000, true},
		{"20k-CIs-100k-relations", 20000, 100000, false},
	}
	for _, size := range sizes {
		b.Run(size.name, func(b *testing.B) {
			s := newStore(b)
			ids := buildRandomGraph(b, s, size.cis, size.edges, 42)
			ctx := context.Background()
			q := graph.NeighbourhoodQuery{Seeds: ids[:1], Direction: graph.Downstream, MaxDepth: 6}
			b.Run("Neighbourhood", func(b *testing.B) {
				var sub graph.Subgraph
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if sub, err = s.Neighbourhood(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(sub.Nodes)), "nodes/op")
				b.ReportMetric(float64(len(sub.Edges)), "edges/op")
			})
			// The walk alone (depths and edge count, no result): the floor
			// that materialising the Subgraph adds to.
			b.Run("walk-only", func(b *testing.B) {
				toSource, toTarget, _ := s.Catalogue().TraversalTypes(nil)
				_, seed, _ := s.mem.lookup(q.Seeds[0])
				for b.Loop() {
					s.mu.RLock()
					w := s.newWalk(plan(s.mem, q.Direction, toSource, toTarget), int32(q.MaxDepth))
					if err := w.run(ctx, s.mem, []int32{seed}); err != nil {
						b.Fatal(err)
					}
					s.releaseWalk(w)
					s.mu.RUnlock()
				}
			})
			if !size.withBaseline {
				return
			}
			b.Run("levels-via-RelationsOf", func(b *testing.B) {
				toSource, toTarget, _ := s.Catalogue().TraversalTypes(nil)
				b.ReportAllocs()
				for b.Loop() {
					seen := map[string]bool{q.Seeds[0]: true}
					frontier := q.Seeds
					for d := 0; d < q.MaxDepth && len(frontier) > 0; d++ {
						in, err := s.RelationsOf(ctx, frontier, graph.Incoming, toSource)
						if err != nil {
							b.Fatal(err)
						}
						out, err := s.RelationsOf(ctx, frontier, graph.Outgoing, toTarget)
						if err != nil {
							b.Fatal(err)
						}
						var next []string
						for _, list := range in {
							for _, r := range list {
								if !seen[r.From] {
									seen[r.From] = true
									next = append(next, r.From)
								}
							}
						}
						for _, list := range out {
							for _, r := range list {
								if !seen[r.To] {
									seen[r.To] = true
									next = append(next, r.To)
								}
							}
						}
						frontier = next
					}
					ids := make([]string, 0, len(seen))
					for id := range seen {
						ids = append(ids, id)
					}
					if _, err := s.CIsByIDs(ctx, ids); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkApply1000 commits batches of 1000 new CIs, each with an
// identifier and a few attributes: the importer's write path, fsync
// included.
func BenchmarkApply1000(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := graph.Batch{Upserts: make([]graph.CIInput, 1000)}
		for i := range batch.Upserts {
			n++
			batch.Upserts[i] = graph.CIInput{Name: ptr(fmt.Sprintf("host-%07d", n)), Class: ptr(graph.ClassServer),
				Attributes:  map[string]any{"cpu": float64(8), "os": "linux"},
				Identifiers: []graph.Identifier{ident("serial", fmt.Sprintf("SN%07d", n))}}
		}
		b.StartTimer()
		res, err := s.Apply(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != 1000 {
			b.Fatalf("created %d", res.Created)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/upsert")
}

package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
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
			ids := storetest.BuildRandomGraph(b, s, size.cis, size.edges, 42)
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
				seed, _ := s.mem.lookup(q.Seeds[0])
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
			batch.Upserts[i] = graph.CIInput{Name: storetest.Ptr(fmt.Sprintf("host-%07d", n)), Class: storetest.Ptr(graph.ClassServer),
				Attributes:  map[string]any{"cpu": float64(8), "os": "linux"},
				Identifiers: []graph.Identifier{storetest.Ident("serial", fmt.Sprintf("SN%07d", n))}}
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

// BenchmarkListRecords measures the listings analyses run often, over 50k
// incidents (2% open) and 10k changes spread over two years, each record
// linked to one of 5k CIs. The data is staged in one transaction.
func BenchmarkListRecords(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	cis := make([]string, 5000)
	batch := graph.Batch{Upserts: make([]graph.CIInput, len(cis))}
	for i := range batch.Upserts {
		batch.Upserts[i] = storetest.Input(fmt.Sprintf("ci-%d", i), graph.ClassServer, storetest.Ident("serial", fmt.Sprint(i)))
	}
	res, err := s.Apply(ctx, batch)
	if err != nil {
		b.Fatal(err)
	}
	for i, ci := range res.CIs {
		cis[i] = ci.ID
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err = s.write(ctx, func(t *txn) error {
		for i := range 60000 {
			r := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "CLOSED",
				Links: []graph.RecordLink{{Role: "AFFECTS", CI: cis[i%len(cis)]}}, Doc: []byte(`{"title":"something broke"}`)}
			start := base.Add(time.Duration(i) * (2 * 365 * 24 * time.Hour / 60000))
			r.Start = &start
			if i >= 50000 {
				r.Kind, r.State = graph.KindChange, "DONE"
				end := start.Add(4 * time.Hour)
				r.End = &end
			} else if i%50 == 0 {
				r.State = "NEW"
			} else {
				end := start.Add(8 * time.Hour)
				r.End = &end
			}
			if _, err := t.putRecord(r, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Changes start after 20 months, incidents before.
	week := graph.RecordFilter{From: storetest.Ptr(base.AddDate(1, 10, 0)), To: storetest.Ptr(base.AddDate(1, 10, 7))}
	incWeek := graph.RecordFilter{From: storetest.Ptr(base.AddDate(1, 3, 0)), To: storetest.Ptr(base.AddDate(1, 3, 7))}
	cases := []struct {
		name string
		kind graph.RecordKind
		f    graph.RecordFilter
	}{
		{"incidents-first-page", graph.KindIncident, graph.RecordFilter{}},
		{"open-incidents", graph.KindIncident, graph.RecordFilter{States: []string{"NEW", "IN_PROGRESS"}}},
		{"incidents-on-a-CI", graph.KindIncident, graph.RecordFilter{CI: cis[42]}},
		{"open-incidents-on-a-CI", graph.KindIncident, graph.RecordFilter{CI: cis[100], States: []string{"NEW"}}},
		{"changes-overlapping-a-week", graph.KindChange, week},
		{"closed-incidents-overlapping-a-week", graph.KindIncident, graph.RecordFilter{States: []string{"CLOSED"}, From: incWeek.From, To: incWeek.To}},
		{"incidents-overlapping-a-week", graph.KindIncident, incWeek},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var p graph.RecordPage
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if p, err = s.ListRecords(ctx, c.kind, c.f, graph.Page{First: 50}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(p.TotalCount), "matches")
		})
	}
	b.Run("history-first-page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.History(ctx, cis[42], graph.Page{First: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkImportRun100k applies what an importer sends for a scope of
// 100,000 hosts: one batch of 100,000 upserts whose ledger write sees every
// one of them by identifier. "first" runs it into an empty store (every CI
// and sighting new); "rerun" repeats it on a store holding it (every upsert
// unchanged, every sighting rewritten), the steady state of a scheduled
// import; "ledger-only" applies the ledger write alone, by CI id.
func BenchmarkImportRun100k(b *testing.B) {
	const n = 100000
	ctx := context.Background()
	scope := graph.ScopeKey{Source: "nmap", Scope: "nmap:10.0.0.0/15"}
	batch := func(gen int64) graph.Batch {
		w := &graph.LedgerWrite{ScopeKey: scope, ExpectGeneration: gen, RunID: graph.NewID(), At: time.Now(),
			SeenCIs: make([]graph.CIRef, n)}
		bt := graph.Batch{Upserts: make([]graph.CIInput, n), Ledger: w}
		for i := range n {
			ip := storetest.Ident("ip", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
			in := storetest.Input(fmt.Sprintf("host-%06d", i), graph.ClassServer, ip)
			in.Attributes = map[string]any{"nmap.os": "Linux", "nmap.ports": []any{22.0, 443.0}}
			in.Source, in.Scope = scope.Source, scope.Scope
			bt.Upserts[i] = in
			w.SeenCIs[i] = graph.CIRef{Identifier: &ip}
		}
		return bt
	}
	check := func(b *testing.B, res graph.BatchResult, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if res.Created+res.Unchanged != n {
			b.Fatalf("result %d created, %d unchanged", res.Created, res.Unchanged)
		}
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s, err := Open(ctx, b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			bt := batch(0)
			b.StartTimer()
			res, err := s.Apply(ctx, bt)
			b.StopTimer()
			check(b, res, err)
			if err := s.Close(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("rerun", func(b *testing.B) {
		s := newStore(b)
		res, err := s.Apply(ctx, batch(0))
		check(b, res, err)
		gen := int64(1)
		for b.Loop() {
			b.StopTimer()
			bt := batch(gen)
			b.StartTimer()
			res, err := s.Apply(ctx, bt)
			check(b, res, err)
			gen++
		}
		if got, err := s.Sightings(ctx, scope); err != nil || len(got) != n {
			b.Fatalf("%d sightings, %v", len(got), err)
		}
	})
	b.Run("ledger-only", func(b *testing.B) {
		s := newStore(b)
		res, err := s.Apply(ctx, batch(0))
		check(b, res, err)
		gen := int64(1)
		for b.Loop() {
			w := &graph.LedgerWrite{ScopeKey: scope, ExpectGeneration: gen, RunID: graph.NewID(), At: time.Now(),
				SeenCIs: make([]graph.CIRef, n)}
			for i, ci := range res.CIs {
				w.SeenCIs[i] = graph.CIRef{ID: ci.ID}
			}
			if _, err := s.Apply(ctx, graph.Batch{Ledger: w}); err != nil {
				b.Fatal(err)
			}
			gen++
		}
	})
}

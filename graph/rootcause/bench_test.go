package rootcause_test

import (
	"math/rand"
	"testing"

	"github.com/ripple-cmdb/ripple/bench/rcabench"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// BenchmarkRank times one ranking on a whole ~500-CI estate passed as the
// subgraph, the worst case for its size: every CI is a candidate. The
// incidents come from a noisy rcabench trial.
func BenchmarkRank(b *testing.B) {
	cat := graph.DefaultCatalogue()
	for _, tc := range []struct {
		topology string
		scale    int
	}{{"microservices", 10}, {"redundant", 10}, {"random-dag", 9}} {
		b.Run(tc.topology, func(b *testing.B) {
			w := rcabench.Topologies[tc.topology](cat, rand.New(rand.NewSource(1)), tc.scale)
			t := rcabench.NewTrial(cat, w, rcabench.Settings[1], rand.New(rand.NewSource(2)))
			b.ResetTimer()
			for range b.N {
				rootcause.Rank(cat, w.Graph, t.Input, rootcause.Options{})
			}
			b.ReportMetric(float64(len(w.Graph.Nodes)), "CIs")
			b.ReportMetric(float64(len(t.Input.Incidents)), "incidents")
		})
	}
}

// BenchmarkPropagateEach is the naive alternative BenchmarkRank is measured
// against: impact.Propagate once per CI of the same estate.
func BenchmarkPropagateEach(b *testing.B) {
	cat := graph.DefaultCatalogue()
	w := rcabench.Microservices(cat, rand.New(rand.NewSource(1)), 10)
	b.ResetTimer()
	for range b.N {
		for id := range w.Graph.Nodes {
			impact.Propagate(cat, w.Graph, []string{id})
		}
	}
}

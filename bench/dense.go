// Package bench measures Ripple's stores side by side on the same generated
// data, interleaving the contenders inside one run so that a noisy, shared
// machine slows them alike and the ratios stay meaningful.
package bench

import (
	"fmt"
	"math/rand"

	"github.com/ripple-cmdb/ripple/graph"
)

// DenseGraph describes a generated estate: N CIs and M relations with a fixed
// seed, so every store gets identical data.
type DenseGraph struct {
	CIs, Relations int
	Seed           int64
}

// kind of CI i: every tenth is a redundancy group, every fiftieth (offset 1)
// a rack, the rest applications. Keeps every relation legal in the catalogue.
func denseClass(i int) string {
	switch {
	case i%10 == 0:
		return graph.ClassCluster
	case i%50 == 1:
		return graph.ClassRack
	default:
		return graph.ClassApplication
	}
}

// DenseName is the name (and "bench" identifier) of CI i.
func DenseName(i int) string { return fmt.Sprintf("ci-%05d", i) }

// Batches returns the graph as batches of at most size upserts or relations,
// CIs first; relations refer to CIs by their "bench" identifier.
func (d DenseGraph) Batches(size int) []graph.Batch {
	var out []graph.Batch
	cur := graph.Batch{}
	flush := func(force bool) {
		if force || len(cur.Upserts)+len(cur.Relate) >= size {
			if len(cur.Upserts)+len(cur.Relate) > 0 {
				out = append(out, cur)
			}
			cur = graph.Batch{}
		}
	}
	for i := 0; i < d.CIs; i++ {
		name, class := DenseName(i), denseClass(i)
		attrs := map[string]any(nil)
		if class == graph.ClassCluster {
			attrs = map[string]any{"minHealthy": 2}
		}
		cur.Upserts = append(cur.Upserts, graph.CIInput{Name: &name, Class: &class, Attributes: attrs,
			Identifiers: []graph.Identifier{{Kind: "bench", Value: name}}})
		flush(false)
	}
	flush(true)
	rng := rand.New(rand.NewSource(d.Seed))
	seen := map[[2]int]bool{}
	for n := 0; n < d.Relations; {
		a, b := rng.Intn(d.CIs), rng.Intn(d.CIs)
		if a == b || seen[[2]int{a, b}] {
			continue
		}
		seen[[2]int{a, b}] = true
		var typ string
		switch {
		case denseClass(b) == graph.ClassCluster && rng.Intn(2) == 0:
			typ = graph.RelMemberOf
		case denseClass(a) == graph.ClassRack:
			typ = graph.RelContains
		case rng.Intn(3) == 0:
			typ = graph.RelRunsOn
		default:
			typ = graph.RelDependsOn
		}
		cur.Relate = append(cur.Relate, graph.BatchRelation{From: benchRef(a), Type: typ, To: benchRef(b)})
		n++
		flush(false)
	}
	flush(true)
	return out
}

func benchRef(i int) graph.CIRef {
	return graph.CIRef{Identifier: &graph.Identifier{Kind: "bench", Value: DenseName(i)}}
}

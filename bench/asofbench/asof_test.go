// Package asofbench measures the cost of the graph as it was: an as-of
// blast radius on a graph with a long history of daily import churn, side
// by side with the blast radius of the same CI now, on the same store.
//
//	go test ./bench/asofbench -run '^$' -bench AsOf -benchtime 1x -v
//
// RIPPLE_BENCH_ASOF_CIS (default 10,000) and RIPPLE_BENCH_ASOF_ROUNDS
// (default 60 daily rounds) set the scale: 100000 and 365 are the issue's
// year of daily imports. RIPPLE_BENCH_ASOF_NEO4J=1 runs the Neo4j store
// too (at RIPPLE_TEST_NEO4J_URI, which it WIPES).
package asofbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/asof"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// estate is a layered graph: 1% databases, 10% applications each depending
// on two databases, the rest services/VMs each depending on two
// applications; churn rounds touch 1% of the CIs (an attribute each
// import run moves) and move 0.5% of the upper relations, as a daily
// discovery import does.
type estate struct {
	cis, rounds int
	rng         *rand.Rand
	dbs, apps   int
	upper       [][2]int // the upper layer's DEPENDS_ON relations (from, to) by index
	pending     []graph.BatchRelation
}

func name(i int) string { return fmt.Sprintf("ci-%07d", i) }

func (e *estate) class(i int) string {
	switch {
	case i < e.dbs:
		return graph.ClassDatabase
	case i < e.dbs+e.apps:
		return graph.ClassApplication
	default:
		return graph.ClassApplicationService
	}
}

func ref(i int) graph.CIRef {
	return graph.CIRef{Identifier: &graph.Identifier{Kind: "name", Value: name(i)}}
}

func (e *estate) load(ctx context.Context, s graph.Store) error {
	e.dbs, e.apps = max(e.cis/100, 1), max(e.cis/10, 1)
	const chunk = 5000
	for lo := 0; lo < e.cis; lo += chunk {
		var b graph.Batch
		for i := lo; i < min(lo+chunk, e.cis); i++ {
			n, cl := name(i), e.class(i)
			b.Upserts = append(b.Upserts, graph.CIInput{Name: &n, Class: &cl,
				Identifiers: []graph.Identifier{{Kind: "name", Value: n}}})
			var targets []int
			switch {
			case i < e.dbs:
			case i < e.dbs+e.apps:
				targets = []int{e.rng.IntN(e.dbs), e.rng.IntN(e.dbs)}
			default:
				targets = []int{e.dbs + e.rng.IntN(e.apps), e.dbs + e.rng.IntN(e.apps)}
			}
			for _, t := range dedupe(targets) {
				b.Relate = append(b.Relate, graph.BatchRelation{From: ref(i), Type: graph.RelDependsOn, To: ref(t)})
				if i >= e.dbs+e.apps {
					e.upper = append(e.upper, [2]int{i, t})
				}
			}
		}
		// Relations may point at CIs of a later chunk: create all CIs of
		// the estate before relating across chunks.
		rels := b.Relate
		b.Relate = nil
		if _, err := s.Apply(ctx, b); err != nil {
			return fmt.Errorf("load CIs: %w", err)
		}
		e.pending = append(e.pending, rels...)
	}
	for lo := 0; lo < len(e.pending); lo += chunk {
		if _, err := s.Apply(ctx, graph.Batch{Relate: e.pending[lo:min(lo+chunk, len(e.pending))]}); err != nil {
			return fmt.Errorf("load relations: %w", err)
		}
	}
	e.pending = nil
	return nil
}

func dedupe(v []int) []int { slices.Sort(v); return slices.Compact(v) }

// churn applies one daily round as an import would.
func (e *estate) churn(ctx context.Context, s graph.Store, round int) error {
	var b graph.Batch
	for range max(e.cis/100, 1) {
		i := e.rng.IntN(e.cis)
		n := name(i)
		b.Upserts = append(b.Upserts, graph.CIInput{Identifiers: []graph.Identifier{{Kind: "name", Value: n}},
			Attributes: map[string]any{"lastImport": round}})
	}
	moved := max(len(e.upper)/200, 1)
	for range moved {
		k := e.rng.IntN(len(e.upper))
		from, to := e.upper[k][0], e.upper[k][1]
		next := e.dbs + e.rng.IntN(e.apps)
		if next == to {
			continue
		}
		b.Unrelate = append(b.Unrelate, graph.BatchRelation{From: ref(from), Type: graph.RelDependsOn, To: ref(to)})
		b.Relate = append(b.Relate, graph.BatchRelation{From: ref(from), Type: graph.RelDependsOn, To: ref(next)})
		e.upper[k][1] = next
	}
	_, err := s.Apply(graph.WithActor(ctx, "import:bench"), b)
	return err
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkAsOfBlastRadius builds the estate and its history, then times
// the blast radius of the database with the most dependants now, as of the
// middle of the history and as of its first day, interleaved, and prints
// the medians and the ratios to the current one.
func BenchmarkAsOfBlastRadius(b *testing.B) {
	stores := []string{"embedded"}
	if os.Getenv("RIPPLE_BENCH_ASOF_NEO4J") == "1" {
		stores = append(stores, "neo4j")
	}
	for _, kind := range stores {
		b.Run(kind, func(b *testing.B) { run(b, kind) })
	}
}

func open(b *testing.B, kind string) graph.Store {
	ctx := context.Background()
	var s graph.Store
	var err error
	if kind == "embedded" {
		s, err = embedded.Open(ctx, b.TempDir(), graph.DefaultCatalogue())
	} else {
		uri := neo4jtest.Require(b)
		neo4jtest.Exclusive(b, uri)
		neo4jtest.Wipe(b, uri)
		s, err = neo4j.Open(ctx, neo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func run(b *testing.B, kind string) {
	ctx := context.Background()
	s := open(b, kind)
	e := &estate{cis: envInt("RIPPLE_BENCH_ASOF_CIS", 10000), rounds: envInt("RIPPLE_BENCH_ASOF_ROUNDS", 60),
		rng: rand.New(rand.NewPCG(42, 14))}
	t0 := time.Now()
	if err := e.load(ctx, s); err != nil {
		b.Fatal(err)
	}
	instants := make([]time.Time, 0, e.rounds)
	for r := range e.rounds {
		time.Sleep(2 * time.Millisecond)
		instants = append(instants, graph.Now())
		time.Sleep(2 * time.Millisecond)
		if err := e.churn(ctx, s, r); err != nil {
			b.Fatal(err)
		}
	}
	built := time.Since(t0)
	// The database with the most dependants now.
	seed, best := "", -1
	for i := range min(e.dbs, 20) {
		p, err := s.ListCIs(ctx, graph.CIFilter{Identifier: name(i)}, graph.Page{First: 1})
		if err != nil || len(p.CIs) != 1 {
			b.Fatalf("find %s: %v", name(i), err)
		}
		br, err := impact.ComputeBlastRadius(ctx, s, []string{p.CIs[0].ID}, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(br.Impacted) > best {
			seed, best = p.CIs[0].ID, len(br.Impacted)
		}
	}
	type contender struct {
		label string
		tr    func() graph.Traverser
		times []time.Duration
		size  int
	}
	cs := []*contender{
		{label: "now", tr: func() graph.Traverser { return s }},
		{label: fmt.Sprintf("as of day %d of %d", e.rounds/2+1, e.rounds), tr: func() graph.Traverser { return asof.At(s, instants[e.rounds/2]) }},
		{label: fmt.Sprintf("as of day 1 of %d", e.rounds), tr: func() graph.Traverser { return asof.At(s, instants[0]) }},
	}
	b.ResetTimer()
	for range max(b.N, 1) * 15 {
		for _, c := range cs {
			start := time.Now()
			br, err := impact.ComputeBlastRadius(ctx, c.tr(), []string{seed}, 0, nil)
			if err != nil {
				b.Fatal(err)
			}
			c.times = append(c.times, time.Since(start))
			c.size = len(br.Impacted)
		}
	}
	b.StopTimer()
	if cs[0].size == 0 || cs[1].size == 0 {
		b.Fatalf("empty blast radius: now %d, as of %d", cs[0].size, cs[1].size)
	}
	base := median(cs[0].times)
	fmt.Printf("\n%s: %d CIs, %d daily churn rounds (%d CI updates, %d relations moved per round), built in %s\n",
		kind, e.cis, e.rounds, max(e.cis/100, 1), max(len(e.upper)/200, 1), built.Round(time.Second))
	fmt.Printf("| blast radius | impacted | median | vs now |\n|---|---|---|---|\n")
	for _, c := range cs {
		m := median(c.times)
		fmt.Printf("| %s | %d | %s | %.1fx |\n", c.label, c.size, m.Round(time.Microsecond), float64(m)/float64(base))
	}
}

package rcabench

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Method ranks a trial's candidates; it returns CI ids, best first.
type Method struct {
	Name string
	Rank func(cat *graph.Catalogue, t *Trial, k int) []string
}

// RankMethod wraps rootcause.Rank with the given options. With down > 0
// the subgraph is first extended that many hops downstream, as a caller
// following Rank's advice would do.
func RankMethod(name string, down int, opt rootcause.Options) Method {
	return Method{Name: name, Rank: func(cat *graph.Catalogue, t *Trial, k int) []string {
		sub := t.Sub
		if down > 0 {
			sub = t.World.Downstream(cat, sub, down)
		}
		opt := opt
		opt.Limit = k
		var out []string
		for _, c := range rootcause.Rank(cat, sub, t.Input, opt) {
			out = append(out, c.CI)
		}
		return out
	}}
}

// Methods are the ranking under test (on the upstream subgraph, and with
// one more hop downstream), the oracle and the baselines.
func Methods() []Method {
	return []Method{
		RankMethod("uniform+d1", 1, rootcause.Options{UniformDetection: true}),
		RankMethod("rank", 0, rootcause.Options{}),
		RankMethod("rank+d1", 1, rootcause.Options{}),
		{Name: "oracle", Rank: func(_ *graph.Catalogue, t *Trial, k int) []string { return Oracle(t, k) }},
		{Name: "most-inc", Rank: MostIncidents},
		{Name: "deepest", Rank: DeepestAlerting},
		{Name: "pagerank", Rank: PageRank},
	}
}

// Config says what to measure.
type Config struct {
	Topologies []string
	Settings   []Setting
	Methods    []Method
	// Trials per (topology, setting); a fresh world is generated every
	// PerWorld trials, the same worlds for every setting.
	Trials, PerWorld int
	Scale            int
	Seed             int64
}

// Row is the outcome for one (topology, setting).
type Row struct {
	Topology, Setting string
	Trials            int
	// RootInSub counts trials whose root was inside the subgraph at all.
	RootInSub  int
	Top1, Top3 []int // by method, in Config.Methods order
	CIs        int   // mean subgraph size
}

// Run generates the trials and scores every method. Trials run in parallel
// but each has its own seed, so results do not depend on scheduling.
func Run(cat *graph.Catalogue, cfg Config) []Row {
	var rows []Row
	for _, topo := range cfg.Topologies {
		worlds := makeWorlds(cat, cfg, topo)
		for _, s := range cfg.Settings {
			rows = append(rows, runRow(cat, cfg, topo, s, worlds))
		}
	}
	return rows
}

// makeWorlds generates the worlds of one topology: one per PerWorld
// trials, the same for every setting.
func makeWorlds(cat *graph.Catalogue, cfg Config, topo string) []*World {
	worlds := make([]*World, (cfg.Trials+cfg.PerWorld-1)/cfg.PerWorld)
	for i := range worlds {
		worlds[i] = Topologies[topo](cat, rand.New(rand.NewSource(seed(cfg.Seed, topo, "world", i))), cfg.Scale)
	}
	return worlds
}

func runRow(cat *graph.Catalogue, cfg Config, topo string, s Setting, worlds []*World) Row {
	type result struct {
		inSub      bool
		size       int
		top1, top3 []bool
	}
	results := make([]result, cfg.Trials)
	coverage := make([]rootcause.Coverage, len(worlds))
	if s.History > 0 {
		for i, w := range worlds {
			coverage[i] = learnHistory(cat, cfg, topo, s, w, i)
		}
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				rng := rand.New(rand.NewSource(seed(cfg.Seed, topo, s.Name, i)))
				t := NewTrial(cat, worlds[i/cfg.PerWorld], s, rng)
				t.Input.Coverage = coverage[i/cfg.PerWorld]
				r := result{size: len(t.Sub.Nodes), top1: make([]bool, len(cfg.Methods)), top3: make([]bool, len(cfg.Methods))}
				r.inSub = t.Sub.Nodes[t.Root] != nil
				truth := newTruth(cat, t)
				for m, method := range cfg.Methods {
					for k, id := range method.Rank(cat, t, 3) {
						if truth.matches(id) {
							r.top1[m] = r.top1[m] || k == 0
							r.top3[m] = true
						}
					}
				}
				results[i] = r
			}
		})
	}
	for i := range cfg.Trials {
		next <- i
	}
	close(next)
	wg.Wait()
	row := Row{Topology: topo, Setting: s.Name, Trials: cfg.Trials, Top1: make([]int, len(cfg.Methods)), Top3: make([]int, len(cfg.Methods))}
	for _, r := range results {
		if r.inSub {
			row.RootInSub++
		}
		row.CIs += r.size
		for m := range cfg.Methods {
			if r.top1[m] {
				row.Top1[m]++
			}
			if r.top3[m] {
				row.Top3[m]++
			}
		}
	}
	row.CIs /= max(cfg.Trials, 1)
	return row
}

// learnHistory plays s.History earlier trials on world w, as incidents
// accumulate in a store, and learns coverage from them the way the
// product does: from the incidents and the subgraph around them, with no
// word of what really failed.
func learnHistory(cat *graph.Catalogue, cfg Config, topo string, s Setting, w *World, world int) rootcause.Coverage {
	episodes := make([]rootcause.Episode, s.History)
	for j := range episodes {
		t := NewTrial(cat, w, s, rand.New(rand.NewSource(seed(cfg.Seed, topo, s.Name, "history", world, j))))
		episodes[j] = rootcause.Episode{Sub: w.Downstream(cat, t.Sub, 1), Input: t.Input}
	}
	return rootcause.Learn(cat, episodes, rootcause.Options{})
}

// truth decides whether a candidate counts as correct: it is the root, or
// its failure would have exactly the same effects on the subgraph the
// ranking saw, so no method could tell them apart.
type truth struct {
	cat  *graph.Catalogue
	t    *Trial
	want map[string]impact.Effect
}

func newTruth(cat *graph.Catalogue, t *Trial) *truth {
	tr := &truth{cat: cat, t: t}
	if t.Sub.Nodes[t.Root] != nil {
		tr.want = impact.Propagate(cat, t.Sub, []string{t.Root}).Effect
	}
	return tr
}

func (tr *truth) matches(id string) bool {
	if id == tr.t.Root {
		return true
	}
	if tr.want == nil {
		return false
	}
	return reflect.DeepEqual(impact.Propagate(tr.cat, tr.t.Sub, []string{id}).Effect, tr.want)
}

func seed(base int64, parts ...any) int64 {
	h := fnv.New64a()
	fmt.Fprint(h, base)
	for _, p := range parts {
		fmt.Fprint(h, "/", p)
	}
	return int64(h.Sum64() >> 1)
}

// Legend explains the table.
const Legend = `Root-cause accuracy: share of trials whose true root is ranked first (@1) or
among the first three (@3). A candidate whose failure has exactly the same
effects (same CIs, same DOWN/DEGRADED) as the true root's within the subgraph
the ranking sees counts as correct: nothing observable separates them.
uniform+d1 = rootcause.Rank with one detection rate for every CI (the model
           before coverage was learned), on rank+d1's subgraph
rank     = rootcause.Rank, default options, on the depth-6 upstream subgraph
rank+d1  = the same with one hop downstream of that subgraph added: what
           the product ranks on
oracle   = likelihood with the generator's exact model and parameters on the
           full graph (practical ceiling; onset estimated, not known)
most-inc = CI with most incidents on itself and its dependants
deepest  = alerting CI with the most alerting CIs downstream
pagerank = personalised PageRank on the reversed graph, seeded at incident CIs
in-sub   = share of trials whose root lies in the upstream subgraph
CIs      = mean size of the upstream subgraph`

// Report writes the table and summary lines.
func Report(w io.Writer, cfg Config, rows []Row) {
	fmt.Fprintln(w, Legend)
	fmt.Fprintf(w, "%-14s %-32s %4s %4s %6s", "topology", "setting", "n", "CIs", "in-sub")
	for _, m := range cfg.Methods {
		fmt.Fprintf(w, " %14s", m.Name+" @1/@3")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.Repeat("-", 14+1+32+1+4+1+4+1+6+15*len(cfg.Methods)))
	for _, r := range rows {
		fmt.Fprintf(w, "%-14s %-32s %4d %4d %6.2f", r.Topology, r.Setting, r.Trials, r.CIs, frac(r.RootInSub, r.Trials))
		for m := range cfg.Methods {
			fmt.Fprintf(w, "    %.2f / %.2f", frac(r.Top1[m], r.Trials), frac(r.Top3[m], r.Trials))
		}
		fmt.Fprintln(w)
	}
	for _, s := range cfg.Settings {
		summarise(w, cfg, rows, s.Name)
	}
	summarise(w, cfg, rows, "")
	ratios(w, cfg, rows)
}

// ratios prints, as a Markdown table, each regime's mean accuracy over the
// topologies for the uniform model, the product's ranking and the oracle,
// and the ranking's share of the oracle's accuracy: the calibration table
// of the README.
func ratios(w io.Writer, cfg Config, rows []Row) {
	col := map[string]int{}
	for m, method := range cfg.Methods {
		col[method.Name] = m
	}
	uni, okU := col["uniform+d1"]
	rank, okR := col["rank+d1"]
	orc, okO := col["oracle"]
	if !okU || !okR || !okO {
		return
	}
	fmt.Fprintln(w, "| regime | uniform @1/@3 | ranking @1/@3 | oracle @1/@3 | ranking / oracle @1/@3 |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range cfg.Settings {
		var acc [3][2]float64
		n := 0
		for _, r := range rows {
			if r.Setting != s.Name {
				continue
			}
			n++
			for i, m := range []int{uni, rank, orc} {
				acc[i][0] += frac(r.Top1[m], r.Trials)
				acc[i][1] += frac(r.Top3[m], r.Trials)
			}
		}
		for i := range acc {
			acc[i][0] /= float64(max(n, 1))
			acc[i][1] /= float64(max(n, 1))
		}
		ratio := func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return a / b
		}
		fmt.Fprintf(w, "| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |\n", s.Name,
			acc[0][0], acc[0][1], acc[1][0], acc[1][1], acc[2][0], acc[2][1],
			ratio(acc[1][0], acc[2][0]), ratio(acc[1][1], acc[2][1]))
	}
}

// summarise prints, for one setting (or all when setting is empty), each
// method's mean accuracy and the worst row's gap to the oracle.
func summarise(w io.Writer, cfg Config, rows []Row, setting string) {
	oracle := -1
	for m, method := range cfg.Methods {
		if method.Name == "oracle" {
			oracle = m
		}
	}
	label := setting
	if label == "" {
		label = "all rows"
	}
	fmt.Fprintf(w, "summary %-32s", label+":")
	for m, method := range cfg.Methods {
		var a1, a3, worst1, worst3 float64
		n := 0
		for _, r := range rows {
			if setting != "" && r.Setting != setting {
				continue
			}
			n++
			a1 += frac(r.Top1[m], r.Trials)
			a3 += frac(r.Top3[m], r.Trials)
			if oracle >= 0 {
				worst1 = max(worst1, frac(r.Top1[oracle], r.Trials)-frac(r.Top1[m], r.Trials))
				worst3 = max(worst3, frac(r.Top3[oracle], r.Trials)-frac(r.Top3[m], r.Trials))
			}
		}
		fmt.Fprintf(w, " %s %.2f/%.2f", method.Name, a1/float64(max(n, 1)), a3/float64(max(n, 1)))
		if oracle >= 0 && m != oracle && m < oracle {
			fmt.Fprintf(w, " (worst gap to oracle %+.2f/%+.2f)", -worst1, -worst3)
		}
		fmt.Fprint(w, ";")
	}
	fmt.Fprintln(w)
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

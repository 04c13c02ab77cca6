package rcabench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// TestDiagnoseMisses prints, for one regime and topology, the trials where
// the oracle ranks the root first and the ranking does not: what each
// ranked first, their classes and owners, and the incidents per team.
// Run with RCABENCH_DIAG=<regime substring>[|topology].
func TestDiagnoseMisses(t *testing.T) {
	spec := os.Getenv("RCABENCH_DIAG")
	if spec == "" {
		t.Skip("set RCABENCH_DIAG to a regime name")
	}
	parts := strings.Split(spec, "|")
	var s Setting
	for _, x := range Settings {
		if strings.Contains(x.Name, parts[0]) {
			s = x
			break
		}
	}
	topo := "microservices"
	if len(parts) > 1 {
		topo = parts[1]
	}
	trials := 300
	if n, err := strconv.Atoi(os.Getenv("RCABENCH_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	cat := graph.DefaultCatalogue()
	cfg := Config{Trials: trials, PerWorld: 25, Scale: 3, Seed: 1}
	if n, err := strconv.ParseInt(os.Getenv("RCABENCH_SEED"), 10, 64); err == nil {
		cfg.Seed = n
	}
	rank := RankMethod("rank+d1", 1, rootcause.Options{})
	worlds := makeWorlds(cat, cfg, topo)
	var rOK, oOK, both int
	var gaps [4]int
	wonTies := 0
	for i := range cfg.Trials {
		rng := rand.New(rand.NewSource(seed(cfg.Seed, topo, s.Name, i)))
		w := worlds[i/cfg.PerWorld]
		tr := NewTrial(cat, w, s, rng)
		truth := newTruth(cat, tr)
		got := rank.Rank(cat, tr, 3)
		orc := cachedOracle(fmt.Sprintf("%s/%s/%d/%d", s.Name, topo, cfg.Seed, i), tr)
		r1 := len(got) > 0 && truth.matches(got[0])
		o1 := len(orc) > 0 && truth.matches(orc[0])
		if r1 {
			rOK++
		}
		if o1 {
			oOK++
		}
		if r1 && o1 {
			both++
		}
		if r1 && !o1 {
			o := newOracle(tr)
			lr, _ := o.logLikelihood(w.node(tr.Root))
			lo, _ := o.logLikelihood(w.node(orc[0]))
			if lo-lr < 0.5 {
				wonTies++
			}
		}
		if !r1 && o1 {
			o := newOracle(tr)
			lr, _ := o.logLikelihood(w.node(tr.Root))
			lg, _ := o.logLikelihood(w.node(got[0]))
			gap := lr - lg
			switch {
			case gap < 0.5:
				gaps[0]++
			case gap < 2:
				gaps[1]++
			case gap < 5:
				gaps[2]++
			default:
				gaps[3]++
			}
			if os.Getenv("RCABENCH_GAPS") != "" {
				fmt.Printf("miss %d: root %s rank %s oracle gap %.2f\n", i, tr.Root, got[0], gap)
			}
		}
		if r1 || !o1 || os.Getenv("RCABENCH_VERBOSE") == "" {
			continue
		}
		desc := func(id string) string {
			n := w.node(id)
			return fmt.Sprintf("%s(%s/%s)", id, w.class(n), w.owner(n))
		}
		fmt.Printf("trial %d root %s rank %v oracle %v\n", i, desc(tr.Root), mapDesc(got, desc), mapDesc(orc, desc))
		// Blast radii of root and rank's first, with incidents.
		for _, c := range []string{tr.Root, got[0]} {
			n := w.node(c)
			var parts []string
			for _, h := range w.blast[n] {
				id := w.idx.ID(h.node)
				if tr.Sub.Nodes[id] == nil && !inDown(cat, tr, id) {
					continue
				}
				cnt := 0
				for _, inc := range tr.Input.Incidents {
					if inc.AffectedCIs[0] == id {
						cnt++
					}
				}
				parts = append(parts, fmt.Sprintf("%s:%s/%s e%d d%d i%d", id, short(w.class(h.node)), w.owner(h.node), h.effect, h.dist, cnt))
			}
			fmt.Printf("  blast %s: %s\n", c, strings.Join(parts, "; "))
		}
		byOwner := map[string]int{}
		for _, inc := range tr.Input.Incidents {
			n := w.node(inc.AffectedCIs[0])
			byOwner[w.owner(n)+"/"+short(w.class(n))]++
		}
		keys := make([]string, 0, len(byOwner))
		for k := range byOwner {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var inc []string
		for _, k := range keys {
			inc = append(inc, fmt.Sprintf("%s=%d", k, byOwner[k]))
		}
		fmt.Printf("  incidents %d (symptoms %d): %s\n", len(tr.Input.Incidents), tr.Symptoms, strings.Join(inc, " "))
		sub := w.Downstream(cat, tr.Sub, 1)
		for _, c := range rootcause.Rank(cat, sub, tr.Input, rootcause.Options{Limit: 3}) {
			fmt.Printf("  cand %s score %.3f lo %.2f\n", c.CI, c.Score, c.LogOdds)
			for _, e := range c.Evidence {
				if e.Weight != 0 {
					fmt.Printf("    %s %.2f %s\n", e.Kind, e.Weight, e.Detail)
				}
			}
		}
		for _, id := range []string{tr.Root} {
			for _, c := range rootcause.Rank(cat, sub, tr.Input, rootcause.Options{Limit: -1}) {
				if c.CI == id {
					fmt.Printf("  ROOT %s score %.3f lo %.2f\n", c.CI, c.Score, c.LogOdds)
					for _, e := range c.Evidence {
						if e.Weight != 0 {
							fmt.Printf("    %s %.2f %s\n", e.Kind, e.Weight, e.Detail)
						}
					}
				}
			}
		}
	}
	fmt.Printf("rank@1 %d oracle@1 %d both %d of %d; misses by oracle log-likelihood gap <0.5 %d, <2 %d, <5 %d, more %d; ties won %d\n", rOK, oOK, both, cfg.Trials, gaps[0], gaps[1], gaps[2], gaps[3], wonTies)
	saveOracleCache()
}

var (
	oracleCache     map[string][]string
	oracleCachePath = os.TempDir() + "/rcabench-oracle-cache.json"
)

// cachedOracle keeps the oracle's rankings between runs: the trials are
// deterministic and the oracle is the slow part of a diagnosis.
func cachedOracle(key string, tr *Trial) []string {
	if oracleCache == nil {
		oracleCache = map[string][]string{}
		if b, err := os.ReadFile(oracleCachePath); err == nil {
			json.Unmarshal(b, &oracleCache)
		}
	}
	if r, ok := oracleCache[key]; ok || tr == nil {
		return r
	}
	r := Oracle(tr, 3)
	oracleCache[key] = r
	return r
}

func saveOracleCache() {
	if b, err := json.Marshal(oracleCache); err == nil {
		os.WriteFile(oracleCachePath, b, 0o644)
	}
}

func inDown(cat *graph.Catalogue, tr *Trial, id string) bool {
	return tr.World.Downstream(cat, tr.Sub, 1).Nodes[id] != nil
}

func short(class string) string {
	if len(class) > 6 {
		return class[:6]
	}
	return class
}

func mapDesc(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}

// TestQuickEval prints each regime's ranking/oracle ratio at @1 and @3,
// with the oracle's rankings cached between runs. RCABENCH_QUICK names a
// regime substring ("" for all is "all").
func TestQuickEval(t *testing.T) {
	spec := os.Getenv("RCABENCH_QUICK")
	if spec == "" {
		t.Skip()
	}
	cat := graph.DefaultCatalogue()
	cfg := Config{Trials: 300, PerWorld: 25, Scale: 3, Seed: 1}
	if n, err := strconv.ParseInt(os.Getenv("RCABENCH_SEED"), 10, 64); err == nil {
		cfg.Seed = n
	}
	if n, err := strconv.Atoi(os.Getenv("RCABENCH_TRIALS")); err == nil && n > 0 {
		cfg.Trials = n
	}
	rank := RankMethod("rank+d1", 1, rootcause.Options{})
	var mu sync.Mutex
	for _, s := range Settings {
		if spec != "all" && !strings.Contains(s.Name, spec) {
			continue
		}
		var r1, r3, o1, o3 float64
		for _, topo := range TopologyNames {
			worlds := makeWorlds(cat, cfg, topo)
			var coverage []rootcause.Coverage
			if s.History > 0 {
				for i, w := range worlds {
					coverage = append(coverage, learnHistory(cat, cfg, topo, s, w, i))
				}
			}
			var a1, a3, b1, b3 int
			var wg sync.WaitGroup
			next := make(chan int)
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for i := range next {
						tr := NewTrial(cat, worlds[i/cfg.PerWorld], s, rand.New(rand.NewSource(seed(cfg.Seed, topo, s.Name, i))))
						if coverage != nil {
							tr.Input.Coverage = coverage[i/cfg.PerWorld]
						}
						truth := newTruth(cat, tr)
						got := rank.Rank(cat, tr, 3)
						mu.Lock()
						orc := cachedOracle(fmt.Sprintf("%s/%s/%d/%d", s.Name, topo, cfg.Seed, i), nil)
						mu.Unlock()
						if orc == nil {
							orc = Oracle(tr, 3)
							mu.Lock()
							oracleCache[fmt.Sprintf("%s/%s/%d/%d", s.Name, topo, cfg.Seed, i)] = orc
							mu.Unlock()
						}
						x1, x3, y1, y3 := score(truth, got), 0, score(truth, orc), 0
						_ = x3
						_ = y3
						mu.Lock()
						a1 += x1 & 1
						a3 += x1 >> 1
						b1 += y1 & 1
						b3 += y1 >> 1
						mu.Unlock()
					}
				})
			}
			for i := range cfg.Trials {
				next <- i
			}
			close(next)
			wg.Wait()
			n := float64(cfg.Trials)
			r1 += float64(a1) / n / 4
			r3 += float64(a3) / n / 4
			o1 += float64(b1) / n / 4
			o3 += float64(b3) / n / 4
			fmt.Printf("  %-14s %s: rank %d/%d oracle %d/%d\n", topo, s.Name, a1, a3, b1, b3)
		}
		fmt.Printf("%-34s rank %.3f/%.3f oracle %.3f/%.3f ratio %.3f/%.3f\n", s.Name, r1, r3, o1, o3, r1/o1, r3/o3)
	}
	saveOracleCache()
}

// score is 1 when the first is right, plus 2 when any of the three is.
func score(tr *truth, ids []string) int {
	s := 0
	for k, id := range ids {
		if tr.matches(id) {
			if k == 0 {
				s |= 1
			}
			s |= 2
		}
	}
	return s
}

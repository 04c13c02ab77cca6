package rcabench

import (
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// BenchmarkRootCauseAccuracy prints the accuracy table. Run it once:
//
//	go test ./bench/rcabench -run '^$' -bench RootCauseAccuracy -benchtime 1x
//
// The time it reports is the whole harness (300 trials per topology and
// regime, seven methods), not one ranking; BenchmarkRank in package
// rootcause measures that. RCABENCH_REGIMES (a substring of the regime
// names), RCABENCH_TRIALS and RCABENCH_METHODS (comma-separated method
// names, e.g. "uniform+d1,rank+d1,oracle") narrow a run while iterating;
// RCABENCH_SEED draws other worlds and trials, to tell a gain from noise.
func BenchmarkRootCauseAccuracy(b *testing.B) {
	cat := graph.DefaultCatalogue()
	cfg := Config{Topologies: TopologyNames, Settings: Settings, Methods: Methods(), Trials: 300, PerWorld: 25, Scale: 3, Seed: 1}
	if only := os.Getenv("RCABENCH_REGIMES"); only != "" {
		cfg.Settings = nil
		for _, s := range Settings {
			if strings.Contains(s.Name, only) {
				cfg.Settings = append(cfg.Settings, s)
			}
		}
	}
	if n, err := strconv.Atoi(os.Getenv("RCABENCH_TRIALS")); err == nil && n > 0 {
		cfg.Trials = n
	}
	if n, err := strconv.ParseInt(os.Getenv("RCABENCH_SEED"), 10, 64); err == nil {
		cfg.Seed = n
	}
	if only := os.Getenv("RCABENCH_METHODS"); only != "" {
		cfg.Methods = nil
		for _, m := range Methods() {
			if slices.Contains(strings.Split(only, ","), m.Name) {
				cfg.Methods = append(cfg.Methods, m)
			}
		}
	}
	for range b.N {
		// Printed rather than logged: benchmark logs are cut to a few lines.
		Report(os.Stdout, cfg, Run(cat, cfg))
	}
}

// TestCleanTop3Accuracy guards the easy case: with every symptom present
// and no noise, the true root must be in the top three at least 90% of the
// time on every topology.
func TestCleanTop3Accuracy(t *testing.T) {
	cat := graph.DefaultCatalogue()
	cfg := Config{Topologies: TopologyNames, Settings: Settings[:1], Methods: Methods()[1:2], Trials: 100, PerWorld: 25, Scale: 3, Seed: 7}
	for _, r := range Run(cat, cfg) {
		top1, top3 := frac(r.Top1[0], r.Trials), frac(r.Top3[0], r.Trials)
		t.Logf("%s: top-1 %.2f, top-3 %.2f", r.Topology, top1, top3)
		if top3 < 0.9 {
			t.Errorf("%s clean: top-3 accuracy %.2f, want at least 0.90", r.Topology, top3)
		}
	}
}

// TestLearnTeams checks that the history of the teams regime teaches what
// the generator put in it: the platform team never alerts, the payments
// team's alerts are mostly noise. Learning sees only incidents and
// topology, never the generator's settings.
func TestLearnTeams(t *testing.T) {
	cat := graph.DefaultCatalogue()
	var s Setting
	for _, x := range Settings {
		if x.Name == "teams, 40 earlier trials" {
			s = x
		}
	}
	if s.History == 0 {
		t.Fatal("no teams regime with a history")
	}
	cfg := Config{Seed: 5}
	for _, topo := range []string{"microservices", "shared-db"} {
		w := Topologies[topo](cat, rand.New(rand.NewSource(5)), 3)
		cov := learnHistory(cat, cfg, topo, s, w, 0)
		platform, payments, overall := cov.Owners[ownerPlatform], cov.Owners["payments"], cov.Overall
		t.Logf("%s: platform %+v, payments %+v, overall %+v", topo, platform, payments, overall)
		if platform.Weight < 10 || platform.Down > overall.Down/3 {
			t.Errorf("%s: platform team %+v: want a detection far below the overall %.2f, backed by its record", topo, platform, overall.Down)
		}
		if payments.Noise < 2 {
			t.Errorf("%s: payments team noise factor %.2f, want well above 1", topo, payments.Noise)
		}
	}
}

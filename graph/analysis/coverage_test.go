package analysis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// coverageWorld is a hypervisor under three VMs, each running an
// application, with a clock that ticks a second per read and can jump.
type coverageWorld struct {
	t   *testing.T
	svc *itsm.Service
	ids map[string]string
	mu  sync.Mutex
	now time.Time
}

func newCoverageWorld(t *testing.T, s graph.Store) *coverageWorld {
	ctx := context.Background()
	w := &coverageWorld{t: t, svc: itsm.New(s), ids: map[string]string{}, now: testNow}
	w.svc.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); w.now = w.now.Add(time.Second); return w.now }
	add := func(name, class string) {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		w.ids[name] = res.CI.ID
	}
	rel := func(from, typ, to string) {
		if _, err := s.Relate(ctx, w.ids[from], typ, w.ids[to]); err != nil {
			t.Fatal(err)
		}
	}
	add("hv", graph.ClassHypervisor)
	for _, n := range []string{"vm1", "vm2", "vm3"} {
		add(n, graph.ClassVirtualMachine)
		rel(n, graph.RelHostedOn, "hv")
	}
	for i, n := range []string{"app1", "app2", "app3"} {
		add(n, graph.ClassApplication)
		rel(n, graph.RelRunsOn, []string{"vm1", "vm2", "vm3"}[i])
	}
	return w
}

func (w *coverageWorld) open(ci string, at time.Time) *itsm.Incident {
	inc, err := w.svc.CreateIncident(context.Background(), itsm.CreateIncidentInput{Title: ci + " down", AffectedCIs: []string{w.ids[ci]}, Impact: new(1), OpenedAt: &at, OutageStart: &at})
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

// history: every week for six weeks the hypervisor failed and only the
// applications raised incidents, then resolved.
func (w *coverageWorld) history() {
	for week := 1; week <= 6; week++ {
		at := testNow.Add(-time.Duration(week) * 7 * 24 * time.Hour)
		for i, app := range []string{"app1", "app2", "app3"} {
			inc := w.open(app, at.Add(time.Duration(i)*time.Minute))
			for step, to := range []itsm.IncidentState{itsm.IncidentInProgress, itsm.IncidentResolved} {
				if _, err := w.svc.TransitionIncidentAt(context.Background(), inc.ID, to, "hypervisor rebooted", at.Add(time.Duration(10+step*50)*time.Minute)); err != nil {
					w.t.Fatal(err)
				}
			}
		}
	}
}

// missing ranks the open incidents: the top candidate, and the weight of
// the MISSING_SYMPTOMS evidence against hv.
func (w *coverageWorld) missing(a *analysis.Analyst) (string, float64) {
	w.t.Helper()
	ranked, err := a.RootCauseCandidates(context.Background(), nil, nil, 5)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(ranked) == 0 {
		w.t.Fatal("no candidates")
	}
	var weight float64
	for _, rc := range ranked {
		if rc.CI.ID != w.ids["hv"] {
			continue
		}
		for _, e := range rc.Evidence {
			if e.Kind == rootcause.EvidenceMissing {
				weight += e.Weight
			}
		}
	}
	return ranked[0].CI.Name, weight
}

// The store's incident history teaches the ranking which CIs stay silent
// when they fail: after weeks of hypervisor failures seen only on the
// applications above, the silent VMs and hypervisor no longer count against
// the hypervisor as the cause.
func TestRootCauseLearnsCoverageFromHistory(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		w := newCoverageWorld(t, s)
		// Now: app1 and app2 are down, app3 has not raised anything yet.
		w.open("app1", testNow.Add(-10*time.Minute))
		w.open("app2", testNow.Add(-8*time.Minute))
		_, before := w.missing(analysis.New(w.svc))
		w.history()
		top, after := w.missing(analysis.New(w.svc))
		if top != "hv" {
			t.Errorf("top candidate %s after the history, want hv", top)
		}
		if before >= 0 || after < before/2 {
			t.Errorf("silent CIs weigh %.2f against hv before the history and %.2f after: want the history to take most of it away", before, after)
		}
		t.Logf("MISSING_SYMPTOMS weight on hv: %.2f with no history, %.2f after six weeks of it", before, after)
	})
}

// Stale coverage is served at once and relearned in the background: the
// ranking after the TTL still uses the old estimate, a later one the new.
func TestCoverageRelearnsInTheBackground(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		w := newCoverageWorld(t, s)
		w.open("app1", testNow.Add(-10*time.Minute))
		w.open("app2", testNow.Add(-8*time.Minute))
		a := analysis.New(w.svc)
		missing := func() float64 { _, m := w.missing(a); return m }
		before := missing()
		w.history()
		if got := missing(); got != before {
			t.Fatalf("within the TTL the learned coverage moved: %.3f, was %.3f", got, before)
		}
		w.mu.Lock()
		w.now = w.now.Add(11 * time.Minute)
		w.mu.Unlock()
		if got := missing(); got != before {
			t.Fatalf("the ranking that found the coverage stale waited for relearning: %.3f, was %.3f", got, before)
		}
		deadline := time.Now().Add(30 * time.Second)
		for missing() == before {
			if time.Now().After(deadline) {
				t.Fatal("the coverage was not relearned in the background within 30 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

package analysis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// testNow is a Monday morning in November.
var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// estate:
//
//	Shop -> checkout -> checkout-app -> shared-db -> db-vm (RUNS_ON)
//	Shop -> search   -> search-app   -> shared-db
//	checkout-app -> web-tier (minHealthy 2) <- web-1, web-2, web-3 (MEMBER_OF)
type estate map[string]graph.CI

func build(t *testing.T, s graph.Store) estate {
	t.Helper()
	ctx := context.Background()
	e := estate{}
	add := func(name, class string, crit graph.Criticality, attrs map[string]any) {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class, Criticality: &crit, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		e[name] = res.CI
	}
	add("Shop", graph.ClassBusinessService, graph.CriticalityCritical, nil)
	add("checkout", graph.ClassApplicationService, graph.CriticalityHigh, nil)
	add("search", graph.ClassApplicationService, graph.CriticalityMedium, nil)
	add("checkout-app", graph.ClassApplication, graph.CriticalityHigh, nil)
	add("search-app", graph.ClassApplication, graph.CriticalityMedium, nil)
	add("shared-db", graph.ClassDatabase, graph.CriticalityHigh, nil)
	add("db-vm", graph.ClassVirtualMachine, graph.CriticalityHigh, nil)
	add("web-tier", graph.ClassCluster, graph.CriticalityHigh, map[string]any{"minHealthy": 2})
	for _, w := range []string{"web-1", "web-2", "web-3"} {
		add(w, graph.ClassVirtualMachine, graph.CriticalityLow, nil)
	}
	rel := func(from, typ, to string) {
		if _, err := s.Relate(ctx, e[from].ID, typ, e[to].ID); err != nil {
			t.Fatal(err)
		}
	}
	rel("Shop", graph.RelDependsOn, "checkout")
	rel("Shop", graph.RelDependsOn, "search")
	rel("checkout", graph.RelDependsOn, "checkout-app")
	rel("search", graph.RelDependsOn, "search-app")
	rel("checkout-app", graph.RelDependsOn, "shared-db")
	rel("search-app", graph.RelDependsOn, "shared-db")
	rel("shared-db", graph.RelRunsOn, "db-vm")
	rel("checkout-app", graph.RelDependsOn, "web-tier")
	for _, w := range []string{"web-1", "web-2", "web-3"} {
		rel(w, graph.RelMemberOf, "web-tier")
	}
	return e
}

func setup(t *testing.T, s graph.Store) (*analysis.Analyst, *itsm.Service, estate) {
	svc := itsm.New(s)
	now := testNow
	svc.Now = func() time.Time { now = now.Add(time.Second); return now }
	return analysis.New(svc), svc, build(t, s)
}

func change(t *testing.T, svc *itsm.Service, typ itsm.ChangeType, start time.Time, hours int, targets ...graph.CI) *itsm.Change {
	t.Helper()
	var ids []string
	for _, c := range targets {
		ids = append(ids, c.ID)
	}
	c, err := svc.CreateChange(context.Background(), itsm.CreateChangeInput{Title: "change on " + targets[0].Name, Type: typ,
		TargetCIs: ids, PlannedStart: start, PlannedEnd: start.Add(time.Duration(hours) * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hasFactor(ci *analysis.ChangeImpact, factor string) bool {
	for _, r := range ci.Reasons {
		if r.Factor == factor {
			return true
		}
	}
	return false
}

func TestChangeImpact(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		start := testNow.Add(48 * time.Hour)
		onApp := change(t, svc, itsm.ChangeNormal, start, 2, e["checkout-app"])
		onVM := change(t, svc, itsm.ChangeNormal, start.Add(time.Hour), 2, e["db-vm"])     // overlaps, different CI, shared blast
		later := change(t, svc, itsm.ChangeNormal, start.Add(24*time.Hour), 2, e["db-vm"]) // no overlap
		onWeb := change(t, svc, itsm.ChangeStandard, start.Add(7*24*time.Hour), 1, e["web-1"])

		ci, err := a.ChangeImpact(ctx, onApp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ci.Collided) != 1 || ci.Collided[0].Change.ID != onVM.ID {
			t.Fatalf("collisions %+v, want only the overlapping db-vm change", ci.Collided)
		}
		shared := map[string]bool{}
		for _, id := range ci.Collided[0].Shared {
			shared[id] = true
		}
		if !shared[e["checkout-app"].ID] || !shared[e["Shop"].ID] || shared[e["search"].ID] {
			t.Fatalf("shared CIs %v", ci.Collided[0].Shared)
		}
		if !hasFactor(ci, analysis.FactorCollision) || !hasFactor(ci, analysis.FactorCriticality) || !hasFactor(ci, analysis.FactorLeadTime) {
			t.Fatalf("reasons %v", ci.Reasons)
		}
		_ = later

		vm, err := a.ChangeImpact(ctx, onVM.ID)
		if err != nil {
			t.Fatal(err)
		}
		web, err := a.ChangeImpact(ctx, onWeb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !(vm.RiskScore > web.RiskScore) || vm.RiskScore > 100 || web.RiskScore < 0 {
			t.Fatalf("risk: db-vm %d (%v) vs redundant web-1 %d (%v)", vm.RiskScore, vm.Reasons, web.RiskScore, web.Reasons)
		}
		if !hasFactor(web, analysis.FactorRedundancy) {
			t.Fatalf("web-1 change should cost redundancy headroom: %v", web.Reasons)
		}
		for _, svcHit := range web.Blast.Services {
			if svcHit.Effect.String() != "DEGRADED" {
				t.Fatalf("one web node down should only degrade services: %+v", svcHit)
			}
		}

		// A freeze on the shop shows as a violation and adds risk.
		if _, err := svc.CreateWindow(ctx, itsm.CreateWindowInput{Name: "peak", Kind: itsm.WindowFreeze,
			Start: start.Add(-time.Hour), End: start.Add(time.Hour), Scope: []string{e["Shop"].ID}}); err != nil {
			t.Fatal(err)
		}
		assessed, err := a.AssessChange(graph.WithActor(ctx, "cab"), onApp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(assessed.Freezes) != 1 || !hasFactor(assessed, analysis.FactorFreeze) || assessed.RiskScore <= ci.RiskScore {
			t.Fatalf("freeze: %d violations, score %d (was %d)", len(assessed.Freezes), assessed.RiskScore, ci.RiskScore)
		}
		stored, _ := svc.GetChange(ctx, onApp.ID)
		if stored.Assessment == nil || stored.Assessment.RiskScore != assessed.RiskScore || stored.Assessment.Actor != "cab" {
			t.Fatalf("assessment not stored: %+v", stored.Assessment)
		}
		_, err = a.ChangeImpact(ctx, graph.NewID())
		if graph.ErrorCode(err) != graph.CodeNotFound || graph.ErrorField(err) != "changeId" {
			t.Fatalf("missing change: %v", err)
		}
	})
}

func TestSLAAtRisk(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		targets := []itsm.PriorityTarget{{Priority: itsm.P1, Response: 15 * time.Minute, Resolution: 4 * time.Hour},
			{Priority: itsm.P3, Response: 4 * time.Hour, Resolution: 3 * 24 * time.Hour}}
		mkSLA := func(service string, target float64) {
			if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e[service].ID, Name: service + " SLA",
				AvailabilityTarget: target, Targets: targets, ServiceHours: sla.ServiceHours{Always: true}}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e["db-vm"].ID, Name: "x", AvailabilityTarget: 99})
		if graph.ErrorField(err) != "serviceId" {
			t.Fatalf("SLA on a VM: %v", err)
		}
		mkSLA("Shop", 99.9)   // 43.2 min a month
		mkSLA("search", 99.0) // 7.2 h a month
		mkSLA("checkout", 99.0)

		// 50 minutes of outage on the database this month breaches the shop.
		start, end := testNow.Add(-5*time.Hour), testNow.Add(-4*time.Hour+10*time.Minute)
		old, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "db outage", AffectedCIs: []string{e["shared-db"].ID},
			Impact: ptr(1), Urgency: ptr(1), OpenedAt: &start, OutageStart: &start})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateIncident(ctx, old.ID, itsm.UpdateIncidentInput{OutageEnd: &end}); err != nil {
			t.Fatal(err)
		}
		svc.TransitionIncident(ctx, old.ID, itsm.IncidentInProgress, "")
		if _, err := svc.TransitionIncident(ctx, old.ID, itsm.IncidentResolved, ""); err != nil {
			t.Fatal(err)
		}
		// A P1 on search opened 12 minutes ago: 3 minutes left to respond.
		opened := testNow.Add(-12 * time.Minute)
		if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "search errors", AffectedCIs: []string{e["search-app"].ID},
			Impact: ptr(1), Urgency: ptr(1), OpenedAt: &opened}); err != nil {
			t.Fatal(err)
		}
		// A scheduled 10-hour outage of the checkout app this month.
		c := change(t, svc, itsm.ChangeStandard, testNow.Add(48*time.Hour), 10, e["checkout-app"])
		if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", ""); err != nil {
			t.Fatal(err)
		}

		got, err := a.SLAAtRisk(ctx, testNow)
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]analysis.ServiceSLAStatus{}
		for _, st := range got {
			status[st.Service.Name] = st
		}
		want := map[string]string{"Shop": analysis.StatusBreached, "search": analysis.StatusAtRisk, "checkout": analysis.StatusAtRisk}
		for name, w := range want {
			st := status[name]
			if st.Status != w || len(st.Reasons) == 0 {
				t.Errorf("%s: %s %v, want %s with reasons", name, st.Status, st.Reasons, w)
			}
		}
		if !strings.Contains(strings.Join(status["search"].Reasons, ";"), "response") {
			t.Errorf("search reasons %v, want the response clock", status["search"].Reasons)
		}
		if len(status["checkout"].Changes) != 1 || status["checkout"].Changes[0].PlannedDowntime != 10*time.Hour {
			t.Errorf("checkout changes %+v", status["checkout"].Changes)
		}
		if r := strings.Join(status["checkout"].Reasons, ";"); !strings.Contains(r, `"change on checkout-app" (SCHEDULED, 10h)`) {
			t.Errorf("checkout reasons %v, want the change named", r)
		}
		if got[0].Status != analysis.StatusBreached {
			t.Errorf("breached services come first: %s", got[0].Status)
		}
	})
}

func TestRootCauseCandidates(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		// A change on the database ended 20 minutes before the incidents.
		c := change(t, svc, itsm.ChangeStandard, testNow.Add(-3*time.Hour), 1, e["shared-db"])
		svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
		svc.TransitionChange(ctx, c.ID, itsm.ChangeImplementing, "", "")
		svc.TransitionChange(ctx, c.ID, itsm.ChangeReview, "", "")
		var ids []string
		for i, name := range []string{"checkout-app", "search-app", "checkout", "Shop"} {
			opened := testNow.Add(time.Duration(-15+i) * time.Minute)
			inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: name + " failing", AffectedCIs: []string{e[name].ID},
				Impact: ptr(1), Urgency: ptr(2), OpenedAt: &opened, OutageStart: &opened})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, inc.ID)
		}
		// Noise: an unrelated degraded web node.
		if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "web-2 disk", AffectedCIs: []string{e["web-2"].ID}, Impact: ptr(3)}); err != nil {
			t.Fatal(err)
		}
		for _, query := range []struct {
			name string
			ids  []string
		}{{"given incidents", ids}, {"all open incidents", nil}} {
			t.Run(query.name, func(t *testing.T) {
				since := testNow.Add(-time.Hour)
				got, err := a.RootCauseCandidates(ctx, query.ids, &since, 5)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					t.Fatal("no candidates")
				}
				top := got[0]
				if top.CI.ID != e["shared-db"].ID && top.CI.ID != e["db-vm"].ID {
					t.Fatalf("top candidate %s (%.2f), want the shared database or its VM; all: %v", top.CI.Name, top.Score, names(got))
				}
				if len(top.Explains) < 4 || top.Score <= 0 || top.Score > 1 || len(top.Evidence) == 0 {
					t.Fatalf("top: explains %d, score %.2f, evidence %v", len(top.Explains), top.Score, top.Evidence)
				}
			})
		}
		_, err := a.RootCauseCandidates(ctx, []string{ids[0], graph.NewID()}, nil, 5)
		if graph.ErrorCode(err) != graph.CodeNotFound || graph.ErrorField(err) != "incidentIds[1]" {
			t.Fatalf("missing incident: %v", err)
		}
	})
}

func names(rs []analysis.RootCause) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.CI.Name)
	}
	return out
}

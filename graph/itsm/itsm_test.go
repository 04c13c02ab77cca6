package itsm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// forEachStore runs f on every store: every rule must hold on both.
func forEachStore(t *testing.T, f func(t *testing.T, svc *itsm.Service)) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) { f(t, newService(s)) })
}

// testNow is the fixed clock of the tests: a Monday morning.
var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newService(s graph.Store) *itsm.Service {
	svc := itsm.New(s)
	now := testNow
	svc.Now = func() time.Time { now = now.Add(time.Second); return now }
	return svc
}

func ptr[T any](v T) *T { return &v }

type shop struct {
	svc, app, db, vm graph.CI
}

// buildShop: service -DEPENDS_ON-> app -DEPENDS_ON-> db -RUNS_ON-> vm.
func buildShop(t *testing.T, s graph.Store) shop {
	t.Helper()
	ctx := context.Background()
	mk := func(name, class string, crit graph.Criticality) graph.CI {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class, Criticality: &crit})
		if err != nil {
			t.Fatal(err)
		}
		return res.CI
	}
	sh := shop{
		svc: mk("Shop", graph.ClassBusinessService, graph.CriticalityCritical),
		app: mk("shop-app", graph.ClassApplication, graph.CriticalityHigh),
		db:  mk("shop-db", graph.ClassDatabase, graph.CriticalityHigh),
		vm:  mk("db-vm", graph.ClassVirtualMachine, graph.CriticalityMedium),
	}
	for _, r := range [][3]string{{sh.svc.ID, graph.RelDependsOn, sh.app.ID}, {sh.app.ID, graph.RelDependsOn, sh.db.ID}, {sh.db.ID, graph.RelRunsOn, sh.vm.ID}} {
		if _, err := s.Relate(ctx, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	return sh
}

func wantErr(t *testing.T, err error, code graph.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s on %q", code, field)
	}
	if graph.ErrorCode(err) != code || graph.ErrorField(err) != field {
		t.Fatalf("got %s on %q (%v), want %s on %q", graph.ErrorCode(err), graph.ErrorField(err), err, code, field)
	}
}

func TestPriorityMatrix(t *testing.T) {
	want := map[[2]int]itsm.Priority{
		{1, 1}: itsm.P1, {1, 2}: itsm.P2, {1, 3}: itsm.P3,
		{2, 1}: itsm.P2, {2, 2}: itsm.P3, {2, 3}: itsm.P4,
		{3, 1}: itsm.P3, {3, 2}: itsm.P4, {3, 3}: itsm.P4,
	}
	for iu, p := range want {
		got, err := itsm.PriorityFor(iu[0], iu[1])
		if err != nil || got != p {
			t.Errorf("PriorityFor(%d, %d) = %s, %v; want %s", iu[0], iu[1], got, err, p)
		}
	}
	_, err := itsm.PriorityFor(0, 2)
	wantErr(t, err, graph.CodeInvalidInput, "impact")
	_, err = itsm.PriorityFor(2, 4)
	wantErr(t, err, graph.CodeInvalidInput, "urgency")
}

func TestIncidents(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := graph.WithActor(context.Background(), "oncall")
		sh := buildShop(t, svc.Store)

		t.Run("bad input changes nothing", func(t *testing.T) {
			tests := []struct {
				name  string
				in    itsm.CreateIncidentInput
				code  graph.Code
				field string
			}{
				{"empty title", itsm.CreateIncidentInput{Title: " ", AffectedCIs: []string{sh.db.ID}}, graph.CodeInvalidInput, "title"},
				{"no CIs", itsm.CreateIncidentInput{Title: "x"}, graph.CodeInvalidInput, "affectedCiIds"},
				{"malformed CI", itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID, "nope"}}, graph.CodeInvalidInput, "affectedCiIds[1]"},
				{"missing CI", itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID, graph.NewID()}}, graph.CodeNotFound, "affectedCiIds[1]"},
				{"impact out of range", itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID}, Impact: ptr(4)}, graph.CodeInvalidInput, "impact"},
				{"future", itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID}, OpenedAt: ptr(testNow.Add(time.Hour))}, graph.CodeInvalidInput, "openedAt"},
				{"missing change", itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID}, CausedByChangeID: graph.NewID()}, graph.CodeNotFound, "causedByChangeId"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := svc.CreateIncident(ctx, tt.in)
					wantErr(t, err, tt.code, tt.field)
				})
			}
			_, page, err := svc.ListIncidents(ctx, itsm.IncidentFilter{}, graph.Page{})
			if err != nil || page.TotalCount != 0 {
				t.Fatalf("%d incidents after rejected input (%v)", page.TotalCount, err)
			}
		})

		opened := testNow.Add(-30 * time.Minute)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "DB down", AffectedCIs: []string{sh.db.ID},
			Impact: ptr(1), Urgency: ptr(1), OpenedAt: &opened, OutageStart: &opened})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("created", func(t *testing.T) {
			if inc.Priority != itsm.P1 || inc.State != itsm.IncidentNew || !inc.OpenedAt.Equal(opened) {
				t.Fatalf("incident %+v", inc)
			}
			if fmt.Sprint(inc.Services) != fmt.Sprint([]string{sh.svc.ID}) {
				t.Fatalf("services %v, want the shop service through the blast radius", inc.Services)
			}
			got, err := svc.GetIncident(ctx, inc.ID)
			if err != nil || got.Title != "DB down" || got.Version != 1 {
				t.Fatalf("get: %+v %v", got, err)
			}
		})

		t.Run("state machine", func(t *testing.T) {
			steps := []struct {
				to    itsm.IncidentState
				field string // "" = allowed
			}{
				{itsm.IncidentResolved, "state"}, // NEW cannot resolve directly
				{itsm.IncidentInProgress, ""},
				{itsm.IncidentNew, "state"},
				{itsm.IncidentOnHold, ""},
				{itsm.IncidentInProgress, ""},
				{itsm.IncidentOnHold, ""},
				{itsm.IncidentResolved, ""},
				{itsm.IncidentInProgress, ""}, // reopen
				{itsm.IncidentResolved, ""},
				{itsm.IncidentClosed, ""},
				{itsm.IncidentInProgress, "state"}, // closed is final
				{"SNOOZED", "state"},
			}
			for i, st := range steps {
				got, err := svc.TransitionIncident(ctx, inc.ID, st.to, fmt.Sprintf("step %d", i))
				if st.field != "" {
					wantErr(t, err, graph.CodeInvalidInput, st.field)
					continue
				}
				if err != nil {
					t.Fatalf("step %d to %s: %v", i, st.to, err)
				}
				if got.State != st.to {
					t.Fatalf("step %d: state %s", i, got.State)
				}
			}
			got, _ := svc.GetIncident(ctx, inc.ID)
			if got.RespondedAt == nil || got.ResolvedAt == nil || got.ClosedAt == nil || got.OutageEnd == nil {
				t.Fatalf("timestamps not stamped: %+v", got)
			}
			if len(got.Transitions) != 9 || got.Transitions[1].Actor != "oncall" {
				t.Fatalf("transitions %+v", got.Transitions)
			}
			_, err := svc.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{Title: ptr("late edit")})
			wantErr(t, err, graph.CodeInvalidInput, "id")
		})

		t.Run("filters and history", func(t *testing.T) {
			other, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "VM slow", AffectedCIs: []string{sh.vm.ID}, Impact: ptr(3)})
			if err != nil {
				t.Fatal(err)
			}
			open, _, err := svc.ListIncidents(ctx, itsm.IncidentFilter{Open: true}, graph.Page{})
			if err != nil || len(open) != 1 || open[0].ID != other.ID {
				t.Fatalf("open incidents %v %v", open, err)
			}
			p1, _, _ := svc.ListIncidents(ctx, itsm.IncidentFilter{Priority: itsm.P1}, graph.Page{})
			onDB, _, _ := svc.ListIncidents(ctx, itsm.IncidentFilter{CI: sh.db.ID}, graph.Page{})
			onSvc, _, _ := svc.ListIncidents(ctx, itsm.IncidentFilter{CI: sh.svc.ID}, graph.Page{})
			if len(p1) != 1 || len(onDB) != 1 || len(onSvc) != 2 {
				t.Fatalf("P1 %d, on db %d, on service %d; want 1, 1, 2", len(p1), len(onDB), len(onSvc))
			}
			h, err := svc.Store.History(ctx, inc.ID, graph.Page{})
			if err != nil || len(h.Entries) != 9 || h.Entries[0].Actor != "oncall" {
				t.Fatalf("history: %d entries, %v", len(h.Entries), err)
			}
		})
	})
}

func TestProblems(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "slow", AffectedCIs: []string{sh.app.ID}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "p", IncidentIDs: []string{inc.ID, graph.NewID()}})
		wantErr(t, err, graph.CodeNotFound, "incidentIds[1]")
		_, err = svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "p", RootCauseCI: graph.NewID()})
		wantErr(t, err, graph.CodeNotFound, "rootCauseCiId")
		p, err := svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "Recurring slowness", IncidentIDs: []string{inc.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.TransitionProblem(ctx, p.ID, itsm.ProblemKnownError, ""); err == nil {
			t.Fatal("NEW → KNOWN_ERROR accepted")
		}
		if _, err := svc.TransitionProblem(ctx, p.ID, itsm.ProblemInvestigating, "looking"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.TransitionProblem(ctx, p.ID, itsm.ProblemKnownError, "")
		wantErr(t, err, graph.CodeInvalidInput, "state") // no root cause yet
		if _, err := svc.UpdateProblem(ctx, p.ID, itsm.UpdateProblemInput{RootCauseCI: &sh.db.ID, Workaround: ptr("restart the pool")}); err != nil {
			t.Fatal(err)
		}
		p, err = svc.TransitionProblem(ctx, p.ID, itsm.ProblemKnownError, "")
		if err != nil || !p.KnownError {
			t.Fatalf("known error: %+v %v", p, err)
		}
		found, _, err := svc.ListProblems(ctx, itsm.ProblemFilter{IncidentID: inc.ID}, graph.Page{})
		if err != nil || len(found) != 1 || found[0].ID != p.ID {
			t.Fatalf("problem of incident: %v %v", found, err)
		}
		byRoot, _, _ := svc.ListProblems(ctx, itsm.ProblemFilter{CI: sh.db.ID}, graph.Page{})
		if len(byRoot) != 1 {
			t.Fatalf("problems rooted at db: %d", len(byRoot))
		}
	})
}

func TestChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		// The requester and the approver are different people.
		ctx := graph.WithActor(context.Background(), "requester")
		cab := graph.WithActor(context.Background(), "cab-chair")
		sh := buildShop(t, svc.Store)
		start := testNow.Add(72 * time.Hour)
		mk := func(typ itsm.ChangeType) *itsm.Change {
			t.Helper()
			c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "patch db", Type: typ, TargetCIs: []string{sh.db.ID},
				PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		t.Run("bad input", func(t *testing.T) {
			_, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeNormal, TargetCIs: []string{sh.db.ID}, PlannedStart: start, PlannedEnd: start})
			wantErr(t, err, graph.CodeInvalidInput, "plannedEnd")
			_, err = svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: "MINOR", TargetCIs: []string{sh.db.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			wantErr(t, err, graph.CodeInvalidInput, "type")
			_, err = svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeNormal, TargetCIs: []string{graph.NewID()}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			wantErr(t, err, graph.CodeNotFound, "targetCiIds[0]")
		})
		t.Run("normal needs approval", func(t *testing.T) {
			c := mk(itsm.ChangeNormal)
			_, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
			wantErr(t, err, graph.CodeInvalidInput, "state")
			_, err = svc.ApproveChange(cab, c.ID, itsm.Approve, "")
			wantErr(t, err, graph.CodeInvalidInput, "changeId") // not assessed yet
			if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", ""); err != nil {
				t.Fatal(err)
			}
			_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeApproved, "", "")
			wantErr(t, err, graph.CodeInvalidInput, "state") // only through approveChange
			c, err = svc.ApproveChange(cab, c.ID, itsm.Approve, "ok")
			if err != nil || c.State != itsm.ChangeApproved || len(c.Approvals) != 1 || c.Approvals[0].Approver != "cab-chair" {
				t.Fatalf("approved %+v %v", c, err)
			}
			for _, to := range []itsm.ChangeState{itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview} {
				if c, err = svc.TransitionChange(ctx, c.ID, to, "", "did things"); err != nil {
					t.Fatalf("to %s: %v", to, err)
				}
			}
			_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeClosed, "", "")
			wantErr(t, err, graph.CodeInvalidInput, "outcome")
			c, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeClosed, itsm.OutcomeRolledBack, "")
			if err != nil || c.Outcome != itsm.OutcomeRolledBack || c.ActualStart == nil || c.ActualEnd == nil || len(c.ImplementationNotes) != 2 {
				t.Fatalf("closed %+v %v", c, err)
			}
		})
		t.Run("standard is pre-approved, emergency skips assessment, rejected is final", func(t *testing.T) {
			std := mk(itsm.ChangeStandard)
			if _, err := svc.TransitionChange(ctx, std.ID, itsm.ChangeScheduled, "", ""); err != nil {
				t.Fatal(err)
			}
			_, err := svc.ApproveChange(cab, mk(itsm.ChangeStandard).ID, itsm.Approve, "")
			wantErr(t, err, graph.CodeInvalidInput, "changeId")
			em := mk(itsm.ChangeEmergency)
			if _, err := svc.ApproveChange(cab, em.ID, itsm.Approve, "ecab"); err != nil {
				t.Fatal(err)
			}
			rej := mk(itsm.ChangeNormal)
			svc.TransitionChange(ctx, rej.ID, itsm.ChangeAssessed, "", "")
			if rej, err = svc.ApproveChange(cab, rej.ID, itsm.Reject, "too risky"); err != nil || rej.State != itsm.ChangeRejected {
				t.Fatalf("reject: %+v %v", rej, err)
			}
			_, err = svc.TransitionChange(ctx, rej.ID, itsm.ChangeScheduled, "", "")
			wantErr(t, err, graph.CodeInvalidInput, "state")
		})
		t.Run("freeze forbids scheduling normal changes", func(t *testing.T) {
			_, err := svc.CreateWindow(ctx, itsm.CreateWindowInput{Name: "bad", Kind: itsm.WindowFreeze, Start: start, End: start})
			wantErr(t, err, graph.CodeInvalidInput, "end")
			// Scoped to the service the database change would impact.
			if _, err := svc.CreateWindow(ctx, itsm.CreateWindowInput{Name: "Black Friday", Kind: itsm.WindowFreeze,
				Start: start.Add(-time.Hour), End: start.Add(30 * time.Minute), Scope: []string{sh.svc.ID}}); err != nil {
				t.Fatal(err)
			}
			c := mk(itsm.ChangeNormal)
			svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", "")
			svc.ApproveChange(cab, c.ID, itsm.Approve, "")
			_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
			wantErr(t, err, graph.CodeConflict, "plannedStart")
			later := start.Add(2 * time.Hour)
			// Moving the window is material: it needs approval again.
			if c, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{PlannedStart: &later, PlannedEnd: ptr(later.Add(time.Hour))}); err != nil || c.State != itsm.ChangeRequested {
				t.Fatalf("moved: %v %v", c, err)
			}
			svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", "")
			svc.ApproveChange(cab, c.ID, itsm.Approve, "")
			if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", ""); err != nil {
				t.Fatalf("after moving out of the freeze: %v", err)
			}
			// A standard change is not held by the freeze.
			if _, err := svc.TransitionChange(ctx, mk(itsm.ChangeStandard).ID, itsm.ChangeScheduled, "", ""); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestIncidentClocks(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		// Service hours Mon–Fri 08:00–18:00 Berlin (UTC+1 in November).
		_, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: sh.svc.ID, Name: "office hours", AvailabilityTarget: 99.5,
			Targets: []itsm.PriorityTarget{{Priority: itsm.P3, Response: time.Hour, Resolution: 4 * time.Hour}},
			ServiceHours: sla.ServiceHours{TimeZone: "Europe/Berlin", Weekly: []sla.WeeklyHours{
				{Days: []string{"MON", "TUE", "WED", "THU", "FRI"}, Start: "08:00", End: "18:00"}}}})
		if err != nil {
			t.Fatal(err)
		}
		// Opened Friday 16:00 Berlin (15:00 UTC): two service hours that day.
		opened := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
		clock := opened
		svc.Now = func() time.Time { return clock }
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "slow", AffectedCIs: []string{sh.db.ID}, OpenedAt: &opened})
		if err != nil {
			t.Fatal(err)
		}
		resp, res, err := svc.Clocks(ctx, inc, opened)
		if err != nil || resp == nil || res == nil {
			t.Fatalf("clocks %v %v %v", resp, res, err)
		}
		if want := opened.Add(time.Hour); !resp.Due.Equal(want) {
			t.Fatalf("response due %s, want %s", resp.Due, want)
		}
		// 4 h of service time: 2 h on Friday, 2 h on Monday from 08:00 Berlin.
		if want := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC); !res.Due.Equal(want) {
			t.Fatalf("resolution due %s, want %s (over the weekend)", res.Due, want)
		}
		// Responded at 16:30 Berlin, on hold 17:00–17:30: the resolution
		// clock stops for 30 minutes.
		clock = opened.Add(30 * time.Minute)
		svc.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, "")
		clock = opened.Add(time.Hour)
		svc.TransitionIncident(ctx, inc.ID, itsm.IncidentOnHold, "waiting for customer")
		clock = opened.Add(90 * time.Minute)
		inc, err = svc.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, res, err = svc.Clocks(ctx, inc, clock)
		if err != nil {
			t.Fatal(err)
		}
		if !resp.Stopped || resp.Breached || resp.Remaining != 30*time.Minute {
			t.Fatalf("response clock %+v, want stopped with 30m left", resp)
		}
		if want := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC); !res.Due.Equal(want) || res.Paused {
			t.Fatalf("resolution due %s (paused %v), want %s", res.Due, res.Paused, want)
		}
		// Paused now: still paused at the next check.
		clock = opened.Add(100 * time.Minute)
		inc, _ = svc.TransitionIncident(ctx, inc.ID, itsm.IncidentOnHold, "")
		_, res, _ = svc.Clocks(ctx, inc, opened.Add(110*time.Minute))
		if !res.Paused {
			t.Fatalf("resolution clock should be paused: %+v", res)
		}
	})
}

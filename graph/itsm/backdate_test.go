package itsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// TestBackDating: events forwarded late carry their real times. Response,
// resolution, outage end, change implementation and problem moves can be
// back-dated, never into the future nor before the previous transition; a
// back-dated record's lifecycle starts when it was opened.
func TestBackDating(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		now := testNow
		svc.Now = func() time.Time { return now }
		opened := now.Add(-3 * time.Hour)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "db down", AffectedCIs: []string{sh.db.ID},
			OpenedAt: &opened, OutageStart: ptr(opened.Add(5 * time.Minute))})
		if err != nil {
			t.Fatal(err)
		}
		if first := inc.Transitions[0]; !first.At.Equal(opened) {
			t.Fatalf("creation transition at %s, want the opening %s", first.At, opened)
		}

		for _, tc := range []struct {
			name string
			to   itsm.IncidentState
			at   time.Time
		}{
			{"in the future", itsm.IncidentInProgress, now.Add(6 * time.Minute)},
			{"before the previous transition", itsm.IncidentInProgress, opened.Add(-time.Minute)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.TransitionIncidentAt(ctx, inc.ID, tc.to, "", tc.at)
				wantErr(t, err, graph.CodeInvalidInput, "at")
			})
		}
		responded := opened.Add(10 * time.Minute)
		if inc, err = svc.TransitionIncidentAt(ctx, inc.ID, itsm.IncidentInProgress, "", responded); err != nil {
			t.Fatal(err)
		}
		if !inc.RespondedAt.Equal(responded) {
			t.Fatalf("respondedAt %s, want %s", inc.RespondedAt, responded)
		}
		// Resolving before the outage began would end it before it started.
		_, err = svc.TransitionIncidentAt(ctx, inc.ID, itsm.IncidentResolved, "", opened.Add(time.Minute))
		wantErr(t, err, graph.CodeInvalidInput, "at")
		resolved := opened.Add(95 * time.Minute)
		if inc, err = svc.TransitionIncidentAt(ctx, inc.ID, itsm.IncidentResolved, "fixed", resolved); err != nil {
			t.Fatal(err)
		}
		if !inc.ResolvedAt.Equal(resolved) || !inc.OutageEnd.Equal(resolved) {
			t.Fatalf("resolvedAt %s, outageEnd %s, want both %s", inc.ResolvedAt, inc.OutageEnd, resolved)
		}
		// A sender whose clock runs a little fast is taken as now.
		if inc, err = svc.TransitionIncidentAt(ctx, inc.ID, itsm.IncidentClosed, "", now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if !inc.ClosedAt.Equal(now) {
			t.Fatalf("closedAt %s, want now %s", inc.ClosedAt, now)
		}
		var ats []time.Time
		for _, tr := range inc.Transitions {
			ats = append(ats, tr.At)
		}
		if want := []time.Time{opened, responded, resolved, now}; !equalTimes(ats, want) {
			t.Fatalf("transitions at %v, want %v", ats, want)
		}

		// Problems: opened and moved in the past.
		pOpened := now.Add(-48 * time.Hour)
		p, err := svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "flaky db", RootCauseCI: sh.db.ID, OpenedAt: &pOpened})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.TransitionProblemAt(ctx, p.ID, itsm.ProblemInvestigating, "", pOpened.Add(-time.Second))
		wantErr(t, err, graph.CodeInvalidInput, "at")
		if p, err = svc.TransitionProblemAt(ctx, p.ID, itsm.ProblemInvestigating, "", pOpened.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.TransitionProblemAt(ctx, p.ID, itsm.ProblemKnownError, "", pOpened.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := p.Transitions[0].At; !got.Equal(pOpened) || !p.Transitions[2].At.Equal(pOpened.Add(2*time.Hour)) {
			t.Fatalf("problem transitions %+v", p.Transitions)
		}
		_, err = svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "later", OpenedAt: ptr(now.Add(time.Hour))})
		wantErr(t, err, graph.CodeInvalidInput, "openedAt")

		// Changes: requested, approved and implemented in the past.
		requested := now.Add(-72 * time.Hour)
		start := now.Add(-24 * time.Hour)
		c, err := svc.CreateChange(graph.WithActor(ctx, "dev"), itsm.CreateChangeInput{Title: "patch", Type: itsm.ChangeEmergency,
			TargetCIs: []string{sh.vm.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour), RequestedAt: &requested})
		if err != nil {
			t.Fatal(err)
		}
		if !c.RequestedAt.Equal(requested) || !c.Transitions[0].At.Equal(requested) {
			t.Fatalf("requested at %s (transition %s), want %s", c.RequestedAt, c.Transitions[0].At, requested)
		}
		_, err = svc.ApproveChangeAt(graph.WithActor(ctx, "cab"), c.ID, itsm.Approve, "", requested.Add(-time.Minute))
		wantErr(t, err, graph.CodeInvalidInput, "at")
		if _, err = svc.ApproveChangeAt(graph.WithActor(ctx, "cab"), c.ID, itsm.Approve, "", requested.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			to      itsm.ChangeState
			outcome itsm.ChangeOutcome
			at      time.Time
		}{
			{itsm.ChangeScheduled, "", requested.Add(2 * time.Hour)},
			{itsm.ChangeImplementing, "", start},
			{itsm.ChangeReview, "", start.Add(50 * time.Minute)},
			{itsm.ChangeClosed, itsm.OutcomeSuccessful, start.Add(2 * time.Hour)},
		}
		for _, st := range steps {
			if c, err = svc.TransitionChangeAt(ctx, c.ID, st.to, st.outcome, "", st.at); err != nil {
				t.Fatalf("%s at %s: %v", st.to, st.at, err)
			}
		}
		if !c.ActualStart.Equal(start) || !c.ActualEnd.Equal(start.Add(50*time.Minute)) || !c.Approvals[0].At.Equal(requested.Add(time.Hour)) {
			t.Fatalf("actual %s – %s, approved %s", c.ActualStart, c.ActualEnd, c.Approvals[0].At)
		}
		_, err = svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeStandard, TargetCIs: []string{sh.vm.ID},
			PlannedStart: start, PlannedEnd: start.Add(time.Hour), RequestedAt: ptr(now.Add(time.Hour))})
		wantErr(t, err, graph.CodeInvalidInput, "requestedAt")
	})
}

func equalTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

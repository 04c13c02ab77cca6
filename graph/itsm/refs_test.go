package itsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// TestRecordsOutliveTheirCIs: once a CI is deleted by force, the records
// that reference it can still be read, edited and moved on, as long as the
// edit leaves that reference alone; a new reference must still exist.
func TestRecordsOutliveTheirCIs(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "db down", AffectedCIs: []string{sh.db.ID, sh.app.ID}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.CreateProblem(ctx, itsm.CreateProblemInput{Title: "db flaps", RootCauseCI: sh.db.ID})
		if err != nil {
			t.Fatal(err)
		}
		start := testNow.Add(48 * time.Hour)
		c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "replace db", Type: itsm.ChangeNormal,
			TargetCIs: []string{sh.db.ID, sh.vm.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// A freeze over the change's window on something else: scheduling
		// must work out what the change hits to see that it is not frozen.
		name, class := "elsewhere", graph.ClassServer
		other, err := svc.Store.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateWindow(ctx, itsm.CreateWindowInput{Name: "freeze", Kind: itsm.WindowFreeze,
			Start: start.Add(-time.Hour), End: start.Add(2 * time.Hour), Scope: []string{other.CI.ID}}); err != nil {
			t.Fatal(err)
		}

		err = svc.Store.DeleteCI(ctx, sh.db.ID)
		if graph.ErrorCode(err) != graph.CodeConflict {
			t.Fatalf("deleting a CI three live records reference: %v, want CONFLICT", err)
		}
		holders, err := svc.Store.ForceDeleteCI(ctx, sh.db.ID)
		if err != nil || len(holders) != 3 {
			t.Fatalf("forced delete: %d holders, %v", len(holders), err)
		}

		// Incident: edit, re-send its affected CIs unchanged, transition.
		inc, err = svc.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{Title: ptr("db gone"), AffectedCIs: inc.AffectedCIs})
		if err != nil || len(inc.AffectedCIs) != 2 {
			t.Fatalf("update incident keeping a deleted CI: %+v, %v", inc, err)
		}
		if len(inc.Services) != 1 || inc.Services[0] != sh.svc.ID {
			t.Fatalf("services recomputed from the live CIs: %v, want the shop", inc.Services)
		}
		if _, err := svc.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, ""); err != nil {
			t.Fatal(err)
		}
		// A deleted CI is no new reference.
		_, err = svc.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{AffectedCIs: []string{sh.vm.ID, graph.NewID()}})
		wantErr(t, err, graph.CodeNotFound, "affectedCiIds[1]")

		// Problem: edit and move on with its root cause gone.
		if _, err := svc.UpdateProblem(ctx, p.ID, itsm.UpdateProblemInput{Workaround: ptr("restore from backup")}); err != nil {
			t.Fatalf("update a problem whose root cause was deleted: %v", err)
		}
		if _, err := svc.TransitionProblem(ctx, p.ID, itsm.ProblemInvestigating, ""); err != nil {
			t.Fatal(err)
		}

		// Change: edit, assess, approve, schedule (the freeze check reads
		// the blast radius of the targets that still exist).
		if _, err := svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{Title: ptr("retire db")}); err != nil {
			t.Fatalf("update a change whose target was deleted: %v", err)
		}
		if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", ""); err != nil {
			t.Fatal(err)
		}
		// Approved by someone other than the requester (separation of duties).
		if _, err := svc.ApproveChange(graph.WithActor(ctx, "cab"), c.ID, itsm.Approve, ""); err != nil {
			t.Fatal(err)
		}
		if c, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", ""); err != nil || len(c.TargetCIs) != 2 {
			t.Fatalf("schedule a change whose target was deleted: %+v, %v", c, err)
		}
	})
}

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

// TestOneBudget: slaAtRisk and changeImpact read the same budget for the
// same SLA at the same instant; committed changes count, proposed ones are
// a separate figure; overlapping windows count once; reasons name changes;
// cancelled changes count nowhere.
func TestOneBudget(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := graph.WithActor(context.Background(), "requester")
		a, svc, e := setup(t, s)
		// One instant for everything, with an outage still open: a budget
		// measured at another instant (the change's start, say) would
		// differ.
		svc.Now = func() time.Time { return testNow }
		shopSLA, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e["Shop"].ID, Name: "Shop availability", AvailabilityTarget: 99.9,
			ServiceHours: sla.ServiceHours{Always: true}}) // 43m12s in November
		if err != nil {
			t.Fatal(err)
		}
		outage := testNow.Add(-10 * time.Minute)
		if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "db down", AffectedCIs: []string{e["shared-db"].ID},
			OpenedAt: &outage, OutageStart: &outage}); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		scheduled := func(title string, start time.Time, minutes int, target graph.CI) *itsm.Change {
			t.Helper()
			c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: title, Type: itsm.ChangeStandard, TargetCIs: []string{target.ID},
				PlannedStart: start, PlannedEnd: start.Add(time.Duration(minutes) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if c, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", ""); err != nil {
				t.Fatal(err)
			}
			return c
		}
		// Committed: 10:00–10:20 and 10:10–10:30, both take the shop down:
		// 30 minutes together, not 40.
		vmPatch := scheduled("Patch db-vm", day, 20, e["db-vm"])
		appDeploy := scheduled("Deploy checkout-app", day.Add(10*time.Minute), 20, e["checkout-app"])
		// Proposed: an hour on the search app the next day.
		search, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "Rebuild search index", Type: itsm.ChangeNormal,
			TargetCIs: []string{e["search-app"].ID}, PlannedStart: day.Add(24 * time.Hour), PlannedEnd: day.Add(25 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// Cancelled: counts nowhere, though it overlaps the VM patch.
		dropped := change(t, svc, itsm.ChangeNormal, day, 2, e["shared-db"])
		if _, err := svc.TransitionChange(ctx, dropped.ID, itsm.ChangeCancelled, "", "vendor fixed it upstream"); err != nil {
			t.Fatal(err)
		}

		shop := func() analysis.ServiceSLAStatus {
			t.Helper()
			sts, err := a.SLAAtRisk(ctx, testNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				if st.SLA.ID == shopSLA.ID {
					return st
				}
			}
			t.Fatal("no status for the shop SLA")
			return analysis.ServiceSLAStatus{}
		}
		st := shop()
		left := st.Availability.BudgetLeft
		if want := 43*time.Minute + 12*time.Second - 10*time.Minute; left != want {
			t.Fatalf("budget left %v, want %v", left, want)
		}
		if st.CommittedOutage != 30*time.Minute || st.ProposedOutage != time.Hour {
			t.Fatalf("committed %v proposed %v, want 30m and 1h", st.CommittedOutage, st.ProposedOutage)
		}
		if len(st.Changes) != 3 || !st.Changes[0].Committed || !st.Changes[1].Committed || st.Changes[2].Committed || st.Changes[2].Change.ID != search.ID {
			t.Fatalf("changes %+v", st.Changes)
		}
		// Committed changes fit; the proposed one does not change the status.
		if st.Status != analysis.StatusOK || len(st.Reasons) != 0 {
			t.Fatalf("status %s %v, want OK: only a proposed change would overspend", st.Status, st.Reasons)
		}

		impactOf := func(c *itsm.Change) analysis.SLARisk {
			t.Helper()
			ci, err := a.ChangeImpact(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ci.SLAs) != 1 || ci.SLAs[0].SLA.ID != shopSLA.ID {
				t.Fatalf("SLA risks of %q: %+v", c.Title, ci.SLAs)
			}
			for _, col := range ci.Collided {
				if col.Change.ID == dropped.ID {
					t.Fatalf("%q collides with a cancelled change", c.Title)
				}
			}
			return ci.SLAs[0]
		}
		// The same budget from both queries at the same instant.
		r := impactOf(search)
		if r.Availability.BudgetLeft != left || r.Availability.Budget != st.Availability.Budget {
			t.Fatalf("changeImpact budget left %v, slaAtRisk %v: one computation must give one number", r.Availability.BudgetLeft, left)
		}
		if r.ExpectedOutage != time.Hour || r.CommittedOutage != 30*time.Minute || r.ProposedOutage != 0 || !r.AtRisk {
			t.Fatalf("search change: expected %v committed %v proposed %v at risk %v", r.ExpectedOutage, r.CommittedOutage, r.ProposedOutage, r.AtRisk)
		}
		r = impactOf(vmPatch)
		if r.Availability.BudgetLeft != left || r.ExpectedOutage != 20*time.Minute || r.CommittedOutage != 20*time.Minute ||
			r.ProposedOutage != time.Hour || r.AtRisk {
			t.Fatalf("vm patch: left %v expected %v committed %v proposed %v at risk %v", r.Availability.BudgetLeft, r.ExpectedOutage, r.CommittedOutage, r.ProposedOutage, r.AtRisk)
		}
		if len(r.Changes) != 2 || r.Changes[0].Change.ID != appDeploy.ID {
			t.Fatalf("other changes of the vm patch %+v", r.Changes)
		}

		// Approved, the search change is committed: now the SLA is at
		// risk, and the reason names the changes.
		if _, err := svc.TransitionChange(ctx, search.ID, itsm.ChangeAssessed, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveChange(graph.WithActor(ctx, "cab"), search.ID, itsm.Approve, ""); err != nil {
			t.Fatal(err)
		}
		st = shop()
		reasons := strings.Join(st.Reasons, "\n")
		if st.Status != analysis.StatusAtRisk || st.CommittedOutage != 90*time.Minute || st.ProposedOutage != 0 ||
			!strings.Contains(reasons, `"Rebuild search index" (APPROVED, 1h)`) || !strings.Contains(reasons, `"Patch db-vm" (SCHEDULED, 20m)`) ||
			!strings.Contains(reasons, "down for 1h30m with 33m of budget left") {
			t.Fatalf("status %s, committed %v, reasons:\n%s", st.Status, st.CommittedOutage, reasons)
		}
		if strings.Contains(reasons, dropped.Title) {
			t.Fatalf("a cancelled change in the reasons: %s", reasons)
		}
	})
}

// TestReassessAfterAMaterialEdit: the stored assessment never shows reasons
// about a plan the change no longer has.
func TestReassessAfterAMaterialEdit(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e["Shop"].ID, Name: "Shop availability", AvailabilityTarget: 99.9,
			ServiceHours: sla.ServiceHours{Always: true}}); err != nil {
			t.Fatal(err)
		}
		c := change(t, svc, itsm.ChangeNormal, testNow.Add(48*time.Hour), 2, e["db-vm"])
		first, err := a.AssessChange(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !hasFactor(first, analysis.FactorSLA) || !strings.Contains(strings.Join(first.Change.Assessment.Reasons, "\n"), `"Shop availability" on Shop`) {
			t.Fatalf("first assessment %v", first.Change.Assessment.Reasons)
		}
		// The change now targets one redundant web node instead.
		edited, err := svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{TargetCIs: []string{e["web-1"].ID}})
		if err != nil || edited.Assessment != nil {
			t.Fatalf("after the edit: assessment %+v, %v", edited.Assessment, err)
		}
		second, err := a.AssessChange(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored := strings.Join(second.Change.Assessment.Reasons, "\n")
		if strings.Contains(stored, "SLA_BUDGET") || strings.Contains(stored, "db-vm") || !strings.Contains(stored, "REDUNDANCY_HEADROOM") ||
			second.Change.Assessment.RiskScore >= first.RiskScore {
			t.Fatalf("second assessment (score %d, was %d):\n%s", second.Change.Assessment.RiskScore, first.RiskScore, stored)
		}
	})
}

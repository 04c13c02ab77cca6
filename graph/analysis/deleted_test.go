package analysis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// TestAnalysesSkipDeletedCIs: after CIs that records reference are deleted
// by force, every analysis still answers, leaves the deleted CIs out and
// names them in its reasons or evidence.
func TestAnalysesSkipDeletedCIs(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		for _, name := range []string{"Shop", "search"} {
			if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e[name].ID, Name: name + " SLA", AvailabilityTarget: 99.5,
				Targets: []itsm.PriorityTarget{{Priority: itsm.P1, Response: time.Hour, Resolution: 4 * time.Hour}}, ServiceHours: sla.ServiceHours{Always: true}}); err != nil {
				t.Fatal(err)
			}
		}
		opened := testNow.Add(-10 * time.Minute)
		for _, affected := range [][]string{{"checkout-app", "db-vm"}, {"web-2"}} {
			var ids []string
			for _, n := range affected {
				ids = append(ids, e[n].ID)
			}
			if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: affected[0] + " failing", AffectedCIs: ids,
				Impact: ptr(1), Urgency: ptr(1), OpenedAt: &opened, OutageStart: &opened}); err != nil {
				t.Fatal(err)
			}
		}
		start := testNow.Add(48 * time.Hour)
		onVM := change(t, svc, itsm.ChangeStandard, start, 2, e["db-vm"], e["web-1"])
		if _, err := svc.TransitionChange(ctx, onVM.ID, itsm.ChangeScheduled, "", ""); err != nil {
			t.Fatal(err)
		}
		onDB := change(t, svc, itsm.ChangeNormal, start.Add(time.Hour), 2, e["shared-db"])

		for _, name := range []string{"db-vm", "web-2", "search"} {
			if err := s.DeleteCI(ctx, e[name].ID); graph.ErrorCode(err) != graph.CodeConflict {
				t.Fatalf("delete %s, which live records reference: %v, want CONFLICT", name, err)
			}
			if _, err := s.ForceDeleteCI(graph.WithActor(ctx, "admin"), e[name].ID); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("changeImpact", func(t *testing.T) {
			ci, err := a.AssessChange(ctx, onVM.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ci.Blast.Sources) != 1 || ci.Blast.Sources[0].ID != e["web-1"].ID {
				t.Fatalf("sources %v, want web-1 only", ci.Blast.Sources)
			}
			if r := reason(ci, analysis.FactorDeletedCI); !strings.Contains(r, `"db-vm" (deleted`) || !strings.Contains(r, "by admin") {
				t.Fatalf("reasons %v, want one naming the deleted db-vm", ci.Reasons)
			}
			other, err := a.ChangeImpact(ctx, onDB.ID)
			if err != nil {
				t.Fatal(err)
			}
			if reason(other, analysis.FactorDeletedCI) != "" {
				t.Fatalf("a change whose targets all exist has a deleted-CI reason: %v", other.Reasons)
			}
			for _, col := range other.Collided {
				for _, id := range col.Shared {
					if id == e["db-vm"].ID {
						t.Fatalf("collision shares the deleted db-vm: %+v", col)
					}
				}
			}
		})
		t.Run("slaAtRisk", func(t *testing.T) {
			got, err := a.SLAAtRisk(ctx, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d SLA statuses, want both SLAs", len(got))
			}
			var orphan *analysis.ServiceSLAStatus
			for i := range got {
				if got[i].SLA.ServiceID == e["search"].ID {
					orphan = &got[i]
				}
			}
			if orphan == nil || orphan.Service.ID != "" || !strings.Contains(strings.Join(orphan.Reasons, ";"), `service "search" (deleted`) {
				t.Fatalf("the SLA of the deleted search service: %+v", orphan)
			}
		})
		t.Run("rootCauseCandidates", func(t *testing.T) {
			since := testNow.Add(-time.Hour)
			got, err := a.RootCauseCandidates(ctx, nil, &since, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatal("no candidates")
			}
			for _, rc := range got {
				var ev *rootcause.Evidence
				for i := range rc.Evidence {
					if rc.Evidence[i].Kind == analysis.EvidenceDeletedCI {
						ev = &rc.Evidence[i]
					}
				}
				if ev == nil || ev.Weight != 0 || len(ev.CIs) != 2 || len(ev.IncidentIDs) != 2 ||
					!strings.Contains(ev.Detail, `"web-2" (deleted`) || !strings.Contains(ev.Detail, `"web-2 failing" had no other CI`) {
					t.Fatalf("%s: evidence %+v, want a DELETED_CI item naming db-vm and web-2", rc.CI.Name, rc.Evidence)
				}
				for _, inc := range rc.Explains {
					if inc.Title == "web-2 failing" {
						t.Fatalf("%s explains the incident on the deleted web-2", rc.CI.Name)
					}
				}
			}
		})
	})
}

func reason(ci *analysis.ChangeImpact, factor string) string {
	for _, r := range ci.Reasons {
		if r.Factor == factor {
			return r.Detail
		}
	}
	return ""
}

package itsm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// approved takes a fresh NORMAL change on targets through assessment and
// approval: requested by "requester", approved by "cab", with an assessment
// stored on the way.
func approved(t *testing.T, svc *itsm.Service, start time.Time, targets ...string) *itsm.Change {
	t.Helper()
	req := graph.WithActor(context.Background(), "requester")
	c, err := svc.CreateChange(req, itsm.CreateChangeInput{Title: "patch", Type: itsm.ChangeNormal, TargetCIs: targets,
		PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetAssessment(req, c, itsm.Assessment{At: testNow, Actor: "risk-bot", RiskScore: 40, Reasons: []string{"+25 old reason"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TransitionChange(req, c.ID, itsm.ChangeAssessed, "", ""); err != nil {
		t.Fatal(err)
	}
	c, err = svc.ApproveChange(graph.WithActor(context.Background(), "cab"), c.ID, itsm.Approve, "ok")
	if err != nil || c.State != itsm.ChangeApproved || c.Assessment == nil {
		t.Fatalf("approve: %+v %v", c, err)
	}
	return c
}

func TestMaterialEditsSendAChangeBack(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := graph.WithActor(context.Background(), "requester")
		sh := buildShop(t, svc.Store)
		start := testNow.Add(72 * time.Hour)
		later := start.Add(2 * time.Hour)
		normal := itsm.ChangeNormal
		standard := itsm.ChangeStandard
		tests := []struct {
			name     string
			in       itsm.UpdateChangeInput
			material bool
			note     string // in the transition's note
		}{
			{"title and description are not material", itsm.UpdateChangeInput{Title: ptr("patch db (v2)"), Description: ptr("details")}, false, ""},
			{"same targets in another order", itsm.UpdateChangeInput{TargetCIs: []string{sh.vm.ID, sh.db.ID}}, false, ""},
			{"same type", itsm.UpdateChangeInput{Type: &normal}, false, ""},
			{"window moved", itsm.UpdateChangeInput{PlannedStart: &later, PlannedEnd: ptr(later.Add(time.Hour))}, true, "window moved from"},
			{"end moved", itsm.UpdateChangeInput{PlannedEnd: ptr(start.Add(3 * time.Hour))}, true, "window moved"},
			{"targets swapped", itsm.UpdateChangeInput{TargetCIs: []string{sh.db.ID, sh.app.ID}}, true, "targets added shop-app, removed db-vm"},
			{"type changed", itsm.UpdateChangeInput{Type: &standard}, true, "type changed from NORMAL to STANDARD"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := approved(t, svc, start, sh.db.ID, sh.vm.ID)
				got, err := svc.UpdateChange(ctx, c.ID, tt.in)
				if err != nil {
					t.Fatal(err)
				}
				if !tt.material {
					if got.State != itsm.ChangeApproved || got.Assessment == nil || len(got.Transitions) != len(c.Transitions) {
						t.Fatalf("a non-material edit changed the approval: state %s, assessment %v", got.State, got.Assessment)
					}
					return
				}
				last := got.Transitions[len(got.Transitions)-1]
				if got.State != itsm.ChangeRequested || got.Assessment != nil {
					t.Fatalf("after a material edit: state %s, assessment %+v; want REQUESTED and no assessment", got.State, got.Assessment)
				}
				if last.From != "APPROVED" || last.To != "REQUESTED" || last.Actor != "requester" || !strings.Contains(last.Note, tt.note) {
					t.Fatalf("transition %+v, want APPROVED → REQUESTED noting %q", last, tt.note)
				}
				// The audit shows the state change and why.
				h, err := svc.Store.History(ctx, c.ID, graph.Page{First: 1})
				if err != nil || len(h.Entries) != 1 {
					t.Fatalf("history %+v %v", h.Entries, err)
				}
				var before, after itsm.Change
				if json.Unmarshal(h.Entries[0].Before, &before) != nil || json.Unmarshal(h.Entries[0].After, &after) != nil {
					t.Fatalf("audit entry %s → %s", h.Entries[0].Before, h.Entries[0].After)
				}
				if before.State != itsm.ChangeApproved || after.State != itsm.ChangeRequested || after.Assessment != nil ||
					!strings.Contains(after.Transitions[len(after.Transitions)-1].Note, tt.note) {
					t.Fatalf("audit: %s → %s", before.State, after.State)
				}
				// It needs approval again before it can be scheduled.
				_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
				if got.Type == itsm.ChangeNormal {
					wantErr(t, err, graph.CodeInvalidInput, "state")
				}
			})
		}

		t.Run("an assessed change goes back too, a requested one loses its assessment", func(t *testing.T) {
			c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeNormal, TargetCIs: []string{sh.db.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SetAssessment(ctx, c, itsm.Assessment{RiskScore: 10, Reasons: []string{"old"}}); err != nil {
				t.Fatal(err)
			}
			c, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{TargetCIs: []string{sh.app.ID}})
			if err != nil || c.State != itsm.ChangeRequested || c.Assessment != nil || len(c.Transitions) != 1 {
				t.Fatalf("requested change after a material edit: %+v %v", c, err)
			}
			svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", "")
			c, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{PlannedEnd: ptr(start.Add(2 * time.Hour))})
			if err != nil || c.State != itsm.ChangeRequested || c.Transitions[len(c.Transitions)-1].From != "ASSESSED" {
				t.Fatalf("assessed change after a material edit: %+v %v", c, err)
			}
		})

		t.Run("an assessment of an outdated plan is refused", func(t *testing.T) {
			c := approved(t, svc, start, sh.db.ID)
			if _, err := svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{TargetCIs: []string{sh.vm.ID}}); err != nil {
				t.Fatal(err)
			}
			_, err := svc.SetAssessment(ctx, c, itsm.Assessment{RiskScore: 5, Reasons: []string{"about db"}})
			wantErr(t, err, graph.CodeConflict, "changeId")
			if got, _ := svc.GetChange(ctx, c.ID); got.Assessment != nil {
				t.Fatalf("stale assessment stored: %+v", got.Assessment)
			}
		})

		t.Run("a scheduled change is re-planned through REQUESTED", func(t *testing.T) {
			c := approved(t, svc, start, sh.db.ID)
			if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", ""); err != nil {
				t.Fatal(err)
			}
			_, err := svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{PlannedStart: &later, PlannedEnd: ptr(later.Add(time.Hour))})
			wantErr(t, err, graph.CodeInvalidInput, "id")
			if !strings.Contains(graph.ErrorMessage(err), "REQUESTED") {
				t.Fatalf("message %q should say how to re-plan", graph.ErrorMessage(err))
			}
			if c, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeRequested, "", "vendor slipped a week"); err != nil || c.State != itsm.ChangeRequested {
				t.Fatalf("unschedule: %+v %v", c, err)
			}
			if c, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{PlannedStart: &later, PlannedEnd: ptr(later.Add(time.Hour))}); err != nil {
				t.Fatal(err)
			}
			_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
			wantErr(t, err, graph.CodeInvalidInput, "state") // approval needed again
		})

		t.Run("bad edits change nothing", func(t *testing.T) {
			c := approved(t, svc, start, sh.db.ID)
			_, err := svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{Type: ptr(itsm.ChangeType("MINOR"))})
			wantErr(t, err, graph.CodeInvalidInput, "type")
			_, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{TargetCIs: []string{graph.NewID()}})
			wantErr(t, err, graph.CodeNotFound, "targetCiIds[0]")
			if got, _ := svc.GetChange(ctx, c.ID); got.State != itsm.ChangeApproved || got.Version != c.Version {
				t.Fatalf("rejected edits changed the change: %+v", got)
			}
		})
	})
}

func TestSeparationOfDuties(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		sh := buildShop(t, svc.Store)
		start := testNow.Add(72 * time.Hour)
		alice := graph.WithActor(context.Background(), "alice")
		anon := context.Background()
		mk := func(ctx context.Context, typ itsm.ChangeType) *itsm.Change {
			t.Helper()
			c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: typ, TargetCIs: []string{sh.db.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if typ == itsm.ChangeNormal {
				if _, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeAssessed, "", ""); err != nil {
					t.Fatal(err)
				}
			}
			if c.RequestedBy != graph.ActorFrom(ctx) || c.Requester() != graph.ActorFrom(ctx) {
				t.Fatalf("requested by %q", c.RequestedBy)
			}
			return c
		}
		tests := []struct {
			name      string
			requester context.Context
			decider   context.Context
			typ       itsm.ChangeType
			decision  itsm.Decision
		}{
			{"own approval", alice, alice, itsm.ChangeNormal, itsm.Approve},
			{"own rejection", alice, alice, itsm.ChangeNormal, itsm.Reject},
			{"own emergency", alice, alice, itsm.ChangeEmergency, itsm.Approve},
			{"anonymous is one actor", anon, anon, itsm.ChangeNormal, itsm.Approve},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := mk(tt.requester, tt.typ)
				_, err := svc.ApproveChange(tt.decider, c.ID, tt.decision, "")
				wantErr(t, err, graph.CodeForbidden, "")
				if msg := graph.ErrorMessage(err); !strings.Contains(msg, "separation of duties") || !strings.Contains(msg, graph.ActorFrom(tt.requester)) {
					t.Fatalf("message %q", msg)
				}
				if got, _ := svc.GetChange(context.Background(), c.ID); got.State != c.State && got.State != itsm.ChangeAssessed || len(got.Approvals) != 0 {
					t.Fatalf("refused decision changed the change: %+v", got)
				}
				// Someone else may decide.
				if _, err := svc.ApproveChange(graph.WithActor(context.Background(), "bob"), c.ID, tt.decision, ""); err != nil {
					t.Fatal(err)
				}
			})
		}
		t.Run("the rule can be turned off", func(t *testing.T) {
			lax := *svc
			lax.AllowSelfApproval = true
			c := mk(alice, itsm.ChangeNormal)
			if c, err := lax.ApproveChange(alice, c.ID, itsm.Approve, "small shop"); err != nil || c.State != itsm.ChangeApproved {
				t.Fatalf("self-approval with the rule off: %+v %v", c, err)
			}
		})
		t.Run("changes stored before requestedBy name the requester in their first transition", func(t *testing.T) {
			c := &itsm.Change{Transitions: []itsm.Transition{{From: "", To: "REQUESTED", Actor: "carol"}}}
			if c.Requester() != "carol" {
				t.Fatalf("requester %q", c.Requester())
			}
		})
	})
}

func TestCancelChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := graph.WithActor(context.Background(), "requester")
		sh := buildShop(t, svc.Store)
		start := testNow.Add(72 * time.Hour)
		to := func(c *itsm.Change, states ...itsm.ChangeState) *itsm.Change {
			t.Helper()
			for _, st := range states {
				var err error
				if c, err = svc.TransitionChange(ctx, c.ID, st, "", ""); err != nil {
					t.Fatalf("to %s: %v", st, err)
				}
			}
			return c
		}
		std := func() *itsm.Change {
			t.Helper()
			c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeStandard, TargetCIs: []string{sh.db.ID}, PlannedStart: start, PlannedEnd: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		tests := []struct {
			name string
			make func() *itsm.Change
			ok   bool
		}{
			{"from REQUESTED", std, true},
			{"from ASSESSED", func() *itsm.Change { return to(std(), itsm.ChangeAssessed) }, true},
			{"from APPROVED", func() *itsm.Change { return approved(t, svc, start, sh.db.ID) }, true},
			{"from SCHEDULED", func() *itsm.Change { return to(std(), itsm.ChangeScheduled) }, true},
			{"not from IMPLEMENTING", func() *itsm.Change { return to(std(), itsm.ChangeScheduled, itsm.ChangeImplementing) }, false},
			{"not from REVIEW", func() *itsm.Change {
				return to(std(), itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview)
			}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.make()
				_, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeCancelled, "", " ")
				if !tt.ok {
					wantErr(t, err, graph.CodeInvalidInput, "state")
					return
				}
				wantErr(t, err, graph.CodeInvalidInput, "note") // a reason is required
				got, err := svc.TransitionChange(ctx, c.ID, itsm.ChangeCancelled, "", "business no longer needs it")
				if err != nil {
					t.Fatal(err)
				}
				last := got.Transitions[len(got.Transitions)-1]
				if got.State != itsm.ChangeCancelled || got.CancelReason != "business no longer needs it" || last.To != "CANCELLED" || last.Note != got.CancelReason {
					t.Fatalf("cancelled %+v", got)
				}
				// Final: no moves, edits, decisions or notes.
				_, err = svc.TransitionChange(ctx, c.ID, itsm.ChangeScheduled, "", "")
				wantErr(t, err, graph.CodeInvalidInput, "state")
				_, err = svc.UpdateChange(ctx, c.ID, itsm.UpdateChangeInput{Title: ptr("again")})
				wantErr(t, err, graph.CodeInvalidInput, "id")
				_, err = svc.AddChangeNote(ctx, c.ID, "hello")
				wantErr(t, err, graph.CodeInvalidInput, "id")
				if !strings.Contains(graph.ErrorMessage(err), "a CANCELLED change") {
					t.Fatalf("message %q", graph.ErrorMessage(err))
				}
			})
		}
		got, _, err := svc.ListChanges(ctx, itsm.ChangeFilter{States: []itsm.ChangeState{itsm.ChangeCancelled}}, graph.Page{})
		if err != nil || len(got) != 4 {
			t.Fatalf("cancelled changes: %d, %v", len(got), err)
		}
	})
}

func TestMessagesReadAsEnglish(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.TransitionIncident(ctx, inc.ID, itsm.IncidentClosed, "")
		if msg := graph.ErrorMessage(err); !strings.HasPrefix(msg, "an incident cannot go from NEW to CLOSED") {
			t.Errorf("message %q", msg)
		}
		missing := graph.NewID()
		for _, err := range []error{
			func() error { _, err := svc.GetChange(ctx, missing); return err }(),
			func() error { _, err := svc.TransitionChange(ctx, missing, itsm.ChangeAssessed, "", ""); return err }(),
		} {
			if msg := graph.ErrorMessage(err); msg != `change "`+missing+`" not found` {
				t.Errorf("message %q", msg)
			}
		}
		em, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "x", Type: itsm.ChangeEmergency, TargetCIs: []string{sh.db.ID},
			PlannedStart: testNow.Add(time.Hour), PlannedEnd: testNow.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.TransitionChange(ctx, em.ID, itsm.ChangeScheduled, "", "")
		if msg := graph.ErrorMessage(err); !strings.HasPrefix(msg, "an EMERGENCY change needs an approval") {
			t.Errorf("message %q", msg)
		}
	})
}

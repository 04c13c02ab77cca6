package itsm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// CreateChangeInput requests a change.
type CreateChangeInput struct {
	Title        string
	Description  string
	Type         ChangeType
	TargetCIs    []string
	PlannedStart time.Time
	PlannedEnd   time.Time
	// RequestedAt back-dates a change recorded late (its first
	// transition); default now, not more than clockSkew ahead.
	RequestedAt *time.Time
}

// UpdateChangeInput edits a change that is not yet scheduled; nil fields are
// kept. The window, the targets and the type are material: changing any of
// them sends the change back for assessment and approval.
type UpdateChangeInput struct {
	Title        *string
	Description  *string
	Type         *ChangeType
	TargetCIs    []string
	PlannedStart *time.Time
	PlannedEnd   *time.Time
}

// CreateChange validates and stores a change request.
func (s *Service) CreateChange(ctx context.Context, in CreateChangeInput) (*Change, error) {
	if !validChangeType(in.Type) {
		return nil, graph.Invalid("type", "unknown change type %q (want STANDARD, NORMAL or EMERGENCY)", in.Type)
	}
	requested, err := s.openedAt("requestedAt", in.RequestedAt, s.Now())
	if err != nil {
		return nil, err
	}
	c := &Change{ID: graph.NewID(), Title: in.Title, Description: in.Description, Type: in.Type, State: ChangeRequested,
		TargetCIs: in.TargetCIs, PlannedStart: in.PlannedStart.UTC(), PlannedEnd: in.PlannedEnd.UTC(), RequestedAt: requested,
		RequestedBy: graph.ActorFrom(ctx)}
	if err := s.prepareChange(ctx, c, nil); err != nil {
		return nil, err
	}
	c.Transitions = []Transition{s.created(ctx, string(ChangeRequested), c.RequestedAt)}
	rec, err := changeRecord(c)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.PutRecord(ctx, rec, 0)
	if err != nil {
		_, fields := links(RoleTargets, "targetCiIds", c.TargetCIs)
		return nil, linkFieldError(err, fields)
	}
	return withChangeMeta(c, stored), nil
}

// UpdateChange edits a change before it is scheduled. A material edit — a
// different window, set of targets or type — invalidates what was assessed
// and approved: the stored assessment is cleared and an ASSESSED or APPROVED
// change goes back to REQUESTED, with a transition saying what changed. A
// SCHEDULED change is taken off the calendar first (transitionChange to
// REQUESTED), so re-planning it is an explicit, recorded step.
func (s *Service) UpdateChange(ctx context.Context, id string, in UpdateChangeInput) (*Change, error) {
	if in.Type != nil && !validChangeType(*in.Type) {
		return nil, graph.Invalid("type", "unknown change type %q (want STANDARD, NORMAL or EMERGENCY)", *in.Type)
	}
	return s.modifyChange(ctx, id, func(c *Change) error {
		switch c.State {
		case ChangeRequested, ChangeAssessed, ChangeApproved:
		case ChangeScheduled:
			return graph.Invalid("id", "a SCHEDULED change cannot be edited: move it back to REQUESTED with transitionChange "+
				"to re-plan it (it then needs assessment and approval again)")
		default:
			return graph.Invalid("id", "%s can no longer be edited", graph.Article(string(c.State)+" change"))
		}
		before := *c
		if in.Title != nil {
			c.Title = *in.Title
		}
		if in.Description != nil {
			c.Description = *in.Description
		}
		if in.Type != nil {
			c.Type = *in.Type
		}
		if in.TargetCIs != nil {
			c.TargetCIs = in.TargetCIs
		}
		if in.PlannedStart != nil {
			c.PlannedStart = in.PlannedStart.UTC()
		}
		if in.PlannedEnd != nil {
			c.PlannedEnd = in.PlannedEnd.UTC()
		}
		if err := s.prepareChange(ctx, c, before.TargetCIs); err != nil {
			return err
		}
		if samePlan(&before, c) {
			return nil
		}
		edits, err := s.materialEdits(ctx, &before, c)
		if err != nil {
			return err
		}
		c.Assessment = nil
		if c.State != ChangeRequested {
			note := "material edit (" + strings.Join(edits, "; ") + "): back to REQUESTED for assessment and approval"
			c.Transitions = append(c.Transitions, s.transition(ctx, string(c.State), string(ChangeRequested), note))
			c.State = ChangeRequested
		}
		return nil
	})
}

// materialEdits describes what changed between two versions of a change
// that invalidates its assessment and approval: the window, the set of
// targets (their order does not matter) and the type.
func (s *Service) materialEdits(ctx context.Context, before, after *Change) ([]string, error) {
	var out []string
	if !before.PlannedStart.Equal(after.PlannedStart) || !before.PlannedEnd.Equal(after.PlannedEnd) {
		out = append(out, fmt.Sprintf("window moved from %s – %s to %s – %s",
			before.PlannedStart.Format(time.RFC3339), before.PlannedEnd.Format(time.RFC3339),
			after.PlannedStart.Format(time.RFC3339), after.PlannedEnd.Format(time.RFC3339)))
	}
	added, removed := setDiff(after.TargetCIs, before.TargetCIs), setDiff(before.TargetCIs, after.TargetCIs)
	if len(added)+len(removed) > 0 {
		cis, err := s.Store.CIsByIDs(ctx, append(append([]string{}, added...), removed...))
		if err != nil {
			return nil, fmt.Errorf("name the changed targets: %w", err)
		}
		var parts []string
		if len(added) > 0 {
			parts = append(parts, "added "+ciNames(added, cis))
		}
		if len(removed) > 0 {
			parts = append(parts, "removed "+ciNames(removed, cis))
		}
		out = append(out, "targets "+strings.Join(parts, ", "))
	}
	if before.Type != after.Type {
		out = append(out, fmt.Sprintf("type changed from %s to %s", before.Type, after.Type))
	}
	return out, nil
}

// samePlan reports whether two versions of a change have the same window,
// set of targets and type: what an assessment and an approval are about.
func samePlan(a, b *Change) bool {
	return a.PlannedStart.Equal(b.PlannedStart) && a.PlannedEnd.Equal(b.PlannedEnd) && a.Type == b.Type &&
		len(setDiff(a.TargetCIs, b.TargetCIs)) == 0 && len(setDiff(b.TargetCIs, a.TargetCIs)) == 0
}

// setDiff returns the ids in a that are not in b, in a's order.
func setDiff(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, id := range b {
		in[id] = true
	}
	var out []string
	for _, id := range a {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// ciNames names CIs for messages, falling back to the id of a CI deleted
// since.
func ciNames(ids []string, cis map[string]graph.CI) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		if ci, ok := cis[id]; ok {
			names[i] = ci.Name
		}
	}
	return strings.Join(names, ", ")
}

// ApproveChange records an approver's decision: APPROVE moves the change to
// APPROVED, REJECT to REJECTED. The approver is the request's actor, who
// must not be the requester unless AllowSelfApproval is set (FORBIDDEN).
func (s *Service) ApproveChange(ctx context.Context, id string, decision Decision, comment string) (*Change, error) {
	return s.ApproveChangeAt(ctx, id, decision, comment, time.Time{})
}

// ApproveChangeAt is ApproveChange for a decision taken at at (zero: now):
// not in the future, not before the change's previous transition.
func (s *Service) ApproveChangeAt(ctx context.Context, id string, decision Decision, comment string, at time.Time) (*Change, error) {
	if decision != Approve && decision != Reject {
		return nil, graph.Invalid("decision", "unknown decision %q (want APPROVE or REJECT)", decision)
	}
	return s.modifyChange(ctx, id, func(c *Change) error {
		if err := checkApproval(c); err != nil {
			return err
		}
		if !s.AllowSelfApproval {
			if err := checkDecider(c, graph.ActorFrom(ctx)); err != nil {
				return err
			}
		}
		to := ChangeApproved
		if decision == Reject {
			to = ChangeRejected
		}
		tr, err := s.transitionAt(ctx, c.Transitions, string(c.State), string(to), comment, at)
		if err != nil {
			return err
		}
		c.Approvals = append(c.Approvals, Approval{Approver: tr.Actor, At: tr.At, Decision: decision, Comment: comment})
		c.State = to
		c.Transitions = append(c.Transitions, tr)
		return nil
	})
}

// TransitionChange moves a change along its lifecycle now. Scheduling a
// NORMAL change inside a freeze window that covers its targets or the
// services they impact is refused; closing needs an outcome, cancelling a
// reason (the note).
func (s *Service) TransitionChange(ctx context.Context, id string, to ChangeState, outcome ChangeOutcome, note string) (*Change, error) {
	return s.TransitionChangeAt(ctx, id, to, outcome, note, time.Time{})
}

// TransitionChangeAt is TransitionChange for a move that happened at at
// (zero: now), such as an implementation recorded after the fact: the
// actual start (IMPLEMENTING) and end (REVIEW) it stamps are back-dated
// with it. at must not be in the future or before the previous transition.
func (s *Service) TransitionChangeAt(ctx context.Context, id string, to ChangeState, outcome ChangeOutcome, note string, at time.Time) (*Change, error) {
	if !validChangeState(to) {
		return nil, graph.Invalid("state", "unknown change state %q", to)
	}
	return s.modifyChange(ctx, id, func(c *Change) error {
		if err := checkChangeMove(c, to); err != nil {
			return err
		}
		if to == ChangeScheduled && c.Type == ChangeNormal {
			freezes, err := s.FreezeViolations(ctx, c)
			if err != nil {
				return err
			}
			if len(freezes) > 0 {
				names := make([]string, len(freezes))
				for i, w := range freezes {
					names[i] = fmt.Sprintf("%q (%s – %s)", w.Name, w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
				}
				return graph.Errorf(graph.CodeConflict, "plannedStart", "the planned window overlaps freeze window %s", strings.Join(names, ", "))
			}
		}
		tr, err := s.transitionAt(ctx, c.Transitions, string(c.State), string(to), note, at)
		if err != nil {
			return err
		}
		switch to {
		case ChangeImplementing:
			c.ActualStart = timePtr(tr.At)
		case ChangeReview:
			c.ActualEnd = timePtr(tr.At)
		case ChangeClosed:
			if !validOutcome(outcome) {
				return graph.Invalid("outcome", "closing a change needs an outcome: SUCCESSFUL, FAILED or ROLLED_BACK")
			}
			c.Outcome = outcome
		}
		if to != ChangeClosed && outcome != "" {
			return graph.Invalid("outcome", "an outcome is given only when closing a change")
		}
		if to == ChangeCancelled {
			if strings.TrimSpace(note) == "" {
				return graph.Invalid("note", "cancelling a change needs a reason in note")
			}
			c.CancelReason = note
		}
		if note != "" && (to == ChangeImplementing || to == ChangeReview) {
			c.ImplementationNotes = append(c.ImplementationNotes, Note{At: tr.At, Author: tr.Actor, Text: note})
		}
		c.State = to
		c.Transitions = append(c.Transitions, tr)
		return nil
	})
}

// AddChangeNote appends an implementation note.
func (s *Service) AddChangeNote(ctx context.Context, id, text string) (*Change, error) {
	if strings.TrimSpace(text) == "" {
		return nil, graph.Invalid("text", "a note must not be empty")
	}
	return s.modifyChange(ctx, id, func(c *Change) error {
		if c.State == ChangeClosed || c.State == ChangeRejected || c.State == ChangeCancelled {
			return graph.Invalid("id", "%s takes no more notes", graph.Article(string(c.State)+" change"))
		}
		c.ImplementationNotes = append(c.ImplementationNotes, Note{At: s.Now(), Author: graph.ActorFrom(ctx), Text: text})
		return nil
	})
}

// Requester is the actor who requested the change. Changes stored before
// Ripple kept RequestedBy name them in their first transition.
func (c *Change) Requester() string {
	if c.RequestedBy != "" {
		return c.RequestedBy
	}
	if len(c.Transitions) > 0 && c.Transitions[0].From == "" {
		return c.Transitions[0].Actor
	}
	return ""
}

// SetAssessment stores an assessment of assessed (the change as the
// analysis read it) on the change. If the change was materially edited in
// the meantime the assessment is about a plan it no longer has, and it is
// refused (CONFLICT) rather than stored stale.
func (s *Service) SetAssessment(ctx context.Context, assessed *Change, a Assessment) (*Change, error) {
	return s.modifyChange(ctx, assessed.ID, func(c *Change) error {
		if !samePlan(assessed, c) {
			return graph.Errorf(graph.CodeConflict, "changeId",
				"change %q was edited (window, targets or type) while it was being assessed: assess it again", c.ID)
		}
		c.Assessment = &a
		return nil
	})
}

// GetChange reads one change.
func (s *Service) GetChange(ctx context.Context, id string) (*Change, error) {
	var c Change
	rec, err := s.load(ctx, graph.KindChange, id, &c)
	if err != nil {
		return nil, err
	}
	return withChangeMeta(&c, rec), nil
}

// ChangeFilter selects changes.
type ChangeFilter struct {
	States   []ChangeState
	CI       string
	From, To *time.Time
	// Order is the listing's order (zero: newest first); not a condition.
	Order graph.RecordOrder
}

// ListChanges returns one page of changes in f.Order.
func (s *Service) ListChanges(ctx context.Context, f ChangeFilter, p graph.Page) ([]*Change, graph.RecordPage, error) {
	rf := graph.RecordFilter{CI: f.CI, From: f.From, To: f.To, Order: f.Order}
	for _, st := range f.States {
		if !validChangeState(st) {
			return nil, graph.RecordPage{}, graph.Invalid("filter.states", "unknown change state %q", st)
		}
		rf.States = append(rf.States, string(st))
	}
	page, err := s.Store.ListRecords(ctx, graph.KindChange, rf, p)
	if err != nil {
		return nil, page, err
	}
	out := make([]*Change, 0, len(page.Records))
	for _, rec := range page.Records {
		c, err := decodeChange(rec)
		if err != nil {
			return nil, page, err
		}
		out = append(out, c)
	}
	return out, page, nil
}

// FreezeViolations returns the freeze windows that overlap the change's
// planned window and cover its targets or the services they impact.
func (s *Service) FreezeViolations(ctx context.Context, c *Change) ([]*Window, error) {
	return s.FreezeViolationsWith(ctx, c, func(ctx context.Context) ([]string, error) {
		cis, err := s.Store.CIsByIDs(ctx, c.TargetCIs)
		if err != nil {
			return nil, err
		}
		return s.impactedServices(ctx, c.TargetCIs, cis)
	})
}

// FreezeViolationsWith is FreezeViolations with the services the change's
// targets impact told by services, which it calls only when a freeze
// window overlaps the change's: an analysis that holds the change's blast
// radius already need not have it computed again.
func (s *Service) FreezeViolationsWith(ctx context.Context, c *Change, services func(context.Context) ([]string, error)) ([]*Window, error) {
	freezes, err := s.Windows(ctx, WindowFreeze, c.PlannedStart, c.PlannedEnd)
	if err != nil || len(freezes) == 0 {
		return nil, err
	}
	scope := map[string]bool{}
	for _, id := range c.TargetCIs {
		scope[id] = true
	}
	impacted, err := services(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range impacted {
		scope[id] = true
	}
	var out []*Window
	for _, w := range freezes {
		// Windows touching end to start do not overlap.
		if w.Covers(scope) && w.Start.Before(c.PlannedEnd) && c.PlannedStart.Before(w.End) {
			out = append(out, w)
		}
	}
	return out, nil
}

// prepareChange validates a change; kept are the targets it had before an
// edit (see checkCIs).
func (s *Service) prepareChange(ctx context.Context, c *Change, kept []string) error {
	if err := checkText("title", c.Title, c.Description); err != nil {
		return err
	}
	if c.PlannedStart.IsZero() {
		return graph.Invalid("plannedStart", "plannedStart is required")
	}
	if !c.PlannedEnd.After(c.PlannedStart) {
		return graph.Invalid("plannedEnd", "plannedEnd %s is not after plannedStart %s",
			c.PlannedEnd.Format(time.RFC3339), c.PlannedStart.Format(time.RFC3339))
	}
	_, err := s.checkCIs(ctx, "targetCiIds", c.TargetCIs, true, kept)
	return err
}

func (s *Service) modifyChange(ctx context.Context, id string, change func(*Change) error) (*Change, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, c, err := modify(ctx, s, graph.KindChange, id, func(c *Change, rec graph.Record) (graph.Record, error) {
		if err := change(c); err != nil {
			return rec, err
		}
		return changeRecord(c)
	})
	if err != nil {
		return nil, err
	}
	return withChangeMeta(c, rec), nil
}

func decodeChange(rec graph.Record) (*Change, error) {
	var c Change
	if err := jsonUnmarshal(rec, &c); err != nil {
		return nil, err
	}
	return withChangeMeta(&c, rec), nil
}

func withChangeMeta(c *Change, rec graph.Record) *Change {
	c.Version, c.CreatedAt, c.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return c
}

// changeRecord is the storage form: the planned window (or the actual one
// once implementation started) bounds the record in time.
func changeRecord(c *Change) (graph.Record, error) {
	doc, err := encode(c)
	if err != nil {
		return graph.Record{}, err
	}
	start, end := c.PlannedStart, c.PlannedEnd
	if c.ActualStart != nil && c.ActualStart.Before(start) {
		start = *c.ActualStart
	}
	if c.ActualEnd != nil && c.ActualEnd.After(end) {
		end = *c.ActualEnd
	}
	return graph.Record{Kind: graph.KindChange, ID: c.ID, State: string(c.State), Start: &start, End: &end,
		Links: c.Links(), Refs: []string{"TYPE:" + string(c.Type)}, Doc: doc}, nil
}

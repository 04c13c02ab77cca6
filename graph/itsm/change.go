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
}

// UpdateChangeInput edits a change that is not yet scheduled; nil fields are
// kept.
type UpdateChangeInput struct {
	Title        *string
	Description  *string
	TargetCIs    []string
	PlannedStart *time.Time
	PlannedEnd   *time.Time
}

// CreateChange validates and stores a change request.
func (s *Service) CreateChange(ctx context.Context, in CreateChangeInput) (*Change, error) {
	if !validChangeType(in.Type) {
		return nil, graph.Invalid("type", "unknown change type %q (want STANDARD, NORMAL or EMERGENCY)", in.Type)
	}
	c := &Change{ID: graph.NewID(), Title: in.Title, Description: in.Description, Type: in.Type, State: ChangeRequested,
		TargetCIs: in.TargetCIs, PlannedStart: in.PlannedStart.UTC(), PlannedEnd: in.PlannedEnd.UTC(), RequestedAt: s.Now()}
	if err := s.prepareChange(ctx, c, nil); err != nil {
		return nil, err
	}
	c.Transitions = []Transition{s.transition(ctx, "", string(ChangeRequested), "")}
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

// UpdateChange edits a change before it is scheduled.
func (s *Service) UpdateChange(ctx context.Context, id string, in UpdateChangeInput) (*Change, error) {
	return s.modifyChange(ctx, id, func(c *Change) error {
		switch c.State {
		case ChangeRequested, ChangeAssessed, ChangeApproved:
		default:
			return graph.Invalid("id", "a %s change can no longer be edited", c.State)
		}
		if in.Title != nil {
			c.Title = *in.Title
		}
		if in.Description != nil {
			c.Description = *in.Description
		}
		kept := c.TargetCIs
		if in.TargetCIs != nil {
			c.TargetCIs = in.TargetCIs
		}
		if in.PlannedStart != nil {
			c.PlannedStart = in.PlannedStart.UTC()
		}
		if in.PlannedEnd != nil {
			c.PlannedEnd = in.PlannedEnd.UTC()
		}
		return s.prepareChange(ctx, c, kept)
	})
}

// ApproveChange records an approver's decision: APPROVE moves the change to
// APPROVED, REJECT to REJECTED. The approver is the request's actor.
func (s *Service) ApproveChange(ctx context.Context, id string, decision Decision, comment string) (*Change, error) {
	if decision != Approve && decision != Reject {
		return nil, graph.Invalid("decision", "unknown decision %q (want APPROVE or REJECT)", decision)
	}
	return s.modifyChange(ctx, id, func(c *Change) error {
		if err := checkApproval(c); err != nil {
			return err
		}
		to := ChangeApproved
		if decision == Reject {
			to = ChangeRejected
		}
		tr := s.transition(ctx, string(c.State), string(to), comment)
		c.Approvals = append(c.Approvals, Approval{Approver: tr.Actor, At: tr.At, Decision: decision, Comment: comment})
		c.State = to
		c.Transitions = append(c.Transitions, tr)
		return nil
	})
}

// TransitionChange moves a change along its lifecycle. Scheduling a NORMAL
// change inside a freeze window that covers its targets or the services they
// impact is refused; closing needs an outcome.
func (s *Service) TransitionChange(ctx context.Context, id string, to ChangeState, outcome ChangeOutcome, note string) (*Change, error) {
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
		tr := s.transition(ctx, string(c.State), string(to), note)
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
		if c.State == ChangeClosed || c.State == ChangeRejected {
			return graph.Invalid("id", "a %s change takes no more notes", c.State)
		}
		c.ImplementationNotes = append(c.ImplementationNotes, Note{At: s.Now(), Author: graph.ActorFrom(ctx), Text: text})
		return nil
	})
}

// SetAssessment stores an assessment on the change.
func (s *Service) SetAssessment(ctx context.Context, id string, a Assessment) (*Change, error) {
	return s.modifyChange(ctx, id, func(c *Change) error {
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
}

// ListChanges returns one page of changes, newest first.
func (s *Service) ListChanges(ctx context.Context, f ChangeFilter, p graph.Page) ([]*Change, graph.RecordPage, error) {
	rf := graph.RecordFilter{CI: f.CI, From: f.From, To: f.To}
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
	freezes, err := s.Windows(ctx, WindowFreeze, c.PlannedStart, c.PlannedEnd)
	if err != nil || len(freezes) == 0 {
		return nil, err
	}
	scope := map[string]bool{}
	for _, id := range c.TargetCIs {
		scope[id] = true
	}
	cis, err := s.Store.CIsByIDs(ctx, c.TargetCIs)
	if err != nil {
		return nil, err
	}
	services, err := s.impactedServices(ctx, c.TargetCIs, cis)
	if err != nil {
		return nil, err
	}
	for _, id := range services {
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

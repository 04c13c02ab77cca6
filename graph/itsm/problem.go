package itsm

import (
	"context"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// CreateProblemInput opens a problem.
type CreateProblemInput struct {
	Title       string
	Description string
	IncidentIDs []string
	RootCauseCI string
	Workaround  string
	// OpenedAt back-dates a problem recorded late (its first transition);
	// default now, not more than clockSkew ahead.
	OpenedAt *time.Time
}

// UpdateProblemInput edits a problem; nil fields are kept.
type UpdateProblemInput struct {
	Title              *string
	Description        *string
	RootCauseCI        *string
	RootCauseConfirmed *bool
	Workaround         *string
}

// CreateProblem validates and stores a problem.
func (s *Service) CreateProblem(ctx context.Context, in CreateProblemInput) (*Problem, error) {
	p := &Problem{ID: graph.NewID(), Title: in.Title, Description: in.Description, State: ProblemNew,
		IncidentIDs: in.IncidentIDs, RootCauseCI: in.RootCauseCI, Workaround: in.Workaround}
	opened, err := s.openedAt("openedAt", in.OpenedAt, s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.prepareProblem(ctx, p, ""); err != nil {
		return nil, err
	}
	p.Transitions = []Transition{s.created(ctx, string(ProblemNew), opened)}
	rec, err := problemRecord(p)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.PutRecord(ctx, rec, 0)
	if err != nil {
		return nil, linkFieldError(err, []string{"rootCauseCiId"})
	}
	return withProblemMeta(p, stored), nil
}

// UpdateProblem edits a problem.
func (s *Service) UpdateProblem(ctx context.Context, id string, in UpdateProblemInput) (*Problem, error) {
	return s.modifyProblem(ctx, id, func(p *Problem) error {
		if p.State == ProblemClosed {
			return graph.Invalid("id", "problem %s is CLOSED and cannot change", id)
		}
		kept := p.RootCauseCI
		if in.Title != nil {
			p.Title = *in.Title
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.RootCauseCI != nil {
			p.RootCauseCI = *in.RootCauseCI
		}
		if in.RootCauseConfirmed != nil {
			p.RootCauseConfirmed = *in.RootCauseConfirmed
		}
		if in.Workaround != nil {
			p.Workaround = *in.Workaround
		}
		return s.prepareProblem(ctx, p, kept)
	})
}

// LinkIncident attaches an incident to a problem (idempotent).
func (s *Service) LinkIncident(ctx context.Context, problemID, incidentID string) (*Problem, error) {
	return s.modifyProblem(ctx, problemID, func(p *Problem) error {
		for _, id := range p.IncidentIDs {
			if id == incidentID {
				return nil
			}
		}
		p.IncidentIDs = append(p.IncidentIDs, incidentID)
		return s.prepareProblem(ctx, p, p.RootCauseCI)
	})
}

// TransitionProblem moves a problem along its lifecycle now; reaching
// KNOWN_ERROR marks it a known error (root cause and workaround known).
func (s *Service) TransitionProblem(ctx context.Context, id string, to ProblemState, note string) (*Problem, error) {
	return s.TransitionProblemAt(ctx, id, to, note, time.Time{})
}

// TransitionProblemAt is TransitionProblem for a move that happened at at
// (zero: now): not in the future, not before the previous transition.
func (s *Service) TransitionProblemAt(ctx context.Context, id string, to ProblemState, note string, at time.Time) (*Problem, error) {
	if !validProblemState(to) {
		return nil, graph.Invalid("state", "unknown problem state %q", to)
	}
	return s.modifyProblem(ctx, id, func(p *Problem) error {
		if err := problemMachine.check("problem", p.State, to); err != nil {
			return err
		}
		if to == ProblemKnownError {
			if p.RootCauseCI == "" {
				return graph.Invalid("state", "a KNOWN_ERROR needs a root-cause CI (set rootCauseCiId first)")
			}
			p.KnownError = true
		}
		tr, err := s.transitionAt(ctx, p.Transitions, string(p.State), string(to), note, at)
		if err != nil {
			return err
		}
		p.Transitions = append(p.Transitions, tr)
		p.State = to
		return nil
	})
}

// GetProblem reads one problem.
func (s *Service) GetProblem(ctx context.Context, id string) (*Problem, error) {
	var p Problem
	rec, err := s.load(ctx, graph.KindProblem, id, &p)
	if err != nil {
		return nil, err
	}
	return withProblemMeta(&p, rec), nil
}

// ProblemFilter selects problems.
type ProblemFilter struct {
	States []ProblemState
	// CI matches problems whose root cause is this CI.
	CI string
	// IncidentID matches the problem an incident is linked to.
	IncidentID string
	// Order is the listing's order (zero: newest first); not a condition.
	Order graph.RecordOrder
}

// ListProblems returns one page of problems in f.Order.
func (s *Service) ListProblems(ctx context.Context, f ProblemFilter, p graph.Page) ([]*Problem, graph.RecordPage, error) {
	rf := graph.RecordFilter{CI: f.CI, Order: f.Order}
	for _, st := range f.States {
		if !validProblemState(st) {
			return nil, graph.RecordPage{}, graph.Invalid("filter.states", "unknown problem state %q", st)
		}
		rf.States = append(rf.States, string(st))
	}
	if f.IncidentID != "" {
		rf.Ref = graph.RecordRef(graph.KindIncident, f.IncidentID)
	}
	page, err := s.Store.ListRecords(ctx, graph.KindProblem, rf, p)
	if err != nil {
		return nil, page, err
	}
	out := make([]*Problem, 0, len(page.Records))
	for _, rec := range page.Records {
		var pr Problem
		if err := jsonUnmarshal(rec, &pr); err != nil {
			return nil, page, err
		}
		out = append(out, withProblemMeta(&pr, rec))
	}
	return out, page, nil
}

// prepareProblem validates a problem; kept is the root cause it had before
// an edit (see checkCIs).
func (s *Service) prepareProblem(ctx context.Context, p *Problem, kept string) error {
	if err := checkText("title", p.Title, p.Description); err != nil {
		return err
	}
	if p.RootCauseCI != "" {
		if _, err := s.checkCIs(ctx, "rootCauseCiId", []string{p.RootCauseCI}, false, []string{kept}); err != nil {
			return graph.RenameField(err, "rootCauseCiId[0]", "rootCauseCiId")
		}
	}
	seen := map[string]bool{}
	for i, id := range p.IncidentIDs {
		field := graph.FieldIndex("incidentIds", i)
		if err := graph.CheckID(field, id); err != nil {
			return err
		}
		if seen[id] {
			return graph.Invalid(field, "incident %s is listed twice", id)
		}
		seen[id] = true
	}
	found, err := s.Store.RecordsByIDs(ctx, graph.KindIncident, p.IncidentIDs)
	if err != nil {
		return err
	}
	for i, id := range p.IncidentIDs {
		if _, ok := found[id]; !ok {
			return graph.NotFound(graph.FieldIndex("incidentIds", i), "incident", id)
		}
	}
	return nil
}

func (s *Service) modifyProblem(ctx context.Context, id string, change func(*Problem) error) (*Problem, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, p, err := modify(ctx, s, graph.KindProblem, id, func(p *Problem, rec graph.Record) (graph.Record, error) {
		if err := change(p); err != nil {
			return rec, err
		}
		return problemRecord(p)
	})
	if err != nil {
		return nil, err
	}
	return withProblemMeta(p, rec), nil
}

func withProblemMeta(p *Problem, rec graph.Record) *Problem {
	p.Version, p.CreatedAt, p.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return p
}

// problemRecord is the storage form: the root-cause CI is a link, and each
// linked incident a tag, so "the problem of incident X" is an index lookup.
func problemRecord(p *Problem) (graph.Record, error) {
	doc, err := encode(p)
	if err != nil {
		return graph.Record{}, err
	}
	rec := graph.Record{Kind: graph.KindProblem, ID: p.ID, State: string(p.State), Links: p.Links(), Doc: doc}
	for _, id := range p.IncidentIDs {
		rec.Refs = append(rec.Refs, graph.RecordRef(graph.KindIncident, id))
	}
	if p.KnownError {
		rec.Refs = append(rec.Refs, "KNOWN_ERROR")
	}
	return rec, nil
}

package itsm

import (
	"context"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// CreateWindowInput declares a maintenance or freeze window.
type CreateWindowInput struct {
	Name   string
	Kind   WindowKind
	Start  time.Time
	End    time.Time
	Scope  []string // CI or service ids; empty = everything
	Reason string
}

// UpdateWindowInput edits a window; nil fields are kept.
type UpdateWindowInput struct {
	Name   *string
	Kind   *WindowKind
	Start  *time.Time
	End    *time.Time
	Scope  []string // replaces the scope when not nil; empty = everything
	Reason *string
}

// CreateWindow validates and stores a window.
func (s *Service) CreateWindow(ctx context.Context, in CreateWindowInput) (*Window, error) {
	w := &Window{ID: graph.NewID(), Name: in.Name, Kind: in.Kind, Start: in.Start.UTC(), End: in.End.UTC(), Scope: in.Scope, Reason: in.Reason}
	if err := s.checkWindow(ctx, w, nil); err != nil {
		return nil, err
	}
	rec, err := windowRecord(w)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.PutRecord(ctx, rec, 0)
	if err != nil {
		_, fields := links(RoleScope, "scope", w.Scope)
		return nil, linkFieldError(err, fields)
	}
	return withWindowMeta(w, stored), nil
}

// UpdateWindow edits a window, at version when it is not 0 (CONFLICT if it
// changed since). A freeze only stops changes from being scheduled: moving
// one over a change already SCHEDULED does not unschedule it, but
// changeImpact reports the violation.
func (s *Service) UpdateWindow(ctx context.Context, id string, version int64, in UpdateWindowInput) (*Window, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, w, err := modifyAt(ctx, s, graph.KindWindow, id, version, func(w *Window, _ graph.Record) (graph.Record, error) {
		kept := w.Scope
		if in.Name != nil {
			w.Name = *in.Name
		}
		if in.Kind != nil {
			w.Kind = *in.Kind
		}
		if in.Start != nil {
			w.Start = in.Start.UTC()
		}
		if in.End != nil {
			w.End = in.End.UTC()
		}
		if in.Scope != nil {
			w.Scope = in.Scope
		}
		if in.Reason != nil {
			w.Reason = *in.Reason
		}
		if err := s.checkWindow(ctx, w, kept); err != nil {
			return graph.Record{}, err
		}
		return windowRecord(w)
	})
	if err != nil {
		_, fields := links(RoleScope, "scope", in.Scope)
		return nil, linkFieldError(err, fields)
	}
	return withWindowMeta(w, rec), nil
}

// DeleteWindow deletes a window, at version when it is not 0. The audit
// keeps it.
func (s *Service) DeleteWindow(ctx context.Context, id string, version int64) error {
	return s.deleteRecord(ctx, graph.KindWindow, id, version)
}

// GetWindow reads one window.
func (s *Service) GetWindow(ctx context.Context, id string) (*Window, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	var w Window
	rec, err := s.load(ctx, graph.KindWindow, id, &w)
	if err != nil {
		return nil, err
	}
	return withWindowMeta(&w, rec), nil
}

// checkWindow validates a window, for create and update alike; kept is the
// scope it had before an edit (see checkCIs).
func (s *Service) checkWindow(ctx context.Context, w *Window, kept []string) error {
	if err := checkText("name", w.Name, w.Reason); err != nil {
		return err
	}
	if w.Kind != WindowMaintenance && w.Kind != WindowFreeze {
		return graph.Invalid("kind", "unknown window kind %q (want MAINTENANCE or FREEZE)", w.Kind)
	}
	if w.Start.IsZero() {
		return graph.Invalid("start", "start is required")
	}
	if !w.End.After(w.Start) {
		return graph.Invalid("end", "end %s is not after start %s", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
	}
	_, err := s.checkCIs(ctx, "scope", w.Scope, false, kept)
	return err
}

// windowRecord is the storage form: bounded by the window, linked to its
// scope, its kind as the state.
func windowRecord(w *Window) (graph.Record, error) {
	doc, err := encode(w)
	if err != nil {
		return graph.Record{}, err
	}
	return graph.Record{Kind: graph.KindWindow, ID: w.ID, State: string(w.Kind),
		Start: timePtr(w.Start), End: timePtr(w.End), Links: w.Links(), Doc: doc}, nil
}

func withWindowMeta(w *Window, rec graph.Record) *Window {
	w.Version, w.CreatedAt, w.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return w
}

// Windows returns the windows of a kind ("" = any) overlapping [from, to].
func (s *Service) Windows(ctx context.Context, kind WindowKind, from, to time.Time) ([]*Window, error) {
	f := graph.RecordFilter{From: &from, To: &to}
	if kind != "" {
		f.States = []string{string(kind)}
	}
	var out []*Window
	err := eachRecord(ctx, s.Store, graph.KindWindow, f, func(rec graph.Record) error {
		var w Window
		if err := jsonUnmarshal(rec, &w); err != nil {
			return err
		}
		out = append(out, withWindowMeta(&w, rec))
		return nil
	})
	return out, err
}

// Covers reports whether the window applies to any of the ids (a window
// without scope applies to everything).
func (w *Window) Covers(ids map[string]bool) bool {
	if len(w.Scope) == 0 {
		return true
	}
	for _, id := range w.Scope {
		if ids[id] {
			return true
		}
	}
	return false
}

// eachRecord visits every record matching the filter, page by page.
func eachRecord(ctx context.Context, st graph.RecordStore, kind graph.RecordKind, f graph.RecordFilter, visit func(graph.Record) error) error {
	return graph.EachRecordPage(f.Order, func(p graph.Page) (graph.RecordPage, error) {
		page, err := st.ListRecords(ctx, kind, f, p)
		if err != nil {
			return page, err
		}
		for _, rec := range page.Records {
			if err := visit(rec); err != nil {
				return page, err
			}
		}
		return page, nil
	})
}

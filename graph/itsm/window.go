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

// CreateWindow validates and stores a window.
func (s *Service) CreateWindow(ctx context.Context, in CreateWindowInput) (*Window, error) {
	if err := checkText("name", in.Name, in.Reason); err != nil {
		return nil, err
	}
	if in.Kind != WindowMaintenance && in.Kind != WindowFreeze {
		return nil, graph.Invalid("kind", "unknown window kind %q (want MAINTENANCE or FREEZE)", in.Kind)
	}
	if in.Start.IsZero() {
		return nil, graph.Invalid("start", "start is required")
	}
	if !in.End.After(in.Start) {
		return nil, graph.Invalid("end", "end %s is not after start %s", in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
	}
	if _, err := s.checkCIs(ctx, "scope", in.Scope, false); err != nil {
		return nil, err
	}
	w := &Window{ID: graph.NewID(), Name: in.Name, Kind: in.Kind, Start: in.Start.UTC(), End: in.End.UTC(), Scope: in.Scope, Reason: in.Reason}
	doc, err := encode(w)
	if err != nil {
		return nil, err
	}
	scope, fields := links(RoleScope, "scope", w.Scope)
	rec, err := s.Store.PutRecord(ctx, graph.Record{Kind: graph.KindWindow, ID: w.ID, State: string(w.Kind),
		Start: timePtr(w.Start), End: timePtr(w.End), Links: scope, Doc: doc}, 0)
	if err != nil {
		return nil, linkFieldError(err, fields)
	}
	w.Version, w.CreatedAt, w.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return w, nil
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
		w.Version, w.CreatedAt, w.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
		out = append(out, &w)
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
	return graph.EachRecordPage(func(p graph.Page) (graph.RecordPage, error) {
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

package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// PutRecord creates (expectVersion 0) or replaces (expectVersion = the
// version read) a record; see graph.RecordStore.
func (s *Store) PutRecord(ctx context.Context, rec graph.Record, expectVersion int64) (graph.Record, error) {
	if err := graph.CheckRecord(rec); err != nil {
		return graph.Record{}, err
	}
	if expectVersion < 0 {
		return graph.Record{}, graph.Invalid("version", "expected version must not be negative")
	}
	var stored *graph.Record
	err := s.write(ctx, func(t *txn) error {
		var err error
		stored, err = t.putRecord(rec, expectVersion)
		return err
	})
	if err != nil {
		return graph.Record{}, err
	}
	return cloneRecord(stored), nil
}

func (t *txn) putRecord(rec graph.Record, expectVersion int64) (*graph.Record, error) {
	cur, exists := t.record(rec.Kind, rec.ID)
	switch {
	case expectVersion == 0 && exists:
		return nil, graph.Errorf(graph.CodeConflict, "id", "%s %s already exists", rec.Kind.Noun(), rec.ID)
	case expectVersion > 0 && !exists:
		return nil, graph.RecordNotFound("id", rec.Kind, rec.ID)
	case expectVersion > 0 && cur.Version != expectVersion:
		return nil, graph.Errorf(graph.CodeConflict, "version",
			"%s %s is at version %d, not %d: it changed since it was read", rec.Kind.Noun(), rec.ID, cur.Version, expectVersion)
	}
	for i, l := range rec.Links {
		// A link the record already had may point to a CI deleted since: a
		// record outlives the CIs it is about. New links must exist.
		if !t.exists(l.CI) && !(exists && linksTo(cur, l.CI)) {
			return nil, graph.NotFound(fmt.Sprintf("links[%d]", i), "CI", l.CI)
		}
	}
	// The stored value shares nothing with the caller's.
	r := cloneRecord(&rec)
	r.Start, r.End = utcTime(rec.Start), utcTime(rec.End)
	r.UpdatedAt = t.now
	action, before := graph.ActionCreate, []byte(nil)
	if exists {
		action, before = graph.ActionUpdate, cur.Doc
		r.Version, r.CreatedAt = cur.Version+1, cur.CreatedAt
	} else {
		r.Version, r.CreatedAt = 1, t.now
	}
	t.recs[recKey{r.Kind, r.ID}] = &r
	// Doc is never modified once stored, so the entry may share it.
	t.logChange(action, graph.AuditSubject(r.Kind), r.ID, []string{r.ID}, before, r.Doc)
	return &r, nil
}

// utcTime copies a time in UTC, which is how it reads back from disk.
func utcTime(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	u := p.UTC()
	return &u
}

// cloneRecord returns a copy sharing nothing mutable with r, with empty
// lists made nil as they read back from disk.
func cloneRecord(r *graph.Record) graph.Record {
	out := *r
	if r.Start != nil {
		start := *r.Start
		out.Start = &start
	}
	if r.End != nil {
		end := *r.End
		out.End = &end
	}
	out.Links = nil
	if len(r.Links) > 0 {
		out.Links = append([]graph.RecordLink(nil), r.Links...)
	}
	out.Refs = nil
	if len(r.Refs) > 0 {
		out.Refs = append([]string(nil), r.Refs...)
	}
	out.Doc = bytes.Clone(r.Doc)
	return out
}

// GetRecord returns one record.
func (s *Store) GetRecord(ctx context.Context, kind graph.RecordKind, id string) (graph.Record, error) {
	if err := graph.CheckRecordKey(kind, id); err != nil {
		return graph.Record{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.Record{}, err
	}
	defer unlock()
	r, ok := s.mem.record(kind, id)
	if !ok {
		return graph.Record{}, graph.RecordNotFound("id", kind, id)
	}
	return cloneRecord(r), nil
}

// RecordsByIDs returns the records of a kind that exist among ids.
func (s *Store) RecordsByIDs(ctx context.Context, kind graph.RecordKind, ids []string) (map[string]graph.Record, error) {
	if err := graph.CheckRecordKind(kind); err != nil {
		return nil, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[string]graph.Record, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		if r, ok := s.mem.record(kind, id); ok {
			out[id] = cloneRecord(r)
		}
	}
	return out, nil
}

// ListRecords returns one page of the records of a kind matching f, in
// f.Order.
func (s *Store) ListRecords(ctx context.Context, kind graph.RecordKind, f graph.RecordFilter, p graph.Page) (graph.RecordPage, error) {
	ks, err := graph.CheckListRecords(kind, f.Order, p)
	if err != nil {
		return graph.RecordPage{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.RecordPage{}, err
	}
	defer unlock()
	var page graph.RecordPage
	var hits []*graph.Record
	// A record keeps links to CIs deleted since, but listing "records on
	// CI x" only ever matches a CI that exists, as in Neo4j where the link
	// edges go with the node.
	_, ciExists := s.mem.slots[f.CI]
	if ix := s.mem.recIdx[kind]; ix != nil && (f.CI == "" || ciExists) {
		hits, page.HasNextPage, page.HasPreviousPage, page.TotalCount = ix.list(newRecQuery(f), ks)
	}
	page.Records = make([]graph.Record, len(hits))
	for i, r := range hits {
		page.Records[i] = cloneRecord(r)
	}
	return page, nil
}

// DeleteRecord removes a record; a non-zero expectVersion must match.
func (s *Store) DeleteRecord(ctx context.Context, kind graph.RecordKind, id string, expectVersion int64) error {
	if err := graph.CheckRecordKey(kind, id); err != nil {
		return err
	}
	return s.write(ctx, func(t *txn) error {
		cur, ok := t.record(kind, id)
		switch {
		case !ok:
			return graph.RecordNotFound("id", kind, id)
		case expectVersion != 0 && cur.Version != expectVersion:
			return graph.Errorf(graph.CodeConflict, "version",
				"%s %s is at version %d, not %d: it changed since it was read", kind.Noun(), id, cur.Version, expectVersion)
		}
		t.recs[recKey{kind, id}] = nil
		t.logChange(graph.ActionDelete, graph.AuditSubject(kind), id, []string{id}, cur.Doc, nil)
		return nil
	})
}

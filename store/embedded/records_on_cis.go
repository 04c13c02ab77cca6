package embedded

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
)

// RecordsOnCIs returns, for each existing CI among cis, the records of a
// kind linked to it that match f's other conditions, newest created
// first; see graph.RecordStore. Each CI's records come from its own
// index entry, under one read lock, so the answer is one state of the
// store.
func (s *Store) RecordsOnCIs(ctx context.Context, kind graph.RecordKind, cis []string, f graph.RecordFilter) (map[string][]graph.Record, error) {
	if err := graph.CheckRecordKind(kind); err != nil {
		return nil, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f.CI = "" // each CI's tree holds only records linked to it
	q := newRecQuery(f)
	out := map[string][]graph.Record{}
	ix := s.mem.recIdx[kind]
	if ix == nil {
		return out, nil
	}
	for _, ci := range cis {
		if _, done := out[ci]; done {
			continue
		}
		// As in ListRecords: a link to a deleted CI matches nothing.
		if _, exists := s.mem.slots[ci]; !exists {
			continue
		}
		t := ix.byCI[ci]
		if t == nil {
			continue
		}
		var recs []graph.Record
		t.Reverse(func(r *graph.Record) bool { // id order is creation order
			if q.match(r) {
				recs = append(recs, cloneRecord(r))
			}
			return true
		})
		if len(recs) > 0 {
			out[ci] = recs
		}
	}
	return out, nil
}

package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

// The audit trail lives only on disk: one bbolt key per (about, entry), so
// that History is a single backwards range scan, and entries are written
// by txn.write in the bbolt transaction that makes the change they record.

// nextAuditID returns a fresh UUIDv7 greater than last. NewID is monotonic
// within a process; this keeps ids, and therefore history order, growing
// across restarts and clock steps as well, by counting up from last when
// the clock is behind it.
func nextAuditID(last string) string {
	id := graph.NewID()
	if id > last {
		return id
	}
	u, err := uuid.Parse(last)
	if err != nil {
		return id // load checked last; unreachable
	}
	// Count up in rand_b (bytes 9-15, then the low six bits of byte 8),
	// leaving the version and variant bits alone.
	for i := 15; i >= 9; i-- {
		if u[i]++; u[i] != 0 {
			return u.String()
		}
	}
	if u[8]&0x3f != 0x3f {
		u[8]++
		return u.String()
	}
	return id // 2^62 entries in one clock tick; unreachable
}

// CI and relation entries. The JSON of a CI is what the CIs bucket holds
// (txn.encoded); that of a relation is encodeRel's, i.e. json.Marshal of
// graph.Relation in both cases.

func (t *txn) logCI(action graph.AuditAction, id string, before, after []byte) {
	t.logChange(action, graph.SubjectCI, id, []string{id}, before, after)
}

func (t *txn) logRelation(action graph.AuditAction, r graph.Relation) error {
	b, err := encodeRel(r)
	if err != nil {
		return graph.Internal(err, "cannot encode relation")
	}
	k := r.Key()
	subject := graph.RelationSubjectID(k)
	before, after := b, []byte(nil)
	if action == graph.ActionRelate {
		before, after = nil, b
	}
	t.logChange(action, graph.SubjectRelation, subject, []string{subject, k.From, k.To}, before, after)
	return nil
}

// History returns the audit entries about an id, newest first.
func (s *Store) History(ctx context.Context, about string, p graph.Page) (graph.AuditPage, error) {
	p, after, err := graph.CheckHistory(about, p)
	if err != nil {
		return graph.AuditPage{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.AuditPage{}, err
	}
	defer unlock()
	var page graph.AuditPage
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return fmt.Errorf("audit bucket missing")
		}
		prefix := auditKey(about, "")
		// Position on the last key below the start: the cursor's entry, or
		// the end of this about's range (NUL+1 sorts after every entry id).
		start := auditKey(about, after)
		if after == "" {
			start[len(start)-1] = 1
		}
		c := b.Cursor()
		k, v := c.Seek(start)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if len(page.Entries) == p.First {
				page.HasNextPage = true
				break
			}
			e, err := decodeAudit(v)
			if err != nil || e.ID != string(k[len(prefix):]) {
				return fmt.Errorf("audit entry %q: %v", k, err)
			}
			page.Entries = append(page.Entries, e)
		}
		return nil
	})
	if err != nil {
		return graph.AuditPage{}, graph.Internal(err, "cannot read history of %s", about)
	}
	return page, nil
}

// Timelines returns each id's oldest entry (without its values) and, of
// each subject among its entries after since, the oldest; see
// graph.GraphHistory. The entries
// after since are one forward range scan from graph.AuditIDFloor(since),
// so the cost follows the history since the instant asked for, not the
// whole history; of those only the ones returned are decoded whole (the
// others' heads tell their subject and time), which is most of the cost
// on a long history: a CI updated daily has one entry to decode, not one
// a day.
func (s *Store) Timelines(ctx context.Context, ids []string, since time.Time) (map[string]graph.Timeline, error) {
	if err := graph.CheckTimelines(ids); err != nil {
		return nil, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[string]graph.Timeline, len(ids))
	floor := graph.AuditIDFloor(since)
	met := map[string]bool{} // subjects met after since, per id
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for _, id := range ids {
			if _, seen := out[id]; seen {
				continue
			}
			prefix := auditKey(id, "")
			k, v := c.Seek(prefix)
			if k == nil || !bytes.HasPrefix(k, prefix) {
				continue
			}
			first, err := decodeAuditEntry(v, false)
			if err != nil {
				return fmt.Errorf("audit entry %q: %w", k, err)
			}
			tl := graph.Timeline{First: first}
			clear(met)
			// Step from the first entry to the floor: far back, most of the
			// history is after it and a few steps cost less than a seek.
			for steps := 0; k != nil && bytes.HasPrefix(k, prefix) && string(k[len(prefix):]) < floor; steps++ {
				if steps == 32 {
					k, v = c.Seek(auditKey(id, floor))
					break
				}
				k, v = c.Next()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				h, err := peekAudit(v)
				if err != nil {
					return fmt.Errorf("audit entry %q: %w", k, err)
				}
				if met[string(h.subject)] || !time.UnixMicro(h.at).After(since) || !graph.AuditSubject(h.subjectKind).IsGraph() {
					continue
				}
				met[string(h.subject)] = true
				e, err := decodeAudit(v)
				if err != nil {
					return fmt.Errorf("audit entry %q: %w", k, err)
				}
				tl.Since = append(tl.Since, e)
			}
			if first.IsGraphEntry() {
				out[id] = tl
			}
		}
		return nil
	})
	if err != nil {
		return nil, graph.Internal(err, "cannot read timelines")
	}
	return out, nil
}

// GraphChanges returns CI and relation entries in (from, to], oldest
// first; see graph.GraphHistory. It reads the time index (bucketAuditTime)
// from graph.AuditIDFloor(from), or the cursor, and each entry it keeps
// from the audit bucket, so a page costs what it returns plus the entries
// written in the millisecond before from, not the whole trail. Writes are
// serialised and stamp graph.Now() under the write lock, so entry times
// grow with ids and the first one after to ends the scan (a wall clock
// stepped back could hide entries written after the step from it).
func (s *Store) GraphChanges(ctx context.Context, from, to time.Time, p graph.Page) (graph.AuditPage, error) {
	p, after, err := graph.CheckGraphChanges(from, to, p)
	if err != nil {
		return graph.AuditPage{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.AuditPage{}, err
	}
	defer unlock()
	floor := max(after, graph.AuditIDFloor(from))
	var page graph.AuditPage
	err = s.db.View(func(tx *bolt.Tx) error {
		audit, byTime := tx.Bucket(bucketAudit), tx.Bucket(bucketAuditTime)
		if byTime == nil {
			return fmt.Errorf("audit time index missing")
		}
		c := byTime.Cursor()
		for k, v := c.Seek([]byte(floor)); k != nil; k, v = c.Next() {
			if string(k) == after {
				continue
			}
			at, subject, err := decodeAuditTime(v)
			if err != nil {
				return fmt.Errorf("audit time index %q: %w", k, err)
			}
			if at.After(to) {
				return nil
			}
			if !at.After(from) {
				continue
			}
			if len(page.Entries) == p.First {
				page.HasNextPage = true
				return nil
			}
			key := auditKey(subject, string(k))
			e, err := decodeAudit(audit.Get(key))
			if err != nil {
				return fmt.Errorf("audit entry %q: %w", key, err)
			}
			page.Entries = append(page.Entries, e)
		}
		return nil
	})
	if err != nil {
		return graph.AuditPage{}, graph.Internal(err, "cannot read graph changes")
	}
	return page, nil
}

// encodeAuditTime is a time index value: At in Unix microseconds, then the
// subject id the entry is stored under in the audit bucket.
func encodeAuditTime(at time.Time, subject string) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(subject)), uint64(at.UnixMicro()))
	return append(b, subject...)
}

func decodeAuditTime(v []byte) (time.Time, string, error) {
	if len(v) < 8 {
		return time.Time{}, "", errBadAudit
	}
	return time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC(), string(v[8:]), nil
}

// indexAuditByTime fills the time index from the audit bucket, for files
// written before it existed. Each entry is stored once per id it is about;
// the copy under its subject is the one indexed.
func indexAuditByTime(tx *bolt.Tx) error {
	byTime := tx.Bucket(bucketAuditTime)
	return tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("audit key %q has no separator", k)
		}
		e, err := decodeAudit(v)
		if err != nil {
			return fmt.Errorf("audit entry %q: %w", k, err)
		}
		if e.SubjectID != string(k[:i]) || !e.IsGraphEntry() {
			return nil
		}
		return byTime.Put(k[i+1:], encodeAuditTime(e.At, e.SubjectID))
	})
}

package embedded

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
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

// Timelines returns each id's oldest entry and its entries after since;
// see graph.GraphHistory. The entries after since are one forward range
// scan from graph.AuditIDFloor(since), so the cost follows the history
// since the instant asked for, not the whole history.
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
			first, err := decodeAudit(v)
			if err != nil {
				return fmt.Errorf("audit entry %q: %w", k, err)
			}
			tl := graph.Timeline{First: first}
			for k, v = c.Seek(auditKey(id, floor)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				e, err := decodeAudit(v)
				if err != nil {
					return fmt.Errorf("audit entry %q: %w", k, err)
				}
				if e.At.After(since) && e.IsGraphEntry() {
					tl.Since = append(tl.Since, e)
				}
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
// first; see graph.GraphHistory. The audit bucket is keyed by what an
// entry is about, so this scans it whole (each entry counted under its own
// subject only): a diff between two instants is an occasional question,
// and an index by time would cost every write.
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
	var found []graph.AuditEntry
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
			i := bytes.IndexByte(k, 0)
			if i < 0 || string(k[i+1:]) < floor || string(k[i+1:]) == after {
				return nil
			}
			e, err := decodeAudit(v)
			if err != nil {
				return fmt.Errorf("audit entry %q: %w", k, err)
			}
			if e.SubjectID == string(k[:i]) && e.IsGraphEntry() && e.At.After(from) && !e.At.After(to) {
				found = append(found, e)
			}
			return nil
		})
	})
	if err != nil {
		return graph.AuditPage{}, graph.Internal(err, "cannot read graph changes")
	}
	slices.SortFunc(found, func(a, b graph.AuditEntry) int { return strings.Compare(a.ID, b.ID) })
	page := graph.AuditPage{Entries: found}
	if len(found) > p.First {
		page.Entries, page.HasNextPage = found[:p.First], true
	}
	return page, nil
}

package graph

import (
	"context"
	"fmt"
	"time"
)

// GraphHistory reads the audit trail of the configuration graph (CI and
// relation entries, never records') by time, which is what reconstructing
// the graph as it was at an instant needs (package graph/asof).
type GraphHistory interface {
	// Timelines returns, for each id among ids that has history (a CI id or
	// a relation's RelationSubjectID), its oldest CI or relation entry
	// (without its Before and After: only what and when it was matter),
	// of the entries about it whose At is after since, the oldest of each
	// subject, oldest first: what undoing the changes since needs (the
	// value before the first), whatever the number of changes after it.
	// Ids without history are absent. Errors: INVALID_INPUT ("ids[i]").
	Timelines(ctx context.Context, ids []string, since time.Time) (map[string]Timeline, error)

	// GraphChanges returns one page of the CI and relation entries whose At
	// lies in (from, to], oldest first, each once (not once per id it is
	// about). Pages go forward only, by IDCursor of the last entry.
	// Errors: INVALID_INPUT ("to" before "from", "first", "after", "last").
	GraphChanges(ctx context.Context, from, to time.Time, p Page) (AuditPage, error)
}

// Timeline is what the audit trail says about one id, for as-of reads.
type Timeline struct {
	// First is the oldest entry about the id, without its values (Before
	// and After are nil). A CI whose first entry is not its CREATE existed
	// before Ripple recorded its history.
	First AuditEntry
	// Since lists, of the entries after the instant asked for, the oldest
	// of each subject (the CI itself, each relation), oldest first.
	Since []AuditEntry
}

// IsGraphEntry reports whether an entry is about the configuration graph
// (a CI or a relation) rather than a record.
func (e AuditEntry) IsGraphEntry() bool { return e.SubjectKind.IsGraph() }

// IsGraph reports whether entries of this subject kind are about the
// configuration graph (a CI or a relation) rather than a record.
func (k AuditSubject) IsGraph() bool { return k == SubjectCI || k == SubjectRelation }

// AuditIDFloor returns a string that sorts at or below the id of every
// audit entry written at or after t. Entry ids are UUIDv7, drawn after the
// entry's At from a clock that only moves on, so their leading 48-bit
// millisecond timestamp is never below At's: stores seek their id-ordered
// indexes from here instead of scanning history that cannot qualify.
func AuditIDFloor(t time.Time) string {
	ms := max(t.UnixMilli(), 0)
	return fmt.Sprintf("%08x-%04x", uint64(ms)>>16, uint64(ms)&0xffff)
}

// CheckTimelines validates a Timelines request.
func CheckTimelines(ids []string) error {
	for i, id := range ids {
		if err := checkAbout(id); err != nil {
			return Invalid(FieldIndex("ids", i), "%s", err.(*Error).Message)
		}
	}
	return nil
}

// CheckGraphChanges validates a GraphChanges request and returns the id
// the page starts after (empty for the first page).
func CheckGraphChanges(from, to time.Time, p Page) (page Page, afterID string, err error) {
	if to.Before(from) {
		return p, "", Invalid("to", "to (%s) is before from (%s)", to.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	return checkHistoryPage(p)
}

package embedded

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

// allGraphChanges pages through every graph change in (from, to].
func allGraphChanges(t *testing.T, s *Store, from, to time.Time) []graph.AuditEntry {
	t.Helper()
	var out []graph.AuditEntry
	p := graph.Page{First: 2}
	for {
		page, err := s.GraphChanges(context.Background(), from, to, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Entries...)
		if !page.HasNextPage {
			return out
		}
		p.After = graph.IDCursor(page.Entries[len(page.Entries)-1].ID)
	}
}

// TestOpenUpgradesSchemaV3 opens a file as version 3 left it, without the
// audit time index: the upgrade builds it, so graph changes read the same.
func TestOpenUpgradesSchemaV3AuditTimeIndex(t *testing.T) {
	from := graph.Now().Add(-time.Second)
	var before []graph.AuditEntry
	s, a, b, _ := upgraded(t, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketAuditTime); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaV3))
	})
	checkSchemaIsCurrent(t, s)
	// a, b and a → b: three entries, each once, oldest first.
	before = allGraphChanges(t, s, from, graph.Now())
	if len(before) != 3 || before[0].SubjectID != a.ID || before[1].SubjectID != b.ID ||
		before[2].SubjectID != graph.RelationSubjectID(graph.RelationKey{From: a.ID, Type: graph.RelDependsOn, To: b.ID}) {
		t.Fatalf("graph changes after the upgrade: %+v", before)
	}
	// Writes after the upgrade are indexed too.
	if err := s.DeleteCI(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	after := allGraphChanges(t, s, from, graph.Now())
	if len(after) != 5 || !reflect.DeepEqual(after[:3], before) {
		t.Fatalf("graph changes after a delete on the upgraded file: %+v", after)
	}
}

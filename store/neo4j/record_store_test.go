package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

func testRecord(kind graph.RecordKind, doc string, links ...graph.CI) graph.Record {
	r := graph.Record{Kind: kind, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(doc)}
	for _, c := range links {
		r.Links = append(r.Links, graph.RecordLink{Role: "AFFECTS", CI: c.ID})
	}
	return r
}

func mustPutRecord(t testing.TB, s *Store, rec graph.Record, version int64) graph.Record {
	t.Helper()
	out, err := s.PutRecord(context.Background(), rec, version)
	if err != nil {
		t.Fatalf("PutRecord(%s v%d): %v", rec.ID, version, err)
	}
	return out
}

// TestHistoryPlanReadsIndexOrder pins each branch of a history page to a
// seek on its composite index read in descending index order, stopped
// after the page: no sort of the whole history, so a page costs O(first)
// however long the history. Only the final merge of the (at most three
// pages of) branches sorts.
func TestHistoryPlanReadsIndexOrder(t *testing.T) {
	s := newTestStore(t)
	ci := storetest.MustCI(t, s, "busy", graph.ClassApplication)
	other := storetest.MustCI(t, s, "other", graph.ClassDatabase)
	for i := 0; i < 50; i++ {
		if _, err := s.UpsertCI(context.Background(), graph.CIInput{ID: ci.ID, Owner: storetest.Ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	storetest.MustRelate(t, s, ci, graph.RelDependsOn, other)
	for _, prop := range []string{propAuditSubjectID, propAuditRelFrom, propAuditRelTo} {
		ops := explain(t, s, auditSeek(prop), map[string]any{"about": ci.ID, "before": historyTop, "limit": int64(11)})
		if !strings.Contains(ops, "NodeIndexSeek") || strings.Contains(ops, "Sort") || strings.Contains(ops, "Top") {
			t.Fatalf("history page on %s is not an ordered index seek: %s", prop, ops)
		}
	}
	for _, q := range []string{cypherHistory, cypherHistoryRelation} {
		ops := explain(t, s, q, map[string]any{"about": ci.ID, "before": historyTop, "limit": int64(11)})
		if strings.Contains(ops, "NodeByLabelScan") || strings.Contains(ops, "AllNodesScan") {
			t.Fatalf("history page scans: %s", ops)
		}
	}
}

// TestTimelinePlansSeekIndexes pins the timeline reads to index seeks:
// as-of reads call them with thousands of ids.
func TestTimelinePlansSeekIndexes(t *testing.T) {
	s := newTestStore(t)
	a := storetest.MustCI(t, s, "a", graph.ClassApplication)
	b := storetest.MustCI(t, s, "b", graph.ClassDatabase)
	storetest.MustRelate(t, s, a, graph.RelDependsOn, b)
	params := map[string]any{"ids": []string{a.ID, b.ID}, "floor": "0", "since": int64(0), "kinds": graphKinds}
	for _, q := range []string{cypherTimelineFirst, cypherTimelineFirstRelation, cypherTimelineSince, cypherTimelineSinceRelation} {
		ops := explain(t, s, q, params)
		if !strings.Contains(ops, "NodeIndexSeek") || strings.Contains(ops, "NodeByLabelScan") || strings.Contains(ops, "AllNodesScan") {
			t.Fatalf("timeline query is not index seeks: %s\n%s", ops, q)
		}
	}
}

// TestRecordListPlanReadsIndexOrder pins the unfiltered record page in
// creation order to the record_kind_id index read in index order, either
// way, without a sort.
func TestRecordListPlanReadsIndexOrder(t *testing.T) {
	s := newTestStore(t)
	for i := 0; i < 30; i++ {
		mustPutRecord(t, s, testRecord(graph.KindIncident, `{}`), 0)
	}
	// Descending is the default order paged forward; ascending, paging
	// it back (or the ascending order forward).
	for _, desc := range []bool{true, false} {
		page, _ := cypherListRecords(recordListFilter{desc: desc})
		ops := explain(t, s, page, map[string]any{"kind": string(graph.KindIncident), "cursorId": "", "limit": int64(11)})
		if !strings.Contains(ops, "NodeUniqueIndexSeek") || strings.Contains(ops, "Sort") || strings.Contains(ops, "Top") {
			t.Fatalf("record page (desc %v) is not an ordered index seek: %s", desc, ops)
		}
	}
}

func explain(t *testing.T, s *Store, cypher string, params map[string]any) string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.driver, "EXPLAIN "+cypher, params,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	ops := strings.Join(planOperators(res.Summary.Plan()), " ")
	t.Logf("plan operators: %s", ops)
	return ops
}

// TestRecordUniquenessIsEnforcedByTheDatabase bypasses PutRecord's own
// check, as a racing creator would: the constraint refuses a second
// (kind, id) and the error maps to CONFLICT on "id".
func TestRecordUniquenessIsEnforcedByTheDatabase(t *testing.T) {
	s := newTestStore(t)
	rec := mustPutRecord(t, s, testRecord(graph.KindIncident, `{}`), 0)
	_, err := writeTx(context.Background(), s, "duplicate record", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		return struct{}{}, exec(ctx, tx, cypherCreateRecord, map[string]any{"row": recordRow(rec, []byte("[]")), "links": []any{}})
	})
	storetest.WantErr(t, err, graph.CodeConflict, "id")
	if !strings.Contains(err.Error(), "record was created concurrently") {
		t.Fatalf("message %q", err)
	}
	// Another kind is another namespace.
	other := rec
	other.Kind = graph.KindProblem
	mustPutRecord(t, s, other, 0)
}

// TestRecordWritesLeaveNoLockOrStrayAudit: the record write lock (the
// _lock property) never outlives a write, won, lost or failed, and a failed
// write leaves no (:Audit) node behind, not even one naming
// something that does not exist (the conformance suite can only read the
// histories of ids it knows).
func TestRecordWritesLeaveNoLockOrStrayAudit(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := storetest.MustCI(t, s, "a", graph.ClassApplication, storetest.Ident("k", "A"))
	rec := mustPutRecord(t, s, testRecord(graph.KindProblem, `{}`, a), 0)
	count := func() int64 {
		return countNodes(t, s, labelAudit)
	}
	start := count()
	badLink := rec
	badLink.Links = append(badLink.Links, graph.RecordLink{Role: "AFFECTS", CI: graph.NewID()})
	fails := []func() error{
		func() error { _, err := s.PutRecord(ctx, rec, 7); return err },
		func() error { _, err := s.PutRecord(ctx, badLink, 1); return err },
		func() error { return s.DeleteRecord(ctx, rec.Kind, rec.ID, 9) },
		func() error {
			_, err := s.Apply(ctx, graph.Batch{
				Upserts: []graph.CIInput{{ID: a.ID, Owner: storetest.Ptr("x")}, storetest.Input("new", graph.ClassApplication)},
				Relate:  []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("k", "missing"))}}},
			})
			return err
		},
	}
	for i, f := range fails {
		if err := f(); err == nil {
			t.Fatalf("write %d succeeded", i)
		}
	}
	if end := count(); end != start {
		t.Fatalf("audit went from %d to %d entries", start, end)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rec
			r.Doc = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
			_, _ = s.PutRecord(ctx, r, 1) // one wins, the others lose under the lock
		}()
	}
	wg.Wait()
	if n := queryInt(t, s, "MATCH (r:Record) WHERE r._lock IS NOT NULL RETURN count(r) AS n", nil); n != 0 {
		t.Fatalf("%d records kept the lock property", n)
	}
}

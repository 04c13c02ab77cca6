package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
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

func history(t testing.TB, s *Store, about string) []graph.AuditEntry {
	t.Helper()
	h, err := s.History(context.Background(), about, graph.Page{First: graph.MaxPageSize})
	if err != nil {
		t.Fatalf("History(%s): %v", about, err)
	}
	return h.Entries
}

func actions(entries []graph.AuditEntry) string {
	var out []string
	for _, e := range entries {
		out = append(out, string(e.Action)+" "+string(e.SubjectKind))
	}
	return strings.Join(out, ", ")
}

// TestConcurrentRecordUpdatesOneWins races writers that all read version 1:
// the version check runs under the record's write lock, so exactly one
// wins and the others get CONFLICT on "version" (no lost update).
func TestConcurrentRecordUpdatesOneWins(t *testing.T) {
	s := newTestStore(t)
	rec := mustPutRecord(t, s, testRecord(graph.KindIncident, `{"n":0}`), 0)
	const writers = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      int
		conflicts int
	)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rec
			r.Doc = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+1))
			_, err := s.PutRecord(context.Background(), r, 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case graph.ErrorCode(err) == graph.CodeConflict && graph.ErrorField(err) == "version":
				conflicts++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("%d wins, %d conflicts; want 1 and %d", wins, conflicts, writers-1)
	}
	got, err := s.GetRecord(context.Background(), rec.Kind, rec.ID)
	if err != nil || got.Version != 2 {
		t.Fatalf("after the race: %+v, %v", got, err)
	}
	h := history(t, s, rec.ID)
	if actions(h) != "UPDATE INCIDENT, CREATE INCIDENT" || string(h[0].After) != string(got.Doc) {
		t.Fatalf("history %s, newest after %s; want one update matching %s", actions(h), h[0].After, got.Doc)
	}
	if n := queryInt(t, s, "MATCH (r:Record) WHERE r._lock IS NOT NULL RETURN count(r) AS n", nil); n != 0 {
		t.Fatalf("%d records kept the lock property", n)
	}
}

// TestConcurrentRecordCreatesOneWins races creators of one id: the
// record_kind_id constraint lets one commit and the others get CONFLICT on
// "id", however the checks interleave.
func TestConcurrentRecordCreatesOneWins(t *testing.T) {
	s := newTestStore(t)
	rec := testRecord(graph.KindChange, `{}`)
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.PutRecord(context.Background(), rec, 0)
		}(i)
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case graph.ErrorCode(err) != graph.CodeConflict || graph.ErrorField(err) != "id":
			t.Errorf("writer %d: %v, want CONFLICT on id", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates won, want 1", wins)
	}
	if n := len(history(t, s, rec.ID)); n != 1 {
		t.Fatalf("%d audit entries, want 1", n)
	}
}

// TestPutRecordReturnsWhatGetReads: times are kept to the microsecond, so
// PutRecord returns the record exactly as later reads see it.
func TestPutRecordReturnsWhatGetReads(t *testing.T) {
	s := newTestStore(t)
	ci := mustCI(t, s, "db", graph.ClassDatabase)
	start := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	rec := testRecord(graph.KindChange, `{"b": 1,  "a": [2]}`, ci)
	rec.Links = append(rec.Links, graph.RecordLink{Role: "TARGETS", CI: ci.ID})
	rec.Start, rec.Refs = &start, []string{"PROBLEM:p", "INCIDENT:i"}
	put := mustPutRecord(t, s, rec, 0)
	got, err := s.GetRecord(context.Background(), rec.Kind, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", put) != fmt.Sprintf("%+v", got) {
		t.Fatalf("PutRecord returned\n %+v\nGetRecord reads\n %+v", put, got)
	}
	if got.Start.Location() != time.UTC || got.Start.Nanosecond() != 123456000 || string(got.Doc) != string(rec.Doc) {
		t.Fatalf("start %v, doc %s", got.Start, got.Doc)
	}
}

// TestTimeFilterIsExactAtMicroseconds compares the Cypher overlap test with
// RecordFilter.Overlaps on bounds that fall between microseconds.
func TestTimeFilterIsExactAtMicroseconds(t *testing.T) {
	s := newTestStore(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	rec := testRecord(graph.KindWindow, `{}`)
	rec.Start, rec.End = &t0, &t1
	stored := mustPutRecord(t, s, rec, 0)
	half := 500 * time.Nanosecond
	for _, f := range []graph.RecordFilter{
		{To: tp(t0.Add(half))}, {To: tp(t0.Add(-half))}, {To: tp(t0)},
		{From: tp(t1.Add(half))}, {From: tp(t1.Add(-half))}, {From: tp(t1)},
		{From: tp(t0.Add(-time.Minute)), To: tp(t0.Add(-half))},
	} {
		want := f.Overlaps(stored.Start, stored.End)
		p, err := s.ListRecords(context.Background(), graph.KindWindow, f, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Records) == 1; got != want {
			t.Errorf("from %v to %v: listed %v, Overlaps says %v", f.From, f.To, got, want)
		}
	}
}

func tp(t time.Time) *time.Time { return &t }

// TestDeleteCIAuditsRelationsAndKeepsRecords: deleting a CI audits each
// relation it takes along and then the CI; records linked to it keep their
// Links (and are not silently changed) but no longer match its CI filter.
func TestDeleteCIAuditsRelationsAndKeepsRecords(t *testing.T) {
	s := newTestStore(t)
	ctx := graph.WithActor(context.Background(), "dora")
	app := mustCI(t, s, "app", graph.ClassApplication)
	db := mustCI(t, s, "db", graph.ClassDatabase)
	srv := mustCI(t, s, "srv", graph.ClassServer)
	mustRelate(t, s, app, graph.RelDependsOn, db)
	mustRelate(t, s, db, graph.RelRunsOn, srv)
	rec := mustPutRecord(t, s, testRecord(graph.KindIncident, `{}`, db, app), 0)
	// The open incident holds db: only a forced delete removes it.
	if _, err := s.ForceDeleteCI(ctx, db.ID); err != nil {
		t.Fatal(err)
	}
	h := history(t, s, db.ID)
	if got := actions(h); got != "DELETE CI, UNRELATE RELATION, UNRELATE RELATION, RELATE RELATION, RELATE RELATION, CREATE CI" {
		t.Fatalf("db history: %s", got)
	}
	var before graph.CI
	if err := json.Unmarshal(h[0].Before, &before); err != nil || before.ID != db.ID || before.Name != "db" || h[0].After != nil || h[0].Actor != "dora" {
		t.Fatalf("delete entry %+v (before %s)", h[0], h[0].Before)
	}
	var rel graph.Relation
	if err := json.Unmarshal(h[1].Before, &rel); err != nil || rel.CreatedAt.IsZero() || h[1].After != nil {
		t.Fatalf("unrelate entry before %s", h[1].Before)
	}
	if got := actions(history(t, s, srv.ID)); got != "UNRELATE RELATION, RELATE RELATION, CREATE CI" {
		t.Fatalf("srv history: %s", got)
	}
	got, err := s.GetRecord(ctx, rec.Kind, rec.ID)
	if err != nil || len(got.Links) != 2 || got.Links[0].CI != db.ID || got.Version != 1 {
		t.Fatalf("record after its CI was deleted: %+v, %v", got, err)
	}
	for ci, want := range map[string]int{db.ID: 0, app.ID: 1} {
		p, err := s.ListRecords(ctx, rec.Kind, graph.RecordFilter{CI: ci}, graph.Page{})
		if err != nil || len(p.Records) != want {
			t.Fatalf("records on %s: %d, %v; want %d", ci, len(p.Records), err, want)
		}
	}
}

// TestBatchAuditsEachItem: a batch audits what each of its items did, in
// order, as the embedded store does: two upserts of one CI are two entries
// (the second's before is the first's after), and a relation made and
// removed in the batch is audited both ways though it is never written.
// An unrelate audits the relation as it was stored.
func TestBatchAuditsEachItem(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := mustCI(t, s, "a", graph.ClassApplication, ident("k", "A"))
	b := mustCI(t, s, "b", graph.ClassApplication, ident("k", "B"))
	mustRelate(t, s, a, graph.RelDependsOn, b)
	res, err := s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{
			input("x", graph.ClassApplication, ident("k", "X")),
			{Identifiers: []graph.Identifier{ident("k", "X")}, Owner: ptr("o1")},
			{ID: a.ID, Owner: ptr("o1")},
			{ID: a.ID, Owner: ptr("o2")},
			{ID: b.ID, Owner: ptr(b.Owner)}, // unchanged
		},
		Relate: []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdentRef("k", "X")}},
		Unrelate: []graph.BatchRelation{
			{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdentRef("k", "X")},
			{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	x := res.CIs[0]
	hx := history(t, s, x.ID)
	var before, after graph.CI
	if got := actions(hx); got != "UNRELATE RELATION, RELATE RELATION, UPDATE CI, CREATE CI" {
		t.Fatalf("x history: %s", got)
	}
	if json.Unmarshal(hx[2].Before, &before) != nil || json.Unmarshal(hx[2].After, &after) != nil || before.Owner != "" || after.Owner != "o1" {
		t.Fatalf("x update: %s -> %s", hx[2].Before, hx[2].After)
	}
	ha := history(t, s, a.ID)
	if got := actions(ha); got != "UNRELATE RELATION, UNRELATE RELATION, RELATE RELATION, UPDATE CI, UPDATE CI, RELATE RELATION, CREATE CI" {
		t.Fatalf("a history: %s", got)
	}
	if json.Unmarshal(ha[3].Before, &before) != nil || json.Unmarshal(ha[3].After, &after) != nil || before.Owner != "o1" || after.Owner != "o2" {
		t.Fatalf("a second update: %s -> %s", ha[3].Before, ha[3].After)
	}
	var made, removed graph.Relation
	if json.Unmarshal(ha[5].After, &made) != nil || json.Unmarshal(ha[0].Before, &removed) != nil ||
		removed.To != b.ID || !removed.CreatedAt.Equal(made.CreatedAt) {
		t.Fatalf("unrelate before %s, relate after %s: want the stored relation", ha[0].Before, ha[5].After)
	}
	if got := actions(history(t, s, b.ID)); got != "UNRELATE RELATION, RELATE RELATION, CREATE CI" {
		t.Fatalf("b history: %s", got)
	}
	if n := countRels(t, s); n != 0 {
		t.Fatalf("%d relations left, want 0", n)
	}
}

func byIdentRef(kind, value string) graph.CIRef {
	return graph.CIRef{Identifier: ptr(ident(kind, value))}
}

// TestFailedWritesLeaveNoAudit: the audit shares the write's transaction,
// so every rejected write leaves the audit exactly as it was.
func TestFailedWritesLeaveNoAudit(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := mustCI(t, s, "a", graph.ClassApplication, ident("k", "A"))
	rec := mustPutRecord(t, s, testRecord(graph.KindProblem, `{}`, a), 0)
	count := func() int64 {
		return countNodes(t, s, labelAudit)*1000 + countNodes(t, s, labelAuditRef)
	}
	start := count()
	fails := []func() error{
		func() error { _, err := s.PutRecord(ctx, rec, 7); return err },
		func() error { _, err := s.PutRecord(ctx, rec, 0); return err },
		func() error {
			r := rec
			r.Links = append(r.Links, graph.RecordLink{Role: "AFFECTS", CI: graph.NewID()})
			_, err := s.PutRecord(ctx, r, 1)
			return err
		},
		func() error { return s.DeleteRecord(ctx, rec.Kind, rec.ID, 9) },
		func() error { return s.DeleteRecord(ctx, rec.Kind, graph.NewID(), 0) },
		func() error { return s.DeleteCI(ctx, graph.NewID()) },
		func() error { _, err := s.Relate(ctx, a.ID, graph.RelDependsOn, graph.NewID()); return err },
		func() error {
			_, err := s.Apply(ctx, graph.Batch{
				Upserts: []graph.CIInput{{ID: a.ID, Owner: ptr("x")}, input("new", graph.ClassApplication)},
				Relate:  []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdentRef("k", "missing")}},
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
		t.Fatalf("audit went from %d to %d (entries*1000 + refs)", start, end)
	}
	if got, _ := s.GetRecord(ctx, rec.Kind, rec.ID); got.Version != 1 || len(got.Links) != 1 {
		t.Fatalf("record changed: %+v", got)
	}
	if n := queryInt(t, s, "MATCH (r:Record) WHERE r._lock IS NOT NULL RETURN count(r) AS n", nil); n != 0 {
		t.Fatalf("%d records kept the lock property", n)
	}
}

// TestUnchangedWritesAuditNothing: identical upserts, relating an existing
// relation and unrelating a missing one change nothing and add nothing.
func TestUnchangedWritesAuditNothing(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := mustCI(t, s, "a", graph.ClassApplication, ident("k", "A"))
	b := mustCI(t, s, "b", graph.ClassApplication)
	mustRelate(t, s, a, graph.RelDependsOn, b)
	start := countNodes(t, s, labelAudit)
	if _, err := s.UpsertCI(ctx, graph.CIInput{ID: a.ID, Name: ptr("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Relate(ctx, a.ID, graph.RelDependsOn, b.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Unrelate(ctx, b.ID, graph.RelDependsOn, a.ID); ok || err != nil {
		t.Fatalf("Unrelate of a missing relation: %v, %v", ok, err)
	}
	if _, err := s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{input("a", graph.ClassApplication, ident("k", "A"))},
		Relate:  []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}}},
	}); err != nil {
		t.Fatal(err)
	}
	if end := countNodes(t, s, labelAudit); end != start {
		t.Fatalf("unchanged writes added %d audit entries", end-start)
	}
}

// TestHistoryPlanReadsIndexOrder pins a history page to a seek on
// auditref_about_entry read in descending index order: no sort, so a page
// costs O(first) however long the history.
func TestHistoryPlanReadsIndexOrder(t *testing.T) {
	s := newTestStore(t)
	ci := mustCI(t, s, "busy", graph.ClassApplication)
	for i := 0; i < 50; i++ {
		if _, err := s.UpsertCI(context.Background(), graph.CIInput{ID: ci.ID, Owner: ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	ops := explain(t, s, cypherHistoryPage+"\nRETURN x.entryId AS id",
		map[string]any{"about": ci.ID, "before": historyTop, "limit": int64(11)})
	if !strings.Contains(ops, "NodeIndexSeek") || strings.Contains(ops, "Sort") || strings.Contains(ops, "Top") {
		t.Fatalf("history page is not an ordered index seek: %s", ops)
	}
	// And it pages: 51 entries in pages of 20.
	var seen []string
	after := ""
	for {
		p, err := s.History(context.Background(), ci.ID, graph.Page{First: 20, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			seen = append(seen, e.ID)
		}
		if !p.HasNextPage {
			break
		}
		after = graph.IDCursor(p.Entries[len(p.Entries)-1].ID)
	}
	if len(seen) != 51 {
		t.Fatalf("paged through %d entries, want 51", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("entries not newest first at %d: %s after %s", i, seen[i], seen[i-1])
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

// TestRecordLinksAreNotCatalogueRelations: record links never show up as
// relations between CIs, in listings or traversals.
func TestRecordLinksAreNotCatalogueRelations(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	db := mustCI(t, s, "db", graph.ClassDatabase)
	mustPutRecord(t, s, testRecord(graph.KindIncident, `{}`, db), 0)
	rels, err := s.RelationsOf(ctx, []string{db.ID}, graph.Both, nil)
	if err != nil || len(rels) != 0 {
		t.Fatalf("relations of db: %v, %v", rels, err)
	}
	sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{db.ID}, Direction: graph.Upstream})
	if err != nil || len(sub.Nodes) != 1 || len(sub.Edges) != 0 {
		t.Fatalf("neighbourhood of db: %+v, %v", sub, err)
	}
	if n := countRels(t, s); n != 0 {
		t.Fatalf("%d relationships between CIs", n)
	}
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
	wantErr(t, err, graph.CodeConflict, "id")
	if !strings.Contains(err.Error(), "record was created concurrently") {
		t.Fatalf("message %q", err)
	}
	// Another kind is another namespace.
	other := rec
	other.Kind = graph.KindProblem
	mustPutRecord(t, s, other, 0)
}

func TestHistoryChecksAbout(t *testing.T) {
	s := newTestStore(t)
	id := graph.NewID()
	for _, bad := range []string{"", "x", id + "|" + id, id + "||" + id, "x|DEPENDS_ON|" + id} {
		_, err := s.History(context.Background(), bad, graph.Page{})
		wantErr(t, err, graph.CodeInvalidInput, "about")
	}
	for _, good := range []string{id, graph.RelationSubjectID(graph.RelationKey{From: id, Type: "DEPENDS_ON", To: graph.NewID()})} {
		h, err := s.History(context.Background(), good, graph.Page{})
		if err != nil || len(h.Entries) != 0 || h.HasNextPage {
			t.Fatalf("History(%s) = %+v, %v", good, h, err)
		}
	}
}

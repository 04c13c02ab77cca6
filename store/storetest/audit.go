package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

var auditCases = []testCase{
	{"CIAndRelationHistory", func(ctx context.Context, t *testing.T, s graph.Store) {
		alice := graph.WithActor(ctx, "alice")
		app := mustUpsert(alice, t, s, Input("app", graph.ClassApplication))
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		mustUpsert(graph.WithActor(ctx, "bob"), t, s, graph.CIInput{ID: app.ID, Owner: Ptr("team-a")})
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: Ptr("team-a")}) // no change, no entry
		mustRelate(alice, t, s, app, graph.RelDependsOn, db)
		if _, err := s.Relate(alice, app.ID, graph.RelDependsOn, db.ID); err != nil { // exists: no entry
			t.Fatal(err)
		}
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: app.ID, Name: Ptr("")}); err == nil { // rejected: no entry
			t.Fatal("empty name accepted")
		}
		if _, err := s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID); err != nil {
			t.Fatal(err)
		}
		h, err := s.History(ctx, app.ID, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range h.Entries {
			got = append(got, fmt.Sprintf("%s %s %s", e.Action, e.SubjectKind, e.Actor))
		}
		want := []string{"UNRELATE RELATION anonymous", "RELATE RELATION alice", "UPDATE CI bob", "CREATE CI alice"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("history of app:\n got %v\nwant %v", got, want)
		}
		upd := h.Entries[2]
		var before, after graph.CI
		if json.Unmarshal(upd.Before, &before) != nil || json.Unmarshal(upd.After, &after) != nil || before.Owner != "" || after.Owner != "team-a" {
			t.Fatalf("update before/after: %s → %s", upd.Before, upd.After)
		}
		if create := h.Entries[3]; create.Before != nil || create.At.IsZero() || create.ID == "" {
			t.Fatalf("create entry %+v", create)
		}
		rel := h.Entries[1]
		if rel.SubjectID != graph.RelationSubjectID(graph.RelationKey{From: app.ID, Type: graph.RelDependsOn, To: db.ID}) {
			t.Fatalf("relation subject %q", rel.SubjectID)
		}
		hdb, err := s.History(ctx, db.ID, graph.Page{})
		if err != nil || len(hdb.Entries) != 3 {
			t.Fatalf("db history %d entries (%v), want create, relate, unrelate", len(hdb.Entries), err)
		}
		hrel, err := s.History(ctx, rel.SubjectID, graph.Page{})
		if err != nil || len(hrel.Entries) != 2 {
			t.Fatalf("relation history %d entries (%v), want 2", len(hrel.Entries), err)
		}
		// Paging, newest first.
		p1, err := s.History(ctx, app.ID, graph.Page{First: 3})
		if err != nil || len(p1.Entries) != 3 || !p1.HasNextPage {
			t.Fatalf("page 1: %d entries, next %v, %v", len(p1.Entries), p1.HasNextPage, err)
		}
		p2, err := s.History(ctx, app.ID, graph.Page{First: 3, After: graph.IDCursor(p1.Entries[2].ID)})
		if err != nil || len(p2.Entries) != 1 || p2.HasNextPage || p2.Entries[0].Action != graph.ActionCreate {
			t.Fatalf("page 2: %+v, %v", p2.Entries, err)
		}
		// Delete keeps the history and adds to it.
		if err := s.DeleteCI(alice, db.ID); err != nil {
			t.Fatal(err)
		}
		hdb, _ = s.History(ctx, db.ID, graph.Page{})
		if len(hdb.Entries) != 4 || hdb.Entries[0].Action != graph.ActionDelete || hdb.Entries[0].After != nil || hdb.Entries[0].Before == nil {
			t.Fatalf("after delete: %+v", hdb.Entries)
		}
	}},
	{"BatchAuditIsAtomic", func(ctx context.Context, t *testing.T, s graph.Store) {
		ctx = graph.WithActor(ctx, "import:test")
		res, err := s.Apply(ctx, graph.Batch{
			Upserts: []graph.CIInput{Input("x", graph.ClassServer, Ident("serial", "X")), Input("y", graph.ClassServer, Ident("serial", "Y"))},
			Relate:  []graph.BatchRelation{{From: byIdent("serial", "X"), Type: graph.RelDependsOn, To: byIdent("serial", "Y")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := s.History(ctx, res.CIs[0].ID, graph.Page{})
		if len(h.Entries) != 2 || h.Entries[0].Actor != "import:test" {
			t.Fatalf("x history %+v, want relate and create by import:test", h.Entries)
		}
		_, err = s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{{ID: res.CIs[0].ID, Owner: Ptr("o")}, Input("", graph.ClassServer)}})
		if err == nil {
			t.Fatal("bad batch accepted")
		}
		if h, _ := s.History(ctx, res.CIs[0].ID, graph.Page{}); len(h.Entries) != 2 {
			t.Fatalf("failed batch wrote %d audit entries", len(h.Entries)-2)
		}
	}},
	{"RecordHistory", func(ctx context.Context, t *testing.T, s graph.Store) {
		ctx = graph.WithActor(ctx, "carol")
		r := graph.Record{Kind: graph.KindProblem, ID: graph.NewID(), State: "NEW", Doc: doc(map[string]any{"v": 1})}
		mustPut(ctx, t, s, r, 0)
		r.State, r.Doc = "INVESTIGATING", doc(map[string]any{"v": 2})
		mustPut(ctx, t, s, r, 1)
		if err := s.DeleteRecord(ctx, graph.KindProblem, r.ID, 2); err != nil {
			t.Fatal(err)
		}
		h, err := s.History(ctx, r.ID, graph.Page{})
		if err != nil || len(h.Entries) != 3 {
			t.Fatalf("history %+v, %v", h.Entries, err)
		}
		up := h.Entries[1]
		if up.Action != graph.ActionUpdate || up.SubjectKind != graph.AuditSubject(graph.KindProblem) || up.Actor != "carol" ||
			string(up.Before) != `{"v":1}` || string(up.After) != `{"v":2}` {
			t.Fatalf("update entry %+v (before %s after %s)", up, up.Before, up.After)
		}
	}},
	{"DeleteCIAuditsRelationsAndKeepsRecords", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Deleting a CI audits each relation it takes along and then the CI;
		// records linked to it keep their links (and are not silently
		// changed) but no longer match its CI filter.
		ctx = graph.WithActor(ctx, "dora")
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		srv := mustCI(ctx, t, s, "srv", graph.ClassServer)
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		mustRelate(ctx, t, s, db, graph.RelRunsOn, srv)
		rec := mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(`{}`),
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: db.ID}, {Role: "AFFECTS", CI: app.ID}}}, 0)
		// The open incident holds db: only a forced delete removes it.
		if _, err := s.ForceDeleteCI(ctx, db.ID); err != nil {
			t.Fatal(err)
		}
		h := FullHistory(t, s, db.ID, graph.MaxPageSize)
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
		if got := actions(FullHistory(t, s, srv.ID, graph.MaxPageSize)); got != "UNRELATE RELATION, RELATE RELATION, CREATE CI" {
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
	}},
	{"BatchRelateOfExistingRelationIsNoChange", func(ctx context.Context, t *testing.T, s graph.Store) {
		// A batch relating stored CIs that are already related changes
		// nothing: no count, no entry, the original creation time; a new
		// relation beside it in the same batch is created and audited.
		a := mustCI(ctx, t, s, "a", graph.ClassApplication, Ident("k", "A"))
		b := mustCI(ctx, t, s, "b", graph.ClassDatabase, Ident("k", "B"))
		c := mustCI(ctx, t, s, "c", graph.ClassDatabase, Ident("k", "C"))
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		before := FullHistory(t, s, a.ID, graph.MaxPageSize)
		res, err := s.Apply(ctx, graph.Batch{Relate: []graph.BatchRelation{
			{From: byIdent("k", "A"), Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}},
			{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdent("k", "C")},
			{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.RelationsCreated != 1 {
			t.Fatalf("relations created %d, want 1 (a->c)", res.RelationsCreated)
		}
		after := FullHistory(t, s, a.ID, graph.MaxPageSize)
		if len(after) != len(before)+1 || after[0].Action != graph.ActionRelate ||
			after[0].SubjectID != graph.RelationSubjectID(graph.RelationKey{From: a.ID, Type: graph.RelDependsOn, To: c.ID}) {
			t.Fatalf("a's history went from %s to %s, want one RELATE of a->c on top", actions(before), actions(after))
		}
		if h := FullHistory(t, s, b.ID, graph.MaxPageSize); actions(h) != "RELATE RELATION, CREATE CI" {
			t.Fatalf("b history: %s", actions(h))
		}
		rels, err := s.RelationsOf(ctx, []string{a.ID}, graph.Outgoing, nil)
		if err != nil || len(rels[a.ID]) != 2 {
			t.Fatalf("relations of a: %+v, %v", rels, err)
		}
		var relAB graph.Relation
		if err := json.Unmarshal(before[0].After, &relAB); err != nil || !rels[a.ID][0].CreatedAt.Equal(relAB.CreatedAt) {
			t.Fatalf("a->b created at %v, audited %s", rels[a.ID][0].CreatedAt, before[0].After)
		}
	}},
	{"BatchAuditsEachItem", func(ctx context.Context, t *testing.T, s graph.Store) {
		// A batch audits what each of its items did, in order: two upserts
		// of one CI are two entries (the second's before is the first's
		// after), a relation made and removed in the batch is audited both
		// ways though it is never stored, and an unrelate audits the
		// relation as it was stored.
		a := mustCI(ctx, t, s, "a", graph.ClassApplication, Ident("k", "A"))
		b := mustCI(ctx, t, s, "b", graph.ClassApplication, Ident("k", "B"))
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		res, err := s.Apply(ctx, graph.Batch{
			Upserts: []graph.CIInput{
				Input("x", graph.ClassApplication, Ident("k", "X")),
				{Identifiers: []graph.Identifier{Ident("k", "X")}, Owner: Ptr("o1")},
				{ID: a.ID, Owner: Ptr("o1")},
				{ID: a.ID, Owner: Ptr("o2")},
				{ID: b.ID, Owner: Ptr(b.Owner)}, // unchanged
			},
			Relate: []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdent("k", "X")}},
			Unrelate: []graph.BatchRelation{
				{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdent("k", "X")},
				{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		x := res.CIs[0]
		hx := FullHistory(t, s, x.ID, graph.MaxPageSize)
		var before, after graph.CI
		if got := actions(hx); got != "UNRELATE RELATION, RELATE RELATION, UPDATE CI, CREATE CI" {
			t.Fatalf("x history: %s", got)
		}
		if json.Unmarshal(hx[2].Before, &before) != nil || json.Unmarshal(hx[2].After, &after) != nil || before.Owner != "" || after.Owner != "o1" {
			t.Fatalf("x update: %s -> %s", hx[2].Before, hx[2].After)
		}
		ha := FullHistory(t, s, a.ID, graph.MaxPageSize)
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
		if got := actions(FullHistory(t, s, b.ID, graph.MaxPageSize)); got != "UNRELATE RELATION, RELATE RELATION, CREATE CI" {
			t.Fatalf("b history: %s", got)
		}
		if n := countRelations(ctx, t, s, a, b, x); n != 0 {
			t.Fatalf("%d relation ends left, want 0", n)
		}
	}},
	{"FailedWritesLeaveNoAudit", func(ctx context.Context, t *testing.T, s graph.Store) {
		// The audit shares the write's transaction, so every rejected write
		// leaves every history exactly as it was.
		a := mustCI(ctx, t, s, "a", graph.ClassApplication, Ident("k", "A"))
		rec := mustPut(ctx, t, s, graph.Record{Kind: graph.KindProblem, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(`{}`),
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: a.ID}}}, 0)
		missingCI, missingRec := graph.NewID(), graph.NewID()
		abouts := []string{a.ID, rec.ID, missingCI, missingRec, graph.RelationSubjectID(graph.RelationKey{From: a.ID, Type: graph.RelDependsOn, To: missingCI})}
		histories := func() string {
			var out []string
			for _, about := range abouts {
				out = append(out, actions(FullHistory(t, s, about, graph.MaxPageSize)))
			}
			return fmt.Sprint(out)
		}
		start := histories()
		fails := []func() error{
			func() error { _, err := s.PutRecord(ctx, rec, 7); return err },
			func() error { _, err := s.PutRecord(ctx, rec, 0); return err },
			func() error {
				r := rec
				r.Links = append(r.Links, graph.RecordLink{Role: "AFFECTS", CI: missingCI})
				_, err := s.PutRecord(ctx, r, 1)
				return err
			},
			func() error { return s.DeleteRecord(ctx, rec.Kind, rec.ID, 9) },
			func() error { return s.DeleteRecord(ctx, rec.Kind, missingRec, 0) },
			func() error { return s.DeleteCI(ctx, missingCI) },
			func() error { _, err := s.Relate(ctx, a.ID, graph.RelDependsOn, missingCI); return err },
			func() error {
				_, err := s.Apply(ctx, graph.Batch{
					Upserts: []graph.CIInput{{ID: a.ID, Owner: Ptr("x")}, Input("new", graph.ClassApplication)},
					Relate:  []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: byIdent("k", "missing")}},
				})
				return err
			},
		}
		for i, f := range fails {
			if err := f(); err == nil {
				t.Fatalf("write %d succeeded", i)
			}
		}
		if end := histories(); end != start {
			t.Fatalf("histories went from %s to %s", start, end)
		}
		if n := countCIs(ctx, t, s); n != 1 {
			t.Fatalf("%d CIs after failed writes, want 1", n)
		}
		if got, _ := s.GetRecord(ctx, rec.Kind, rec.ID); got.Version != 1 || len(got.Links) != 1 {
			t.Fatalf("record changed: %+v", got)
		}
	}},
	{"UnchangedWritesAuditNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Identical upserts, relating an existing relation and unrelating a
		// missing one change nothing and add nothing.
		a := mustCI(ctx, t, s, "a", graph.ClassApplication, Ident("k", "A"))
		b := mustCI(ctx, t, s, "b", graph.ClassApplication)
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		count := func() int {
			return len(FullHistory(t, s, a.ID, graph.MaxPageSize)) + len(FullHistory(t, s, b.ID, graph.MaxPageSize))
		}
		start := count()
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: a.ID, Name: Ptr("a")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Relate(ctx, a.ID, graph.RelDependsOn, b.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Unrelate(ctx, b.ID, graph.RelDependsOn, a.ID); ok || err != nil {
			t.Fatalf("Unrelate of a missing relation: %v, %v", ok, err)
		}
		if _, err := s.Apply(ctx, graph.Batch{
			Upserts: []graph.CIInput{Input("a", graph.ClassApplication, Ident("k", "A"))},
			Relate:  []graph.BatchRelation{{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}}},
		}); err != nil {
			t.Fatal(err)
		}
		if end := count(); end != start {
			t.Fatalf("unchanged writes added %d audit entries", end-start)
		}
	}},
	{"HistoryPaging", func(ctx context.Context, t *testing.T, s graph.Store) {
		// A long history of a CI, its relations and a neighbour's deletion
		// reads the same with every page size.
		ctx = graph.WithActor(ctx, "pager")
		a := mustCI(ctx, t, s, "a", graph.ClassApplication)
		b := mustCI(ctx, t, s, "b", graph.ClassDatabase)
		for i := range 40 {
			if _, err := s.UpsertCI(ctx, graph.CIInput{ID: a.ID, Owner: Ptr(fmt.Sprint(i))}); err != nil {
				t.Fatal(err)
			}
			if i%10 == 0 {
				mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
				if _, err := s.Unrelate(ctx, a.ID, graph.RelDependsOn, b.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		if err := s.DeleteCI(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		all := FullHistory(t, s, a.ID, graph.MaxPageSize)
		// create + 40 updates + 4 relate/unrelate pairs + relate + the
		// unrelate made by deleting b.
		if len(all) != 1+40+8+2 {
			t.Fatalf("%d entries", len(all))
		}
		if e := all[0]; e.Action != graph.ActionUnrelate || e.Actor != "pager" || e.SubjectKind != graph.SubjectRelation || e.After != nil {
			t.Fatalf("newest entry %+v, want the unrelate of b's deletion", e)
		}
		CheckNewestFirst(t, a.ID, all)
		for first := 1; first <= 12; first++ {
			if got := FullHistory(t, s, a.ID, first); !reflect.DeepEqual(got, all) {
				t.Fatalf("paging by %d differs", first)
			}
		}
		hb := FullHistory(t, s, b.ID, 3)
		if len(hb) != 1+10+1 || hb[0].Action != graph.ActionDelete || hb[1].Action != graph.ActionUnrelate {
			t.Fatalf("history of b: %d entries, newest %+v", len(hb), hb[0])
		}
	}},
}

// actions summarises a history as "ACTION SUBJECT" items, newest first.
func actions(entries []graph.AuditEntry) string {
	var out []string
	for _, e := range entries {
		out = append(out, string(e.Action)+" "+string(e.SubjectKind))
	}
	return strings.Join(out, ", ")
}

// CheckAuditAgreesWithData checks that the trail explains the data: each
// CI's newest CI entry holds the CI as stored, each relation's newest entry
// is its RELATE, and each record has exactly Version create/update entries,
// the newest holding its document. Every history must be newest first.
func CheckAuditAgreesWithData(t testing.TB, s graph.Store) {
	t.Helper()
	snap := TakeSnapshot(t, s)
	for _, ci := range snap.CIs {
		h := FullHistory(t, s, ci.ID, graph.MaxPageSize)
		CheckNewestFirst(t, ci.ID, h)
		want, _ := json.Marshal(ci)
		found := false
		for _, e := range h {
			if e.SubjectKind == graph.SubjectCI && e.SubjectID == ci.ID {
				if (e.Action != graph.ActionCreate && e.Action != graph.ActionUpdate) || !bytes.Equal(e.After, want) {
					t.Fatalf("newest entry of CI %s is %s with %s, want the CI %s", ci.ID, e.Action, e.After, want)
				}
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("CI %s has no CI entry", ci.ID)
		}
	}
	for _, rels := range snap.Relations {
		for _, r := range rels {
			h := FullHistory(t, s, graph.RelationSubjectID(r.Key()), graph.MaxPageSize)
			want, _ := json.Marshal(r)
			if len(h) == 0 || h[0].Action != graph.ActionRelate || !bytes.Equal(h[0].After, want) {
				t.Fatalf("relation %v: newest entry %+v, want its RELATE", r.Key(), h)
			}
		}
	}
	for kind, recs := range snap.Records {
		for _, r := range recs {
			h := FullHistory(t, s, r.ID, graph.MaxPageSize)
			CheckNewestFirst(t, r.ID, h)
			writes := 0
			for _, e := range h {
				if e.SubjectKind == graph.AuditSubject(kind) && (e.Action == graph.ActionCreate || e.Action == graph.ActionUpdate) {
					writes++
				}
			}
			if len(h) == 0 || !bytes.Equal(h[0].After, r.Doc) || int64(writes) != r.Version {
				t.Fatalf("record %s v%d: %d writes audited, newest %+v", r.ID, r.Version, writes, h)
			}
		}
	}
}

// CheckNewestFirst fails unless every entry of h is about about and h is
// ordered newest first.
func CheckNewestFirst(t testing.TB, about string, h []graph.AuditEntry) {
	t.Helper()
	for i, e := range h {
		if !slices.Contains(e.About, about) {
			t.Fatalf("history of %s holds %+v", about, e)
		}
		if i > 0 && (e.ID >= h[i-1].ID || e.At.After(h[i-1].At)) {
			t.Fatalf("history of %s is not newest first at %d", about, i)
		}
	}
}

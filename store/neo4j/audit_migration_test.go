package neo4j

import (
	"context"
	"fmt"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

// TestOpenMigratesTheOldAuditShape writes a trail the way releases before
// issue 11 did (entries with an about list and no relation ends, one
// AuditRef per id they are about), opens the store on it, and reads the
// histories back: every entry is found under every id it is about, with
// its JSON values as written, and no AuditRef is left.
func TestOpenMigratesTheOldAuditShape(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	app := storetest.MustCI(t, s, "app", graph.ClassApplication)
	db := storetest.MustCI(t, s, "db", graph.ClassDatabase)
	// Drop what the new store wrote for the two creates, then write the
	// old shape: the two creates and a relate.
	if _, err := neo4j.ExecuteQuery(ctx, s.driver, "MATCH (a:Audit) DELETE a", nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db)); err != nil {
		t.Fatal(err)
	}
	rel := graph.RelationKey{From: app.ID, Type: graph.RelDependsOn, To: db.ID}
	subject := graph.RelationSubjectID(rel)
	relJSON := fmt.Sprintf(`{"from":%q,"type":%q,"to":%q,"createdAt":"2026-01-02T03:04:05.000006Z"}`, app.ID, rel.Type, db.ID)
	old := []map[string]any{
		{"id": graph.NewID(), "at": int64(1), "actor": "alice", "action": "CREATE", "subjectKind": "CI", "subjectId": app.ID, "about": []any{app.ID}, "after": `{"id":"x"}`},
		{"id": graph.NewID(), "at": int64(2), "actor": "alice", "action": "CREATE", "subjectKind": "CI", "subjectId": db.ID, "about": []any{db.ID}, "after": `{"id":"y"}`},
		{"id": graph.NewID(), "at": int64(3), "actor": "bob", "importRun": "run-1", "action": "RELATE", "subjectKind": "RELATION", "subjectId": subject, "about": []any{subject, app.ID, db.ID}, "after": relJSON},
	}
	_, err := neo4j.ExecuteQuery(ctx, s.driver, `
UNWIND $rows AS row
CREATE (a:Audit) SET a = row
WITH row UNWIND row.about AS about
CREATE (:AuditRef {about: about, entryId: row.id})`, map[string]any{"rows": old}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	if n := countNodes(t, s, "AuditRef"); n != 5 {
		t.Fatalf("%d refs written, want 5", n)
	}

	s2 := openTestStore(t, Config{})
	if n := countNodes(t, s2, "AuditRef"); n != 0 {
		t.Fatalf("%d AuditRef nodes left after the migration", n)
	}
	for id, want := range map[string]string{app.ID: "RELATE RELATION, CREATE CI", db.ID: "RELATE RELATION, CREATE CI", subject: "RELATE RELATION"} {
		h := storetest.FullHistory(t, s2, id, graph.MaxPageSize)
		got := ""
		for i, e := range h {
			if i > 0 {
				got += ", "
			}
			got += string(e.Action) + " " + string(e.SubjectKind)
		}
		if got != want {
			t.Errorf("history of %s after migration: %s, want %s", id, got, want)
		}
		if len(h) == 0 {
			continue
		}
		if e := h[0]; e.Action == graph.ActionRelate && (string(e.After) != relJSON || e.ImportRun != "run-1" || len(e.About) != 3) {
			t.Errorf("migrated relate entry %+v (after %s)", e, e.After)
		}
	}
	tls, err := s2.Timelines(ctx, []string{app.ID, subject}, fromMicros(0))
	if err != nil || len(tls) != 2 || len(tls[app.ID].Since) != 2 || tls[subject].First.Action != graph.ActionRelate {
		t.Fatalf("timelines after migration: %+v, %v", tls, err)
	}
	// A new write beside the migrated trail reads back in order.
	storetest.MustRelate(t, s2, db, graph.RelRunsOn, storetest.MustCI(t, s2, "srv", graph.ClassServer))
	if h := storetest.FullHistory(t, s2, db.ID, graph.MaxPageSize); len(h) != 3 || h[0].Action != graph.ActionRelate || h[0].SubjectID == subject {
		t.Fatalf("db history after a new relate: %+v", h)
	}
}

package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// tick returns the store clock's instant between two writes: writes stamp
// graph.Now(), so an instant read between them, with a little sleep on
// either side, lies strictly between their entries' At.
func tick(t testing.TB) time.Time {
	t.Helper()
	time.Sleep(3 * time.Millisecond)
	at := graph.Now()
	time.Sleep(3 * time.Millisecond)
	return at
}

func entryActions(es []graph.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s %s", e.Action, e.SubjectKind)
	}
	return out
}

var timelineCases = []testCase{
	{"TimelinesSince", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		t1 := tick(t)
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: Ptr("team-a")})
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: Ptr("team-b")})
		t2 := tick(t)
		if _, err := s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID); err != nil {
			t.Fatal(err)
		}
		rel := graph.RelationSubjectID(graph.RelationKey{From: app.ID, Type: graph.RelDependsOn, To: db.ID})
		never := graph.NewID()
		tls, err := s.Timelines(ctx, []string{app.ID, db.ID, rel, never}, t1)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tls[never]; ok || len(tls) != 3 {
			t.Fatalf("timelines for %d ids, want app, db and the relation: %v", len(tls), tls)
		}
		// Only the oldest entry of each subject since the instant: later
		// changes of the same CI or relation are not what it was then.
		for id, want := range map[string][]string{
			app.ID: {"UPDATE CI", "RELATE RELATION"},
			db.ID:  {"RELATE RELATION"},
			rel:    {"RELATE RELATION"},
		} {
			if got := entryActions(tls[id].Since); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("since t1, %s: got %v, want %v", id, got, want)
			}
		}
		if since := tls[app.ID].Since; len(since) > 0 {
			var then graph.CI
			if err := json.Unmarshal(since[0].Before, &then); err != nil || then.Owner != "" {
				t.Errorf("since t1, app's oldest update holds before it %s (%v), want the CI without an owner", since[0].Before, err)
			}
		}
		if first := tls[app.ID].First; first.Action != graph.ActionCreate || first.SubjectID != app.ID || first.ID == "" || first.At.IsZero() {
			t.Errorf("first entry of app: %+v", first)
		}
		for id, tl := range tls {
			if tl.First.Before != nil || tl.First.After != nil {
				t.Errorf("first entry of %s carries values: before %s, after %s", id, tl.First.Before, tl.First.After)
			}
		}
		if first := tls[rel].First; first.Action != graph.ActionRelate {
			t.Errorf("first entry of the relation: %+v", first)
		}
		tls, err = s.Timelines(ctx, []string{app.ID}, t2)
		if err != nil {
			t.Fatal(err)
		}
		if got := entryActions(tls[app.ID].Since); fmt.Sprint(got) != "[UNRELATE RELATION]" {
			t.Errorf("since t2: %v", got)
		}
		if _, err := s.Timelines(ctx, []string{"nope"}, t1); graph.ErrorField(err) != "ids[0]" {
			t.Errorf("bad id: %v", err)
		}
	}},
	{"GraphChangesBetween", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		t1 := tick(t)
		db := mustCI(graph.WithActor(ctx, "import:nmap"), t, s, "db", graph.ClassDatabase)
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		rec := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Doc: []byte(`{"title":"x"}`)}
		if _, err := s.PutRecord(ctx, rec, 0); err != nil { // a record: not a graph change
			t.Fatal(err)
		}
		if err := s.DeleteCI(ctx, db.ID); err != nil {
			t.Fatal(err)
		}
		t2 := tick(t)
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: Ptr("later")})

		var got []string
		p := graph.Page{First: 2}
		for pages := 0; ; pages++ {
			page, err := s.GraphChanges(ctx, t1, t2, p)
			if err != nil {
				t.Fatal(err)
			}
			if pages > 3 || len(page.Entries) == 0 {
				t.Fatalf("page %d: %d entries", pages, len(page.Entries))
			}
			got = append(got, entryActions(page.Entries)...)
			if !page.HasNextPage {
				break
			}
			p.After = graph.IDCursor(page.Entries[len(page.Entries)-1].ID)
		}
		want := []string{"CREATE CI", "RELATE RELATION", "UNRELATE RELATION", "DELETE CI"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes in (t1, t2]:\n got %v\nwant %v", got, want)
		}
		first, err := s.GraphChanges(ctx, t1, t2, graph.Page{First: 1})
		if err != nil || len(first.Entries) != 1 || first.Entries[0].Actor != "import:nmap" {
			t.Fatalf("first change: %+v, %v", first.Entries, err)
		}
		if _, err := s.GraphChanges(ctx, t2, t1, graph.Page{}); graph.ErrorField(err) != "to" {
			t.Fatalf("to before from: %v", err)
		}
	}},
	{"AuditEntriesCarryImportRun", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Every write made under WithImportRun, batched or single, records
		// the run on its entries; other writes record none.
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		t1 := tick(t)
		run := graph.NewID()
		imp := graph.WithImportRun(ctx, "nmap", run)
		res, err := s.Apply(imp, graph.Batch{Upserts: []graph.CIInput{Input("db", graph.ClassDatabase, Ident("serial", "DB1"))}})
		if err != nil || len(res.CIs) != 1 {
			t.Fatalf("apply: %+v, %v", res, err)
		}
		db := res.CIs[0]
		mustRelate(imp, t, s, app, graph.RelDependsOn, db)
		mustUpsert(imp, t, s, graph.CIInput{ID: db.ID, Owner: Ptr("dba")})
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: Ptr("by hand")})
		t2 := tick(t)

		page, err := s.GraphChanges(ctx, t1, t2, graph.Page{First: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Entries {
			got = append(got, fmt.Sprintf("%s %s run=%t", e.Action, e.Actor, e.ImportRun == run))
			if e.ImportRun != "" && e.ImportRun != run {
				t.Errorf("entry %s: import run %q, want %q", e.ID, e.ImportRun, run)
			}
		}
		want := []string{"CREATE import:nmap run=true", "RELATE import:nmap run=true", "UPDATE import:nmap run=true", "UPDATE anonymous run=false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes:\n got %v\nwant %v", got, want)
		}
		h, err := s.History(ctx, db.ID, graph.Page{})
		if err != nil || len(h.Entries) != 3 {
			t.Fatalf("history of db: %+v, %v", h.Entries, err)
		}
		for _, e := range h.Entries {
			if e.ImportRun != run {
				t.Errorf("history entry %s %s: import run %q, want %q", e.Action, e.SubjectKind, e.ImportRun, run)
			}
		}
		tls, err := s.Timelines(ctx, []string{app.ID}, t1)
		if err != nil {
			t.Fatal(err)
		}
		if first := tls[app.ID].First; first.ImportRun != "" {
			t.Errorf("app's creation (not an import) carries run %q", first.ImportRun)
		}
		if since := tls[app.ID].Since; len(since) != 2 || since[0].ImportRun != run || since[1].ImportRun != "" {
			t.Errorf("app since t1: %+v", since)
		}
	}},
}

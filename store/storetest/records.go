package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func doc(v map[string]any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func tp(t time.Time) *time.Time { return &t }

func mustPut(ctx context.Context, t *testing.T, s graph.Store, rec graph.Record, version int64) graph.Record {
	t.Helper()
	out, err := s.PutRecord(ctx, rec, version)
	if err != nil {
		t.Fatalf("PutRecord(%s %s v%d): %v", rec.Kind, rec.ID, version, err)
	}
	return out
}

var recordCases = []testCase{
	{"CreateReadUpdateWithVersions", func(ctx context.Context, t *testing.T, s graph.Store) {
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		rec := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: &start,
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: db.ID}}, Refs: []string{"PROBLEM:x"},
			Doc: doc(map[string]any{"title": "db slow"})}
		v1 := mustPut(ctx, t, s, rec, 0)
		if v1.Version != 1 || v1.CreatedAt.IsZero() || !v1.CreatedAt.Equal(v1.UpdatedAt) {
			t.Fatalf("created %+v, want version 1 and timestamps", v1)
		}
		got, err := s.GetRecord(ctx, graph.KindIncident, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != "NEW" || !got.Start.Equal(start) || got.End != nil || len(got.Links) != 1 || got.Links[0] != rec.Links[0] ||
			fmt.Sprint(got.Refs) != "[PROBLEM:x]" || string(got.Doc) != string(rec.Doc) || !got.CreatedAt.Equal(v1.CreatedAt) {
			t.Fatalf("read back %+v", got)
		}
		rec.State = "IN_PROGRESS"
		rec.Doc = doc(map[string]any{"title": "db slow", "note": "looking"})
		v2 := mustPut(ctx, t, s, rec, 1)
		if v2.Version != 2 || !v2.CreatedAt.Equal(v1.CreatedAt) {
			t.Fatalf("update %+v, want version 2 keeping createdAt", v2)
		}
		_, err = s.PutRecord(ctx, rec, 1)
		wantErr(t, err, graph.CodeConflict, "version")
		_, err = s.PutRecord(ctx, rec, 0)
		wantErr(t, err, graph.CodeConflict, "id")
		other := rec
		other.ID = graph.NewID()
		_, err = s.PutRecord(ctx, other, 3)
		wantErr(t, err, graph.CodeNotFound, "id")
		if got, _ := s.GetRecord(ctx, graph.KindIncident, rec.ID); got.Version != 2 || got.State != "IN_PROGRESS" {
			t.Fatalf("failed writes changed the record: %+v", got)
		}
		// Kinds are separate namespaces.
		_, err = s.GetRecord(ctx, graph.KindChange, rec.ID)
		wantErr(t, err, graph.CodeNotFound, "id")
	}},
	{"BadRecordsChangeNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		good := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "REQUESTED", Doc: doc(map[string]any{"a": 1})}
		now := time.Now().UTC()
		tests := []struct {
			name  string
			mod   func(r *graph.Record)
			code  graph.Code
			field string
		}{
			{"bad kind", func(r *graph.Record) { r.Kind = "TICKET" }, graph.CodeInvalidInput, "kind"},
			{"bad id", func(r *graph.Record) { r.ID = "7" }, graph.CodeInvalidInput, "id"},
			{"malformed link", func(r *graph.Record) {
				r.Links = []graph.RecordLink{{Role: "TARGETS", CI: db.ID}, {Role: "TARGETS", CI: "x"}}
			}, graph.CodeInvalidInput, "links[1]"},
			{"missing CI", func(r *graph.Record) {
				r.Links = []graph.RecordLink{{Role: "TARGETS", CI: db.ID}, {Role: "TARGETS", CI: graph.NewID()}}
			}, graph.CodeNotFound, "links[1]"},
			{"end before start", func(r *graph.Record) { r.Start, r.End = tp(now), tp(now.Add(-time.Hour)) }, graph.CodeInvalidInput, "end"},
			{"bad json", func(r *graph.Record) { r.Doc = json.RawMessage("{") }, graph.CodeInvalidInput, "doc"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := good
				tt.mod(&r)
				_, err := s.PutRecord(ctx, r, 0)
				wantErr(t, err, tt.code, tt.field)
			})
		}
		page, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{})
		if err != nil || page.TotalCount != 0 {
			t.Fatalf("after rejected writes: %d records, %v", page.TotalCount, err)
		}
		h, err := s.History(ctx, good.ID, graph.Page{})
		if err != nil || len(h.Entries) != 0 {
			t.Fatalf("rejected writes left history: %+v, %v", h.Entries, err)
		}
	}},
	{"ListFiltersAndPages", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassApplication)
		b := mustCI(ctx, t, s, "b", graph.ClassApplication)
		day := func(d int) *time.Time { return tp(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
		mk := func(state string, start, end *time.Time, ref string, cis ...graph.CI) graph.Record {
			r := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: state, Start: start, End: end, Doc: doc(map[string]any{"s": state})}
			if ref != "" {
				r.Refs = []string{ref}
			}
			for _, c := range cis {
				r.Links = append(r.Links, graph.RecordLink{Role: "TARGETS", CI: c.ID})
			}
			return mustPut(ctx, t, s, r, 0)
		}
		r1 := mk("SCHEDULED", day(1), day(3), "", a)
		r2 := mk("SCHEDULED", day(5), day(6), "PROBLEM:p1", a, b)
		r3 := mk("CLOSED", day(10), nil, "", b)
		r4 := mk("REQUESTED", nil, nil, "PROBLEM:p1")
		ids := func(p graph.RecordPage) string {
			out := ""
			for _, r := range p.Records {
				for i, x := range []graph.Record{r1, r2, r3, r4} {
					if r.ID == x.ID {
						out += fmt.Sprintf("r%d ", i+1)
					}
				}
			}
			return out
		}
		tests := []struct {
			name string
			f    graph.RecordFilter
			want string
		}{
			{"all, newest first", graph.RecordFilter{}, "r4 r3 r2 r1 "},
			{"states", graph.RecordFilter{States: []string{"SCHEDULED", "REQUESTED"}}, "r4 r2 r1 "},
			{"ci", graph.RecordFilter{CI: b.ID}, "r3 r2 "},
			{"ref", graph.RecordFilter{Ref: "PROBLEM:p1"}, "r4 r2 "},
			{"overlap", graph.RecordFilter{From: day(2), To: day(5)}, "r4 r2 r1 "},
			{"open end overlaps later", graph.RecordFilter{From: day(20), To: day(21)}, "r4 r3 "},
			{"combined", graph.RecordFilter{States: []string{"SCHEDULED"}, CI: a.ID, From: day(4)}, "r2 "},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.ListRecords(ctx, graph.KindChange, tt.f, graph.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(p); got != tt.want || p.TotalCount != len(p.Records) {
					t.Fatalf("got %s(total %d), want %s", got, p.TotalCount, tt.want)
				}
			})
		}
		p1, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{First: 3})
		if err != nil || !p1.HasNextPage || p1.TotalCount != 4 {
			t.Fatalf("page 1: %+v %v", p1, err)
		}
		p2, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{First: 3, After: graph.RecordCursor(graph.RecordOrder{}, p1.Records[2])})
		if err != nil || p2.HasNextPage || ids(p2) != "r1 " {
			t.Fatalf("page 2: %s %v", ids(p2), err)
		}
		_, err = s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{After: "zz"})
		wantErr(t, err, graph.CodeInvalidInput, "after")
		_, err = s.ListRecords(ctx, "NOPE", graph.RecordFilter{}, graph.Page{})
		wantErr(t, err, graph.CodeInvalidInput, "kind")
		got, err := s.RecordsByIDs(ctx, graph.KindChange, []string{r1.ID, "junk", graph.NewID(), r3.ID})
		if err != nil || len(got) != 2 || got[r3.ID].State != "CLOSED" {
			t.Fatalf("RecordsByIDs: %v %v", got, err)
		}
	}},
	{"LinksToADeletedCI", func(ctx context.Context, t *testing.T, s graph.Store) {
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		r := mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW",
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: db.ID}}, Doc: doc(map[string]any{})}, 0)
		// An open incident holds the CI: only a forced delete removes it.
		if _, err := s.ForceDeleteCI(ctx, db.ID); err != nil {
			t.Fatal(err)
		}
		// The record is unchanged (its history stays true)...
		got, err := s.GetRecord(ctx, graph.KindIncident, r.ID)
		if err != nil || got.Version != 1 || len(got.Links) != 1 || got.Links[0].CI != db.ID {
			t.Fatalf("record after its CI was deleted: %+v, %v", got, err)
		}
		// ...but no longer lists under a CI that does not exist.
		page, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: db.ID}, graph.Page{})
		if err != nil || page.TotalCount != 0 || len(page.Records) != 0 {
			t.Fatalf("records on a deleted CI: %d, %v", page.TotalCount, err)
		}
		// It can still be updated (an incident on a decommissioned server
		// must be closable), keeping its link; a new link must exist.
		r.State = "CLOSED"
		if _, err := s.PutRecord(ctx, r, 1); err != nil {
			t.Fatalf("update of a record linked to a deleted CI: %v", err)
		}
		r.Links = append(r.Links, graph.RecordLink{Role: "AFFECTS", CI: graph.NewID()})
		_, err = s.PutRecord(ctx, r, 2)
		wantErr(t, err, graph.CodeNotFound, "links[1]")
	}},
	{"Delete", func(ctx context.Context, t *testing.T, s graph.Store) {
		r := mustPut(ctx, t, s, graph.Record{Kind: graph.KindWindow, ID: graph.NewID(), State: "ACTIVE", Doc: doc(map[string]any{})}, 0)
		wantErr(t, s.DeleteRecord(ctx, graph.KindWindow, r.ID, 7), graph.CodeConflict, "version")
		if err := s.DeleteRecord(ctx, graph.KindWindow, r.ID, 1); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteRecord(ctx, graph.KindWindow, r.ID, 0), graph.CodeNotFound, "id")
		_, err := s.GetRecord(ctx, graph.KindWindow, r.ID)
		wantErr(t, err, graph.CodeNotFound, "id")
	}},
	{"MessagesNameTheKindInLowerCase", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Both stores word record errors alike, as users read them:
		// `change "<id>" not found`, never `CHANGE "<id>"`.
		r := mustPut(ctx, t, s, graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "REQUESTED", Doc: doc(map[string]any{})}, 0)
		missing := graph.NewID()
		_, getErr := s.GetRecord(ctx, graph.KindChange, missing)
		_, putErr := s.PutRecord(ctx, graph.Record{Kind: graph.KindChange, ID: missing, State: "X", Doc: doc(map[string]any{})}, 1)
		_, dupErr := s.PutRecord(ctx, r, 0)
		_, staleErr := s.PutRecord(ctx, r, 5)
		for _, tc := range []struct {
			err  error
			want string
		}{
			{getErr, `change "` + missing + `" not found`},
			{putErr, `change "` + missing + `" not found`},
			{s.DeleteRecord(ctx, graph.KindSLA, missing, 0), `SLA "` + missing + `" not found`},
			{dupErr, "change " + r.ID + " already exists"},
			{staleErr, "change " + r.ID + " is at version 1, not 5"},
		} {
			if tc.err == nil || !strings.HasPrefix(graph.ErrorMessage(tc.err), tc.want) {
				t.Errorf("message %q, want it to start %q", graph.ErrorMessage(tc.err), tc.want)
			}
		}
	}},
}

var auditCases = []testCase{
	{"CIAndRelationHistory", func(ctx context.Context, t *testing.T, s graph.Store) {
		alice := graph.WithActor(ctx, "alice")
		app := mustUpsert(alice, t, s, input("app", graph.ClassApplication))
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		mustUpsert(graph.WithActor(ctx, "bob"), t, s, graph.CIInput{ID: app.ID, Owner: ptr("team-a")})
		mustUpsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: ptr("team-a")}) // no change, no entry
		mustRelate(alice, t, s, app, graph.RelDependsOn, db)
		if _, err := s.Relate(alice, app.ID, graph.RelDependsOn, db.ID); err != nil { // exists: no entry
			t.Fatal(err)
		}
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: app.ID, Name: ptr("")}); err == nil { // rejected: no entry
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
			Upserts: []graph.CIInput{input("x", graph.ClassServer, ident("serial", "X")), input("y", graph.ClassServer, ident("serial", "Y"))},
			Relate:  []graph.BatchRelation{{From: byIdent("serial", "X"), Type: graph.RelDependsOn, To: byIdent("serial", "Y")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := s.History(ctx, res.CIs[0].ID, graph.Page{})
		if len(h.Entries) != 2 || h.Entries[0].Actor != "import:test" {
			t.Fatalf("x history %+v, want relate and create by import:test", h.Entries)
		}
		_, err = s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{{ID: res.CIs[0].ID, Owner: ptr("o")}, input("", graph.ClassServer)}})
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
}

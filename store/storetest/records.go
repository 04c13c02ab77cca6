package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
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
		WantErr(t, err, graph.CodeConflict, "version")
		_, err = s.PutRecord(ctx, rec, 0)
		WantErr(t, err, graph.CodeConflict, "id")
		other := rec
		other.ID = graph.NewID()
		_, err = s.PutRecord(ctx, other, 3)
		WantErr(t, err, graph.CodeNotFound, "id")
		if got, _ := s.GetRecord(ctx, graph.KindIncident, rec.ID); got.Version != 2 || got.State != "IN_PROGRESS" {
			t.Fatalf("failed writes changed the record: %+v", got)
		}
		// Kinds are separate namespaces.
		_, err = s.GetRecord(ctx, graph.KindChange, rec.ID)
		WantErr(t, err, graph.CodeNotFound, "id")
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
				WantErr(t, err, tt.code, tt.field)
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
		WantErr(t, err, graph.CodeInvalidInput, "after")
		_, err = s.ListRecords(ctx, "NOPE", graph.RecordFilter{}, graph.Page{})
		WantErr(t, err, graph.CodeInvalidInput, "kind")
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
		WantErr(t, err, graph.CodeNotFound, "links[1]")
	}},
	{"Delete", func(ctx context.Context, t *testing.T, s graph.Store) {
		r := mustPut(ctx, t, s, graph.Record{Kind: graph.KindWindow, ID: graph.NewID(), State: "ACTIVE", Doc: doc(map[string]any{})}, 0)
		WantErr(t, s.DeleteRecord(ctx, graph.KindWindow, r.ID, 7), graph.CodeConflict, "version")
		if err := s.DeleteRecord(ctx, graph.KindWindow, r.ID, 1); err != nil {
			t.Fatal(err)
		}
		WantErr(t, s.DeleteRecord(ctx, graph.KindWindow, r.ID, 0), graph.CodeNotFound, "id")
		_, err := s.GetRecord(ctx, graph.KindWindow, r.ID)
		WantErr(t, err, graph.CodeNotFound, "id")
	}},
	{"ConcurrentUpdatesOneWins", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Writers that all read version 1 race: exactly one wins and the
		// others get CONFLICT on "version" (no lost update).
		rec := mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(`{"n":0}`)}, 0)
		oneWins(t, "version", func(i int) error {
			r := rec
			r.Doc = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+1))
			_, err := s.PutRecord(ctx, r, 1)
			return err
		})
		got, err := s.GetRecord(ctx, rec.Kind, rec.ID)
		if err != nil || got.Version != 2 {
			t.Fatalf("after the race: %+v, %v", got, err)
		}
		h := FullHistory(t, s, rec.ID, graph.MaxPageSize)
		if actions(h) != "UPDATE INCIDENT, CREATE INCIDENT" || string(h[0].After) != string(got.Doc) {
			t.Fatalf("history %s, newest after %s; want one update matching %s", actions(h), h[0].After, got.Doc)
		}
	}},
	{"ConcurrentCreatesOneWins", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Creators of one id race: one commits, the others get CONFLICT on
		// "id", however the checks interleave.
		rec := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(`{}`)}
		oneWins(t, "id", func(int) error {
			_, err := s.PutRecord(ctx, rec, 0)
			return err
		})
		if n := len(FullHistory(t, s, rec.ID, graph.MaxPageSize)); n != 1 {
			t.Fatalf("%d audit entries, want 1", n)
		}
	}},
	{"PutReturnsWhatGetReadsExactly", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Documents come back byte for byte (no compaction or escaping) and
		// times in UTC, so PutRecord returns the record exactly as later
		// reads and the history see it.
		ci := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		doc1 := json.RawMessage("{ \"title\" : \"<db> & \\u00e9t\u00e9\",\n  \"n\": 1.50 }")
		doc2 := json.RawMessage(`[ 1, 2 ]`)
		start := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))
		rec := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Start: &start, Doc: doc1,
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}, {Role: "TARGETS", CI: ci.ID}}, Refs: []string{"PROBLEM:p", "INCIDENT:i"}}
		v1 := mustPut(ctx, t, s, rec, 0)
		// Times are kept to the microsecond at least (graph.Now's precision).
		if lost := start.Sub(*v1.Start); string(v1.Doc) != string(doc1) || v1.Start.Location() != time.UTC || lost < 0 || lost >= time.Microsecond {
			t.Fatalf("put returned start %v, doc %s", v1.Start, v1.Doc)
		}
		got, err := s.GetRecord(ctx, rec.Kind, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", v1) != fmt.Sprintf("%+v", got) {
			t.Fatalf("PutRecord returned\n %+v\nGetRecord reads\n %+v", v1, got)
		}
		rec.Doc = doc2
		mustPut(ctx, t, s, rec, 1)
		h := FullHistory(t, s, rec.ID, 10)
		if len(h) != 2 || string(h[0].Before) != string(doc1) || string(h[0].After) != string(doc2) || string(h[1].After) != string(doc1) || h[1].Before != nil {
			t.Fatalf("history %+v", h)
		}
		bare := mustPut(ctx, t, s, graph.Record{Kind: graph.KindChange, ID: graph.NewID(), Doc: doc2}, 0)
		if bare.Links != nil || bare.Refs != nil || bare.Start != nil || bare.End != nil {
			t.Fatalf("a record without links, refs or times came back as %+v", bare)
		}
	}},
	{"TimeFilterIsExactAtMicroseconds", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Bounds that fall between microseconds: listing agrees with
		// RecordFilter.Overlaps on the stored times.
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		t1 := t0.Add(time.Hour)
		stored := mustPut(ctx, t, s, graph.Record{Kind: graph.KindWindow, ID: graph.NewID(), State: "NEW", Start: &t0, End: &t1, Doc: json.RawMessage(`{}`)}, 0)
		half := 500 * time.Nanosecond
		for _, f := range []graph.RecordFilter{
			{To: tp(t0.Add(half))}, {To: tp(t0.Add(-half))}, {To: tp(t0)},
			{From: tp(t1.Add(half))}, {From: tp(t1.Add(-half))}, {From: tp(t1)},
			{From: tp(t0.Add(-time.Minute)), To: tp(t0.Add(-half))},
		} {
			want := f.Overlaps(stored.Start, stored.End)
			p, err := s.ListRecords(ctx, graph.KindWindow, f, graph.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(p.Records) == 1; got != want {
				t.Errorf("from %v to %v: listed %v, Overlaps says %v", f.From, f.To, got, want)
			}
		}
	}},
	{"ArgumentErrors", func(ctx context.Context, t *testing.T, s graph.Store) {
		r := mustPut(ctx, t, s, graph.Record{Kind: graph.KindSLA, ID: graph.NewID(), Doc: json.RawMessage(`{}`)}, 0)
		_, err := s.PutRecord(ctx, r, -1)
		WantErr(t, err, graph.CodeInvalidInput, "version")
		_, err = s.GetRecord(ctx, "NOPE", r.ID)
		WantErr(t, err, graph.CodeInvalidInput, "kind")
		_, err = s.GetRecord(ctx, graph.KindSLA, "x")
		WantErr(t, err, graph.CodeInvalidInput, "id")
		_, err = s.RecordsByIDs(ctx, "NOPE", nil)
		WantErr(t, err, graph.CodeInvalidInput, "kind")
		WantErr(t, s.DeleteRecord(ctx, "NOPE", r.ID, 0), graph.CodeInvalidInput, "kind")
		WantErr(t, s.DeleteRecord(ctx, graph.KindSLA, "x", 0), graph.CodeInvalidInput, "id")
		_, err = s.ListRecords(ctx, graph.KindSLA, graph.RecordFilter{}, graph.Page{First: graph.MaxPageSize + 1})
		WantErr(t, err, graph.CodeInvalidInput, "first")
		// History takes an id or a relation's subject id, nothing else.
		for _, about := range []string{"", "x", r.ID + "|", r.ID + "|" + r.ID, r.ID + "||" + r.ID, "a|B|c", "x|DEPENDS_ON|" + r.ID} {
			_, err = s.History(ctx, about, graph.Page{})
			WantErr(t, err, graph.CodeInvalidInput, "about")
		}
		_, err = s.History(ctx, r.ID, graph.Page{After: graph.EncodeCursor(graph.CI{ID: r.ID})})
		WantErr(t, err, graph.CodeInvalidInput, "after")
		for _, about := range []string{graph.NewID(), graph.RelationSubjectID(graph.RelationKey{From: r.ID, Type: graph.RelDependsOn, To: graph.NewID()})} {
			if h, err := s.History(ctx, about, graph.Page{}); err != nil || len(h.Entries) != 0 || h.HasNextPage {
				t.Fatalf("history of unknown %s: %+v, %v", about, h, err)
			}
		}
	}},
	{"LinksAreNotRelations", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Record links never show up as relations between CIs, in listings
		// or traversals.
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		mustPut(ctx, t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Doc: json.RawMessage(`{}`),
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: db.ID}, {Role: "AFFECTS", CI: app.ID}}}, 0)
		rels, err := s.RelationsOf(ctx, []string{db.ID, app.ID}, graph.Both, nil)
		if err != nil || len(rels) != 0 {
			t.Fatalf("relations of linked CIs: %v, %v", rels, err)
		}
		for _, dir := range []graph.TraversalDirection{graph.Upstream, graph.Downstream} {
			sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{db.ID}, Direction: dir})
			if err != nil || len(sub.Nodes) != 1 || len(sub.Edges) != 0 {
				t.Fatalf("neighbourhood of db (direction %d): %+v, %v", dir, sub, err)
			}
		}
	}},
	{"ListAgainstReference", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Small enough for a networked store to run in seconds; the
		// embedded store's own test runs it at full size.
		RecordsAgainstReference(t, s, 180, nil)
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

// oneWins races eight writers (write gets each one's number) and fails
// unless exactly one succeeds and every other gets CONFLICT on field.
func oneWins(t *testing.T, field string, write func(i int) error) {
	t.Helper()
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = write(i)
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case graph.ErrorCode(err) != graph.CodeConflict || graph.ErrorField(err) != field:
			t.Errorf("writer %d: %v, want CONFLICT on %s", i, err, field)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
}

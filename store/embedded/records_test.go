package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

func mustPutRecord(t testing.TB, s *Store, r graph.Record, version int64) graph.Record {
	t.Helper()
	out, err := s.PutRecord(context.Background(), r, version)
	if err != nil {
		t.Fatalf("PutRecord(%s %s v%d): %v", r.Kind, r.ID, version, err)
	}
	return out
}

// allRecords pages through every record of a kind.
func allRecords(t testing.TB, s *Store, kind graph.RecordKind, f graph.RecordFilter, first int) []graph.Record {
	t.Helper()
	var out []graph.Record
	after := ""
	for {
		p, err := s.ListRecords(context.Background(), kind, f, graph.Page{First: first, After: after})
		if err != nil {
			t.Fatalf("ListRecords: %v", err)
		}
		out = append(out, p.Records...)
		if !p.HasNextPage {
			return out
		}
		after = graph.RecordCursor(graph.RecordOrder{}, p.Records[len(p.Records)-1])
	}
}

// fullHistory pages through the history of about.
func fullHistory(t testing.TB, s *Store, about string, first int) []graph.AuditEntry {
	t.Helper()
	var out []graph.AuditEntry
	after := ""
	for {
		p, err := s.History(context.Background(), about, graph.Page{First: first, After: after})
		if err != nil {
			t.Fatalf("History(%s): %v", about, err)
		}
		out = append(out, p.Entries...)
		if !p.HasNextPage {
			return out
		}
		after = graph.IDCursor(p.Entries[len(p.Entries)-1].ID)
	}
}

// checkAuditAgreesWithData checks that the trail explains the data: each
// CI's newest CI entry holds the CI as stored, each relation's newest
// entry is its RELATE, and each record has exactly Version create/update
// entries, the newest holding its document. Every history must be ordered
// newest first.
func checkAuditAgreesWithData(t testing.TB, s *Store) {
	t.Helper()
	snap := takeSnapshot(t, s)
	for _, ci := range snap.CIs {
		h := fullHistory(t, s, ci.ID, graph.MaxPageSize)
		checkNewestFirst(t, ci.ID, h)
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
			h := fullHistory(t, s, graph.RelationSubjectID(r.Key()), graph.MaxPageSize)
			want, _ := json.Marshal(r)
			if len(h) == 0 || h[0].Action != graph.ActionRelate || !bytes.Equal(h[0].After, want) {
				t.Fatalf("relation %v: newest entry %+v, want its RELATE", r.Key(), h)
			}
		}
	}
	for kind, recs := range snap.Records {
		for _, r := range recs {
			h := fullHistory(t, s, r.ID, graph.MaxPageSize)
			checkNewestFirst(t, r.ID, h)
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

func checkNewestFirst(t testing.TB, about string, h []graph.AuditEntry) {
	t.Helper()
	for i, e := range h {
		if !containsString(e.About, about) {
			t.Fatalf("history of %s holds %+v", about, e)
		}
		if i > 0 && (e.ID >= h[i-1].ID || e.At.After(h[i-1].At)) {
			t.Fatalf("history of %s is not newest first at %d", about, i)
		}
	}
}

// refRecords is the brute-force model ListRecords is checked against.
type refRecords map[string]graph.Record

func (m refRecords) list(kind graph.RecordKind, f graph.RecordFilter) []string {
	var out []string
	for id, r := range m {
		if r.Kind != kind {
			continue
		}
		if len(f.States) > 0 && !containsString(f.States, r.State) {
			continue
		}
		if f.CI != "" && !linksTo(&r, f.CI) {
			continue
		}
		if f.Ref != "" && !containsString(r.Refs, f.Ref) {
			continue
		}
		if !f.Overlaps(r.Start, r.End) {
			continue
		}
		out = append(out, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// TestListRecordsAgainstReference writes, rewrites and deletes random
// records, then pages through random filters and compares every page with
// a brute-force filter-and-sort, before and after reopening. The data is
// large enough for every plan (whole kind, single and merged id-ordered
// sets, time index) to be chosen.
func TestListRecordsAgainstReference(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	var cis []string
	for i := range 30 {
		cis = append(cis, mustCI(t, s, fmt.Sprintf("ci-%d", i), graph.ClassApplication).ID)
	}
	states := []string{"NEW", "SCHEDULED", "IN_PROGRESS", "CLOSED", "CANCELLED"}
	refs := []string{"PROBLEM:a", "PROBLEM:b", "CHANGE:c", "INCIDENT:d"}
	kinds := []graph.RecordKind{graph.KindChange, graph.KindIncident}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) *time.Time { return tp(base.AddDate(0, 0, d)) }
	randomize := func(r *graph.Record) {
		r.State = states[rng.IntN(len(states))]
		r.Links, r.Refs = nil, nil
		for range rng.IntN(4) {
			r.Links = append(r.Links, graph.RecordLink{Role: "TARGETS", CI: cis[rng.IntN(len(cis))]})
		}
		for range rng.IntN(3) {
			r.Refs = append(r.Refs, refs[rng.IntN(len(refs))])
		}
		r.Start, r.End = nil, nil
		switch rng.IntN(6) {
		case 0: // no window
		case 1:
			r.Start = day(rng.IntN(365))
		case 2:
			r.End = day(rng.IntN(365))
		default:
			d := rng.IntN(365)
			r.Start, r.End = day(d), day(d+rng.IntN(10))
		}
		r.Doc = json.RawMessage(fmt.Sprintf(`{"n":%d}`, rng.IntN(1000)))
	}
	ref := refRecords{}
	var ids []string
	for range 900 {
		r := graph.Record{Kind: kinds[rng.IntN(2)], ID: graph.NewID()}
		randomize(&r)
		out := mustPutRecord(t, s, r, 0)
		ref[r.ID], ids = out, append(ids, r.ID)
	}
	for range 300 {
		id := ids[rng.IntN(len(ids))]
		cur, ok := ref[id]
		if !ok {
			continue
		}
		if rng.IntN(4) == 0 {
			if err := s.DeleteRecord(ctx, cur.Kind, id, cur.Version); err != nil {
				t.Fatal(err)
			}
			delete(ref, id)
			continue
		}
		r := cur
		randomize(&r)
		ref[id] = mustPutRecord(t, s, r, cur.Version)
	}

	randomFilter := func() graph.RecordFilter {
		var f graph.RecordFilter
		if rng.IntN(3) == 0 {
			for range 1 + rng.IntN(3) {
				f.States = append(f.States, states[rng.IntN(len(states))])
			}
		}
		if rng.IntN(4) == 0 {
			f.CI = cis[rng.IntN(len(cis))]
		}
		if rng.IntN(5) == 0 {
			f.Ref = refs[rng.IntN(len(refs))]
		}
		if rng.IntN(2) == 0 {
			d := rng.IntN(400) - 20
			f.From = day(d)
		}
		if rng.IntN(2) == 0 {
			d := rng.IntN(400) - 20
			f.To = day(d)
		}
		return f
	}
	check := func(s *Store, rounds int) {
		t.Helper()
		fixed := []graph.RecordFilter{{}, {States: []string{"CLOSED", "NEW"}}, {CI: cis[0]}, {Ref: "PROBLEM:a"},
			{From: day(100), To: day(101)}, {From: day(300)}, {To: day(5)}, {CI: graph.NewID()}, {States: []string{"NOPE"}}}
		for i := 0; i < rounds+len(fixed); i++ {
			f := randomFilter()
			if i < len(fixed) {
				f = fixed[i]
			}
			kind := kinds[rng.IntN(2)]
			want := ref.list(kind, f)
			first := 1 + rng.IntN(60)
			var got []string
			after := ""
			for {
				p, err := s.ListRecords(ctx, kind, f, graph.Page{First: first, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if p.TotalCount != len(want) {
					t.Fatalf("%s %+v: total %d, want %d", kind, f, p.TotalCount, len(want))
				}
				for _, r := range p.Records {
					got = append(got, r.ID)
					if !reflect.DeepEqual(r, ref[r.ID]) {
						t.Fatalf("listed %+v, stored %+v", r, ref[r.ID])
					}
				}
				if p.HasNextPage != (len(got) < len(want)) || (len(p.Records) != first && p.HasNextPage) {
					t.Fatalf("%s %+v: %d of %d after a page of %d, HasNextPage %v", kind, f, len(got), len(want), len(p.Records), p.HasNextPage)
				}
				if !p.HasNextPage {
					break
				}
				after = graph.RecordCursor(graph.RecordOrder{}, p.Records[len(p.Records)-1])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s %+v (first %d):\n got %v\nwant %v", kind, f, first, got, want)
			}
		}
	}
	check(s, 400)
	// A cursor need not name a record that is still there.
	gone := graph.NewID()
	p, err := s.ListRecords(ctx, graph.KindChange, graph.RecordFilter{}, graph.Page{First: 500, After: graph.RecordCursor(graph.RecordOrder{}, graph.Record{ID: gone})})
	if err != nil || len(p.Records) != len(ref.list(graph.KindChange, graph.RecordFilter{})) {
		t.Fatalf("listing after an id newer than all: %d records, %v", len(p.Records), err)
	}
	// A record spanning millennia makes the time index useless (its span
	// saturates); the listings must not notice.
	long := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Start: tp(time.Date(100, 1, 1, 0, 0, 0, 0, time.UTC)),
		End: tp(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)), Doc: json.RawMessage(`{}`)}
	ref[long.ID] = mustPutRecord(t, s, long, 0)
	check(s, 100)
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	checkAuditAgreesWithData(t, s)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	check(s, 200)
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

func tp(t time.Time) *time.Time { return &t }

// TestRecordsRoundTripExactly: documents come back byte for byte (no
// compaction or escaping), times in UTC, from memory, history and disk.
func TestRecordsRoundTripExactly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc1 := json.RawMessage("{ \"title\" : \"<db> & \\u00e9t\u00e9\",\n  \"n\": 1.50 }")
	doc2 := json.RawMessage(`[ 1, 2 ]`)
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2026, 3, 1, 10, 0, 0, 123456789, paris)
	r := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Start: &start, Doc: doc1}
	v1 := mustPutRecord(t, s, r, 0)
	if string(v1.Doc) != string(doc1) || v1.Start.Location() != time.UTC || !v1.Start.Equal(start) || v1.Links != nil || v1.Refs != nil {
		t.Fatalf("put returned %+v (doc %s)", v1, v1.Doc)
	}
	r.Doc = doc2
	v2 := mustPutRecord(t, s, r, 1)
	h := fullHistory(t, s, r.ID, 10)
	if len(h) != 2 || string(h[0].Before) != string(doc1) || string(h[0].After) != string(doc2) || string(h[1].After) != string(doc1) || h[1].Before != nil {
		t.Fatalf("history %+v", h)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	got, err := s.GetRecord(ctx, graph.KindChange, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v2) {
		t.Fatalf("after reopen\n got %+v\nwant %+v", got, v2)
	}
	if h2 := fullHistory(t, s, r.ID, 1); !reflect.DeepEqual(h2, h) {
		t.Fatalf("history after reopen\n got %+v\nwant %+v", h2, h)
	}
}

func TestReturnedRecordsAreCopies(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ci := mustCI(t, s, "a", graph.ClassServer)
	start, end := time.Now().UTC().Truncate(time.Microsecond), time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	in := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: &start, End: &end,
		Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Refs: []string{"PROBLEM:x"}, Doc: json.RawMessage(`{"a":1}`)}
	out := mustPutRecord(t, s, in, 0)
	want, _ := s.GetRecord(ctx, graph.KindIncident, in.ID)
	scribble := func(r graph.Record) {
		*r.Start = r.Start.Add(time.Hour)
		*r.End = r.End.Add(time.Hour)
		r.Links[0].CI = "changed"
		r.Refs[0] = "changed"
		r.Doc[1] = 'X'
	}
	scribble(in)
	scribble(out)
	got, _ := s.GetRecord(ctx, graph.KindIncident, in.ID)
	scribble(got)
	byID, _ := s.RecordsByIDs(ctx, graph.KindIncident, []string{in.ID})
	scribble(byID[in.ID])
	page, _ := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{}, graph.Page{})
	scribble(page.Records[0])
	h, _ := s.History(ctx, in.ID, graph.Page{})
	h.Entries[0].After[1] = 'X'
	h.Entries[0].About[0] = "changed"
	if got, _ := s.GetRecord(ctx, graph.KindIncident, in.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("callers changed the store through records:\n got %+v\nwant %+v", got, want)
	}
	if h, _ := s.History(ctx, in.ID, graph.Page{}); string(h.Entries[0].After) != `{"a":1}` || h.Entries[0].About[0] != in.ID {
		t.Fatalf("callers changed the history: %+v", h.Entries[0])
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

// Deleting a CI leaves the records about it alone: an incident on a
// decommissioned server still happened. The record keeps the link, but it no
// longer lists under the missing CI and later writes may keep it (the
// shared rule, see storetest).
func TestRecordLinksSurviveCIDeletion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ci := mustCI(t, s, "old", graph.ClassServer)
	r := mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "CLOSED",
		Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Doc: json.RawMessage(`{}`)}, 0)
	if err := s.DeleteCI(ctx, ci.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir) // a dangling link is no reason to refuse the file
	p, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: ci.ID}, graph.Page{})
	if err != nil || len(p.Records) != 0 {
		t.Fatalf("records of the deleted CI: %+v, %v", p.Records, err)
	}
	if got, err := s.GetRecord(ctx, graph.KindIncident, r.ID); err != nil || got.Links[0].CI != ci.ID {
		t.Fatalf("record after reopen: %+v, %v", got, err)
	}
	// The record stays writable with its dangling link (see storetest).
	if r, err = s.PutRecord(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	r.Links = nil
	if _, err := s.PutRecord(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

func TestRecordArgumentErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r := mustPutRecord(t, s, graph.Record{Kind: graph.KindSLA, ID: graph.NewID(), Doc: json.RawMessage(`{}`)}, 0)
	_, err := s.PutRecord(ctx, r, -1)
	wantErr(t, err, graph.CodeInvalidInput, "version")
	_, err = s.GetRecord(ctx, "NOPE", r.ID)
	wantErr(t, err, graph.CodeInvalidInput, "kind")
	_, err = s.GetRecord(ctx, graph.KindSLA, "x")
	wantErr(t, err, graph.CodeInvalidInput, "id")
	_, err = s.RecordsByIDs(ctx, "NOPE", nil)
	wantErr(t, err, graph.CodeInvalidInput, "kind")
	wantErr(t, s.DeleteRecord(ctx, "NOPE", r.ID, 0), graph.CodeInvalidInput, "kind")
	wantErr(t, s.DeleteRecord(ctx, graph.KindSLA, "x", 0), graph.CodeInvalidInput, "id")
	_, err = s.ListRecords(ctx, graph.KindSLA, graph.RecordFilter{}, graph.Page{First: graph.MaxPageSize + 1})
	wantErr(t, err, graph.CodeInvalidInput, "first")
	for _, about := range []string{"", "x", r.ID + "|", r.ID + "||" + r.ID, "a|B|c"} {
		_, err = s.History(ctx, about, graph.Page{})
		wantErr(t, err, graph.CodeInvalidInput, "about")
	}
	_, err = s.History(ctx, r.ID, graph.Page{After: graph.EncodeCursor(graph.CI{ID: r.ID})})
	wantErr(t, err, graph.CodeInvalidInput, "after")
	if h, err := s.History(ctx, graph.NewID(), graph.Page{}); err != nil || len(h.Entries) != 0 || h.HasNextPage {
		t.Fatalf("history of an unknown id: %+v, %v", h, err)
	}
	// A cancelled write leaves neither the record nor an entry.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	other := graph.Record{Kind: graph.KindSLA, ID: graph.NewID(), Doc: json.RawMessage(`{}`)}
	_, err = s.PutRecord(cctx, other, 0)
	wantErr(t, err, graph.CodeUnavailable, "")
	if h, _ := s.History(ctx, other.ID, graph.Page{}); len(h.Entries) != 0 {
		t.Fatalf("cancelled write audited: %+v", h.Entries)
	}
}

// TestHistoryPaging pages a long history of a CI, its relations and a
// neighbour's deletion, with every page size.
func TestHistoryPaging(t *testing.T) {
	ctx := graph.WithActor(context.Background(), "pager")
	s := newStore(t)
	a := mustCI(t, s, "a", graph.ClassApplication)
	b := mustCI(t, s, "b", graph.ClassDatabase)
	for i := range 40 {
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: a.ID, Owner: ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			mustRelate(t, s, a, graph.RelDependsOn, b)
			if _, err := s.Unrelate(ctx, a.ID, graph.RelDependsOn, b.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustRelate(t, s, a, graph.RelDependsOn, b)
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	all := fullHistory(t, s, a.ID, graph.MaxPageSize)
	// create + 40 updates + 4 relate/unrelate pairs + relate + the unrelate
	// made by deleting b.
	if len(all) != 1+40+8+2 {
		t.Fatalf("%d entries", len(all))
	}
	if e := all[0]; e.Action != graph.ActionUnrelate || e.Actor != "pager" || e.SubjectKind != graph.SubjectRelation || e.After != nil {
		t.Fatalf("newest entry %+v, want the unrelate of b's deletion", e)
	}
	checkNewestFirst(t, a.ID, all)
	for first := 1; first <= 12; first++ {
		if got := fullHistory(t, s, a.ID, first); !reflect.DeepEqual(got, all) {
			t.Fatalf("paging by %d differs", first)
		}
	}
	hb := fullHistory(t, s, b.ID, 3)
	if len(hb) != 1+10+1 || hb[0].Action != graph.ActionDelete || hb[1].Action != graph.ActionUnrelate {
		t.Fatalf("history of b: %d entries, newest %+v", len(hb), hb[0])
	}
}

// TestHistoryOrderSurvivesAClockStepBack: entry ids keep growing after a
// restart even when the clock is behind the last entry written.
func TestHistoryOrderSurvivesAClockStepBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ci := mustCI(t, s, "a", graph.ClassServer)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Pretend the last write happened in 2200.
	future := futureID(t, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	withBolt(t, dir, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLastAudit, []byte(future)) })
	s = openStore(t, dir)
	for i := range 3 {
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: ci.ID, Owner: ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	h := fullHistory(t, s, ci.ID, 10)
	checkNewestFirst(t, ci.ID, h)
	if len(h) != 4 || h[0].ID <= future || h[3].Action != graph.ActionCreate {
		t.Fatalf("history %+v", h)
	}
}

func futureID(t *testing.T, at time.Time) string {
	t.Helper()
	u, err := uuid.NewV7FromReader(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	ms := at.UnixMilli()
	for i := 5; i >= 0; i-- {
		u[i] = byte(ms)
		ms >>= 8
	}
	return u.String()
}

func TestNextAuditID(t *testing.T) {
	last := futureID(t, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC))
	u := uuid.MustParse(last)
	for i := 9; i < 16; i++ {
		u[i] = 0xff // the next id carries into byte 8
	}
	last = u.String()
	for range 1000 {
		id := nextAuditID(last)
		p, err := uuid.Parse(id)
		if err != nil || graph.CheckID("id", id) != nil || id <= last || p.Version() != 7 || p.Variant() != uuid.RFC4122 {
			t.Fatalf("nextAuditID(%s) = %s (%v)", last, id, err)
		}
		last = id
	}
	if id := nextAuditID(""); graph.CheckID("id", id) != nil {
		t.Fatalf("first id %q", id)
	}
}

func withBolt(t *testing.T, dir string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenUpgradesSchemaV1 opens a file as version 1 left it: no records
// or audit buckets.
func TestOpenUpgradesSchemaV1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCI(t, s, "a", graph.ClassApplication, ident("serial", "A"))
	b := mustCI(t, s, "b", graph.ClassApplication)
	mustRelate(t, s, a, graph.RelDependsOn, b)
	before := takeSnapshot(t, s)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	withBolt(t, dir, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketAudit} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Delete(keyLastAudit); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaV1))
	})
	s = openStore(t, dir)
	if got := takeSnapshot(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("upgrade changed the graph")
	}
	if h := fullHistory(t, s, a.ID, 10); len(h) != 0 {
		t.Fatalf("history before the upgrade: %+v", h)
	}
	mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), Links: []graph.RecordLink{{Role: "AFFECTS", CI: a.ID}}, Doc: json.RawMessage(`{}`)}, 0)
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if h := fullHistory(t, s, a.ID, 10); len(h) != 1 || h[0].Action != graph.ActionUnrelate {
		t.Fatalf("history after the upgrade: %+v", h)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySchema); string(v) != schemaVersion {
			return fmt.Errorf("schema %q after upgrade", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// recordDamage lists ways a records or audit bucket can be damaged that
// Open must refuse.
var recordDamage = []struct {
	name   string
	damage func(tx *bolt.Tx) error
}{
	{"record under another key", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		return b.Put(recordKey(graph.KindChange, strings.Repeat("0", 8)+string(k[len(k)-28:])), bytes.Clone(v))
	}},
	{"record of the wrong kind", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		id := string(k[bytes.IndexByte(k, 0)+1:])
		return b.Put(recordKey(graph.KindChange, id), bytes.Clone(v))
	}},
	{"truncated record", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		return b.Put(bytes.Clone(k), bytes.Clone(v[:len(v)/2]))
	}},
	{"bad audit high-water mark", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLastAudit, []byte("x")) }},
}

func TestOpenRefusesDamagedRecords(t *testing.T) {
	for _, tt := range recordDamage {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s, err := Open(ctx, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), Doc: json.RawMessage(`{"x": [1, 2, 3]}`)}, 0)
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			withBolt(t, dir, tt.damage)
			if s, err := Open(ctx, dir, nil); err == nil {
				_ = s.Close(ctx)
				t.Fatal("Open accepted a damaged file")
			}
		})
	}
}

func TestAuditCodecRoundTrip(t *testing.T) {
	e := graph.AuditEntry{ID: graph.NewID(), At: graph.Now(), Actor: "ünïcode actor", Action: graph.ActionRelate,
		SubjectKind: graph.SubjectRelation, SubjectID: "a|B|c", About: []string{"a|B|c", "a", "c"}, After: json.RawMessage(`{"x":1}`)}
	b := encodeAudit(&e)
	got, err := decodeAudit(b)
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for i := range b {
		if _, err := decodeAudit(b[:i]); err == nil {
			t.Fatalf("decoded a truncation to %d bytes", i)
		}
	}
	if _, err := decodeAudit(append(bytes.Clone(b), 0)); err == nil {
		t.Fatal("decoded trailing garbage")
	}
}

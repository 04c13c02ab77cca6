package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// Referential integrity between records and CIs (graph/refs.go): a delete
// that would orphan a live record is refused, in the delete's own
// transaction; a forced delete keeps every reference, and what remains of
// the CI (its tombstone) still answers.

// holding is the rule both stores must apply, spelled out state by state
// rather than derived from graph.HoldsCIs, so that a change to the rule
// has to change this table too.
var holding = []struct {
	kind  graph.RecordKind
	state string
	holds bool
}{
	{graph.KindIncident, "NEW", true},
	{graph.KindIncident, "IN_PROGRESS", true},
	{graph.KindIncident, "ON_HOLD", true},
	{graph.KindIncident, "RESOLVED", false},
	{graph.KindIncident, "CLOSED", false},
	{graph.KindIncident, "A_STATE_ADDED_LATER", true}, // unknown states protect
	{graph.KindProblem, "NEW", true},
	{graph.KindProblem, "INVESTIGATING", true},
	{graph.KindProblem, "KNOWN_ERROR", true},
	{graph.KindProblem, "RESOLVED", true},
	{graph.KindProblem, "CLOSED", false},
	{graph.KindChange, "REQUESTED", true},
	{graph.KindChange, "ASSESSED", true},
	{graph.KindChange, "APPROVED", true},
	{graph.KindChange, "SCHEDULED", true},
	{graph.KindChange, "IMPLEMENTING", true},
	{graph.KindChange, "REVIEW", true},
	{graph.KindChange, "CLOSED", false},
	{graph.KindChange, "REJECTED", false},
	{graph.KindChange, "CANCELLED", false},
	{graph.KindSLA, "ACTIVE", true},
	{graph.KindWindow, "MAINTENANCE", false},
	{graph.KindWindow, "FREEZE", false},
	{graph.KindImportRun, "SUCCEEDED", false},
}

// linked stores a record of kind in state linking the CIs, titled title.
func linked(ctx context.Context, t *testing.T, s graph.Store, kind graph.RecordKind, state, title string, cis ...graph.CI) graph.Record {
	t.Helper()
	rec := graph.Record{Kind: kind, ID: graph.NewID(), State: state, Doc: doc(map[string]any{"title": title})}
	for _, c := range cis {
		rec.Links = append(rec.Links, graph.RecordLink{Role: "AFFECTS", CI: c.ID})
	}
	return mustPut(ctx, t, s, rec, 0)
}

// heldError returns err's domain error, failing unless it is the CONFLICT
// on "id" of a delete refused because of holders.
func heldError(t *testing.T, err error) *graph.Error {
	t.Helper()
	WantErr(t, err, graph.CodeConflict, "id")
	var de *graph.Error
	errors.As(err, &de)
	if _, ok := de.Details["holders"].([]graph.Holder); !ok {
		t.Fatalf("CONFLICT without holders in its details: %#v", de.Details)
	}
	return de
}

var referenceCases = []testCase{
	{"WhichRecordsHoldACI", func(ctx context.Context, t *testing.T, s graph.Store) {
		for _, tc := range holding {
			t.Run(string(tc.kind)+" "+tc.state, func(t *testing.T) {
				if got := graph.HoldsCIs(tc.kind, tc.state); got != tc.holds {
					t.Fatalf("graph.HoldsCIs = %v, want %v", got, tc.holds)
				}
				ci := mustCI(ctx, t, s, "ci "+string(tc.kind)+" "+tc.state, graph.ClassServer)
				other := mustCI(ctx, t, s, "other "+string(tc.kind)+" "+tc.state, graph.ClassVirtualMachine)
				mustRelate(ctx, t, s, other, graph.RelRunsOn, ci)
				rec := linked(ctx, t, s, tc.kind, tc.state, "about "+ci.Name, ci)
				history, _ := s.History(ctx, ci.ID, graph.Page{})
				err := s.DeleteCI(ctx, ci.ID)
				if !tc.holds {
					if err != nil {
						t.Fatalf("a %s %s record blocked the delete: %v", tc.kind, tc.state, err)
					}
					if _, err := s.GetCI(ctx, ci.ID); graph.ErrorCode(err) != graph.CodeNotFound {
						t.Fatalf("CI still readable after delete: %v", err)
					}
					return
				}
				de := heldError(t, err)
				want := []graph.Holder{{Kind: tc.kind, ID: rec.ID, State: tc.state, Title: "about " + ci.Name}}
				if got := de.Details["holders"]; !reflect.DeepEqual(got, want) {
					t.Fatalf("holders %+v, want %+v", got, want)
				}
				// A refused delete changes nothing: CI, relation, history.
				mustGet(ctx, t, s, ci.ID)
				if n := countRelations(ctx, t, s, ci); n != 1 {
					t.Fatalf("%d relations after a refused delete, want 1", n)
				}
				if after, _ := s.History(ctx, ci.ID, graph.Page{}); len(after.Entries) != len(history.Entries) {
					t.Fatalf("refused delete wrote %d audit entries", len(after.Entries)-len(history.Entries))
				}
			})
		}
	}},
	{"RefusalNamesAndCountsTheHolders", func(ctx context.Context, t *testing.T, s graph.Store) {
		db := mustCI(ctx, t, s, "orders-db", graph.ClassDatabase)
		var incidents []graph.Record
		for i := range 3 {
			incidents = append(incidents, linked(ctx, t, s, graph.KindIncident, "IN_PROGRESS", fmt.Sprintf("slow %d", i), db))
		}
		change := linked(ctx, t, s, graph.KindChange, "SCHEDULED", "upgrade", db)
		problem := linked(ctx, t, s, graph.KindProblem, "KNOWN_ERROR", "lag", db)
		// An SLA is named by its "name"; a record may link one CI twice.
		sla := mustPut(ctx, t, s, graph.Record{Kind: graph.KindSLA, ID: graph.NewID(), State: "ACTIVE",
			Links: []graph.RecordLink{{Role: "SERVICE", CI: db.ID}, {Role: "SCOPE", CI: db.ID}},
			Doc:   doc(map[string]any{"name": "orders 99.9"})}, 0)
		linked(ctx, t, s, graph.KindIncident, "CLOSED", "old", db)
		linked(ctx, t, s, graph.KindWindow, "FREEZE", "freeze", db)

		de := heldError(t, s.DeleteCI(ctx, db.ID))
		var want []graph.Holder
		for _, r := range sortedByID(incidents) {
			want = append(want, graph.Holder{Kind: graph.KindIncident, ID: r.ID, State: "IN_PROGRESS", Title: titleOf(r)})
		}
		want = append(want,
			graph.Holder{Kind: graph.KindChange, ID: change.ID, State: "SCHEDULED", Title: "upgrade"},
			graph.Holder{Kind: graph.KindProblem, ID: problem.ID, State: "KNOWN_ERROR", Title: "lag"},
			graph.Holder{Kind: graph.KindSLA, ID: sla.ID, State: "ACTIVE", Title: "orders 99.9"})
		if got := de.Details["holders"]; !reflect.DeepEqual(got, want) {
			t.Fatalf("holders\n got %+v\nwant %+v", got, want)
		}
		counts := map[string]int{"INCIDENT": 3, "CHANGE": 1, "PROBLEM": 1, "SLA": 1}
		if got := de.Details["counts"]; !reflect.DeepEqual(got, counts) || de.Details["total"] != 6 {
			t.Fatalf("counts %v total %v, want %v and 6", got, de.Details["total"], counts)
		}
		if got := de.Details["ci"]; !reflect.DeepEqual(got, map[string]string{"id": db.ID, "name": "orders-db"}) {
			t.Fatalf("ci %v", got)
		}
		want3 := `CI "orders-db" is still referenced by 3 open incidents, 1 change not closed, 1 problem not closed, 1 SLA`
		if !strings.HasPrefix(de.Message, want3) {
			t.Fatalf("message %q, want it to start with %q", de.Message, want3)
		}
	}},
	{"ForcedDeleteKeepsReferencesAsTombstones", func(ctx context.Context, t *testing.T, s graph.Store) {
		alice := graph.WithActor(ctx, "alice")
		db := mustCI(ctx, t, s, "orders-db-primary", graph.ClassDatabase)
		app := mustCI(ctx, t, s, "orders-app", graph.ClassApplication)
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		inc := linked(ctx, t, s, graph.KindIncident, "NEW", "db down", db, app)
		closed := linked(ctx, t, s, graph.KindChange, "CLOSED", "old change", db)

		holders, err := s.ForceDeleteCI(alice, db.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(holders) != 1 || holders[0] != (graph.Holder{Kind: graph.KindIncident, ID: inc.ID, State: "NEW", Title: "db down"}) {
			t.Fatalf("forced delete overrode %+v, want the open incident", holders)
		}
		if _, err := s.GetCI(ctx, db.ID); graph.ErrorCode(err) != graph.CodeNotFound {
			t.Fatalf("CI still readable after a forced delete: %v", err)
		}
		if n := countRelations(ctx, t, s, app); n != 0 {
			t.Fatalf("%d relations left on orders-app", n)
		}
		// Every read of the records answers, with their references kept.
		for _, r := range []graph.Record{inc, closed} {
			got, err := s.GetRecord(ctx, r.Kind, r.ID)
			if err != nil || got.Version != r.Version || !reflect.DeepEqual(got.Links, r.Links) {
				t.Fatalf("record after the forced delete: %+v, %v", got, err)
			}
			byID, err := s.RecordsByIDs(ctx, r.Kind, []string{r.ID})
			if err != nil || !reflect.DeepEqual(byID[r.ID].Links, r.Links) {
				t.Fatalf("RecordsByIDs: %+v, %v", byID, err)
			}
			page, err := s.ListRecords(ctx, r.Kind, graph.RecordFilter{States: []string{r.State}}, graph.Page{})
			if err != nil || page.TotalCount != 1 || !reflect.DeepEqual(page.Records[0].Links, r.Links) {
				t.Fatalf("ListRecords by state: %+v, %v", page, err)
			}
		}
		// The live CI still finds the incident; the deleted one finds none.
		if page, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: app.ID}, graph.Page{}); err != nil || page.TotalCount != 1 {
			t.Fatalf("incidents on orders-app: %d, %v", page.TotalCount, err)
		}
		if page, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: db.ID}, graph.Page{}); err != nil || page.TotalCount != 0 {
			t.Fatalf("incidents on the deleted CI: %d, %v", page.TotalCount, err)
		}
		// The tombstone: id, last name and class, when and by whom.
		stones, err := graph.Tombstones(ctx, s, []string{db.ID, app.ID, graph.NewID(), "junk", inc.ID})
		if err != nil {
			t.Fatal(err)
		}
		st, ok := stones[db.ID]
		if len(stones) != 1 || !ok || st.Name != "orders-db-primary" || st.Class != graph.ClassDatabase || st.DeletedBy != "alice" || st.DeletedAt.IsZero() {
			t.Fatalf("tombstones %+v, want only orders-db-primary's, deleted by alice", stones)
		}
		// The incident can still move on and keeps its reference.
		inc.State = "CLOSED"
		if got := mustPut(ctx, t, s, inc, inc.Version); !reflect.DeepEqual(got.Links, inc.Links) {
			t.Fatalf("links after closing: %+v", got.Links)
		}
		// Deleting again: the CI is gone, whatever the mode.
		_, err = s.ForceDeleteCI(ctx, db.ID)
		WantErr(t, err, graph.CodeNotFound, "id")
		WantErr(t, s.DeleteCI(ctx, db.ID), graph.CodeNotFound, "id")
	}},
	{"RemoveCIModes", func(ctx context.Context, t *testing.T, s graph.Store) {
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		inc := linked(ctx, t, s, graph.KindIncident, "NEW", "db slow", db)

		heldError(t, graph.RemoveCI(ctx, s, db.ID, graph.DeleteProtect))
		heldError(t, graph.RemoveCI(ctx, s, db.ID, ""))
		WantErr(t, graph.RemoveCI(ctx, s, db.ID, "ERASE"), graph.CodeInvalidInput, "mode")
		WantErr(t, graph.RemoveCI(ctx, s, graph.NewID(), graph.DeleteRetire), graph.CodeNotFound, "id")
		WantErr(t, graph.RemoveCI(ctx, s, "x", graph.DeleteRetire), graph.CodeInvalidInput, "id")

		// RETIRE keeps the CI, its relations and the incident's link.
		if err := graph.RemoveCI(ctx, s, db.ID, graph.DeleteRetire); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(ctx, t, s, db.ID); got.Status != graph.StatusRetired {
			t.Fatalf("status after RETIRE: %s", got.Status)
		}
		if n := countRelations(ctx, t, s, db); n != 1 {
			t.Fatalf("%d relations after RETIRE, want 1", n)
		}
		if page, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: db.ID}, graph.Page{}); err != nil || page.TotalCount != 1 {
			t.Fatalf("incidents on the retired CI: %d, %v", page.TotalCount, err)
		}
		// A retired CI is still held; FORCE deletes it.
		heldError(t, graph.RemoveCI(ctx, s, db.ID, graph.DeleteProtect))
		if err := graph.RemoveCI(ctx, s, db.ID, graph.DeleteForce); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetRecord(ctx, graph.KindIncident, inc.ID); err != nil || got.Links[0].CI != db.ID {
			t.Fatalf("incident after FORCE: %+v, %v", got, err)
		}
	}},
	{"HoldCheckIsAtomicWithTheDelete", func(ctx context.Context, t *testing.T, s graph.Store) {
		// A record linking the CI and a delete race. With the check inside
		// the delete's transaction exactly one wins: the record is stored
		// and the delete refused, or the CI is deleted and the record
		// refused (its CI is NOT_FOUND). Both succeeding is an open
		// incident left pointing at a CI deleted unforced.
		const rounds = 12
		both := 0
		for i := range rounds {
			ci := mustCI(ctx, t, s, fmt.Sprintf("racer-%d", i), graph.ClassServer)
			rec := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW",
				Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Doc: doc(map[string]any{"title": "race"})}
			var (
				wg             sync.WaitGroup
				putErr, delErr error
			)
			wg.Add(2)
			go func() { defer wg.Done(); _, putErr = s.PutRecord(ctx, rec, 0) }()
			go func() { defer wg.Done(); delErr = s.DeleteCI(ctx, ci.ID) }()
			wg.Wait()
			switch {
			case putErr == nil && delErr == nil:
				both++
			case putErr == nil:
				heldError(t, delErr)
			case delErr == nil:
				WantErr(t, putErr, graph.CodeNotFound, "links[0]")
			default:
				t.Fatalf("round %d: both failed: put %v, delete %v", i, putErr, delErr)
			}
		}
		if both > 0 {
			t.Fatalf("%d of %d rounds both stored the incident and deleted its CI", both, rounds)
		}
	}},
}

func sortedByID(rs []graph.Record) []graph.Record {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b graph.Record) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func titleOf(r graph.Record) string { return graph.RecordTitle(r.Doc) }

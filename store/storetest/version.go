package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

var versionCases = []testCase{
	{"moves with every graph write and only then", testGraphVersion},
}

// testGraphVersion walks through every kind of write and checks that the
// graph version moved exactly when the graph changed, and that no token
// comes back once the graph has moved on.
func testGraphVersion(ctx context.Context, t *testing.T, s graph.Store) {
	version := func() string {
		t.Helper()
		v, err := s.GraphVersion(ctx)
		if err != nil {
			t.Fatalf("GraphVersion: %v", err)
		}
		if v == "" {
			t.Fatal("GraphVersion returned an empty token")
		}
		return v
	}
	seen := map[string]string{}
	last := version()
	seen[last] = "start"
	step := func(name string, changes bool, write func() error) {
		t.Helper()
		err := write()
		if changes && err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v := version()
		switch {
		case changes && v == last:
			t.Errorf("%s changed the graph but not its version (%s)", name, v)
		case changes && seen[v] != "":
			t.Errorf("%s: version %s repeats the one after %q", name, v, seen[v])
		case !changes && v != last:
			t.Errorf("%s changed nothing in the graph but moved its version from %s to %s", name, last, v)
		}
		if changes {
			seen[v] = name
		}
		last = v
	}

	var app, db graph.CI
	in := Input("app", graph.ClassApplication, Ident("url", "https://app.example"))
	step("creating a CI", true, func() (err error) { app, err = upsertCI(ctx, s, in); return err })
	step("an identical upsert", false, func() error { _, err := s.UpsertCI(ctx, in); return err })
	in.Owner = Ptr("team-a")
	step("updating a CI", true, func() error { _, err := s.UpsertCI(ctx, in); return err })
	step("a batch that fails halfway", false, func() error {
		unknown := Input("ghost", graph.ClassApplication)
		unknown.ID = graph.NewID()
		_, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{Input("new", graph.ClassServer), unknown}})
		if graph.ErrorCode(err) != graph.CodeNotFound {
			t.Errorf("a batch upserting an unknown id: %v, want NOT_FOUND", err)
		}
		return err
	})
	step("a batch creating a CI", true, func() error {
		res, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{Input("db", graph.ClassDatabase)}})
		if err == nil {
			db = res.CIs[0]
		}
		return err
	})
	step("relating", true, func() error { _, err := s.Relate(ctx, app.ID, graph.RelDependsOn, db.ID); return err })
	step("relating again", false, func() error { _, err := s.Relate(ctx, app.ID, graph.RelDependsOn, db.ID); return err })
	step("a batch changing nothing", false, func() error {
		_, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{in},
			Relate: []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: db.ID}}}})
		return err
	})
	step("a ledger-only batch", false, func() error {
		_, err := s.Apply(ctx, graph.Batch{Ledger: &graph.LedgerWrite{ScopeKey: scopeA, RunID: graph.NewID(), At: ledgerTime,
			SeenCIs: []graph.CIRef{{ID: app.ID}}}})
		return err
	})
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rec := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: &start,
		Links: []graph.RecordLink{{Role: "AFFECTS", CI: db.ID}}, Doc: doc(map[string]any{"title": "db slow"})}
	step("writing a record", false, func() error { _, err := s.PutRecord(ctx, rec, 0); return err })
	step("deleting a record", false, func() error { return s.DeleteRecord(ctx, rec.Kind, rec.ID, 1) })
	step("unrelating", true, func() error { _, err := s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID); return err })
	step("unrelating what is not related", false, func() error { _, err := s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID); return err })
	step("a batch relating", true, func() error {
		_, err := s.Apply(ctx, graph.Batch{Relate: []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: db.ID}}}})
		return err
	})
	step("a batch unrelating", true, func() error {
		_, err := s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: db.ID}}}})
		return err
	})
	step("deleting a CI", true, func() error { return s.DeleteCI(ctx, db.ID) })
	step("force-deleting a CI", true, func() error { _, err := s.ForceDeleteCI(ctx, app.ID); return err })
	step("deleting a CI that is gone", false, func() error { return s.DeleteCI(ctx, app.ID) })
	if len(seen) != 10 {
		t.Errorf("%d distinct versions, want 10 (the start and 9 changes): %v", len(seen), seen)
	}
}

func upsertCI(ctx context.Context, s graph.Store, in graph.CIInput) (graph.CI, error) {
	res, err := s.UpsertCI(ctx, in)
	return res.CI, err
}

package neo4j

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

var testScope = graph.ScopeKey{Source: "nmap", Scope: "nmap:10.0.0.0/24"}

func testRun(k graph.ScopeKey, gen int64) *graph.LedgerWrite {
	return &graph.LedgerWrite{ScopeKey: k, ExpectGeneration: gen, RunID: graph.NewID(),
		At: time.Date(2026, 11, 23, 10, 0, 0, 123_000_000, time.UTC)}
}

func idRef(id string) graph.CIRef { return graph.CIRef{ID: id} }

func sightings(t testing.TB, s *Store, k graph.ScopeKey) []graph.Sighting {
	t.Helper()
	got, err := s.Sightings(context.Background(), k)
	if err != nil {
		t.Fatalf("Sightings(%v): %v", k, err)
	}
	return got
}

// TestLedgerRunsSerialiseOnScope holds a scope's lock in an open
// transaction, as a run that has started but not committed does, and
// checks that a second run waits for it and then sees its generation:
// without the lock both would read generation 0 and both would commit.
// It covers a scope that exists (the lock comes from the SET, which must
// lock even when it writes the value already there) and a new one (from
// MERGE on the unique constraint).
func TestLedgerRunsSerialiseOnScope(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for _, existing := range []bool{true, false} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			k := graph.ScopeKey{Source: "csv", Scope: fmt.Sprintf("export-%v", existing)}
			if existing {
				if _, err := s.Apply(ctx, graph.Batch{Ledger: testRun(k, 0)}); err != nil {
					t.Fatal(err)
				}
			}
			gen := int64(0)
			if existing {
				gen = 1
			}
			session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db})
			defer session.Close(ctx)
			tx, err := session.BeginTransaction(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Close(ctx)
			res, err := tx.Run(ctx, cypherLockScope, scopeParams(k))
			if err == nil {
				_, err = res.Consume(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}

			done := make(chan error, 1)
			go func() {
				_, err := s.Apply(ctx, graph.Batch{Ledger: testRun(k, gen)})
				done <- err
			}()
			select {
			case err := <-done:
				t.Fatalf("second run finished (%v) while the first held the scope", err)
			case <-time.After(500 * time.Millisecond):
			}

			// The first run commits its generation; the second must now fail.
			first := testRun(k, gen)
			params := scopeParams(k)
			params["generation"], params["run"], params["at"] = gen+1, first.RunID, first.At.UnixMicro()
			if res, err = tx.Run(ctx, cypherBumpScope, params); err == nil {
				_, err = res.Consume(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				wantErr(t, err, graph.CodeConflict, "ledger.generation")
			case <-time.After(30 * time.Second):
				t.Fatal("second run still blocked after the first committed")
			}
			st, err := s.Scope(ctx, k)
			if err != nil || st.Generation != gen+1 || st.LastRun != first.RunID {
				t.Fatalf("Scope = %+v, %v; want the first run's generation %d", st, err, gen+1)
			}
		})
	}
}

// TestLedgerSightingsFollowRelations: a run may see relations its batch
// creates, not those its batch removes; batch unrelates and DeleteCI drop
// relation sightings in every scope; refs resolve through identifiers the
// database holds but the batch never named.
func TestLedgerSightingsFollowRelations(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	other := graph.ScopeKey{Source: "kubernetes", Scope: "prod"}
	app := mustCI(t, s, "app", graph.ClassApplication, ident("hostname", "app"))
	srv := mustCI(t, s, "srv", graph.ClassServer, ident("serial", "S1"))
	byIdent := func(kind, value string) graph.CIRef { return graph.CIRef{Identifier: ptr(ident(kind, value))} }
	rel := graph.BatchRelation{From: byIdent("hostname", " APP"), Type: graph.RelRunsOn, To: byIdent("serial", "S1")}

	// Created and seen in one batch, by identifiers only the database knows.
	run := testRun(testScope, 0)
	run.SeenCIs = []graph.CIRef{byIdent("hostname", "app"), idRef(srv.ID), idRef(app.ID)}
	run.SeenRelations = []graph.BatchRelation{rel, rel}
	res, err := s.Apply(ctx, graph.Batch{Relate: []graph.BatchRelation{rel}, Ledger: run})
	if err != nil || res.RelationsCreated != 1 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	got := sightings(t, s, testScope)
	if len(got) != 3 || got[2].Relation == nil || got[0].CI > got[1].CI {
		t.Fatalf("Sightings = %+v, want 2 CIs (by id) then the relation", got)
	}
	for _, sg := range got {
		if !sg.FirstSeen.Equal(run.At) || sg.FirstSeen.Location() != time.UTC || sg.LastRun != run.RunID {
			t.Fatalf("sighting %+v: want first seen %v (UTC) by %s", sg, run.At, run.RunID)
		}
	}
	run2 := testRun(other, 0)
	run2.SeenRelations = []graph.BatchRelation{rel}
	if _, err := s.Apply(ctx, graph.Batch{Ledger: run2}); err != nil {
		t.Fatal(err)
	}

	// Removed and seen in one batch: the relation does not exist after it.
	run3 := testRun(testScope, 1)
	run3.SeenRelations = []graph.BatchRelation{rel}
	_, err = s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{rel}, Ledger: run3})
	wantErr(t, err, graph.CodeNotFound, "ledger.seenRelations[0]")
	if n := len(sightings(t, s, other)); n != 1 {
		t.Fatalf("a failed batch dropped sightings: %d left in %v", n, other)
	}

	// A batch unrelate drops the relation's sightings in both scopes.
	res, err = s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{rel}})
	if err != nil || res.RelationsRemoved != 1 {
		t.Fatalf("Apply(unrelate) = %+v, %v", res, err)
	}
	if got := sightings(t, s, testScope); len(got) != 2 || got[1].Relation != nil {
		t.Fatalf("after unrelate: %+v, want the CI sightings only", got)
	}
	if got := sightings(t, s, other); len(got) != 0 {
		t.Fatalf("after unrelate: %+v in %v, want none", got, other)
	}

	// DeleteCI drops the sightings of relations it is the target of.
	run4 := testRun(other, 1)
	run4.SeenRelations = []graph.BatchRelation{rel}
	if _, err := s.Apply(ctx, graph.Batch{Relate: []graph.BatchRelation{rel}, Ledger: run4}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCI(ctx, srv.ID); err != nil {
		t.Fatal(err)
	}
	if got := sightings(t, s, other); len(got) != 0 {
		t.Fatalf("after deleting the relation's target: %+v, want none", got)
	}
	if got := sightings(t, s, testScope); len(got) != 1 || got[0].CI != app.ID {
		t.Fatalf("after deleting srv: %+v, want app only", got)
	}
	if n := countNodes(t, s, labelSighting); n != 1 {
		t.Fatalf("%d sighting nodes left, want 1", n)
	}
}

// TestLedgerRefErrorsNameTheRef: an unresolved end of a seen relation is
// NOT_FOUND on that end; malformed refs are INVALID_INPUT before any query.
func TestLedgerRefErrorsNameTheRef(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	app := mustCI(t, s, "app", graph.ClassApplication)
	missing := graph.NewID()
	cases := []struct {
		edit  func(w *graph.LedgerWrite)
		code  graph.Code
		field string
	}{
		{func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{idRef(app.ID), idRef(missing)} }, graph.CodeNotFound, "ledger.seenCIs[1]"},
		{func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{{}} }, graph.CodeInvalidInput, "ledger.seenCIs[0]"},
		{func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{idRef("nope")} }, graph.CodeInvalidInput, "ledger.seenCIs[0]"},
		{func(w *graph.LedgerWrite) {
			w.SeenRelations = []graph.BatchRelation{{From: idRef(app.ID), Type: graph.RelRunsOn, To: idRef(missing)}}
		}, graph.CodeNotFound, "ledger.seenRelations[0].to"},
		{func(w *graph.LedgerWrite) {
			w.SeenRelations = []graph.BatchRelation{{From: idRef(app.ID), Type: "NOPE", To: idRef(missing)}}
		}, graph.CodeInvalidInput, "ledger.seenRelations[0].type"},
	}
	for i, tc := range cases {
		w := testRun(testScope, 0)
		tc.edit(w)
		_, err := s.Apply(ctx, graph.Batch{Ledger: w})
		t.Logf("case %d: %v", i, err)
		wantErr(t, err, tc.code, tc.field)
	}
	if st, err := s.Scope(ctx, testScope); err != nil || st.Generation != 0 {
		t.Fatalf("Scope = %+v, %v after failed runs", st, err)
	}
}

// TestProvenanceIsStoredWithTheCI: every read path returns the provenance
// the upsert computed, exactly.
func TestProvenanceIsStoredWithTheCI(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	in := input("web", graph.ClassServer, ident("ip", "10.0.0.1"))
	in.Attributes = map[string]any{"os": "Linux"}
	in.Source, in.Scope = "nmap", "nmap:10.0.0.0/24"
	res, err := s.UpsertCI(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := res.CI.Provenance
	if len(want) != 4 || want[graph.AttributeField("os")].Source != "nmap" {
		t.Fatalf("upsert provenance = %+v", want)
	}
	check := func(how string, ci graph.CI) {
		t.Helper()
		if len(ci.Provenance) != len(want) {
			t.Fatalf("%s: provenance %+v, want %+v", how, ci.Provenance, want)
		}
		for k, o := range want {
			g := ci.Provenance[k]
			if g.Source != o.Source || g.Scope != o.Scope || !g.Since.Equal(o.Since) {
				t.Fatalf("%s: provenance[%s] = %+v, want %+v", how, k, g, o)
			}
		}
	}
	got, err := s.GetCI(ctx, res.CI.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("GetCI", got)
	byID, err := s.CIsByIDs(ctx, []string{res.CI.ID})
	if err != nil {
		t.Fatal(err)
	}
	check("CIsByIDs", byID[res.CI.ID])
	page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
	if err != nil || len(page.CIs) != 1 {
		t.Fatalf("ListCIs = %+v, %v", page, err)
	}
	check("ListCIs", page.CIs[0])
	sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{res.CI.ID}})
	if err != nil {
		t.Fatal(err)
	}
	check("Neighbourhood", sub.Nodes[res.CI.ID].CI)
	// Clearing the attributes drops their origin from the stored CI.
	upd, err := s.UpsertCI(ctx, graph.CIInput{ID: res.CI.ID, Attributes: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	want = upd.CI.Provenance
	got, _ = s.GetCI(ctx, res.CI.ID)
	check("GetCI after clearing attributes", got)
}

// TestLedgerQueriesUseIndexes pins every ledger statement to index seeks:
// none may scan a label, whatever the number of sightings.
func TestLedgerQueriesUseIndexes(t *testing.T) {
	s := newTestStore(t)
	params := map[string]any{"source": "a", "scope": "b", "rows": []any{}, "id": graph.NewID(), "ids": []any{},
		"keys": []any{}, "at": int64(1), "run": "r", "generation": int64(1)}
	for name, q := range map[string]string{
		"lock": cypherLockScope, "bump": cypherBumpScope, "scope": cypherScope, "exist": cypherCIsExist,
		"owners": cypherIdentifierOwners, "seeCIs": cypherSeeCIs, "seeRelations": cypherSeeRelations,
		"miss": cypherMissSightings, "forget": cypherForgetSightings, "dropCI": cypherDropCISightings,
		"dropRelations": cypherDropRelationSightings, "sightings": cypherSightings, "sightingsOf": cypherSightingsOf,
	} {
		ops := explain(t, s, q, params)
		if strings.Contains(ops, "LabelScan") || strings.Contains(ops, "AllNodesScan") || !strings.Contains(ops, "IndexSeek") {
			t.Errorf("%s is not an index seek: %s", name, ops)
		}
	}
}

package neo4j

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

var testScope = graph.ScopeKey{Source: "nmap", Scope: "nmap:10.0.0.0/24"}

func testRun(k graph.ScopeKey, gen int64) *graph.LedgerWrite {
	return &graph.LedgerWrite{ScopeKey: k, ExpectGeneration: gen, RunID: graph.NewID(),
		At: time.Date(2026, 11, 23, 10, 0, 0, 123_000_000, time.UTC)}
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
			params["generation"], params["run"], params["at"], params["sweep"] = gen+1, first.RunID, first.At.UnixMicro(), false
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
				storetest.WantErr(t, err, graph.CodeConflict, "ledger.generation")
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

package neo4j

import (
	"context"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// The tests share one real Neo4j database and wipe it for every fresh
// store, so nothing in this package may call t.Parallel, and other test
// binaries using the same server must wait: requireNeo4j takes the
// cross-process lock from neo4jtest.

// requireNeo4j returns the test server's URI (RIPPLE_TEST_NEO4J_URI, else
// the dev server of scripts/neo4j) holding the exclusive test lock. Without
// a server the test skips, but fails under CI=true, where a missing server
// is a broken pipeline and must not pass silently as skips.
func requireNeo4j(t testing.TB) string {
	t.Helper()
	uri := neo4jtest.Require(t)
	neo4jtest.Exclusive(t, uri)
	return uri
}

// testLogger writes the store's warnings and errors to the test log.
func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: testWriter{t}, NoColor: true}).Level(zerolog.WarnLevel)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// openTestStore opens a store on the test server and closes it at the end.
func openTestStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.URI == "" {
		cfg.URI = requireNeo4j(t)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg, graph.DefaultCatalogue(), testLogger(t))
	if err != nil {
		t.Fatalf("Open(%s): %v", cfg.URI, err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newTestStore returns a store on an empty database.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := openTestStore(t, Config{})
	wipe(t, s)
	return s
}

// wipe deletes every node in batches. CALL IN TRANSACTIONS needs an
// auto-commit transaction, hence session.Run instead of a managed one.
func wipe(t testing.TB, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db})
	defer session.Close(ctx)
	res, err := session.Run(ctx, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		t.Fatalf("wipe database: %v", err)
	}
}

// countNodes counts nodes with a label, straight from the database.
func countNodes(t testing.TB, s *Store, label string) int64 {
	t.Helper()
	return queryInt(t, s, "MATCH (n) WHERE $label IN labels(n) RETURN count(n) AS n", map[string]any{"label": label})
}

// countRels counts relationships between CIs, straight from the database.
func countRels(t testing.TB, s *Store) int64 {
	t.Helper()
	return queryInt(t, s, "MATCH (:CI)-[r]->(:CI) RETURN count(r) AS n", nil)
}

func queryInt(t testing.TB, s *Store, cypher string, params map[string]any) int64 {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatalf("%s: %v", cypher, err)
	}
	n, _, err := neo4j.GetRecordValue[int64](res.Records[0], "n")
	if err != nil {
		t.Fatalf("%s: %v", cypher, err)
	}
	return n
}

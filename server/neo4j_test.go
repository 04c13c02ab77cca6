package server_test

import (
	"context"
	"os"
	"testing"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/neo4j"
	"github.com/ripple-cmdb/ripple/server/apitest"
)

// apiNeo4jEnv names the Neo4j server for TestAPINeo4j. It is a variable of
// its own, not RIPPLE_TEST_NEO4J_URI, because every case wipes the database
// and go test runs packages in parallel: pointed at the server that
// graph/neo4j's tests use, the two suites would delete each other's data.
// Start a dedicated one with `NEO4J_PORT=7688 scripts/neo4j start`.
const apiNeo4jEnv = "RIPPLE_TEST_API_NEO4J_URI"

// TestAPINeo4j runs the HTTP API suite against Neo4j.
func TestAPINeo4j(t *testing.T) {
	uri := os.Getenv(apiNeo4jEnv)
	if uri == "" {
		t.Skip(apiNeo4jEnv + " is not set; set it to a Neo4j server reserved for this test (its data is wiped)")
	}
	apitest.Run(t, func(t *testing.T) graph.Store {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := neo4j.Open(ctx, neo4j.Config{URI: uri, StartTimeout: 20 * time.Second}, graph.DefaultCatalogue(), zerolog.Nop())
		if err != nil {
			t.Fatalf("open Neo4j at %s: %v", uri, err)
		}
		// Some cases close the store themselves; a second Close may fail.
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		wipe(ctx, t, uri)
		return s
	})
}

// wipe empties the database through a driver of its own: the store has no
// API for it, on purpose.
func wipe(ctx context.Context, t *testing.T, uri string) {
	t.Helper()
	d, err := driver.NewDriverWithContext(uri, driver.NoAuth())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if _, err := driver.ExecuteQuery(ctx, d, "MATCH (n) DETACH DELETE n", nil, driver.EagerResultTransformer,
		driver.ExecuteQueryWithDatabase(neo4j.DefaultDatabase)); err != nil {
		t.Fatalf("wipe %s: %v", uri, err)
	}
}

package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/server/apitest"
	"github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// TestAPINeo4j runs the HTTP API suite against the real Neo4j test server.
func TestAPINeo4j(t *testing.T) {
	uri := neo4jtest.Require(t)
	neo4jtest.Exclusive(t, uri)
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
		neo4jtest.Wipe(t, uri)
		return s
	})
}

// Package eachstore runs a test against every store implementation: a
// fresh embedded store and a fresh (wiped) Neo4j. Packages above the stores
// (itsm, analysis, importers, the demo) use it so their rules are proven on both backends.
package eachstore

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// Run runs f as a subtest per store, each on an empty store.
func Run(t *testing.T, f func(t *testing.T, s graph.Store)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) {
		s, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		f(t, s)
	})
	t.Run("neo4j", func(t *testing.T) {
		uri := neo4jtest.Require(t)
		neo4jtest.Exclusive(t, uri)
		neo4jtest.Wipe(t, uri)
		s, err := neo4j.Open(context.Background(), neo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		f(t, s)
	})
}

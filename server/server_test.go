package server_test

import (
	"context"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/server/apitest"
	"github.com/ripple-cmdb/ripple/store/embedded"
)

// TestAPIEmbedded runs the HTTP API suite against the embedded store, each
// case in its own temporary directory.
func TestAPIEmbedded(t *testing.T) {
	apitest.Run(t, func(t *testing.T) graph.Store {
		t.Helper()
		s, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
		if err != nil {
			t.Fatal(err)
		}
		// Some cases close the store themselves; a second Close may fail.
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}

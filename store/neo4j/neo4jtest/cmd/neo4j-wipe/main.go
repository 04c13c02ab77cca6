// Command neo4j-wipe empties the test Neo4j (RIPPLE_TEST_NEO4J_URI, or the
// URI given as its argument), the way the Go tests' neo4jtest.Wipe does. The
// browser tests (web/e2e/server.mjs) run it before each `ripple serve --demo
// --store neo4j`, so that the demo loads into an empty database.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

func main() {
	uri := neo4jtest.URI()
	if len(os.Args) > 1 {
		uri = os.Args[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := neo4jtest.WipeDatabase(ctx, uri); err != nil {
		fmt.Fprintln(os.Stderr, "neo4j-wipe:", err)
		os.Exit(1)
	}
}

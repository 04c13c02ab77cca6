package neo4j

import (
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

// TestConformance runs the shared store suite against real Neo4j; every
// case gets a freshly opened store on a wiped database.
func TestConformance(t *testing.T) {
	requireNeo4j(t)
	storetest.Run(t, func(t *testing.T) graph.Store { return newTestStore(t) })
}

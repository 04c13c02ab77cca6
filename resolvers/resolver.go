// Package resolvers implements Ripple's GraphQL API: thin resolvers that
// translate arguments, call the store or graph/impact, and leave error
// mapping to the one presenter in errors.go. The executor is generated into
// resolvers/generated from schema/*.graphqls.
package resolvers

import (
	"github.com/ripple-cmdb/ripple/graph"
)

// Resolver is the root resolver; it holds what every request shares.
type Resolver struct {
	Store graph.Store
}

package model

import (
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// ImpactedCI is an impacted CI as the API shows it: impact.Impacted with
// its CI and, when the query asks for it, its path resolved by the field
// that returns the list, once for all its items. Every field is a plain
// struct field, which gqlgen marshals inline: a 40,000-item list costs no
// resolver call, goroutine or batch lookup per item beyond the one gqlgen
// spends on every list element.
type ImpactedCI struct {
	// CI is the whole CI, or only its head (id, name, class, criticality)
	// when the query asks for no more; nil if it was deleted since the
	// traversal.
	CI       *graph.CI
	Distance int
	Effect   impact.Effect
	// Path is nil unless the query asks for it.
	Path []graph.CI
}

// Dependency is impact.Dependency as the API shows it, resolved the same
// way as ImpactedCI.
type Dependency struct {
	CI       *graph.CI
	Distance int
	Path     []graph.CI
}

package resolvers

import "github.com/ripple-cmdb/ripple/graph"

// GraphQL's optional arguments and nullable fields are pointers in gqlgen's
// Go; the domain uses zero values for "not given" and "unknown". These two
// translate between them.

// deref reads an optional argument: nil (not given) is T's zero value.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// nonEmpty maps the domain's "" (unknown) to GraphQL null.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// explicitDepth checks a maxDepth argument: absent means the default (0 to
// the traversal), and a depth the client wrote, 0 included, must be in
// range.
func explicitDepth(maxDepth *int) (int, error) {
	if maxDepth == nil {
		return 0, nil
	}
	return *maxDepth, graph.CheckMaxDepth(*maxDepth)
}

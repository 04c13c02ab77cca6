package resolvers

import "github.com/ripple-cmdb/ripple/graph"

func fieldIndex(field string, i int) string { return graph.FieldIndex(field, i) }

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

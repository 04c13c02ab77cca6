package resolvers

import "strconv"

func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

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

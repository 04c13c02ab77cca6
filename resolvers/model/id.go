package model

import "github.com/99designs/gqlgen/graphql"

// MarshalID writes an ID as gqlgen does.
func MarshalID(id string) graphql.Marshaler { return graphql.MarshalID(id) }

// UnmarshalID reads an ID. gqlgen's own turns an explicit null into the
// string "null" when the Go field is a plain string, as optional ids bound
// to domain inputs are (CreateProblemInput.RootCauseCI); a client writing
// `rootCauseCiId: null` means "not set", which the domain spells "".
func UnmarshalID(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	return graphql.UnmarshalID(v)
}

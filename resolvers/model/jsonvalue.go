package model

import (
	"encoding/json"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalJSONValue writes any JSON value (the old and new values of a
// planned field change, which may be strings, numbers, lists or objects).
// Unlike graphql.MarshalAny it neither panics nor appends a newline: a
// value that cannot be encoded (which JSON-normalized domain values never
// are) is written as null.
func MarshalJSONValue(v any) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSONValue accepts any value as given; no input uses the scalar
// today.
func UnmarshalJSONValue(v any) (any, error) { return v, nil }

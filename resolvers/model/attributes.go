// Package model holds the GraphQL-only types (connections, page info) that
// gqlgen generates, and the JSON scalar for CI attributes.
package model

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalAttributes writes a CI's attribute object; nil becomes null.
func MarshalAttributes(v map[string]any) graphql.ContextMarshaler {
	if v == nil {
		return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
			graphql.Null.MarshalGQL(w)
			return nil
		})
	}
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		// The store only holds what encoding/json produced, so this cannot
		// fail; should it ever, null is better than half an object.
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		_, err = w.Write(b)
		return err
	})
}

// UnmarshalAttributes accepts a JSON object given as an object (literal or
// variable) or as a string holding one, which is what shell scripts and
// form-based tools find easiest to send. It returns a non-nil map for {} so that
// an empty object clears the attributes instead of leaving them unchanged.
// Values are normalised to what encoding/json produces (float64 numbers).
// Errors name the argument or input field the object was sent in.
func UnmarshalAttributes(ctx context.Context, v any) (map[string]any, error) {
	var raw []byte
	switch x := v.(type) {
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, invalidScalar(ctx, "must be a JSON object: %v", err)
		}
		raw = b
	case string:
		raw = []byte(x)
	default:
		return nil, invalidScalar(ctx, "must be a JSON object, not %s", jsonKind(v))
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, invalidScalar(ctx, "must be a JSON object")
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, invalidScalar(ctx, "is not valid JSON: %v", err)
	}
	return out, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case string:
		return "a string"
	default:
		return "a number"
	}
}

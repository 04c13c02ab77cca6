package model

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/ripple-cmdb/ripple/graph"
)

func TestUnmarshalAttributes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want map[string]any
		ok   bool
	}{
		{"object", map[string]any{"a": json.Number("1"), "b": []any{"x"}}, map[string]any{"a": float64(1), "b": []any{"x"}}, true},
		{"int64 from a literal", map[string]any{"n": int64(3)}, map[string]any{"n": float64(3)}, true},
		{"empty object clears", map[string]any{}, map[string]any{}, true},
		{"string holding an object", ` {"a": {"b": null}}`, map[string]any{"a": map[string]any{"b": nil}}, true},
		{"string holding an array", `[1]`, nil, false},
		{"string not JSON", `{"a":`, nil, false},
		{"plain string", `hello`, nil, false},
		{"array", []any{1}, nil, false},
		{"number", 3.5, nil, false},
		{"bool", true, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("input"))
			ctx = graphql.WithPathContext(ctx, graphql.NewPathWithField("attributes"))
			got, err := UnmarshalAttributes(ctx, tc.in)
			if !tc.ok {
				if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != "input.attributes" {
					t.Errorf("want INVALID_INPUT input.attributes, got %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) || got == nil {
				t.Errorf("got %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestMarshalAttributes(t *testing.T) {
	var b bytes.Buffer
	_ = MarshalAttributes(nil).MarshalGQLContext(context.Background(), &b)
	_ = MarshalAttributes(map[string]any{"a": 1.5}).MarshalGQLContext(context.Background(), &b)
	if b.String() != `null{"a":1.5}` {
		t.Errorf("got %s", b.String())
	}
}

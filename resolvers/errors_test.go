package resolvers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestPresentError(t *testing.T) {
	validation := gqlerror.Errorf("Cannot query field \"colour\"")
	errcode.Set(validation, errcode.ValidationFailed)
	path := ast.Path{ast.PathName("upsertCI")}

	for _, tc := range []struct {
		name      string
		err       error
		code      string
		field     string
		message   string
		logged    string // substring the log must contain ("" = nothing logged)
		keepsPath bool
	}{
		{"domain error with field", graph.Invalid("name", "name must not be empty"),
			"INVALID_INPUT", "name", "name: name must not be empty", "", false},
		{"wrapped domain error", fmt.Errorf("load ci: %w", graph.NotFound("id", "CI", "x")),
			"NOT_FOUND", "id", `id: CI "x" not found`, "", false},
		{"domain error on a path", gqlerror.WrapPath(path, graph.Errorf(graph.CodeConflict, "identifiers[0]", "taken")),
			"CONFLICT", "identifiers[0]", "identifiers[0]: taken", "", true},
		{"internal hides its detail", graph.Internal(errors.New("disk on fire"), "write failed"),
			"INTERNAL", "", internalMessage, "disk on fire", false},
		{"unavailable shows its message, logs its cause", graph.Unavailable(errors.New("dial tcp: refused"), "store unreachable"),
			"UNAVAILABLE", "", "store unreachable", "dial tcp: refused", false},
		{"plain error is internal", errors.New("nil map write at secret.go:12"),
			"INTERNAL", "", internalMessage, "secret.go:12", false},
		{"plain error on a path is internal", gqlerror.WrapPath(path, errors.New("oops")),
			"INTERNAL", "", internalMessage, "oops", true},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded),
			"UNAVAILABLE", "", "the request was cancelled or timed out", "deadline", false},
		{"gqlgen's own error keeps its code", validation,
			"GRAPHQL_VALIDATION_FAILED", "", validation.Message, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx := zerolog.New(&logs).WithContext(context.Background())
			got := presentError(ctx, tc.err)
			if got.Extensions["code"] != tc.code || got.Message != tc.message {
				t.Errorf("got code %v message %q, want %s %q", got.Extensions["code"], got.Message, tc.code, tc.message)
			}
			if f, _ := got.Extensions["field"].(string); f != tc.field {
				t.Errorf("field %q, want %q", f, tc.field)
			}
			if tc.keepsPath && got.Path.String() != path.String() {
				t.Errorf("path %q, want %q", got.Path, path)
			}
			switch {
			case tc.logged == "" && logs.Len() > 0:
				t.Errorf("logged %s", logs.String())
			case tc.logged != "" && !strings.Contains(logs.String(), tc.logged):
				t.Errorf("log %q lacks %q", logs.String(), tc.logged)
			}
		})
	}
}

func TestRecoverPanic(t *testing.T) {
	var logs bytes.Buffer
	ctx := zerolog.New(&logs).WithContext(context.Background())
	err := recoverPanic(ctx, "index out of range")
	got := presentError(ctx, err)
	if got.Message != internalMessage || got.Extensions["code"] != "INTERNAL" {
		t.Errorf("presented %+v", got)
	}
	if !strings.Contains(logs.String(), "index out of range") || !strings.Contains(logs.String(), "stack") {
		t.Errorf("panic not logged with its stack: %s", logs.String())
	}
}

// TestPresentErrorDetails: a domain error's details reach the extensions
// beside its code and field, and cannot overwrite them; an INTERNAL error
// shows none.
func TestPresentErrorDetails(t *testing.T) {
	held := graph.Errorf(graph.CodeConflict, "id", "held")
	held.Details = map[string]any{"total": 2, "code": "OK", "field": "x"}
	got := presentError(context.Background(), held)
	if got.Extensions["total"] != 2 || got.Extensions["code"] != "CONFLICT" || got.Extensions["field"] != "id" {
		t.Errorf("extensions %v", got.Extensions)
	}
	internal := graph.Internal(errors.New("boom"), "failed")
	internal.Details = map[string]any{"secret": 1}
	if got := presentError(zerolog.Nop().WithContext(context.Background()), internal); got.Extensions["secret"] != nil {
		t.Errorf("internal error leaked details: %v", got.Extensions)
	}
}

package resolvers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ripple-cmdb/ripple/graph"
)

// internalMessage is all a client learns about a failure that is not its
// fault; the detail goes to the log under the request id.
const internalMessage = "internal error"

// presentError is the one place where errors become GraphQL errors. Domain
// errors carry their code and field into extensions; errors gqlgen raised
// itself (parse, validation, limits) pass through with their own codes; and
// anything else is a bug or an outage, logged in full and returned bare.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	if err == nil {
		return nil
	}
	out := &gqlerror.Error{Err: err, Path: graphql.GetPath(ctx)}
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) {
		out.Path, out.Locations, out.Rule = gqlErr.Path, gqlErr.Locations, gqlErr.Rule
	}

	var dErr *graph.Error
	switch {
	case errors.As(err, &dErr):
		return presentDomainError(ctx, out, dErr, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		zerolog.Ctx(ctx).Warn().Err(err).Str("path", out.Path.String()).Msg("GraphQL field cancelled")
		out.Message = "the request was cancelled or timed out"
		out.Extensions = map[string]any{"code": string(graph.CodeUnavailable)}
		return out
	case gqlErr != nil && gqlErr.Err == nil:
		// Raised by gqlgen or gqlparser: keep it, code and all. The few
		// they raise without a code are about the request too.
		if _, ok := gqlErr.Extensions["code"]; !ok {
			coded := *gqlErr
			coded.Extensions = map[string]any{"code": string(graph.CodeInvalidInput)}
			for k, v := range gqlErr.Extensions {
				coded.Extensions[k] = v
			}
			return &coded
		}
		return gqlErr
	}
	logInternal(ctx, out.Path, err)
	out.Message = internalMessage
	out.Extensions = map[string]any{"code": string(graph.CodeInternal)}
	return out
}

func presentDomainError(ctx context.Context, out *gqlerror.Error, dErr *graph.Error, err error) *gqlerror.Error {
	out.Extensions = map[string]any{"code": string(dErr.Code)}
	if dErr.Code != graph.CodeInternal {
		// Details never overwrite code or field.
		for k, v := range dErr.Details {
			if k != "code" && k != "field" {
				out.Extensions[k] = v
			}
		}
	}
	switch dErr.Code {
	case graph.CodeInternal:
		logInternal(ctx, out.Path, err)
		out.Message = internalMessage
		return out
	case graph.CodeUnavailable:
		zerolog.Ctx(ctx).Warn().Err(err).Str("path", out.Path.String()).Msg("store unavailable")
	}
	out.Message = dErr.Message
	if dErr.Field != "" {
		out.Extensions["field"] = dErr.Field
		out.Message = dErr.Field + ": " + dErr.Message
	}
	return out
}

func logInternal(ctx context.Context, path fmt.Stringer, err error) {
	zerolog.Ctx(ctx).Error().Err(err).Str("path", path.String()).Msg("internal error in GraphQL operation")
}

// recoverPanic turns a panic in a resolver into an INTERNAL error after
// logging it with its stack. The error it returns already has its code, so
// presentError passes it through unchanged.
func recoverPanic(ctx context.Context, p any) error {
	zerolog.Ctx(ctx).Error().
		Str("panic", fmt.Sprint(p)).
		Str("path", graphql.GetPath(ctx).String()).
		Bytes("stack", debug.Stack()).
		Msg("panic in GraphQL operation")
	return &gqlerror.Error{
		Message:    internalMessage,
		Path:       graphql.GetPath(ctx),
		Extensions: map[string]any{"code": string(graph.CodeInternal)},
	}
}

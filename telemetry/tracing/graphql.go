package tracing

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL returns the gqlgen extension that puts each operation in a span;
// the store calls its resolvers make are that span's children.
func (t *Tracing) GraphQL() graphql.HandlerExtension { return graphQLTracing{t} }

type graphQLTracing struct{ t *Tracing }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = graphQLTracing{}

func (graphQLTracing) ExtensionName() string                   { return "OpenTelemetryTracing" }
func (graphQLTracing) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation's span, which ends when its
// response has been made. Names are bounded like the metrics' labels need
// not be: a span name is not an index, but an unnamed operation is still
// called by its type alone.
func (x graphQLTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Headers != nil {
		ctx = x.t.prop.Extract(ctx, propagation.HeaderCarrier(op.Headers))
	}
	typ, name := "operation", ""
	if op.Operation != nil {
		typ, name = string(op.Operation.Operation), op.Operation.Name
	}
	ctx, span := x.t.tracer.Start(ctx, strings.TrimSpace(typ+" "+name), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("graphql.operation.type", typ),
			attribute.String("graphql.operation.name", name),
		))
	responses := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil {
			span.End()
			return nil
		}
		if len(resp.Errors) > 0 {
			code, _ := resp.Errors[0].Extensions["code"].(string)
			span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
			span.SetStatus(codes.Error, code)
		}
		span.End()
		return resp
	}
}

package metrics

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// GraphQL returns the gqlgen extension that counts operations and their
// errors. It sees every response the executor makes, including those for
// operations refused before they ran (parse and validation errors, the
// depth and complexity limits); requests the transport refuses before
// GraphQL starts (a body that is not JSON) are only in the HTTP series.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return graphQLMetrics{m} }

type graphQLMetrics struct{ m *Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = graphQLMetrics{}

func (graphQLMetrics) ExtensionName() string                   { return "PrometheusMetrics" }
func (graphQLMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (x graphQLMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	name, typ, start := "", "unknown", graphql.GetStartTime(ctx)
	if graphql.HasOperationContext(ctx) {
		op := graphql.GetOperationContext(ctx)
		name = op.OperationName
		if op.Operation != nil {
			name, typ = op.Operation.Name, string(op.Operation.Operation)
		}
		if !op.Stats.OperationStart.IsZero() {
			start = op.Stats.OperationStart
		}
	}
	name = x.m.operationLabel(name)
	outcome := "ok"
	if len(resp.Errors) > 0 {
		outcome = "error"
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "NONE"
		}
		x.m.errors.WithLabelValues(x.m.codes.get(code)).Inc()
	}
	x.m.operations.WithLabelValues(name, typ, outcome).Inc()
	if !start.IsZero() {
		x.m.operationDuration.WithLabelValues(name, typ).Observe(time.Since(start).Seconds())
	}
	return resp
}

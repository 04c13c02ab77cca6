// Package tracing traces GraphQL operations and the store calls they make
// with OpenTelemetry: an operation is a span ("query Name"), each store
// call a child span ("store.Method"), exported over OTLP/HTTP when ripple
// serve is given --otlp-endpoint. A W3C traceparent header on the request
// makes the operation a child of the caller's span.
package tracing

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ripple-cmdb/ripple/graph"
)

// instrumentation names the tracer.
const instrumentation = "github.com/ripple-cmdb/ripple"

// Tracing holds the tracer the GraphQL extension and the store observer
// share.
type Tracing struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	shutdown func(context.Context) error
}

// New exports spans over OTLP/HTTP to endpoint: a URL such as
// http://collector:4318 (the path defaults to /v1/traces). Spans are
// batched; Shutdown flushes them.
func New(ctx context.Context, endpoint, version string) (*Tracing, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--otlp-endpoint %q: want an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("--otlp-endpoint %s: %w", endpoint, err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName("ripple"), semconv.ServiceVersion(version))),
	)
	t := FromProvider(tp)
	t.shutdown = tp.Shutdown
	return t, nil
}

// FromProvider traces with tp (tests pass one recording spans in memory).
func FromProvider(tp trace.TracerProvider) *Tracing {
	return &Tracing{
		tracer:   tp.Tracer(instrumentation),
		prop:     propagation.TraceContext{},
		shutdown: func(context.Context) error { return nil },
	}
}

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// StoreCall implements observed.Observer: a span per store call, a child
// of the operation's span when there is one. A store's error marks the
// span failed with its code.
func (t *Tracing) StoreCall(ctx context.Context, store, method string) (context.Context, func(error)) {
	ctx, span := t.tracer.Start(ctx, "store."+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("ripple.store", store), attribute.String("ripple.store.method", method)))
	return ctx, func(err error) {
		if err != nil {
			span.SetAttributes(attribute.String("ripple.error.code", string(graph.ErrorCode(err))))
			span.SetStatus(codes.Error, string(graph.ErrorCode(err)))
		}
		span.End()
	}
}

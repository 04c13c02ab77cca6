package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/eachstore"
	"github.com/ripple-cmdb/ripple/telemetry"
	"github.com/ripple-cmdb/ripple/telemetry/tracing"
)

// TestOperationSpans: a GraphQL query through the real server is a span
// named after the operation, and each store call it makes is a child span
// of it; a traceparent header makes the operation the caller's child.
func TestOperationSpans(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, st graph.Store) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		tel := telemetry.Telemetry{Tracing: tracing.FromProvider(tp)}
		svc := app.NewObserved(st, formats.DefaultPolicy(), tel.Observers("test-store"))
		srv := httptest.NewServer(server.NewHandler(svc, server.Config{GraphQL: resolvers.Options{Extensions: tel.GraphQLExtensions()}}))
		t.Cleanup(srv.Close)

		const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(
			`{"query":"query Inventory { cis(first: 5) { totalCount edges { node { id } } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("query: %d", res.StatusCode)
		}

		spans := rec.Ended()
		var op sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.Name() == "query Inventory" {
				op = s
			}
		}
		if op == nil {
			t.Fatalf("no operation span among %d spans", len(spans))
		}
		if op.SpanKind() != trace.SpanKindServer || op.Parent().TraceID().String() != traceID || op.Parent().SpanID().String() != parentID {
			t.Errorf("operation span: kind %v, parent %v (want the traceparent's)", op.SpanKind(), op.Parent())
		}
		var children []string
		for _, s := range spans {
			if s.Parent().SpanID() == op.SpanContext().SpanID() {
				children = append(children, s.Name())
				if s.SpanContext().TraceID() != op.SpanContext().TraceID() {
					t.Errorf("%s is in another trace", s.Name())
				}
			}
		}
		if len(children) == 0 || !contains(children, "store.ListCIs") {
			t.Errorf("children of the operation span: %v, want store.ListCIs among them", children)
		}
		for _, s := range spans {
			if s.Name() == "store.ListCIs" {
				attrs := map[string]string{}
				for _, a := range s.Attributes() {
					attrs[string(a.Key)] = a.Value.Emit()
				}
				if attrs["ripple.store"] != "test-store" || attrs["ripple.store.method"] != "ListCIs" {
					t.Errorf("store span attributes: %v", attrs)
				}
			}
		}
		_ = tp.Shutdown(context.Background())
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestOTLPExport: New refuses a malformed endpoint, and exports spans over
// OTLP/HTTP (protobuf POSTs to /v1/traces) to a well-formed one, flushed
// by Shutdown.
func TestOTLPExport(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:4318", "grpc://collector:4317", "http://"} {
		if _, err := tracing.New(context.Background(), bad, "test"); err == nil {
			t.Errorf("New(%q) accepted it", bad)
		}
	}
	posts := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		posts <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + strconv.Itoa(len(body))
	}))
	t.Cleanup(collector.Close)
	tr, err := tracing.New(context.Background(), collector.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, done := tr.StoreCall(context.Background(), "embedded", "GetCI")
	done(nil)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case p := <-posts:
		if !strings.HasPrefix(p, "POST /v1/traces application/x-protobuf ") || strings.HasSuffix(p, " 0") {
			t.Errorf("export: %s", p)
		}
	default:
		t.Fatal("nothing exported")
	}
}

package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/store/eachstore"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/telemetry"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
)

// storeName is the store label cmd/ripple gives each store.
func storeName(st graph.Store) string {
	if _, ok := st.(*embedded.Store); ok {
		return "embedded"
	}
	return "neo4j"
}

// newMetricsServer wires a server with metrics the way cmd/ripple serve
// does: the observed store, the import hook, the GraphQL extension, the
// request counter and /metrics.
func newMetricsServer(t *testing.T, st graph.Store, cfg Config) (*httptest.Server, *metrics.Metrics) {
	t.Helper()
	tel := telemetry.Telemetry{Metrics: metrics.New("test-version")}
	tel.WatchStore(st)
	svc := app.NewObserved(st, formats.DefaultPolicy(), tel.Observers(storeName(st)))
	cfg.Metrics = tel.Metrics
	cfg.GraphQL = resolvers.Options{Extensions: tel.GraphQLExtensions()}
	srv := httptest.NewServer(NewHandler(svc, cfg))
	t.Cleanup(srv.Close)
	return srv, tel.Metrics
}

// embeddedStore opens an embedded store for the test.
func embeddedStore(t *testing.T) graph.Store {
	t.Helper()
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}

// do sends one request and returns its status and body.
func do(t *testing.T, srv *httptest.Server, method, path, ctype, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// scrape reads /metrics as Prometheus would and parses it.
func scrape(t *testing.T, srv *httptest.Server, hdr ...string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := do(t, srv, http.MethodGet, "/metrics", "", "", hdr...)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// sample finds the series of a family with exactly these labels (among
// others it may have), or nil.
func sample(families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count.
func value(m *dto.Metric) float64 {
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

// TestMetrics scrapes /metrics after GraphQL queries (named, anonymous,
// failing), an import and a refused request, on both stores, and checks
// each series with its labels and counts.
func TestMetrics(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, st graph.Store) {
		srv, _ := newMetricsServer(t, st, Config{})
		gql := func(body string) (int, string) {
			t.Helper()
			return do(t, srv, http.MethodPost, "/graphql", "application/json", body)
		}
		for range 3 {
			if status, body := gql(`{"query":"query ListCIs { cis(first: 5) { totalCount } }"}`); status != 200 || strings.Contains(body, "errors") {
				t.Fatalf("ListCIs: %d %s", status, body)
			}
		}
		if status, body := gql(`{"query":"{ cis(first: 1) { totalCount } }"}`); status != 200 || strings.Contains(body, "errors") {
			t.Fatalf("anonymous: %d %s", status, body)
		}
		if _, body := gql(`{"query":"query Missing($id: ID!) { ci(id: $id) { id } }","variables":{"id":"not an id"}}`); !strings.Contains(body, "INVALID_INPUT") {
			t.Fatalf("Missing: want INVALID_INPUT, got %s", body)
		}
		if status, _ := gql(`{"query":"query Broken { cis("}`); status != http.StatusUnprocessableEntity {
			t.Fatalf("Broken: %d", status)
		}
		const scan = `<?xml version="1.0"?><nmaprun args="nmap 10.0.0.1-2"><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host><host><status state="up"/><address addr="10.0.0.2" addrtype="ipv4"/></host></nmaprun>`
		if status, body := do(t, srv, http.MethodPost, "/api/v1/imports/nmap?scope=lab", "application/xml", scan); status != 200 {
			t.Fatalf("import: %d %s", status, body)
		}

		fams := scrape(t, srv)
		name := storeName(st)
		for _, c := range []struct {
			family string
			labels []string
			want   float64 // -2: present, any value
		}{
			{"ripple_build_info", []string{"version", "test-version"}, 1},
			{"ripple_graphql_operations_total", []string{"operation", "ListCIs", "type", "query", "outcome", "ok"}, 3},
			{"ripple_graphql_operations_total", []string{"operation", "anonymous", "type", "query", "outcome", "ok"}, 1},
			{"ripple_graphql_operations_total", []string{"operation", "Missing", "type", "query", "outcome", "error"}, 1},
			// Refused before it parsed: no operationName was sent, no type.
			{"ripple_graphql_operations_total", []string{"operation", "anonymous", "type", "unknown", "outcome", "error"}, 1},
			{"ripple_graphql_operation_duration_seconds", []string{"operation", "ListCIs", "type", "query"}, 3},
			{"ripple_graphql_errors_total", []string{"code", "INVALID_INPUT"}, 1},
			{"ripple_graphql_errors_total", []string{"code", "GRAPHQL_PARSE_FAILED"}, 1},
			{"ripple_store_call_duration_seconds", []string{"store", name, "method", "ListCIs"}, 4},
			{"ripple_store_call_duration_seconds", []string{"store", name, "method", "Apply"}, -2},
			{"ripple_import_runs_total", []string{"format", "nmap", "outcome", "SUCCEEDED"}, 1},
			{"ripple_import_items_total", []string{"format", "nmap", "result", "created"}, 2},
			{"ripple_import_items_total", []string{"format", "nmap", "result", "retired"}, 0},
			{"ripple_import_run_duration_seconds", []string{"format", "nmap", "outcome", "SUCCEEDED"}, 1},
			{"ripple_http_requests_total", []string{"route", "graphql", "code", "200"}, 5},
			{"ripple_http_requests_total", []string{"route", "graphql", "code", "422"}, 1},
			{"ripple_http_requests_total", []string{"route", "imports", "code", "200"}, 1},
			{"ripple_http_request_duration_seconds", []string{"route", "imports"}, 1},
			// This scrape is in flight while it is gathered.
			{"ripple_http_requests_in_flight", nil, 1},
			{"go_goroutines", nil, -2},
			{"process_cpu_seconds_total", nil, -2},
		} {
			got := value(sample(fams, c.family, c.labels...))
			if got < 0 || (c.want != -2 && got != c.want) {
				t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
			}
		}
		pool := sample(fams, "ripple_neo4j_max_connection_pool_size")
		if (name == "neo4j") != (pool != nil) {
			t.Errorf("neo4j pool size series on %s: %v", name, pool)
		}
		if pool != nil && (value(pool) != 100 || sample(fams, "ripple_neo4j_sessions_in_use") == nil) {
			t.Errorf("neo4j pool figures: size %v, sessions %v", value(pool), sample(fams, "ripple_neo4j_sessions_in_use"))
		}
	})
}

// TestOperationNamesBounded: a client inventing operation names cannot
// grow the series past the cap.
func TestOperationNamesBounded(t *testing.T) {
	st := embeddedStore(t)
	srv, _ := newMetricsServer(t, st, Config{})
	for i := range metrics.MaxOperationNames + 20 {
		body := `{"query":"query Op` + strings.Repeat("x", i%3) + strconv.Itoa(i) + ` { __typename }"}`
		if status, out := do(t, srv, http.MethodPost, "/graphql", "application/json", body); status != 200 {
			t.Fatalf("%d %s", status, out)
		}
	}
	fams := scrape(t, srv)
	ops := fams["ripple_graphql_operations_total"].GetMetric()
	if len(ops) == 0 || len(ops) > metrics.MaxOperationNames+1 {
		t.Fatalf("%d operation series, want at most %d", len(ops), metrics.MaxOperationNames+1)
	}
	if got := value(sample(fams, "ripple_graphql_operations_total", "operation", metrics.OtherOperation)); got != 20 {
		t.Errorf("operations past the cap counted as %q: %v, want 20", metrics.OtherOperation, got)
	}
}

// TestAdminListener: the profiler is on the admin handler, never on the
// main one, which serves /metrics under authentication like the API.
func TestAdminListener(t *testing.T) {
	st := embeddedStore(t)
	main, m := newMetricsServer(t, st, Config{})
	admin := httptest.NewServer(AdminHandler(m))
	t.Cleanup(admin.Close)

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap"} {
		if status, body := do(t, admin, http.MethodGet, path, "", ""); status != 200 || body == "" {
			t.Errorf("admin %s: %d", path, status)
		}
		if status, body := do(t, main, http.MethodGet, path, "", ""); status != http.StatusNotFound || strings.Contains(body, "goroutine") {
			t.Errorf("main %s: %d, want 404 without a profile", path, status)
		}
	}
	if fams := scrape(t, admin); sample(fams, "ripple_build_info") == nil {
		t.Error("admin /metrics has no ripple_build_info")
	}
	if fams := scrape(t, main); sample(fams, "ripple_build_info") == nil {
		t.Error("main /metrics has no ripple_build_info")
	}
}

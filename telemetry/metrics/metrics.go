// Package metrics is Ripple's Prometheus instrumentation: one registry
// with the ripple_* series (HTTP requests, GraphQL operations and their
// errors, store calls, import runs, the Neo4j store's sessions, build
// info) and the Go runtime and process collectors, served by Handler.
//
// Labels are bounded: routes, methods, codes and formats come from fixed
// sets in the code, and GraphQL operation names, which clients choose, are
// capped (see labelSet). Nothing that names a CI or a record is a label.
//
// The rest of Ripple does not import Prometheus: the server hands requests
// to ObserveHTTP, the GraphQL handler takes the extension GraphQL returns,
// the store is wrapped by store/observed with Metrics as its Observer, and
// the import engine calls ImportFinished.
package metrics

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
)

// Namespace prefixes every Ripple series.
const Namespace = "ripple"

// Bounds of the labels clients can influence.
const (
	// MaxOperationNames distinct GraphQL operation names are kept; later
	// ones are counted as OtherOperation.
	MaxOperationNames = 200
	// maxCodes bounds the error codes (a fixed set in the code; the cap
	// only guards against a bug spilling free text into a code).
	maxCodes = 50
	// maxFormats bounds import formats (the format registry's list).
	maxFormats = 50
)

// Latency buckets: requests and operations from 1 ms to 30 s (the request
// timeout), store calls from 0.1 ms, import runs up to 10 minutes (the
// import timeout).
var (
	requestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	storeBuckets   = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	importBuckets  = []float64{.1, .5, 1, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics holds Ripple's collectors in a registry of its own, so that two
// servers in one test process do not share counts.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
	errors            *prometheus.CounterVec

	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec

	importRuns     *prometheus.CounterVec
	importItems    *prometheus.CounterVec
	importDuration *prometheus.HistogramVec

	operationNames *labelSet
	codes          *labelSet
	formats        *labelSet
}

// New builds the registry. version is the build's version (ripple
// version prints it), exported as ripple_build_info.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route (graphql, imports, events, reports, metrics, healthz, readyz, graphiql, console, other) and status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: requestBuckets,
		}, []string{"route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations, by operation name (anonymous when unnamed, other past the cap), type (query, mutation, subscription; unknown when it did not parse) and outcome (ok, or error when the response carries errors).",
		}, []string{"operation", "type", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "graphql_operation_duration_seconds",
			Help:    "Time from the start of a GraphQL operation to its response, by operation name and type.",
			Buckets: requestBuckets,
		}, []string{"operation", "type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "graphql_errors_total",
			Help: "Errors in GraphQL responses, by extensions.code (NOT_FOUND, INVALID_INPUT, CONFLICT, UNAVAILABLE, FORBIDDEN, INTERNAL, and the limit, parse and validation codes).",
		}, []string{"code"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "store_call_duration_seconds",
			Help:    "Time of a call to the graph store, by store (embedded, neo4j) and method.",
			Buckets: storeBuckets,
		}, []string{"store", "method"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "store_call_errors_total",
			Help: "Store calls that returned an error, by store, method and error code.",
		}, []string{"store", "method", "code"}),
		importRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "import_runs_total",
			Help: "Import runs recorded by this process, by format and outcome (SUCCEEDED, PARTIAL, PLANNED, FAILED, INTERRUPTED).",
		}, []string{"format", "outcome"}),
		importItems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "import_items_total",
			Help: "What import runs did, by format and result (created, updated, unchanged, stale, retired, relations_created, relations_removed): the counts of their run records.",
		}, []string{"format", "result"}),
		importDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "import_run_duration_seconds",
			Help:    "Time of an import run from its start to its record's end, by format and outcome.",
			Buckets: importBuckets,
		}, []string{"format", "outcome"}),
		operationNames: newLabelSet(MaxOperationNames, OtherOperation),
		codes:          newLabelSet(maxCodes, "OTHER"),
		formats:        newLabelSet(maxFormats, "other"),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": version, "go_version": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
		m.httpRequests, m.httpDuration, m.httpInFlight,
		m.operations, m.operationDuration, m.errors,
		m.storeDuration, m.storeErrors,
		m.importRuns, m.importItems, m.importDuration,
	)
	return m
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry, for tests that gather it directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RequestStarted counts a request in flight; call the returned func when
// it has been answered.
func (m *Metrics) RequestStarted() func() {
	m.httpInFlight.Inc()
	return m.httpInFlight.Dec
}

// ObserveHTTP records one answered request. route must come from a fixed
// set (the server's classification of paths), never from the path itself.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, statusText(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// StoreCall implements observed.Observer: the call's latency, and its
// error code when it fails. NOT_FOUND is a failure like any other here: a
// store cannot tell an expected miss from a bad one.
func (m *Metrics) StoreCall(ctx context.Context, store, method string) (context.Context, func(error)) {
	start := time.Now()
	return ctx, func(err error) {
		m.storeDuration.WithLabelValues(store, method).Observe(time.Since(start).Seconds())
		if err != nil {
			m.storeErrors.WithLabelValues(store, method, m.codes.get(string(graph.ErrorCode(err)))).Inc()
		}
	}
}

// ImportFinished records a finished import run (importers.Engine.Finished).
func (m *Metrics) ImportFinished(run importers.Run) {
	format := m.formats.get(run.Format)
	m.importRuns.WithLabelValues(format, run.Outcome).Inc()
	if run.Finished != nil {
		m.importDuration.WithLabelValues(format, run.Outcome).Observe(run.Finished.Sub(run.Started).Seconds())
	}
	c := run.Counts
	for result, n := range map[string]int{
		"created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged,
		"stale": c.Stale, "retired": c.Retired,
		"relations_created": c.RelationsCreated, "relations_removed": c.RelationsRemoved,
	} {
		// Added even when zero, so that every result's series exists from
		// the first run of a format on.
		m.importItems.WithLabelValues(format, result).Add(float64(n))
	}
}

// PoolFigures are what a store can say about its connections to the
// database (see Neo4jPool).
type PoolFigures struct {
	// SessionsInUse is the number of sessions open now; each holds at most
	// one pooled connection while its transaction runs.
	SessionsInUse int64
	// MaxConnections is the pool's configured size.
	MaxConnections int
}

// Neo4jPool exports figures of the Neo4j store's connection use, read from
// figures at every scrape. The Go driver (v5) does not expose its pool, so
// these are what the store itself counts: the sessions it holds open (an
// upper bound on the connections in use) against the configured maximum.
func (m *Metrics) Neo4jPool(figures func() PoolFigures) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "neo4j", Name: "sessions_in_use",
			Help: "Neo4j sessions the store holds open now (each uses at most one pooled connection; the driver does not expose its pool).",
		}, func() float64 { return float64(figures().SessionsInUse) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "neo4j", Name: "max_connection_pool_size",
			Help: "The Neo4j driver's connection pool size.",
		}, func() float64 { return float64(figures().MaxConnections) }),
	)
}

// statusText is a status code as a label; codes outside 100..599 (which
// net/http refuses to send anyway) are one label.
func statusText(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

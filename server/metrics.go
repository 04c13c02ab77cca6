package server

import (
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
)

// MetricsPath serves the Prometheus metrics (Config.Metrics). On the main
// listener it is an API route like the others: under authentication it
// needs the read permission (a viewer token in Prometheus's
// authorization.credentials). The admin listener serves it without
// authentication (AdminHandler).
const MetricsPath = "GET /metrics"

// metricsRoute is /metrics as an API route, when metrics are on.
func metricsRoute(cfg Config) []apiRoute {
	if cfg.Metrics == nil || cfg.NoMetricsRoute {
		return nil
	}
	return []apiRoute{{MetricsPath, auth.PermRead, cfg.Metrics.Handler()}}
}

// countRequests records every request's route, status and latency, and
// the requests in flight (which graceful shutdown drains).
func countRequests(m *metrics.Metrics) func(http.Handler) http.Handler {
	if m == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		counted := hlog.AccessHandler(func(r *http.Request, status, _ int, d time.Duration) {
			m.ObserveHTTP(routeOf(r.URL.Path), status, d)
		})(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer m.RequestStarted()()
			counted.ServeHTTP(w, r)
		})
	}
}

// routeOf names the route of a path from a fixed set, so that the route
// label stays bounded whatever paths clients ask for.
func routeOf(path string) string {
	switch {
	case path == "/graphql":
		return "graphql"
	case strings.HasPrefix(path, "/api/v1/imports/"):
		return "imports"
	case strings.HasPrefix(path, "/api/v1/events"):
		return "events"
	case strings.HasPrefix(path, "/api/v1/reports/"):
		return "reports"
	case path == "/metrics", path == "/healthz", path == "/readyz", path == "/graphiql":
		return path[1:]
	case strings.HasPrefix(path, "/api/"), strings.HasPrefix(path, "/graphql/"):
		return "other"
	}
	return "console"
}

// AdminHandler is the admin listener's handler (ripple serve
// --admin-listen): the Go profiler under /debug/pprof/ and, when m is set,
// /metrics, both without authentication. It is never mounted on the main
// listener: profiles show the program's internals and cost CPU, so they
// are for whoever can reach the admin address, loopback by default.
func AdminHandler(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if m != nil {
		mux.Handle("GET /metrics", m.Handler())
	}
	return mux
}

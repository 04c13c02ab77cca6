// Package server is Ripple's HTTP front: routes for the GraphQL API, the
// GraphiQL page and the health probes, the middleware every request goes
// through (request id, logging, limits), and an http.Server with timeouts
// and graceful shutdown. The GraphQL handler itself lives in resolvers.
package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
	"github.com/ripple-cmdb/ripple/web"
)

// Defaults for Config's zero values.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultReadyTimeout   = 2 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

// Config tunes the HTTP handler; zero values take the defaults. Logger is
// built once by the caller and handed to every request; there is no
// package-level logger.
type Config struct {
	Logger zerolog.Logger
	// GraphQL tunes the GraphQL limits.
	GraphQL resolvers.Options
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// ReadyTimeout bounds the store ping behind /readyz.
	ReadyTimeout time.Duration
	// RequestTimeout is the deadline put on each request's context, which
	// store calls honour.
	RequestTimeout time.Duration
	// MaxImportBytes bounds the body of an upload to the import endpoint
	// (default 256 MiB); MaxBodyBytes does not apply there.
	MaxImportBytes int64
	// ImportTimeout replaces RequestTimeout (and the server's read and
	// write timeouts) for the import endpoint, which reads, plans and
	// applies a whole upload (default 10 minutes).
	ImportTimeout time.Duration
	// ImportIdleTimeout bounds how long an upload to the import endpoint
	// may send nothing (default 30 seconds): a stalled client is cut off
	// with 408 and nothing recorded.
	ImportIdleTimeout time.Duration
	// Auth authenticates requests' bearer tokens; nil runs without
	// authentication (every request may do everything, as the
	// X-Ripple-Actor it names), which cmd/ripple allows only on loopback.
	Auth *auth.Authenticator
	// CORSOrigins may call the API from a browser page (CORS, and trusted
	// by the CSRF rule); none by default. Check them with CheckOrigins.
	CORSOrigins []string
	// Metrics, when set, counts every request and is served at /metrics
	// (see MetricsPath); the GraphQL and store series need its extension
	// in GraphQL.Extensions and its observer on the store (app.NewObserved).
	Metrics *metrics.Metrics
	// NoMetricsRoute keeps /metrics off this listener while Metrics still
	// counts (ripple serve --no-metrics with an admin listener serving them).
	NoMetricsRoute bool
}

// CheckOrigins validates --cors-origin values (scheme://host[:port]).
func CheckOrigins(origins []string) error {
	_, err := csrf(origins)
	return err
}

// apiRoute is a route of the HTTP API beside GraphQL, with the permission
// it needs. Every /api route is listed in apiRoutes, so the role matrix
// test (auth_test.go) walks them all.
type apiRoute struct {
	pattern string
	perm    auth.Permission
	handler http.Handler
}

func apiRoutes(svc *app.Services, cfg Config) []apiRoute {
	routes := []apiRoute{
		// Imports stream uploads far larger than MaxBodyBytes and may take
		// minutes: the route has its own body limit and timeout.
		{ImportPath, auth.PermImportsRun, timeout(cfg.ImportTimeout)(&importHandler{
			imports:  svc.Imports,
			maxBytes: cfg.MaxImportBytes,
			timeout:  cfg.ImportTimeout,
			idle:     cfg.ImportIdleTimeout,
		})},
	}
	// Monitoring webhooks and report exports answer within the request
	// timeout like /graphql.
	for _, rt := range append(append(eventRoutes(svc), reportRoutes(svc)...), metricsRoute(cfg)...) {
		rt.handler = timeout(cfg.RequestTimeout)(rt.handler)
		routes = append(routes, rt)
	}
	return routes
}

// NewHandler returns Ripple's HTTP handler over the wired services (built
// by app.New; the GraphQL import mutations and the import endpoint share
// their one engine and policy):
//
//	/graphql           the GraphQL API (POST JSON, or GET for queries)
//	/ and deep links   the console (web.Handler); unknown paths 404
//	/graphiql          GraphiQL, bundled
//	/healthz           200 while the process is alive
//	/readyz            200 when the store answers a ping, 503 otherwise
//	/api/v1/imports/{format}  POST a file to import (see importHandler)
//
// With cfg.Auth set, every route but the probes and the GraphiQL page needs
// a bearer token, and writes are attributed to its subject; without, to the
// X-Ripple-Actor header (see ActorHeader). State-changing requests a
// browser could send cross-site are refused (csrf).
func NewHandler(svc *app.Services, cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = DefaultMaxImportBytes
	}
	if cfg.ImportTimeout <= 0 {
		cfg.ImportTimeout = DefaultImportTimeout
	}
	if cfg.ImportIdleTimeout <= 0 {
		cfg.ImportIdleTimeout = DefaultImportIdleTimeout
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", limitBody(cfg.MaxBodyBytes, resolvers.NewHandler(svc, cfg.GraphQL)))
	// The console (/ and its deep links) and GraphiQL (/graphiql), embedded.
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(svc.Store, cfg.ReadyTimeout))

	root := http.NewServeMux()
	allowed := map[string][]string{} // path → methods, for 405s
	for _, rt := range apiRoutes(svc, cfg) {
		root.Handle(rt.pattern, require(rt.perm, rt.handler))
		if method, path, ok := strings.Cut(rt.pattern, " "); ok {
			allowed[path] = append(allowed[path], method)
		}
	}
	// Another method on an API path is 405, not the console's 404 for "/".
	for path, methods := range allowed {
		root.Handle(path, methodNotAllowed(methods))
	}
	root.Handle("/", timeout(cfg.RequestTimeout)(mux))

	csrfCheck, err := csrf(cfg.CORSOrigins)
	if err != nil {
		panic("server: invalid CORSOrigins (check them with CheckOrigins): " + err.Error())
	}
	// Outermost first: the logger must be on the context before the request
	// id is added to it, and the access log must see the final status,
	// refusals included. Every route goes through this one chain, so
	// authentication (after actor, which it overrides) happens once.
	return chain(root,
		hlog.NewHandler(cfg.Logger),
		requestID,
		hlog.AccessHandler(logAccess),
		countRequests(cfg.Metrics),
		corsAllow(cfg.CORSOrigins),
		csrfCheck,
		actor,
		authenticate(cfg.Auth),
		recoverHTTP,
	)
}

func chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// methodNotAllowed answers 405 with the methods a path takes.
func methodNotAllowed(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		http.Error(w, r.Method+" is not allowed here: "+allow, http.StatusMethodNotAllowed)
	})
}

// Package server is Ripple's HTTP front: routes for the GraphQL API, the
// GraphiQL page and the health probes, the middleware every request goes
// through (request id, logging, limits), and an http.Server with timeouts
// and graceful shutdown. The GraphQL handler itself lives in resolvers.
package server

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/resolvers"
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
// Writes are attributed to the X-Ripple-Actor header (see ActorHeader).
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
	mountReports(mux, svc)
	mountEvents(mux, svc) // POST /api/v1/events and /api/v1/events/alertmanager (events.go)

	// Imports stream uploads far larger than MaxBodyBytes and may take
	// minutes: the route has its own body limit and timeout.
	root := http.NewServeMux()
	root.Handle(ImportPath, timeout(cfg.ImportTimeout)(&importHandler{
		imports:  svc.Imports,
		maxBytes: cfg.MaxImportBytes,
		timeout:  cfg.ImportTimeout,
		idle:     cfg.ImportIdleTimeout,
	}))
	root.Handle("/", timeout(cfg.RequestTimeout)(mux))

	// Outermost first: the logger must be on the context before the request
	// id is added to it, and the access log must see the final status.
	// Every route goes through this one chain: authentication, when Ripple
	// gets it, belongs here (after actor, which it would replace), once.
	return chain(root,
		hlog.NewHandler(cfg.Logger),
		requestID,
		actor,
		hlog.AccessHandler(logAccess),
		recoverHTTP,
	)
}

func chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

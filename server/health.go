package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/graph"
)

// healthz answers as long as the process can serve HTTP at all; it never
// touches the store, so an orchestrator does not restart Ripple because the
// database is down.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// pinger is what readiness needs of the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// readyz reports whether the store answers a ping within timeout, so that a
// load balancer stops sending traffic while the database is unreachable,
// and answers 503 once the server is shutting down (Stopping).
func readyz(s pinger, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Stopping(r.Context()) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "stopping", "error": "the server is shutting down"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			hlog.FromRequest(r).Warn().Err(err).Msg("readiness check failed")
			msg := "store did not answer a ping"
			if e, ok := asDomain(err); ok && e.Code != graph.CodeInternal {
				msg += ": " + e.Message
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": msg})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

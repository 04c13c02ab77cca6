package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/graph"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

const maxRequestIDLen = 128

// requestID takes the caller's X-Request-Id when it is sane (so a trace can
// span a proxy and Ripple) or makes one, puts it on the request's logger and
// echoes it in the response. hlog.RequestIDHandler cannot be used because it
// always generates its own id.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("request_id", id)
		})
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

// validRequestID accepts short printable tokens only, so a client cannot
// inject line breaks or megabytes into logs and headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func logAccess(r *http.Request, status, size int, d time.Duration) {
	level := zerolog.InfoLevel
	switch {
	case status >= 500:
		level = zerolog.ErrorLevel
	case r.URL.Path == "/healthz" || r.URL.Path == "/readyz":
		level = zerolog.DebugLevel // probes every few seconds would drown the log
	}
	hlog.FromRequest(r).WithLevel(level).
		Str("method", r.Method).
		Str("path", r.URL.Path).
		Int("status", status).
		Int("size", size).
		Dur("duration", d).
		Msg("request")
}

// recoverHTTP keeps a panic outside the GraphQL executor (which has its own
// recover) from killing the connection without a trace.
func recoverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			hlog.FromRequest(r).Error().Str("panic", fmt.Sprint(p)).Bytes("stack", debug.Stack()).Msg("panic in HTTP handler")
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		}()
		next.ServeHTTP(w, r)
	})
}

// timeout puts a deadline on the request's context; store calls honour it,
// so a pathological query cannot hold a connection or the database forever.
func timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// limitBody reads at most limit bytes of body and answers an oversized
// request with 413 and a GraphQL-shaped error, instead of letting the JSON
// decoder fail half-way with a message about truncated input.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			tooLarge(w, limit)
			return
		case err != nil:
			hlog.FromRequest(r).Debug().Err(err).Msg("reading request body")
			graphQLError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	// The connection may still hold unread body; closing it is cheaper
	// than draining up to the client's whim.
	w.Header().Set("Connection", "close")
	graphQLError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
		fmt.Sprintf("request body is larger than the limit of %d bytes", limit))
}

func graphQLError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}

func asDomain(err error) (*graph.Error, bool) {
	var e *graph.Error
	ok := errors.As(err, &e)
	return e, ok
}

// ActorHeader names who a request's writes are attributed to in the audit
// trail and in records (transitions, approvals, notes). Ripple does not
// authenticate it: a proxy in front that does should set it.
const ActorHeader = "X-Ripple-Actor"

const maxActorLen = 128

// actor puts the X-Ripple-Actor header on the request's context (and its
// logger). Without the header writes are attributed to graph.Anonymous; a
// header that is not 1–128 printable characters is refused with 400, not
// quietly dropped, so a misconfigured proxy does not turn every write
// anonymous unnoticed.
func actor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get(ActorHeader)
		if a == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !validActor(a) {
			writeJSON(w, http.StatusBadRequest, map[string]any{
				"errors": []map[string]any{{
					"message":    fmt.Sprintf("the %s header must be 1–%d printable characters of valid UTF-8, not only spaces", ActorHeader, maxActorLen),
					"extensions": map[string]string{"code": "BAD_REQUEST", "header": ActorHeader},
				}},
			})
			return
		}
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("actor", a)
		})
		next.ServeHTTP(w, r.WithContext(graph.WithActor(r.Context(), a)))
	})
}

// validActor accepts valid UTF-8 of 1–128 printable characters that is not
// only spaces, so nobody can write line breaks or control codes into the
// audit trail.
func validActor(a string) bool {
	if a == "" || !utf8.ValidString(a) || utf8.RuneCountInString(a) > maxActorLen || strings.TrimSpace(a) == "" {
		return false
	}
	for _, c := range a {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

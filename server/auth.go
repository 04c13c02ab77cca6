package server

import (
	"mime"
	"net/http"
	"strings"

	"github.com/rs/cors"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
)

// CSRFHeader, sent with any value, marks a request as made by a program
// rather than by a form a browser was tricked into posting: a page on
// another origin cannot set it without a CORS preflight Ripple refuses.
const CSRFHeader = "X-Ripple-Request"

// authenticate establishes every request's principal (auth.Principal) once,
// for every route: with a nil authenticator (authentication off) it is the
// all-powerful auth.Unauthenticated named by X-Ripple-Actor; otherwise the
// request must carry a valid bearer token, its subject becomes the audit
// actor and X-Ripple-Actor is ignored. The probes and the GraphiQL page
// (static, it holds no data) are open.
func authenticate(a *auth.Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if a == nil {
				next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, auth.Unauthenticated(graph.ActorFrom(ctx)))))
				return
			}
			if openRoute(r) {
				next.ServeHTTP(w, r)
				return
			}
			bearer, ok := bearerToken(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ripple"`)
				deny(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", auth.ErrNoCredentials.Error())
				return
			}
			p, err := a.Authenticate(ctx, bearer)
			if err != nil {
				zerolog.Ctx(ctx).Info().Err(err).Msg("authentication failed")
				w.Header().Set("WWW-Authenticate", `Bearer realm="ripple", error="invalid_token"`)
				deny(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid, expired or revoked bearer token")
				return
			}
			zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context {
				return c.Str("subject", p.Subject).Str("auth", p.Method)
			})
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, p)))
		})
	}
}

// openRoute says which requests need no credentials: reads of what is not
// the API — liveness and readiness probes, and the console's and
// GraphiQL's static files (web.Handler), whose data comes through /graphql,
// which does need them. Every /graphql, /api and /metrics request is
// authenticated.
func openRoute(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return p != "/graphql" && !strings.HasPrefix(p, "/graphql/") && !strings.HasPrefix(p, "/api/") && p != "/metrics"
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// require answers 403 unless the request's principal holds perm: the HTTP
// routes' side of the one authorizer (GraphQL's is in resolvers).
func require(perm auth.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := auth.Require(r.Context(), perm); err != nil {
			deny(w, r, http.StatusForbidden, string(graph.CodeForbidden), err.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// deny answers in the shape the route's clients read: GraphQL errors on
// /graphql, the {"error": {...}} of the HTTP API elsewhere.
func deny(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if r.URL.Path == "/graphql" {
		graphQLError(w, status, code, msg)
		return
	}
	writeImportError(w, status, code, "", msg)
}

// csrf refuses state-changing requests a browser could have been made to
// send from another site: a "simple" request (a form's content type or
// none, and no Authorization or X-Ripple-Request header), which a browser
// sends cross-origin without asking, from an origin that is neither this
// server's nor on the --cors-origin allowlist (net/http's
// CrossOriginProtection judges origin by Sec-Fetch-Site and Origin, and
// lets through requests no browser made: curl, the CLI, agents). Anything
// else a browser would preflight, and CORS decides.
func csrf(trusted []string) (func(http.Handler) http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if simpleRequest(r) {
				if err := cop.Check(r); err != nil {
					deny(w, r, http.StatusForbidden, "CSRF",
						"cross-site request refused: send the body with a non-form Content-Type (application/json, application/xml, application/octet-stream...) or add the "+CSRFHeader+" or Authorization header")
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// simpleRequest reports whether a browser would send r cross-origin
// without a preflight, for the methods that change state.
func simpleRequest(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if r.Header.Get(CSRFHeader) != "" || r.Header.Get("Authorization") != "" {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true
	}
	switch mt {
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return true
	}
	return false
}

// corsAllow lets pages from the allowlisted origins call the API (the
// console served elsewhere, a dashboard); with no origins it does nothing,
// so browsers keep other origins out.
func corsAllow(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead},
		AllowedHeaders: []string{"Authorization", "Content-Type", ActorHeader, RequestIDHeader, CSRFHeader},
		ExposedHeaders: []string{RequestIDHeader},
		MaxAge:         600,
	})
	return c.Handler
}

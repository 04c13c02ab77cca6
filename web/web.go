// Package web serves Ripple's console: the single-page app built from this
// directory's TypeScript sources (npm run build writes dist/, which is
// committed) and the bundled GraphiQL, embedded in the binary so that a
// fresh machine without Node or internet access gets both from Ripple alone.
//
// The handler answers the console's deep links (/, /blast, /ci/ID,
// /changes[/ID], /incidents[/ID], /problems[/ID], /imports[/ID],
// /reports[/SERVICE-ID], /signin[/callback]) with the app's index.html,
// which routes in the browser; /graphiql with GraphiQL; /assets/... with the
// built files. Anything else is a 404 — the app's page for unknown
// paths, except under the API's own prefixes, which get a plain 404.
package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// clientRoutes are the paths the console routes itself (src/App.tsx).
var clientRoutes = regexp.MustCompile(`^/(|blast|ci/[^/]+|changes(/[^/]+)?|incidents(/[^/]+)?|problems(/[^/]+)?|imports(/[^/]+)?|reports(/[^/]+)?|signin(/callback)?)$`)

// apiPrefixes are never the app: an unknown API path must 404 plainly, so
// that a client calling a wrong URL learns it at once.
var apiPrefixes = []string{"/api/", "/graphql/", "/assets/", "/healthz/", "/readyz/"}

// Handler serves the console from the embedded bundle.
func Handler() http.Handler {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; its absence is a build error
	}
	return newHandler(files)
}

func newHandler(files fs.FS) http.Handler {
	index := mustRead(files, "index.html")
	graphiql := mustRead(files, "graphiql.html")
	assets := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		switch {
		case p == "/graphiql":
			page(w, r, graphiql, http.StatusOK)
		case clientRoutes.MatchString(p):
			page(w, r, index, http.StatusOK)
		case strings.HasPrefix(p, "/assets/") && isFile(files, p):
			// Names carry a content hash: a new build has new names.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			assets.ServeHTTP(w, r)
		case hasAPIPrefix(p):
			http.NotFound(w, r)
		default:
			// The app shows its own "page not found" with navigation.
			page(w, r, index, http.StatusNotFound)
		}
	})
}

func hasAPIPrefix(p string) bool {
	for _, prefix := range apiPrefixes {
		if strings.HasPrefix(p, prefix) || p+"/" == prefix {
			return true
		}
	}
	return false
}

func isFile(files fs.FS, p string) bool {
	st, err := fs.Stat(files, strings.TrimPrefix(path.Clean(p), "/"))
	return err == nil && !st.IsDir()
}

// page writes an HTML entry point. It is never cached, so a new binary's
// assets are picked up on the next load.
func page(w http.ResponseWriter, r *http.Request, body []byte, status int) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	if status == http.StatusOK {
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(body))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func mustRead(files fs.FS, name string) []byte {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		panic("web: the embedded bundle has no " + name + ": run `npm run build` in web/: " + err.Error())
	}
	return b
}

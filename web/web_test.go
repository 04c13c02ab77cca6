package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandlerRoutes(t *testing.T) {
	files := fstest.MapFS{
		"index.html":          {Data: []byte(`<!doctype html><div id="root"></div>`)},
		"graphiql.html":       {Data: []byte(`<!doctype html><div id="graphiql"></div>`)},
		"assets/index-abc.js": {Data: []byte(`console.log(1)`)},
	}
	h := newHandler(files)
	cases := []struct {
		method, path string
		status       int
		body         string // a substring of the body, when set
		cache        string // the Cache-Control header, when set
	}{
		{"GET", "/", 200, `id="root"`, "no-cache"},
		{"GET", "/blast", 200, `id="root"`, ""},
		{"GET", "/blast?ci=a&ci=b", 200, `id="root"`, ""},
		{"GET", "/ci/0190-abc", 200, `id="root"`, ""},
		{"GET", "/changes", 200, `id="root"`, ""},
		{"GET", "/changes/0190-abc", 200, `id="root"`, ""},
		{"GET", "/incidents", 200, `id="root"`, ""},
		{"GET", "/incidents/0190-abc", 200, `id="root"`, ""},
		{"GET", "/problems", 200, `id="root"`, ""},
		{"GET", "/problems/0190-abc", 200, `id="root"`, ""},
		{"GET", "/reports", 200, `id="root"`, ""},
		{"GET", "/reports/0190-abc?range=90d", 200, `id="root"`, ""},
		{"GET", "/signin?next=%2Fchanges", 200, `id="root"`, ""},
		{"GET", "/signin/callback?code=x&state=y", 200, `id="root"`, ""},
		{"GET", "/reports/a/b", 404, `id="root"`, ""},
		{"GET", "/imports", 200, `id="root"`, ""},
		{"GET", "/imports/0190-abc", 200, `id="root"`, ""},
		{"HEAD", "/changes", 200, "", ""},
		{"GET", "/graphiql", 200, `id="graphiql"`, "no-cache"},
		{"GET", "/assets/index-abc.js", 200, "console.log", "public, max-age=31536000, immutable"},
		// Unknown app paths: the app's not-found page, with a 404.
		{"GET", "/nope", 404, `id="root"`, ""},
		{"GET", "/ci", 404, `id="root"`, ""},
		{"GET", "/ci/a/b", 404, `id="root"`, ""},
		// Unknown API and asset paths: a plain 404, never the app.
		{"GET", "/api/v1/nope", 404, "404 page not found", ""},
		{"GET", "/graphql/x", 404, "404 page not found", ""},
		{"GET", "/assets/missing.js", 404, "404 page not found", ""},
		{"GET", "/assets/", 404, "404 page not found", ""},
		{"POST", "/", 405, "", ""},
		{"DELETE", "/changes", 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if tc.body != "" && !strings.Contains(string(body), tc.body) {
				t.Errorf("body %q does not contain %q", body, tc.body)
			}
			if tc.cache != "" && res.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), tc.cache)
			}
			if tc.status == 200 && strings.Contains(tc.body, "id=") && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
			}
		})
	}
}

// The committed bundle is what the binary serves: it must hold both entry
// points, and every asset they reference must be embedded and served.
func TestEmbeddedBundle(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, page := range []string{"/", "/graphiql"} {
		res, err := http.Get(srv.URL + page)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", page, res.StatusCode)
		}
		html := string(body)
		// The pages name the API endpoint and load only local assets.
		if !strings.Contains(html, `content="/graphql"`) {
			t.Errorf("%s does not name the GraphQL endpoint", page)
		}
		if strings.Contains(html, `="http`) || strings.Contains(html, `="//`) {
			t.Errorf("%s references another host: %s", page, html)
		}
		refs := assetRefs(html)
		if len(refs) == 0 {
			t.Fatalf("%s references no assets: %s", page, html)
		}
		for _, ref := range refs {
			res, err := http.Get(srv.URL + ref)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s references %s, which answers %d", page, ref, res.StatusCode)
			}
		}
	}
}

// assetRefs returns the /assets/... paths in src= and href= attributes.
func assetRefs(html string) []string {
	var refs []string
	for _, attr := range []string{`src="`, `href="`} {
		for rest := html; ; {
			i := strings.Index(rest, attr+"/assets/")
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			refs = append(refs, rest[:strings.IndexByte(rest, '"')])
		}
	}
	return refs
}

package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

var httpCases = []testCase{
	{"healthz", func(t *testing.T, e *env) {
		res, body := e.get(t, "/healthz")
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "ok") {
			t.Errorf("/healthz: %d %s", res.StatusCode, body)
		}
	}},
	{"readyz follows the store", func(t *testing.T, e *env) {
		res, body := e.get(t, "/readyz")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/readyz with a live store: %d %s", res.StatusCode, body)
		}
		if err := e.store.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		res, body = e.get(t, "/readyz")
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with a closed store: %d %s", res.StatusCode, body)
		}
		if res, _ := e.get(t, "/healthz"); res.StatusCode != http.StatusOK {
			t.Errorf("/healthz must not depend on the store: %d", res.StatusCode)
		}
	}},
	{"request id", func(t *testing.T, e *env) {
		res, _ := e.get(t, "/healthz", "X-Request-Id", "abc-123")
		if got := res.Header.Get("X-Request-Id"); got != "abc-123" {
			t.Errorf("echoed id %q", got)
		}
		gql := e.post(t, `{ catalogue { classes { name } } }`, nil, "X-Request-Id", "trace-9")
		if got := gql.header.Get("X-Request-Id"); got != "trace-9" {
			t.Errorf("GraphQL echoed id %q", got)
		}
		res, _ = e.get(t, "/healthz")
		generated := res.Header.Get("X-Request-Id")
		res2, _ := e.get(t, "/healthz")
		if generated == "" || generated == res2.Header.Get("X-Request-Id") {
			t.Errorf("generated ids %q, %q", generated, res2.Header.Get("X-Request-Id"))
		}
		res, _ = e.get(t, "/healthz", "X-Request-Id", strings.Repeat("x", 500))
		if got := res.Header.Get("X-Request-Id"); len(got) > 128 || got == "" {
			t.Errorf("oversized id not replaced: %d bytes", len(got))
		}
	}},
	{"oversized body is refused", func(t *testing.T, e *env) {
		big := `{"query": "{ catalogue { classes { name } } }", "variables": {"pad": "` + strings.Repeat("x", 1<<20) + `"}}`
		for _, chunked := range []bool{false, true} {
			var body = bytes.NewReader([]byte(big))
			req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/graphql", body)
			if err != nil {
				t.Fatal(err)
			}
			if chunked {
				req.ContentLength = -1 // unknown: only reading finds out
			}
			req.Header.Set("Content-Type", "application/json")
			res := e.send(t, req)
			if res.status != http.StatusRequestEntityTooLarge || len(res.Errors) != 1 || res.Errors[0].code() != "REQUEST_TOO_LARGE" {
				t.Errorf("chunked=%v: status %d errors %+v", chunked, res.status, res.Errors)
			}
		}
	}},
	{"GET runs queries but not mutations", func(t *testing.T, e *env) {
		q := url.Values{"query": {`{ catalogue { relationTypes { name } } }`}}
		res, body := e.get(t, "/graphql?"+q.Encode())
		var out struct {
			Data struct {
				Catalogue struct{ RelationTypes []struct{ Name string } }
			}
		}
		if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != http.StatusOK || len(out.Data.Catalogue.RelationTypes) == 0 {
			t.Errorf("GET query: %d %s", res.StatusCode, body)
		}
		q = url.Values{"query": {`mutation { upsertCI(input: {name: "x", class: "Server"}) { id } }`}}
		res, body = e.get(t, "/graphql?"+q.Encode())
		if res.StatusCode == http.StatusOK || e.count(t) != 0 {
			t.Errorf("GET mutation: %d %s", res.StatusCode, body)
		}
	}},
	{"GraphiQL", func(t *testing.T, e *env) {
		for _, path := range []string{"/", "/graphiql"} {
			res, body := e.get(t, path)
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(string(body), "/graphql") {
				t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
		if res, _ := e.get(t, "/nope"); res.StatusCode != http.StatusNotFound {
			t.Errorf("/nope: %d", res.StatusCode)
		}
	}},
}

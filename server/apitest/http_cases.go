package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
	{"malformed requests are refused with a code and without echo", func(t *testing.T, e *env) {
		// marker appears in every body sent; no answer may repeat it.
		const marker = "SECRET-MARKER-0123456789"
		q := `{ catalogue { classes { name } } } # ` + marker
		for _, tc := range []struct {
			name, method, contentType, body string
			status                          int
			code                            string
		}{
			{"malformed JSON", "POST", "application/json", `{"query": "` + marker, 400, "BAD_REQUEST"},
			{"no content type", "POST", "", `{"query": "` + q + `"}`, 415, "BAD_REQUEST"},
			{"form content type", "POST", "application/x-www-form-urlencoded", "query=" + marker, 415, "BAD_REQUEST"},
			{"batched array", "POST", "application/json", `[{"query": "` + q + `"}]`, 400, "BAD_REQUEST"},
			{"variables a string", "POST", "application/json", `{"query": "` + q + `", "variables": "` + marker + `"}`, 400, "BAD_REQUEST"},
			{"query a number", "POST", "application/json", `{"query": 5, "operationName": "` + marker + `"}`, 400, "BAD_REQUEST"},
			{"JSON a string", "POST", "application/json", `"` + marker + `"`, 400, "BAD_REQUEST"},
			{"empty body", "POST", "application/json", ``, 400, "BAD_REQUEST"},
			{"trailing garbage", "POST", "application/json", `{"query": "` + q + `"} ` + marker, 400, "BAD_REQUEST"},
			{"unknown operation name", "POST", "application/json", `{"query": "query A { catalogue { classes { name } } } # ` + marker + `", "operationName": "Nope"}`, 422, "GRAPHQL_VALIDATION_FAILED"},
			{"PUT", "PUT", "application/json", `{"query": "` + q + `"}`, 405, "METHOD_NOT_ALLOWED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(e.ctx, tc.method, e.srv.URL+"/graphql", strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				res, err := e.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				raw, _ := io.ReadAll(res.Body)
				var out response
				if err := json.Unmarshal(raw, &out); err != nil {
					t.Fatalf("undecodable answer %q: %v", raw, err)
				}
				if res.StatusCode != tc.status || len(out.Errors) != 1 || out.Errors[0].code() != tc.code || out.Errors[0].Message == "" {
					t.Errorf("status %d, %s", res.StatusCode, raw)
				}
				if strings.Contains(string(raw), marker) {
					t.Errorf("the answer echoes the request: %s", raw)
				}
			})
		}
		if e.count(t) != 0 {
			t.Errorf("refused requests wrote CIs")
		}
	}},
	{"the actor header is checked, not dropped", func(t *testing.T, e *env) {
		for _, bad := range []string{strings.Repeat("a", 129), "line\tbreak", "bad utf8 \xff"} {
			res := e.post(t, upsertMutation, map[string]any{"in": map[string]any{"name": "x", "class": "Server"}}, "X-Ripple-Actor", bad)
			if res.status != http.StatusBadRequest || len(res.Errors) != 1 || res.Errors[0].code() != "BAD_REQUEST" ||
				res.Errors[0].Extensions["header"] != "X-Ripple-Actor" || !strings.Contains(res.Errors[0].Message, "X-Ripple-Actor") {
				t.Errorf("actor %q: status %d errors %+v", bad, res.status, res.Errors)
			}
		}
		if e.count(t) != 0 {
			t.Fatalf("a refused actor wrote a CI")
		}
		var out struct{ UpsertCI struct{ ID string } }
		res := e.post(t, upsertMutation, map[string]any{"in": map[string]any{"name": "x", "class": "Server"}}, "X-Ripple-Actor", strings.Repeat("é", 128))
		if res.status != http.StatusOK || len(res.Errors) != 0 || json.Unmarshal(res.Data, &out) != nil || out.UpsertCI.ID == "" {
			t.Errorf("128-character actor: %d %+v", res.status, res.Errors)
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
		if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), `"code":"METHOD_NOT_ALLOWED"`) || e.count(t) != 0 {
			t.Errorf("GET mutation: %d %s", res.StatusCode, body)
		}
		q = url.Values{"query": {`{ catalogue { classes { name } } }`}, "variables": {`"x"`}}
		if res, body = e.get(t, "/graphql?"+q.Encode()); res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"BAD_REQUEST"`) {
			t.Errorf("GET variables a string: %d %s", res.StatusCode, body)
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

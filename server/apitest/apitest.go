// Package apitest is the HTTP-level test suite of Ripple's API: real
// requests to the real handler (server.NewHandler over app.New, wired as
// cmd/ripple wires it) over a real store. Run
// is parameterised by a store constructor so that every backend is held to
// the same API behaviour, the way store/storetest does for the Store
// interface:
//
//	apitest.Run(t, func(t *testing.T) graph.Store { ... fresh, empty store ... })
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
)

// NewStore returns a fresh, empty store using graph.DefaultCatalogue() and
// registers its own cleanup with t. One case (readiness) closes the store
// itself, so the cleanup must tolerate a second Close.
type NewStore func(t *testing.T) graph.Store

type testCase struct {
	name string
	run  func(t *testing.T, e *env)
}

// Run runs every API case, each against its own store and server.
func Run(t *testing.T, newStore NewStore) {
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"CI", ciCases},
		{"List", listCases},
		{"Paging", pagingCases},
		{"Relations", relationCases},
		{"Errors", errorCases},
		{"Analysis", analysisCases},
		{"ITSM", itsmCases},
		{"References", referenceCases},
		{"Limits", limitCases},
		{"Text", textCases},
		{"HTTP", httpCases},
		{"Import", importCases},
		{"Reports", reportCases},
		{"AsOf", asOfCases},
		{"Events", eventCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newEnv(t, newStore(t)))
				})
			}
		})
	}
}

// env is one test's server: the real handler over a counting wrapper of
// the store under test.
type env struct {
	store *CountingStore
	srv   *httptest.Server
	ctx   context.Context
}

func newEnv(t *testing.T, s graph.Store) *env {
	t.Helper()
	cs := &CountingStore{Store: s}
	srv := serve(t, cs, formats.DefaultPolicy(), server.Config{
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &env{store: cs, srv: srv, ctx: ctx}
}

// serve starts a server wired as the binary wires it: app.New over st with
// the policy, then server.NewHandler. It is closed when the test ends.
func serve(t *testing.T, st graph.Store, policy importers.Policy, cfg server.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(server.NewHandler(app.New(st, policy), cfg))
	t.Cleanup(srv.Close)
	return srv
}

// another returns an env for a second server over st (usually a wrapper of
// e's store) with its own policy and config; e.store still reads what the
// store holds. A zero cfg.Logger logs nothing.
func (e *env) another(t *testing.T, st graph.Store, policy importers.Policy, cfg server.Config) *env {
	t.Helper()
	return &env{store: e.store, srv: serve(t, st, policy, cfg), ctx: e.ctx}
}

// gqlError is an error as clients see it.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string  { s, _ := e.Extensions["code"].(string); return s }
func (e gqlError) field() string { s, _ := e.Extensions["field"].(string); return s }

type response struct {
	status     int
	header     http.Header
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions json.RawMessage `json:"extensions"`
}

// post sends one GraphQL request and decodes the response, whatever its
// status.
func (e *env) post(t *testing.T, query string, vars map[string]any, hdr ...string) response {
	t.Helper()
	res, err := e.tryPost(query, vars, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// tryPost is post for goroutines other than the test's, which must not
// call t.Fatal.
func (e *env) tryPost(query string, vars map[string]any, hdr ...string) (response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.trySend(req)
}

func (e *env) send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := e.trySend(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) trySend(req *http.Request) (response, error) {
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	out := response{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("%s %s: status %d, undecodable body %q: %w", req.Method, req.URL.Path, res.StatusCode, truncate(raw), err)
	}
	return out, nil
}

// query runs an operation that must succeed and decodes its data into out.
func (e *env) query(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	res := e.post(t, query, vars)
	if len(res.Errors) > 0 || res.status != http.StatusOK {
		t.Fatalf("status %d, errors %+v for\n%s", res.status, res.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatalf("decode %s: %v", truncate(res.Data), err)
		}
	}
}

// fail runs an operation that must fail with exactly one error of code
// (and, when field is not empty, naming field) and returns that error; hdr
// are extra request headers (name, value, ...).
func (e *env) fail(t *testing.T, query string, vars map[string]any, code, field string, hdr ...string) gqlError {
	t.Helper()
	res := e.post(t, query, vars, hdr...)
	if len(res.Errors) != 1 {
		t.Fatalf("want one %s error, got status %d, errors %+v, data %s", code, res.status, res.Errors, truncate(res.Data))
	}
	got := res.Errors[0]
	if got.code() != code || got.field() != field {
		t.Fatalf("want code %s field %q, got %s %q: %q", code, field, got.code(), got.field(), got.Message)
	}
	if field != "" && !strings.Contains(got.Message, field) {
		t.Errorf("message %q does not name the field %q", got.Message, field)
	}
	return got
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// ciFields is what the cases read back of a CI.
const ciFields = `id name class status criticality environment owner attributes identifiers { kind value } createdAt updatedAt`

// ciJSON mirrors the CI type on the wire.
type ciJSON struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Class       string             `json:"class"`
	Status      string             `json:"status"`
	Criticality string             `json:"criticality"`
	Environment *string            `json:"environment"`
	Owner       *string            `json:"owner"`
	Attributes  map[string]any     `json:"attributes"`
	Identifiers []graph.Identifier `json:"identifiers"`
	CreatedAt   string             `json:"createdAt"`
	UpdatedAt   string             `json:"updatedAt"`
}

const upsertMutation = `mutation($in: CIInput!) { upsertCI(input: $in) { ` + ciFields + ` } }`

// upsert creates or updates a CI through the API.
func (e *env) upsert(t *testing.T, in map[string]any) ciJSON {
	t.Helper()
	var out struct{ UpsertCI ciJSON }
	e.query(t, upsertMutation, map[string]any{"in": in}, &out)
	return out.UpsertCI
}

// mk creates a CI with a name and class and returns its id.
func (e *env) mk(t *testing.T, name, class string, extra ...any) string {
	t.Helper()
	in := map[string]any{"name": name, "class": class}
	for i := 0; i+1 < len(extra); i += 2 {
		in[extra[i].(string)] = extra[i+1]
	}
	return e.upsert(t, in).ID
}

func (e *env) relate(t *testing.T, from, typ, to string) {
	t.Helper()
	e.query(t, `mutation($f: ID!, $t: String!, $to: ID!) { relate(from: $f, type: $t, to: $to) { type } }`,
		map[string]any{"f": from, "t": typ, "to": to}, nil)
}

// count returns how many CIs the store holds, read directly so a check
// that "nothing changed" does not depend on the API under test.
func (e *env) count(t *testing.T) int {
	t.Helper()
	page, err := e.store.Store.ListCIs(e.ctx, graph.CIFilter{}, graph.Page{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.TotalCount
}

func (e *env) get(t *testing.T, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func names(cis []ciJSON) string {
	var b strings.Builder
	for i, c := range cis {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, c.Name)
	}
	return b.String()
}

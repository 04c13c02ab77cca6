package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/auth/oidctest"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
)

// expectedMutations is the role matrix written out by hand, independently
// of the rules it checks: which roles may run each mutation. A mutation
// added to the schema without an entry here fails TestRoleMatrix, and one
// without an access rule is refused to everybody.
var expectedMutations = map[string][]auth.Role{
	"upsertCI": {auth.RoleAdmin}, "reclassifyCI": {auth.RoleAdmin}, "relate": {auth.RoleAdmin}, "unrelate": {auth.RoleAdmin}, "deleteCI": {auth.RoleAdmin},
	"importFile": {auth.RoleImporter, auth.RoleAdmin}, "importBatch": {auth.RoleImporter, auth.RoleAdmin},

	"createIncident": {auth.RoleOperator, auth.RoleAdmin}, "updateIncident": {auth.RoleOperator, auth.RoleAdmin},
	"transitionIncident": {auth.RoleOperator, auth.RoleAdmin}, "mapEvent": {auth.RoleOperator, auth.RoleAdmin}, "createProblem": {auth.RoleOperator, auth.RoleAdmin},
	"updateProblem": {auth.RoleOperator, auth.RoleAdmin}, "linkIncidentToProblem": {auth.RoleOperator, auth.RoleAdmin},
	"transitionProblem": {auth.RoleOperator, auth.RoleAdmin},

	"createChange":  {auth.RoleOperator, auth.RoleChangeManager, auth.RoleAdmin},
	"updateChange":  {auth.RoleOperator, auth.RoleChangeManager, auth.RoleAdmin},
	"addChangeNote": {auth.RoleOperator, auth.RoleChangeManager, auth.RoleAdmin},
	"assessChange":  {auth.RoleChangeManager, auth.RoleAdmin}, "approveChange": {auth.RoleChangeManager, auth.RoleAdmin},
	"transitionChange": {auth.RoleChangeManager, auth.RoleAdmin},
	"createWindow":     {auth.RoleChangeManager, auth.RoleAdmin}, "updateWindow": {auth.RoleChangeManager, auth.RoleAdmin},
	"deleteWindow": {auth.RoleChangeManager, auth.RoleAdmin},

	"createSLA": {auth.RoleAdmin}, "updateSLA": {auth.RoleAdmin}, "deleteSLA": {auth.RoleAdmin},
}

// Every query reads: the reading roles may run it; the importer may also
// read its runs; anyone signed in may ask who they are.
var (
	readers           = []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleChangeManager, auth.RoleAdmin}
	expectedQueryFunc = func(field string) []auth.Role {
		switch field {
		case "me":
			return auth.Roles
		case "importRuns", "importRun":
			return append(slices.Clone(readers), auth.RoleImporter)
		}
		return readers
	}
	// expectedEndpoints: the HTTP API routes (apiRoutes) by pattern.
	expectedEndpoints = map[string][]auth.Role{
		ImportPath:                 {auth.RoleImporter, auth.RoleAdmin},
		"POST " + AlertmanagerPath: {auth.RoleEvents, auth.RoleAdmin},
		"POST " + EventsPath:       {auth.RoleEvents, auth.RoleAdmin},
		ServiceReportPath:          readers,
		PortfolioPath:              readers,
		// Prometheus scrapes with a viewer's token.
		MetricsPath: readers,
	}
)

// authEnv is a server with API-token authentication and one token per role.
type authEnv struct {
	srv    *httptest.Server
	store  graph.Store
	tokens map[auth.Role]string
}

func newAuthEnv(t *testing.T, withOIDC *auth.OIDC) *authEnv {
	t.Helper()
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	toks := &auth.Tokens{Store: st}
	e := &authEnv{store: st, tokens: map[auth.Role]string{}}
	for _, r := range auth.Roles {
		_, secret, err := toks.Create(context.Background(), "token-"+string(r), []auth.Role{r})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = secret
	}
	e.srv = httptest.NewServer(NewHandler(app.New(st, formats.DefaultPolicy()), Config{Auth: &auth.Authenticator{Tokens: toks, OIDC: withOIDC},
		Metrics: metrics.New("test")}))
	t.Cleanup(e.srv.Close)
	return e
}

type gqlAnswer struct {
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (e *authEnv) graphql(t *testing.T, bearer, query string, vars map[string]any, hdr ...string) (int, gqlAnswer) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ans gqlAnswer
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.StatusCode, ans
}

// denied returns the permission a GraphQL answer was refused for, if any.
func (a gqlAnswer) denied() (string, bool) {
	for _, e := range a.Errors {
		if e.Extensions["code"] == "FORBIDDEN" {
			p, _ := e.Extensions["permission"].(string)
			return p, true
		}
	}
	return "", false
}

// TestRoleMatrix walks every root field of the schema and every HTTP API
// route against every role: each is allowed exactly to the roles the matrix
// above names (allowed: whatever else happens, not FORBIDDEN).
func TestRoleMatrix(t *testing.T) {
	e := newAuthEnv(t, nil)
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, root := range []*ast.Definition{schema.Mutation, schema.Query} {
		walked := 0
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			walked++
			var want []auth.Role
			if root == schema.Mutation {
				var ok bool
				if want, ok = expectedMutations[f.Name]; !ok {
					t.Errorf("mutation %s is not in the role matrix (expectedMutations) — give it an access rule in resolvers/authz.go", f.Name)
					continue
				}
			} else {
				want = expectedQueryFunc(f.Name)
			}
			query, vars := callOf(t, schema, root, f, nil)
			for _, r := range auth.Roles {
				status, ans := e.graphql(t, e.tokens[r], query, vars)
				_, denied := ans.denied()
				if status == http.StatusUnauthorized || denied == slices.Contains(want, r) {
					t.Errorf("%s %s as %s: status %d, errors %+v; want allowed=%v", root.Name, f.Name, r, status, ans.Errors, slices.Contains(want, r))
				}
			}
		}
		if walked < 5 {
			t.Fatalf("only %d fields of %s walked", walked, root.Name)
		}
	}

	// Deleting by force needs its own permission (admin's).
	force, vars := callOf(t, schema, schema.Mutation, schema.Mutation.Fields.ForName("deleteCI"), map[string]string{"mode": "FORCE"})
	for _, r := range auth.Roles {
		_, ans := e.graphql(t, e.tokens[r], force, vars)
		perm, denied := ans.denied()
		if denied != (r != auth.RoleAdmin) || denied && perm != string(auth.PermCIsForceDelete) {
			t.Errorf("deleteCI(mode: FORCE) as %s: %+v", r, ans.Errors)
		}
	}

	routes := apiRoutes(app.New(e.store, formats.DefaultPolicy()), Config{Metrics: metrics.New("test")})
	if len(routes) == 0 {
		t.Fatal("no API routes")
	}
	for _, rt := range routes {
		want, ok := expectedEndpoints[rt.pattern]
		if !ok {
			t.Errorf("route %s is not in the role matrix (expectedEndpoints)", rt.pattern)
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		if path == "" {
			method, path = http.MethodPost, rt.pattern
		}
		path = strings.NewReplacer("{format}", "nmap", "{id}", "x").Replace(path)
		for _, r := range auth.Roles {
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader("<nmaprun></nmaprun>"))
			req.Header.Set("Content-Type", "application/xml")
			req.Header.Set("Authorization", "Bearer "+e.tokens[r])
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if (res.StatusCode == http.StatusForbidden) == slices.Contains(want, r) || res.StatusCode == http.StatusUnauthorized {
				t.Errorf("%s %s as %s: %d %s", method, path, r, res.StatusCode, raw)
			}
		}
	}
}

// callOf builds an operation calling field f of root with a value for
// every required argument (and for the arguments in enums, by name), and
// selecting __typename from an object result.
func callOf(t *testing.T, schema *ast.Schema, root *ast.Definition, f *ast.FieldDefinition, enums map[string]string) (string, map[string]any) {
	t.Helper()
	var params, args []string
	vars := map[string]any{}
	for _, a := range f.Arguments {
		if v, ok := enums[a.Name]; ok {
			args = append(args, a.Name+": "+v)
			continue
		}
		if !a.Type.NonNull {
			continue
		}
		params = append(params, "$"+a.Name+": "+a.Type.String())
		args = append(args, a.Name+": $"+a.Name)
		vars[a.Name] = valueOf(t, schema, a.Type)
	}
	op := "query"
	if root == schema.Mutation {
		op = "mutation"
	}
	q := op
	if len(params) > 0 {
		q += "(" + strings.Join(params, ", ") + ")"
	}
	q += " { " + f.Name
	if len(args) > 0 {
		q += "(" + strings.Join(args, ", ") + ")"
	}
	if def := schema.Types[f.Type.Name()]; def != nil && def.Kind != ast.Scalar && def.Kind != ast.Enum {
		q += " { __typename }"
	}
	return q + " }", vars
}

// valueOf makes a well-typed value: GraphQL accepts it, so the request
// reaches the authorizer (and, if allowed, the resolver, which may well
// refuse it for another reason).
func valueOf(t *testing.T, schema *ast.Schema, typ *ast.Type) any {
	t.Helper()
	if typ.Elem != nil {
		return []any{}
	}
	def := schema.Types[typ.Name()]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull {
				obj[f.Name] = valueOf(t, schema, f.Type)
			}
		}
		return obj
	}
	switch def.Name {
	case "ID":
		return graph.NewID()
	case "String", "JSONValue":
		return "x"
	case "Int":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return false
	case "Time":
		return "2030-01-01T00:00:00Z"
	case "JSON":
		return map[string]any{}
	}
	t.Fatalf("no test value for scalar %s", def.Name)
	return nil
}

// With authentication on, requests need a valid bearer token, the token's
// name is the actor (X-Ripple-Actor is ignored), and me says who is in.
func TestAuthentication(t *testing.T) {
	iss := oidctest.New(t)
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: iss.URL, Audience: "ripple"})
	if err != nil {
		t.Fatal(err)
	}
	e := newAuthEnv(t, o)
	const me = `{ me { subject roles permissions authenticated } }`

	for name, bearer := range map[string]string{"none": "", "wrong": "ripple_nope", "forged OIDC": iss.ForgedToken(t, map[string]any{"sub": "x", "aud": "ripple", "roles": "admin"})} {
		status, ans := e.graphql(t, bearer, me, nil)
		if status != http.StatusUnauthorized || len(ans.Errors) != 1 || ans.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Errorf("%s: %d %+v", name, status, ans)
		}
	}
	res, err := http.Get(e.srv.URL + "/graphql?query=" + "%7B%20me%20%7B%20subject%20%7D%20%7D")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") || res.Header.Get(RequestIDHeader) == "" {
		t.Errorf("GET without a token: %d %v", res.StatusCode, res.Header)
	}
	// The console's pages and deep links load without a token; their data
	// comes through /graphql, which needs one (above).
	for _, open := range []string{"/healthz", "/readyz", "/", "/graphiql", "/blast?ci=x", "/incidents"} {
		if res, err := http.Get(e.srv.URL + open); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("%s needs no token: %v %v", open, res, err)
		} else {
			res.Body.Close()
		}
	}
	for _, closed := range []string{"/api/v1/reports/services", "/graphql/x", "/metrics"} {
		if res, err := http.Get(e.srv.URL + closed); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %v %v", closed, res, err)
		} else {
			res.Body.Close()
		}
	}

	_, ans := e.graphql(t, e.tokens[auth.RoleOperator], me, nil)
	m, _ := ans.Data["me"].(map[string]any)
	if m["subject"] != "token-operator" || fmt.Sprint(m["roles"]) != "[operator]" || m["authenticated"] != true ||
		!strings.Contains(fmt.Sprint(m["permissions"]), "incidents.write") || strings.Contains(fmt.Sprint(m["permissions"]), "cis.delete") {
		t.Errorf("me: %+v %+v", m, ans.Errors)
	}
	_, ans = e.graphql(t, iss.Token(t, map[string]any{"sub": "oidc-user-7", "aud": "ripple", "roles": []string{"viewer"}}), me, nil)
	if m, _ := ans.Data["me"].(map[string]any); m["subject"] != "oidc-user-7" || fmt.Sprint(m["roles"]) != "[viewer]" {
		t.Errorf("me over OIDC: %+v %+v", ans.Data, ans.Errors)
	}

	// The audit actor is the token's name, whatever X-Ripple-Actor says.
	_, ans = e.graphql(t, e.tokens[auth.RoleAdmin], `mutation { upsertCI(input: {name: "web-1", class: "Server"}) { id } }`, nil, ActorHeader, "mallory")
	id, _ := ans.Data["upsertCI"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("upsertCI as admin: %+v", ans.Errors)
	}
	hist, err := e.store.History(context.Background(), id, graph.Page{})
	if err != nil || len(hist.Entries) != 1 || hist.Entries[0].Actor != "token-admin" {
		t.Errorf("history: %+v %v", hist.Entries, err)
	}

	// A revoked token is refused from the next request on.
	if _, err := (auth.Tokens{Store: e.store}).Revoke(context.Background(), "token-viewer"); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.graphql(t, e.tokens[auth.RoleViewer], me, nil); status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", status)
	}
}

// A browser page on another origin cannot make Ripple import: a "simple"
// cross-site POST is refused; programs (no Origin), a non-form content
// type, a token header or an allowlisted origin pass.
func TestCSRFAndCORS(t *testing.T) {
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	srv := httptest.NewServer(NewHandler(app.New(st, formats.DefaultPolicy()), Config{CORSOrigins: []string{"https://console.example"}}))
	t.Cleanup(srv.Close)
	const scan = `<?xml version="1.0"?><nmaprun args="nmap 10.0.0.1"><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host></nmaprun>`
	post := func(ctype string, hdr ...string) (int, string) {
		t.Helper()
		return do(t, srv, http.MethodPost, "/api/v1/imports/nmap?scope=lab", ctype, scan, hdr...)
	}
	cis := func() int {
		page, err := st.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return page.TotalCount
	}

	for _, c := range []struct{ ctype, origin, site string }{
		{"text/plain", "http://evil.example", ""},
		{"", "http://evil.example", ""},
		{"application/x-www-form-urlencoded", "", "cross-site"},
		{"multipart/form-data; boundary=x", "http://evil.example", "cross-site"},
	} {
		status, body := post(c.ctype, "Origin", c.origin, "Sec-Fetch-Site", c.site)
		if status != http.StatusForbidden || !strings.Contains(body, `"CSRF"`) || !strings.Contains(body, CSRFHeader) {
			t.Errorf("%+v: %d %s", c, status, body)
		}
	}
	if n := cis(); n != 0 {
		t.Fatalf("refused requests created %d CIs", n)
	}
	for _, hdr := range [][]string{
		{"Content-Type", "text/plain"}, // no Origin: curl, an agent
		{"Content-Type", "text/plain", "Origin", "http://evil.example", CSRFHeader, "1"}, // a header a page cannot send without preflight
		{"Content-Type", "application/xml", "Origin", "http://evil.example"},             // preflighted: CORS decides
		{"Content-Type", "text/plain", "Origin", "https://console.example"},              // allowlisted
		{"Content-Type", "text/plain", "Origin", srv.URL, "Sec-Fetch-Site", "same-origin"},
	} {
		if status, body := post("", hdr...); status != http.StatusOK {
			t.Errorf("%v: %d %s", hdr, status, body)
		}
	}
	if n := cis(); n != 1 {
		t.Errorf("accepted imports: %d CIs, want 1", n)
	}

	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	if h := preflight("https://console.example"); h.Get("Access-Control-Allow-Origin") != "https://console.example" ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("allowlisted preflight: %v", h)
	}
	if h := preflight("http://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin preflight: %v", h)
	}
	if err := CheckOrigins([]string{"not an origin/"}); err == nil {
		t.Error("bad origin accepted")
	}
}

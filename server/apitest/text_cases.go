package apitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/server"
)

// textCases: invalid UTF-8 is INVALID_INPUT at every way in, and nothing
// is stored (decoders would have turned it into U+FFFD).
var textCases = []testCase{
	{"GraphQL: invalid UTF-8 in the query, the variables or a GET is refused", func(t *testing.T, e *env) {
		const upsert = `mutation($in: CIInput!) { upsertCI(input: $in) { id } }`
		for _, tc := range []struct{ name, body string }{
			{"a byte in an inline string", "{\"query\": \"mutation { upsertCI(input: {name: \\\"caf\xe9\\\", class: \\\"Server\\\"}) { id } }\"}"},
			{"a byte in a variable", `{"query": "` + upsert + `", "variables": {"in": {"name": "caf` + "\xe9" + `", "class": "Server"}}}`},
			{"a lone surrogate escape in a variable", `{"query": "` + upsert + `", "variables": {"in": {"name": "x\ud800", "class": "Server"}}}`},
		} {
			req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res := e.send(t, req)
			if res.status != http.StatusBadRequest || len(res.Errors) != 1 || res.Errors[0].code() != "INVALID_INPUT" ||
				!strings.Contains(res.Errors[0].Message, "UTF") {
				t.Errorf("%s: %d %+v", tc.name, res.status, res.Errors)
			}
		}
		req, err := http.NewRequestWithContext(e.ctx, http.MethodGet,
			e.srv.URL+"/graphql?query="+url.QueryEscape(`{ cis(filter: {search: "caf`+"\xe9"+`"}) { totalCount } }`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res := e.send(t, req); res.status != http.StatusBadRequest || len(res.Errors) != 1 || res.Errors[0].code() != "INVALID_INPUT" {
			t.Errorf("GET: %d %+v", res.status, res.Errors)
		}
		if n := e.count(t); n != 0 {
			t.Errorf("%d CIs stored", n)
		}
		// Valid UTF-8 and escapes, surrogate pairs included, go in as sent.
		var out struct{ UpsertCI struct{ Name string } }
		e.query(t, `mutation($in: CIInput!) { upsertCI(input: $in) { name } }`,
			map[string]any{"in": map[string]any{"name": "café-🚀", "class": "Server"}}, &out)
		if out.UpsertCI.Name != "café-🚀" {
			t.Errorf("stored %q", out.UpsertCI.Name)
		}
	}},
	{"imports: invalid UTF-8 in any format fails the run at its line, storing no CI", func(t *testing.T, e *env) {
		const mapping = `{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`
		for _, tc := range []struct {
			format, query string
			body          string
			line          string
		}{
			{"csv", "scope=a&mapping=" + url.QueryEscape(mapping), "host\nweb-1\nweb-\xff2\n", "line 3"},
			{"json", "scope=b&mapping=" + url.QueryEscape(mapping), "[\n{\"host\": \"web-1\"},\n{\"host\": \"web-\xff2\"}\n]\n", "line 3"},
			{"nmap", "scope=c", strings.Replace(smallScan, "alpha.example.com", "alpha\xff.example.com", 1), "line 3"},
			badFixture(t, "kubernetes", "scope=d", "importers/kubernetes/testdata/single-pod.json"),
			badFixture(t, "terraform", "", "importers/terraform/testdata/v1.tfstate"),
		} {
			// Like any input at fault: 422 and the FAILED run locating it.
			status, raw := e.rawImport(t, "/api/v1/imports/"+tc.format+"?"+tc.query, "", strings.NewReader(tc.body))
			var ans struct {
				Run struct{ Outcome, Error, ErrorAt string }
			}
			if err := json.Unmarshal(raw, &ans); err != nil || status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" ||
				ans.Run.ErrorAt != tc.line || !strings.Contains(ans.Run.Error, "not valid UTF-8") {
				t.Errorf("%s: %d %s, want 422 FAILED at %s", tc.format, status, truncate(raw), tc.line)
			}
		}
		// Parameters too.
		status, msg := e.postImportError(t, "/api/v1/imports/nmap?scope=lab%FF", "", strings.NewReader(smallScan))
		if status != http.StatusBadRequest || msg.Code != "INVALID_INPUT" || msg.Field != "scope" {
			t.Errorf("scope: %d %+v", status, msg)
		}
		if n := e.count(t); n != 0 {
			t.Errorf("%d CIs stored", n)
		}
	}},
	{"events: invalid UTF-8 is refused, nothing ingested", func(t *testing.T, e *env) {
		for _, body := range []string{
			`{"source": "nagios", "dedupKey": "k1", "status": "firing", "summary": "disk ` + "\xff" + ` full"}`,
			`{"source": "nagios", "dedupKey": "k2", "status": "firing", "summary": "disk \udfff full"}`,
		} {
			for _, path := range []string{server.EventsPath, server.AlertmanagerPath} {
				status, msg := e.postEventsError(t, path, body)
				if status != http.StatusBadRequest || msg.Code != "INVALID_INPUT" || !strings.Contains(msg.Message, "UTF") {
					t.Errorf("%s: %d %+v", path, status, msg)
				}
			}
		}
		var out struct{ Incidents struct{ TotalCount int } }
		e.query(t, `{ incidents { totalCount } }`, nil, &out)
		if out.Incidents.TotalCount != 0 {
			t.Errorf("%d incidents raised", out.Incidents.TotalCount)
		}
	}},
}

// badFixture is a real file of importers' testdata with a byte that is not
// UTF-8 put into its first "name" value, and the line that is on.
func badFixture(t *testing.T, format, query, path string) struct{ format, query, body, line string } {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte(`"name": "`))
	if at < 0 {
		t.Fatalf("%s has no name", path)
	}
	at += len(`"name": "`)
	bad := string(b[:at]) + "\xff" + string(b[at:])
	return struct{ format, query, body, line string }{format, query, bad, "line " + strconv.Itoa(bytes.Count(b[:at], []byte("\n"))+1)}
}

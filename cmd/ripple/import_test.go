package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"net/http/httptest"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/embedded"
)

func nmapFixture(name string) string {
	return filepath.Join("..", "..", "importers", "nmap", "testdata", name)
}

// runImport runs `ripple import` as the CLI would, on an embedded store in
// dir, and returns what it printed.
func runImport(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cli, _ := parse(t, append([]string{"import", "--data-dir", dir, "--progress", "never"}, args...)...)
	var out, errOut bytes.Buffer
	err := cli.Import.run(context.Background(), zerolog.Nop(), &out, &errOut)
	return out.String(), err
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := runImport(t, dir, "nmap", nmapFixture("scan-3hosts.xml"), "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PLANNED", `scope "nmap:127.0.0.2-4"`, "dry run: nothing was written", "create (3):", "Server \"127.0.0.2\""} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	out, err = runImport(t, dir, "nmap", nmapFixture("scan-3hosts.xml"))
	if err != nil || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[1], "created") || strings.Fields(lines[2])[0] != "3" {
		t.Fatalf("summary table:\n%s", out)
	}
	out, err = runImport(t, dir, "nmap", nmapFixture("scan-3hosts-rescan.xml"), "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var run importers.Run
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatalf("--output json: %v\n%s", err, out)
	}
	if run.Counts.Unchanged != 3 || run.Counts.Created != 0 {
		t.Fatalf("re-import counts %+v, want 3 unchanged", run.Counts)
	}
	out, err = runImport(t, dir, "nmap", nmapFixture("truncated.xml"))
	if err == nil || !strings.Contains(err.Error(), "truncated.xml") || !strings.Contains(err.Error(), "line") ||
		!strings.Contains(out, "FAILED") {
		t.Fatalf("truncated input: err %v\n%s", err, out)
	}
}

// testServer serves a fresh embedded store, wired as ripple serve wires
// it, until the test ends.
func testServer(t *testing.T) (graph.Store, *httptest.Server) {
	t.Helper()
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	srv := httptest.NewServer(server.NewHandler(app.New(st, formats.DefaultPolicy()), server.Config{}))
	t.Cleanup(srv.Close)
	return st, srv
}

func TestImportThroughServer(t *testing.T) {
	st, srv := testServer(t)
	out, err := runImport(t, t.TempDir(), "nmap", nmapFixture("scan-3hosts.xml"), nmapFixture("scan-localhost.xml"),
		"--server", srv.URL, "--scope", "lab")
	if err != nil || !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, `scope "lab"`) {
		t.Fatalf("import --server: %v\n%s", err, out)
	}
	page, err := st.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{First: 10})
	if err != nil || page.TotalCount != 4 {
		t.Fatalf("server store has %d CIs (%v), want the 4 hosts of both files", page.TotalCount, err)
	}
	out, err = runImport(t, t.TempDir(), "nmap", nmapFixture("truncated.xml"), "--server", srv.URL)
	if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, "truncated.xml") {
		t.Fatalf("truncated over HTTP: %v\n%s", err, out)
	}
}

// TestImportFormatsAreTheRegistry: the command accepts exactly the
// registry's formats.
func TestImportFormatsAreTheRegistry(t *testing.T) {
	names := formats.Names()
	if len(names) == 0 {
		t.Fatal("empty registry")
	}
	for _, name := range append(names, "bogus") {
		var cli CLI
		p, err := newParser(&cli, kong.Exit(func(int) {}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse([]string{"import", name, "."})
		if accepted := err == nil; accepted != (name != "bogus") {
			t.Errorf("ripple import %s: %v", name, err)
		}
	}
}

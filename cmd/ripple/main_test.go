package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/store/neo4j"
)

func parse(t *testing.T, args ...string) (*CLI, *kong.Context) {
	t.Helper()
	var cli CLI
	p, err := newParser(&cli, kong.Exit(func(int) { t.Fatalf("kong exited on %v", args) }))
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := p.Parse(args)
	if err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &cli, kctx
}

func TestFlagsDefaultsAndEnv(t *testing.T) {
	cli, kctx := parse(t, "serve")
	s := cli.Serve
	if kctx.Command() != "serve" || s.Listen != "127.0.0.1:8080" || s.Store != "embedded" || s.DataDir != "./ripple-data" ||
		s.Neo4jURI != "bolt://127.0.0.1:7687" || s.Neo4jDatabase != "neo4j" || cli.LogLevel != "info" || s.Demo {
		t.Errorf("defaults: %+v %+v", s, cli.LogFlags)
	}

	t.Setenv("RIPPLE_LISTEN", "127.0.0.1:9999")
	t.Setenv("RIPPLE_STORE", "neo4j")
	t.Setenv("RIPPLE_NEO4J_PASSWORD", "secret")
	t.Setenv("RIPPLE_LOG_LEVEL", "debug")
	t.Setenv("RIPPLE_DEMO", "true")
	cli, _ = parse(t, "serve", "--neo4j-user", "ripple")
	s = cli.Serve
	if s.Listen != "127.0.0.1:9999" || s.Store != "neo4j" || s.Neo4jPassword != "secret" || s.Neo4jUser != "ripple" ||
		cli.LogLevel != "debug" || !s.Demo {
		t.Errorf("from env: %+v %+v", s, cli.LogFlags)
	}
	// A flag beats its variable.
	cli, _ = parse(t, "serve", "--listen", ":1")
	if cli.Serve.Listen != ":1" {
		t.Errorf("flag did not override env: %s", cli.Serve.Listen)
	}
}

func TestNeo4jUnreachableTimeoutFlag(t *testing.T) {
	cli, _ := parse(t, "serve")
	if got := cli.Serve.neo4jConfig().UnreachableTimeout; got != neo4j.DefaultUnreachableTimeout {
		t.Errorf("default: %v, want the store's %v", got, neo4j.DefaultUnreachableTimeout)
	}
	t.Setenv("RIPPLE_NEO4J_UNREACHABLE_TIMEOUT", "750ms")
	cli, _ = parse(t, "serve")
	if got := cli.Serve.neo4jConfig().UnreachableTimeout; got != 750*time.Millisecond {
		t.Errorf("from env: %v", got)
	}
	cli, _ = parse(t, "serve", "--neo4j-unreachable-timeout", "10s")
	if got := cli.Serve.neo4jConfig().UnreachableTimeout; got != 10*time.Second {
		t.Errorf("flag over env: %v", got)
	}
	// Imports open the store with the same flags.
	cli, _ = parse(t, "import", "csv", "--neo4j-unreachable-timeout", "2s", "x.csv")
	if got := cli.Import.neo4jConfig().UnreachableTimeout; got != 2*time.Second {
		t.Errorf("import: %v", got)
	}
}

func TestFlagsRejectBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--store", "mysql"},
		{"--log-level", "loud", "serve"},
		{"serve", "--catalogue", "/does/not/exist.json"},
	} {
		var cli CLI
		p, err := newParser(&cli, kong.Exit(func(int) {}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Parse(args); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestCatalogueOverlay(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"classes": [{"name": "Printer"}], "relationTypes": [{"name": "CONNECTS_TO", "propagation": "TO_SOURCE"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"classes": [{"name": "lower"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := StoreFlags{Catalogue: good}.catalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Class("Printer"); !ok {
		t.Error("overlay class missing")
	}
	if rt, _ := cat.RelationType("CONNECTS_TO"); rt.Propagation != "TO_SOURCE" {
		t.Errorf("overlay did not replace CONNECTS_TO: %+v", rt)
	}
	if _, err := (StoreFlags{Catalogue: bad}).catalogue(); err == nil {
		t.Error("invalid overlay accepted")
	}
}

// TestServe runs `ripple serve --demo` on an embedded store, checks it is
// ready, and stops it the way SIGTERM does.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cli, _ := parse(t, "serve", "--listen", addr, "--data-dir", t.TempDir(), "--demo")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cli.Serve.Run(ctx, zerolog.New(zerolog.NewTestWriter(t))) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The demo's ITSM layer is there and every analysis runs over it.
	res, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(
		`{"query":"{ incidents(filter: {open: true}) { totalCount } slaAtRisk { status } rootCauseCandidates { score } changes { edges { node { id } } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data struct {
			Incidents struct{ TotalCount int }
			SLAAtRisk []struct{ Status string }
			Changes   struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		Errors []any
	}
	err = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if err != nil || len(out.Errors) > 0 || out.Data.Incidents.TotalCount == 0 || len(out.Data.SLAAtRisk) == 0 || len(out.Data.Changes.Edges) == 0 {
		t.Errorf("demo ITSM data: %+v, errors %v, decode %v", out.Data, out.Errors, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after a clean stop", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// startServe runs `ripple serve` with args on a free port until the test
// ends, and returns its address once it is ready.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cli, _ := parse(t, append([]string{"serve", "--listen", addr, "--data-dir", t.TempDir()}, args...)...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cli.Serve.Run(ctx, zerolog.New(zerolog.NewTestWriter(t))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", err)
		}
	}
}

// TestServePolicy: `ripple serve --policy` (or RIPPLE_IMPORT_POLICY) is the
// policy of the server's imports; a bad one stops serve before it starts.
func TestServePolicy(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"retireAfterRuns": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RIPPLE_IMPORT_POLICY", policy)
	addr := startServe(t)
	batch := func(hosts ...string) map[string]any {
		t.Helper()
		items := []string{}
		for _, h := range hosts {
			items = append(items, `{class: "Server", name: "`+h+`", identifiers: [{kind: "hostname", value: "`+h+`"}]}`)
		}
		q := `mutation { importBatch(input: {source: "agent", scope: "dc", items: [` + strings.Join(items, ",") + `]}) { run { counts { stale retired } } } }`
		body, _ := json.Marshal(map[string]string{"query": q})
		res, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out["errors"] != nil {
			t.Fatalf("importBatch: %v %v", err, out)
		}
		return out["data"].(map[string]any)["importBatch"].(map[string]any)["run"].(map[string]any)["counts"].(map[string]any)
	}
	batch("a", "b")
	if counts := batch("a"); counts["retired"] != 1.0 || counts["stale"] != 0.0 {
		t.Errorf("second run under retireAfterRuns 1: %v, want b retired at once", counts)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"retireAfterRuns": 0}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli, _ := parse(t, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--policy", bad)
	err := cli.Serve.Run(context.Background(), zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "retireAfterRuns") {
		t.Errorf("serve with a bad policy: %v", err)
	}
}

package neo4jtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Private is a Neo4j of one test's own, run by scripts/neo4j on a free
// port with its own data directory, for tests that stop and restart the
// database: the shared test server (URI) is never touched.
type Private struct {
	// URI is its bolt:// address.
	URI    string
	script string
	env    []string
}

// StartPrivate starts a private Neo4j and stops it when the test ends. It
// runs where the shared test server runs: without one the test is skipped,
// except under CI=true, where it fails (Require).
func StartPrivate(t testing.TB) *Private {
	t.Helper()
	Require(t)
	script, err := findScript()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	p := &Private{
		URI:    fmt.Sprintf("bolt://127.0.0.1:%d", port),
		script: script,
		env: append(os.Environ(), fmt.Sprintf("NEO4J_PORT=%d", port), "NEO4J_DATA_DIR="+t.TempDir(),
			"NEO4J_HEAP=512m", "NEO4J_STOP_TIMEOUT=20"),
	}
	t.Cleanup(func() { p.Stop(t) })
	p.Start(t)
	return p
}

// Start starts (or restarts) the server and waits until it answers.
func (p *Private) Start(t testing.TB) { p.run(t, "start") }

// Stop stops the server (SIGTERM, then SIGKILL after 20 s).
func (p *Private) Stop(t testing.TB) { p.run(t, "stop") }

func (p *Private) run(t testing.TB, command string) {
	t.Helper()
	started := time.Now()
	cmd := exec.Command(p.script, command)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/neo4j %s (%s): %v\n%s", command, p.URI, err, out)
	}
	t.Logf("scripts/neo4j %s (%s) took %v", command, p.URI, time.Since(started).Round(time.Millisecond))
}

// findScript finds scripts/neo4j above the test's working directory (the
// package's directory).
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		path := filepath.Join(dir, "scripts", "neo4j")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("scripts/neo4j not found above the working directory")
		}
		dir = parent
	}
}

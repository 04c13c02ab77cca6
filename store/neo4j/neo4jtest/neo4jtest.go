// Package neo4jtest is test support for code that runs against a real
// Neo4j: it finds the test server, fails (rather than skips) under CI when
// there is none, and serialises test binaries that share it.
//
// Community edition has a single user database, and test suites wipe it, so
// two packages' tests must not use it at the same time. `go test ./...` runs
// packages in parallel; Exclusive makes the Neo4j-backed ones take turns
// while the rest of the suite keeps running alongside.
package neo4jtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// EnvURI names the variable holding the test server's URI.
const EnvURI = "RIPPLE_TEST_NEO4J_URI"

// DefaultURI is the dev server that `scripts/neo4j start` runs.
const DefaultURI = "bolt://127.0.0.1:7687"

// Database is the database the tests use (Community has just this one).
const Database = "neo4j"

// URI returns the test server's URI.
func URI() string {
	if u := os.Getenv(EnvURI); u != "" {
		return u
	}
	return DefaultURI
}

// Require returns the test server's URI after checking that it accepts
// connections. Without a server the test is skipped on a laptop but fails
// under CI=true, where a missing Neo4j is a broken pipeline that must not
// pass as a row of skips.
func Require(t testing.TB) string {
	t.Helper()
	uri := URI()
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q is not a URI: %v", EnvURI, uri, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err == nil {
		_ = conn.Close()
		return uri
	}
	msg := fmt.Sprintf("Neo4j is not reachable at %s (%v); start it with `scripts/neo4j start` or set %s", uri, err, EnvURI)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

var (
	lockOnce sync.Once
	lockErr  error
	// lockFile stays referenced for the life of the process: were it
	// collected, its finalizer would close the descriptor and drop the lock.
	lockFile *os.File
)

// Exclusive takes, once per test process, an exclusive lock on the test
// server and holds it until the process exits, so that no other test binary
// wipes the database under this one. It blocks while another holds it.
func Exclusive(t testing.TB, uri string) {
	t.Helper()
	lockOnce.Do(func() {
		name := strings.NewReplacer(":", "_", "/", "_").Replace(uri)
		path := filepath.Join(os.TempDir(), "ripple-neo4j-test-"+name+".lock")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			lockErr = fmt.Errorf("open lock %s: %w", path, err)
			return
		}
		// The descriptor is deliberately never closed: the kernel drops the
		// lock when the process exits, however it exits.
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			lockErr = fmt.Errorf("lock %s: %w", path, err)
			return
		}
		lockFile = f
	})
	if lockErr != nil {
		t.Fatal(lockErr)
	}
}

// Wipe deletes everything in the test database, in batches.
func Wipe(t testing.TB, uri string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := WipeDatabase(ctx, uri); err != nil {
		t.Fatal(err)
	}
}

// WipeDatabase deletes everything in the test database at uri, in
// batches. Wipe is the tests' form; cmd/neo4j-wipe the browser tests'.
func WipeDatabase(ctx context.Context, uri string) error {
	d, err := neo4j.NewDriverWithContext(uri, neo4j.NoAuth())
	if err != nil {
		return fmt.Errorf("driver for %s: %w", uri, err)
	}
	defer d.Close(ctx)
	// CALL IN TRANSACTIONS needs an auto-commit transaction: session.Run.
	session := d.NewSession(ctx, neo4j.SessionConfig{DatabaseName: Database})
	defer session.Close(ctx)
	res, err := session.Run(ctx, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("wipe %s: %w", uri, err)
	}
	return nil
}

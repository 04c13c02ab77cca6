// Package amtest runs a real Alertmanager for tests and benchmarks: built
// from its Go module at a pinned version into the user's cache (never a
// dependency of Ripple's go.mod), started on loopback with one webhook
// receiver, fed through its own API (/api/v2/alerts).
//
// Without an Alertmanager (no network to build it, no Go toolchain) the
// test is skipped on a laptop but fails under CI=true, where a missing
// component must not pass as a row of skips. scripts/test builds it (this
// package's TestBuild) before the suite; RIPPLE_TEST_ALERTMANAGER names a
// binary to use instead.
package amtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Alertmanager release the tests run (later releases do not
// build from the module: their UI assets are not in it).
const Version = "v0.28.1"

// Module is the package go install builds.
const Module = "github.com/prometheus/alertmanager/cmd/alertmanager"

// EnvBinary names a variable holding the path of a built alertmanager,
// which then is used as is.
const EnvBinary = "RIPPLE_TEST_ALERTMANAGER"

// buildTimeout bounds a build, downloads included.
const buildTimeout = 15 * time.Minute

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of an alertmanager binary of Version, building
// it on first use (once per machine: the build is cached under the user
// cache directory and serialised across test processes by a file lock).
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binPath, buildErr = build() })
	if buildErr != nil {
		msg := fmt.Sprintf("no Alertmanager to test against: %v (go test -run TestBuild ./events/amtest builds it; or set %s)", buildErr, EnvBinary)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return binPath
}

// CacheDir is where Binary builds Alertmanager.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "ripple-test", "alertmanager-"+Version), nil
}

func build() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	bin := filepath.Join(dir, "alertmanager")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("no go tool to build Alertmanager with: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	// Built into a temporary directory and renamed, so that a build cut
	// short never leaves a broken binary behind for the next run.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goTool, "install", Module+"@"+Version)
	// Outside Ripple's module: go install pkg@version builds the module's
	// own dependency graph and leaves ours alone.
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", Module, Version, err, tail(out, 2000))
	}
	if err := os.Rename(filepath.Join(tmp, "alertmanager"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Options tune the receiver's route; zero values take the defaults.
type Options struct {
	// GroupWait is how long Alertmanager waits before the first
	// notification of a group (default 50ms); GroupInterval before the next
	// one about a changed group (default 1s); RepeatInterval before
	// re-sending an unchanged one (default 1h).
	GroupWait, GroupInterval, RepeatInterval time.Duration
	// GroupBy lists the labels that group alerts into one notification;
	// default "..." (every alert on its own).
	GroupBy []string
}

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	// URL is its base URL (http://127.0.0.1:port).
	URL string
	log *syncWriter
}

// Logs returns the end of what it has written, for failure messages.
func (a *Alertmanager) Logs() string {
	a.log.mu.Lock()
	defer a.log.mu.Unlock()
	return tail(a.log.w.Bytes(), 8000)
}

// Start runs an Alertmanager on a free loopback port that delivers every
// notification to webhookURL (send_resolved on), and stops it when the
// test ends. Clustering is off (--cluster.listen-address=).
func Start(t testing.TB, webhookURL string, o Options) *Alertmanager {
	t.Helper()
	bin := Binary(t)
	if o.GroupWait == 0 {
		o.GroupWait = 50 * time.Millisecond
	}
	if o.GroupInterval == 0 {
		o.GroupInterval = time.Second
	}
	if o.RepeatInterval == 0 {
		o.RepeatInterval = time.Hour
	}
	if len(o.GroupBy) == 0 {
		o.GroupBy = []string{"..."}
	}
	dir := t.TempDir()
	groupBy, _ := json.Marshal(o.GroupBy)
	config := fmt.Sprintf(`route:
  receiver: ripple
  group_by: %s
  group_wait: %s
  group_interval: %s
  repeat_interval: %s
receivers:
- name: ripple
  webhook_configs:
  - url: %q
    send_resolved: true
`, groupBy, promDuration(o.GroupWait), promDuration(o.GroupInterval), promDuration(o.RepeatInterval), webhookURL)
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	am := &Alertmanager{URL: "http://" + addr, log: &syncWriter{w: &bytes.Buffer{}}}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=debug")
	cmd.Stdout, cmd.Stderr = am.log, am.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("alertmanager log:\n%s", am.Logs())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(am.URL + "/-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return am
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager at %s not ready after 30s (%v); log:\n%s", am.URL, err, am.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Alert is an alert as Alertmanager's API takes it (postableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     *time.Time        `json:"startsAt,omitempty"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Post sends alerts to POST /api/v2/alerts, the way Prometheus does. An
// alert with an EndsAt in the past is resolved.
func (a *Alertmanager) Post(ctx context.Context, alerts ...Alert) error {
	body, err := json.Marshal(alerts)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var msg bytes.Buffer
		_, _ = msg.ReadFrom(res.Body)
		return fmt.Errorf("POST %s/api/v2/alerts: %d %s", a.URL, res.StatusCode, strings.TrimSpace(msg.String()))
	}
	return nil
}

// promDuration writes d the way Alertmanager's config reads it.
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

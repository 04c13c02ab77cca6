package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestServeAdminListener: `ripple serve --admin-listen` serves the
// profiler and the metrics there, while the main listener serves the
// metrics (the store calls of the request before are in them) and no
// profiler.
func TestServeAdminListener(t *testing.T) {
	admin := freeAddr(t)
	addr := startServe(t, "--admin-listen", admin)
	if status, _ := get(t, "http://"+admin+"/debug/pprof/cmdline"); status != http.StatusOK {
		t.Errorf("admin pprof: %d", status)
	}
	if status, body := get(t, "http://"+addr+"/debug/pprof/cmdline"); status != http.StatusNotFound || strings.Contains(body, "serve") {
		t.Errorf("main pprof: %d", status)
	}
	for _, base := range []string{admin, addr} {
		status, body := get(t, "http://"+base+"/metrics")
		if status != http.StatusOK || !strings.Contains(body, `ripple_build_info{go_version="go`) ||
			!strings.Contains(body, `ripple_store_call_duration_seconds_count{method="Ping",store="embedded"}`) {
			t.Errorf("%s/metrics: %d\n%.2000s", base, status, body)
		}
	}
}

// TestServeOpsFlagsRefused: an admin listener on a non-loopback address
// needs --admin-allow-remote, checked before the store is opened; a
// malformed OTLP endpoint stops serve too.
func TestServeOpsFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--admin-listen", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"--otlp-endpoint", "collector:4318"}, "--otlp-endpoint"},
		{[]string{"--shutdown-timeout", "0s"}, "--shutdown-timeout"},
	} {
		dir := t.TempDir()
		cli, _ := parse(t, append([]string{"serve", "--listen", freeAddr(t), "--data-dir", dir}, c.args...)...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cli.Serve.Run(ctx, zerolog.Nop())
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error about %s", c.args, err, c.want)
		}
	}
	// Allowed explicitly, it starts.
	cli, _ := parse(t, "serve", "--admin-listen", "0.0.0.0:0", "--admin-allow-remote")
	if err := cli.Serve.OpsFlags.check(); err != nil {
		t.Errorf("--admin-allow-remote: %v", err)
	}
}

// TestServeNoMetrics: --no-metrics keeps /metrics off the main listener;
// an admin listener still serves them, with the requests counted.
func TestServeNoMetrics(t *testing.T) {
	admin := freeAddr(t)
	addr := startServe(t, "--no-metrics", "--admin-listen", admin)
	if status, body := get(t, "http://"+addr+"/metrics"); status != http.StatusNotFound || strings.Contains(body, "ripple_build_info") {
		t.Errorf("main /metrics with --no-metrics: %d", status)
	}
	if status, body := get(t, "http://"+admin+"/metrics"); status != http.StatusOK || !strings.Contains(body, `ripple_http_requests_total{code="404",route="metrics"} 1`) {
		t.Errorf("admin /metrics: %d\n%.3000s", status, body)
	}
}

package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/telemetry"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
	"github.com/ripple-cmdb/ripple/telemetry/tracing"
)

// OpsFlags configure what operators see of a running server (metrics, the
// admin listener, traces) and how it stops.
type OpsFlags struct {
	Metrics          bool          `name:"metrics" default:"true" negatable:"" env:"RIPPLE_METRICS" help:"Serve Prometheus metrics at /metrics (under --auth, with the read permission); --no-metrics turns them off."`
	AdminListen      string        `name:"admin-listen" env:"RIPPLE_ADMIN_LISTEN" placeholder:"127.0.0.1:9090" help:"Also listen here, without authentication, for /debug/pprof/ and /metrics. Off by default; loopback only unless --admin-allow-remote."`
	AdminAllowRemote bool          `name:"admin-allow-remote" env:"RIPPLE_ADMIN_ALLOW_REMOTE" help:"Let --admin-listen be a non-loopback address: anyone who reaches it can profile the process and read the metrics."`
	OTLPEndpoint     string        `name:"otlp-endpoint" env:"RIPPLE_OTLP_ENDPOINT" placeholder:"http://127.0.0.1:4318" help:"Trace GraphQL operations and store calls with OpenTelemetry, exported over OTLP/HTTP to this collector. Off when empty."`
	ShutdownTimeout  time.Duration `name:"shutdown-timeout" default:"30s" env:"RIPPLE_SHUTDOWN_TIMEOUT" help:"On SIGTERM/SIGINT, how long requests in flight (imports too) may take to finish before they are cancelled."`
	ShutdownDelay    time.Duration `name:"shutdown-delay" default:"0s" env:"RIPPLE_SHUTDOWN_DELAY" help:"On SIGTERM/SIGINT, keep accepting requests this long with /readyz answering 503, so that a load balancer stops sending traffic first."`
}

// adminDrainTimeout bounds the admin listener's shutdown: a profile in
// flight is not worth waiting for.
const adminDrainTimeout = 2 * time.Second

// check validates the flags before anything is opened.
func (f OpsFlags) check() error {
	if f.AdminListen != "" && !loopback(f.AdminListen) && !f.AdminAllowRemote {
		return fmt.Errorf("refusing --admin-listen %s, which is not a loopback address: the admin listener serves the profiler "+
			"and the metrics without authentication; listen on 127.0.0.1, or add --admin-allow-remote", f.AdminListen)
	}
	if f.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout must be positive")
	}
	if f.ShutdownDelay < 0 {
		return fmt.Errorf("--shutdown-delay must not be negative")
	}
	return nil
}

// telemetry builds the metrics and the tracer the flags ask for.
func (f OpsFlags) telemetry(ctx context.Context, log zerolog.Logger) (telemetry.Telemetry, error) {
	var t telemetry.Telemetry
	v := buildVersion()
	if f.Metrics || f.AdminListen != "" {
		t.Metrics = metrics.New(v)
	}
	if f.OTLPEndpoint != "" {
		tr, err := tracing.New(ctx, f.OTLPEndpoint, v)
		if err != nil {
			return t, err
		}
		t.Tracing = tr
		log.Info().Str("endpoint", f.OTLPEndpoint).Msg("tracing GraphQL operations and store calls (OTLP/HTTP)")
	}
	return t, nil
}

// serveAdmin serves the admin listener until ctx ends; the returned func
// waits for it to have stopped. Without --admin-listen it does nothing.
func (f OpsFlags) serveAdmin(ctx context.Context, log zerolog.Logger, m *metrics.Metrics) (wait func(), err error) {
	if f.AdminListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", f.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("--admin-listen %s: %w", f.AdminListen, err)
	}
	alog := log.With().Str("listener", "admin").Logger()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := server.ServeDrain(ctx, ln, server.AdminHandler(m), alog, server.Drain{Timeout: adminDrainTimeout}); err != nil {
			alog.Warn().Err(err).Msg("admin listener stopped")
		}
	}()
	return func() { <-done }, nil
}

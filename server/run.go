package server

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Server timeouts. ReadHeaderTimeout is what defeats slowloris; the write
// timeout leaves room for the request timeout plus writing the response.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = DefaultRequestTimeout + 15*time.Second
	idleTimeout       = 2 * time.Minute
	// DefaultShutdownTimeout is how long Serve waits for requests in
	// flight once asked to stop.
	DefaultShutdownTimeout = 30 * time.Second
	// cancelGrace is how long requests still running when the shutdown
	// timeout passes get, once their contexts are cancelled, to end (an
	// import records how it ended) before their connections close.
	cancelGrace = 5 * time.Second
)

// Drain says how Serve stops.
type Drain struct {
	// Timeout bounds the wait for requests in flight (default
	// DefaultShutdownTimeout); requests still running then are cancelled.
	Timeout time.Duration
	// Delay keeps accepting requests this long after the stop signal,
	// with /readyz answering 503, so that a load balancer polling it
	// stops sending traffic before the listener closes (default 0).
	Delay time.Duration
}

// Serve serves h on ln until ctx is cancelled, then drains with the
// defaults (see ServeDrain).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	return ServeDrain(ctx, ln, h, log, Drain{})
}

// ServeDrain serves h on ln until ctx is cancelled, then stops gracefully:
// /readyz answers 503 from that moment (Stopping), the listener closes
// after d.Delay, and requests in flight (a running import too) finish
// within d.Timeout; past it their contexts are cancelled and the
// connections closed. It returns nil after a clean shutdown; the caller
// closes the store afterwards.
func ServeDrain(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger, d Drain) error {
	if d.Timeout <= 0 {
		d.Timeout = DefaultShutdownTimeout
	}
	// Requests outlive ctx (they drain), until hard is cancelled.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	base := context.WithValue(hard, stoppingKey{}, ctx.Done())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          stdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if d.Delay > 0 {
		log.Info().Dur("delay", d.Delay).Msg("stopping: /readyz answers 503, still accepting requests")
		time.Sleep(d.Delay)
	}
	log.Info().Dur("timeout", d.Timeout).Msg("shutting down: no new connections, draining requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("requests still running after the shutdown timeout: cancelling them")
		cancelHard()
		gctx, gcancel := context.WithTimeout(context.Background(), cancelGrace)
		defer gcancel()
		if err := srv.Shutdown(gctx); err != nil {
			_ = srv.Close()
		}
		<-errc
		return fmt.Errorf("shutdown: requests still running after %s were cancelled", d.Timeout)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("all requests drained")
	return nil
}

type stoppingKey struct{}

// Stopping reports whether the server that took the request has been asked
// to stop (its requests drain meanwhile): /readyz then answers 503.
func Stopping(ctx context.Context) bool {
	done, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// stdLogger routes net/http's own complaints (TLS handshakes, bad requests
// it answers itself) to the structured log.
func stdLogger(l zerolog.Logger) *stdlog.Logger {
	return stdlog.New(logWriter{l}, "", 0)
}

type logWriter struct{ log zerolog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("component", "net/http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

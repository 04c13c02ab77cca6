package server

import (
	"context"
	"errors"
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
	shutdownTimeout   = 20 * time.Second
)

// Serve serves h on ln until ctx is cancelled, then stops accepting
// connections and waits (up to shutdownTimeout) for requests in flight.
// It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          stdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: draining requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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

// Command load is Ripple's loopback load test: it starts a real server
// (the HTTP handler `ripple serve` runs) on a loopback port over the chosen
// store, sends a mix of reads (ci, cis paging, blastRadius, dependencies)
// and writes (upsertCI with a relation, createIncident) over GraphQL from
// several clients, prints throughput, p50/p99 and errors per operation,
// and then checks that every acknowledged write is there. It exits
// non-zero when one is missing.
//
//	go run ./bench/load -duration 60s -clients 16 -store both
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/bench/loadgen"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
)

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long to send load (per store)")
	clients := flag.Int("clients", 16, "concurrent clients")
	which := flag.String("store", "embedded", "store to run on: embedded, neo4j or both")
	uri := flag.String("neo4j-uri", envOr("RIPPLE_NEO4J_URI", neo4j.DefaultURI), "Neo4j to run on (its data is kept; the run writes CIs named load-…)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var stores []string
	switch *which {
	case "embedded", "neo4j":
		stores = []string{*which}
	case "both":
		stores = []string{"embedded", "neo4j"}
	default:
		fmt.Fprintf(os.Stderr, "load: -store must be embedded, neo4j or both, not %q\n", *which)
		os.Exit(2)
	}
	failed := false
	for _, name := range stores {
		fmt.Printf("== %s store: %d clients for %s\n", name, *clients, *duration)
		rep, err := runOn(ctx, name, *uri, loadgen.Options{Duration: *duration, Clients: *clients})
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s: %v\n", name, err)
			failed = true
			continue
		}
		rep.Print(os.Stdout)
		if len(rep.Missing) > 0 {
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// runOn opens the store, serves it on loopback and runs the load on it.
func runOn(ctx context.Context, store, uri string, opts loadgen.Options) (loadgen.Report, error) {
	st, cleanup, err := open(ctx, store, uri)
	if err != nil {
		return loadgen.Report{}, err
	}
	defer cleanup()
	url, stop, err := Serve(ctx, st)
	if err != nil {
		return loadgen.Report{}, err
	}
	defer stop()
	client := &loadgen.Client{URL: url, Actor: "load", HTTP: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: opts.Clients}, Timeout: time.Minute}}
	return loadgen.Run(ctx, client, opts)
}

func open(ctx context.Context, store, uri string) (graph.Store, func(), error) {
	if store == "neo4j" {
		st, err := neo4j.Open(ctx, neo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
		if err != nil {
			return nil, nil, err
		}
		return st, func() { _ = st.Close(context.Background()) }, nil
	}
	dir, err := os.MkdirTemp("", "ripple-load-")
	if err != nil {
		return nil, nil, err
	}
	st, err := embedded.Open(ctx, dir, graph.DefaultCatalogue())
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return st, func() { _ = st.Close(context.Background()); _ = os.RemoveAll(dir) }, nil
}

// Serve runs Ripple's HTTP server over st on a free loopback port, as
// `ripple serve` wires it, and returns its base URL and how to stop it
// (draining requests in flight).
func Serve(ctx context.Context, st graph.Store) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	log := zerolog.New(io.Discard)
	h := server.NewHandler(app.New(st, formats.DefaultPolicy()), server.Config{Logger: log})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Serve(sctx, ln, h, log) }()
	return "http://" + ln.Addr().String(), func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "load: server:", err)
		}
	}, nil
}

// Command ripple is Ripple's single binary: `ripple serve` runs the GraphQL
// API and the HTTP import endpoint, `ripple import` feeds discovery data
// into the graph (into the store, or through a running server with
// --server), `ripple token` manages API tokens, `ripple version` prints the build. Every flag has a RIPPLE_*
// variable declared next to it. main only parses, builds the logger and
// wires; the work happens in the packages it calls.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/neo4j"
)

// CLI is the whole command line. Subcommands that need a store embed
// StoreFlags so that a later `ripple import` reads the same flags.
type CLI struct {
	LogFlags `embed:""`

	Serve   ServeCmd   `cmd:"" help:"Serve the GraphQL API, GraphiQL and health probes."`
	Import  ImportCmd  `cmd:"" help:"Import discovery data (${formats}) as one run of a scope."`
	Token   TokenCmd   `cmd:"" help:"Create, revoke and list API tokens (for serve --auth token)."`
	Version VersionCmd `cmd:"" help:"Print the version and exit."`
}

func newParser(cli *CLI, opts ...kong.Option) (*kong.Kong, error) {
	return kong.New(cli, append([]kong.Option{
		kong.Name("ripple"),
		kong.Description("Ripple: a graph CMDB with impact analysis."),
		kong.UsageOnError(),
		// The format registry is the only list of formats.
		kong.Vars{"formats": strings.Join(formats.Names(), ","),
			// The store's default, shown by --help, kept in one place.
			"neo4jUnreachableTimeout": neo4j.DefaultUnreachableTimeout.String()},
		limitVars,
	}, opts...)...)
}

func main() {
	os.Exit(ripple(os.Args[1:], os.Stderr))
}

// ripple runs one command line and returns the process's exit status.
// Errors are printed once, to stderr, as a plain line.
func ripple(args []string, stderr *os.File) int {
	var cli CLI
	parser, err := newParser(&cli)
	if err != nil {
		panic(err) // the grammar is a constant: a failure here is a bug
	}
	kctx, err := parser.Parse(args)
	parser.FatalIfErrorf(err)
	log, err := cli.LogFlags.logger(stderr)
	parser.FatalIfErrorf(err)
	// SIGINT/SIGTERM cancel ctx: serve drains requests in flight and closes
	// the store instead of dying mid-write.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(log); err != nil {
		// Once, plain, whatever the log format: the error ends the command
		// and says what to do; the exit status says how it ended. (It used
		// to be logged too, which printed it twice.)
		fmt.Fprintln(stderr, "ripple:", err)
		return exitStatus(err)
	}
	return 0
}

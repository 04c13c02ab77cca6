package main

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/alecthomas/kong"

	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/server"
)

// LimitFlags bound what one client and one query may cost `ripple serve`.
type LimitFlags struct {
	RateLimit              float64 `name:"rate-limit" default:"0" env:"RIPPLE_RATE_LIMIT" help:"Requests per second one client may send to /graphql and /api (0: no limit). A client is its authenticated subject, else its IP address (behind a proxy without authentication, every client shares the proxy's)."`
	RateBurst              int     `name:"rate-burst" default:"0" env:"RIPPLE_RATE_BURST" help:"Requests a client may send at once above --rate-limit (0: one second's worth)."`
	MaxConcurrentPerClient int     `name:"max-concurrent-per-client" default:"32" env:"RIPPLE_MAX_CONCURRENT_PER_CLIENT" help:"Requests of one client served at once on /graphql and /api; more are refused with 429 (0: no limit)."`
	MaxQueryTokens         int     `name:"max-query-tokens" default:"${default_max_tokens}" env:"RIPPLE_MAX_QUERY_TOKENS" help:"Tokens in one GraphQL query, counted before it is parsed."`
	MaxQuerySelections     int     `name:"max-query-selections" default:"${default_max_selections}" env:"RIPPLE_MAX_QUERY_SELECTIONS" help:"Fields and fragments written in one GraphQL query, counted before it is parsed."`
	MaxSelectionsPerSet    int     `name:"max-selections-per-set" default:"${default_max_selections_per_set}" env:"RIPPLE_MAX_SELECTIONS_PER_SET" help:"Fields and fragments written in one selection set of a GraphQL query."`
}

// limitVars are the defaults LimitFlags' help shows, from the one place
// they are defined.
var limitVars = kong.Vars{
	"default_max_tokens":             fmt.Sprint(resolvers.DefaultMaxTokens),
	"default_max_selections":         fmt.Sprint(resolvers.DefaultMaxSelections),
	"default_max_selections_per_set": fmt.Sprint(resolvers.DefaultMaxSelectionsPerSet),
}

func (f LimitFlags) check() error {
	if f.RateLimit < 0 || f.RateBurst < 0 || f.MaxConcurrentPerClient < 0 ||
		f.MaxQueryTokens < 1 || f.MaxQuerySelections < 1 || f.MaxSelectionsPerSet < 1 {
		return fmt.Errorf("--rate-limit, --rate-burst and --max-concurrent-per-client must be 0 or more; the --max-query-* limits 1 or more")
	}
	return nil
}

func (f LimitFlags) clients() server.ClientLimits {
	return server.ClientLimits{Rate: f.RateLimit, Burst: f.RateBurst, MaxInFlight: f.MaxConcurrentPerClient}
}

// graphQL is the GraphQL handler's options: these limits, and ext (the
// telemetry's extensions).
func (f LimitFlags) graphQL(ext []graphql.HandlerExtension) resolvers.Options {
	return resolvers.Options{Extensions: ext, Text: resolvers.TextLimits{
		Tokens: f.MaxQueryTokens, Selections: f.MaxQuerySelections, SelectionsPerSet: f.MaxSelectionsPerSet,
	}}
}

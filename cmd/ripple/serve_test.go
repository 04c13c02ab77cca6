package main

import (
	"testing"

	"github.com/ripple-cmdb/ripple/resolvers"
)

// Separation of duties is on unless turned off by flag or environment.
func TestAllowSelfApprovalFlag(t *testing.T) {
	if cli, _ := parse(t, "serve"); cli.Serve.AllowSelfApproval {
		t.Error("self-approval allowed by default")
	}
	if cli, _ := parse(t, "serve", "--allow-self-approval"); !cli.Serve.AllowSelfApproval {
		t.Error("--allow-self-approval ignored")
	}
	t.Setenv("RIPPLE_ALLOW_SELF_APPROVAL", "true")
	if cli, _ := parse(t, "serve"); !cli.Serve.AllowSelfApproval {
		t.Error("RIPPLE_ALLOW_SELF_APPROVAL ignored")
	}
}

// The limits' flags reach the server's configuration, defaults included.
func TestLimitFlags(t *testing.T) {
	cli, _ := parse(t, "serve")
	if got := cli.Serve.LimitFlags.clients(); got.Rate != 0 || got.MaxInFlight != 32 {
		t.Errorf("default client limits %+v", got)
	}
	if got := cli.Serve.LimitFlags.graphQL(nil).Text; got.Tokens != resolvers.DefaultMaxTokens ||
		got.Selections != resolvers.DefaultMaxSelections || got.SelectionsPerSet != resolvers.DefaultMaxSelectionsPerSet {
		t.Errorf("default text limits %+v", got)
	}
	cli, _ = parse(t, "serve", "--rate-limit", "5.5", "--rate-burst", "20", "--max-concurrent-per-client", "4", "--max-selections-per-set", "50")
	if got := cli.Serve.LimitFlags.clients(); got.Rate != 5.5 || got.Burst != 20 || got.MaxInFlight != 4 {
		t.Errorf("client limits %+v", got)
	}
	if got := cli.Serve.LimitFlags.graphQL(nil).Text.SelectionsPerSet; got != 50 {
		t.Errorf("selections per set %d", got)
	}
	t.Setenv("RIPPLE_RATE_LIMIT", "2")
	if cli, _ := parse(t, "serve"); cli.Serve.RateLimit != 2 {
		t.Errorf("RIPPLE_RATE_LIMIT ignored: %v", cli.Serve.RateLimit)
	}
	if err := (LimitFlags{RateLimit: -1, MaxQueryTokens: 1, MaxQuerySelections: 1, MaxSelectionsPerSet: 1}).check(); err == nil {
		t.Error("a negative rate accepted")
	}
}

package main

import "testing"

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

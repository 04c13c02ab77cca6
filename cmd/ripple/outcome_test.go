package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
)

func TestOutcomeExitStatus(t *testing.T) {
	now := time.Now()
	run := func(outcome string) importers.Run {
		return importers.Run{ID: "r1", Outcome: outcome, Finished: &now, Counts: importers.Counts{Problems: 2}}
	}
	staleProblem := &importers.Plan{Problems: []importers.Problem{
		{Code: "AMBIGUOUS", Message: "two CIs"},
		{Code: importers.ProblemTooStale, Message: "this run would newly mark 2 of the scope's 3 CIs stale"},
	}}
	input := &importers.InputError{File: "scan.xml", At: "line 4", Message: "unexpected end"}
	for _, tc := range []struct {
		name    string
		run     importers.Run
		plan    *importers.Plan
		failure error
		status  int
		says    []string
	}{
		{"SUCCEEDED", run(importers.OutcomeSucceeded), nil, nil, 0, nil},
		{"PLANNED", run(importers.OutcomePlanned), staleProblem, nil, 0, nil},
		{"PARTIAL", run(importers.OutcomePartial), &importers.Plan{Problems: []importers.Problem{{Code: "AMBIGUOUS"}}}, nil,
			exitPartial, []string{"PARTIAL", "2 item(s)", "nothing was marked stale", "--strict"}},
		{"TOO_STALE", run(importers.OutcomePartial), staleProblem, nil,
			exitTooStale, []string{"marked nothing stale", "2 of the scope's 3", "maxStaleFraction", "--policy"}},
		{"INTERRUPTED", run(importers.OutcomeInterrupted), nil, errors.New("batch 2 of 3 failed"),
			exitInterrupted, []string{"INTERRUPTED", "batch 2 of 3", "run the same import again"}},
		{"FAILED on its input", run(importers.OutcomeFailed), nil, input,
			exitFailed, []string{"FAILED", "nothing written", "scan.xml: line 4", "Fix the input"}},
		{"FAILED on a concurrent run", run(importers.OutcomeFailed), nil, graph.Errorf(graph.CodeConflict, "ledger.generation", "scope moved on"),
			exitFailed, []string{"FAILED", "in progress"}},
		{"FAILED on the store", run(importers.OutcomeFailed), nil, graph.Unavailable(errors.New("dial"), "store down"),
			exitFailed, []string{"FAILED", "reachable"}},
		{"never recorded", importers.Run{ID: "r2", Outcome: importers.OutcomeRunning}, nil, errors.New("store down"),
			exitError, []string{"not recorded", "store down"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := outcomeError(tc.run, tc.plan, tc.failure)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("error %v for a run that ended %s", err, tc.run.Outcome)
				}
				return
			}
			if err == nil || exitStatus(err) != tc.status {
				t.Fatalf("%v: exit status %d, want %d", err, exitStatus(err), tc.status)
			}
			for _, want := range tc.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message lacks %q:\n%s", want, err)
				}
			}
		})
	}
}

// writePolicy writes a policy file that calls a run too stale when it
// would stale a fifth of its scope (the default is a half).
func writePolicy(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(`{"maxStaleFraction": 0.2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportExitStatuses runs whole imports to the exit statuses cron jobs
// see: the store's own and through a server, the policy going with the
// upload.
func TestImportExitStatuses(t *testing.T) {
	policy := writePolicy(t)
	_, srv := testServer(t)

	for _, tc := range []struct {
		name string
		// dir is the embedded store's directory, or "" for the server.
		dir string
	}{
		{"into the store", t.TempDir()},
		{"through a server", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := func(a ...string) []string {
				if tc.dir == "" {
					return append(a, "--server", srv.URL)
				}
				return a
			}
			dir := tc.dir
			if dir == "" {
				dir = t.TempDir()
			}
			if out, err := runImport(t, dir, args("nmap", nmapFixture("scan-3hosts.xml"), "--scope", "lab", "--policy", policy)...); err != nil {
				t.Fatalf("first scan: %v\n%s", err, out)
			}
			// One host of three gone: a third of the scope, above the
			// policy's fifth (the default half would have let it through).
			out, err := runImport(t, dir, args("nmap", nmapFixture("scan-host-gone.xml"), "--scope", "lab", "--policy", policy)...)
			if exitStatus(err) != exitTooStale || !strings.Contains(out, "TOO_STALE") || !strings.Contains(err.Error(), "maxStaleFraction") {
				t.Fatalf("a third of the scope gone: exit %d, %v\n%s", exitStatus(err), err, out)
			}
			out, err = runImport(t, dir, args("nmap", nmapFixture("truncated.xml"), "--scope", "lab")...)
			if exitStatus(err) != exitFailed || !strings.Contains(err.Error(), "truncated.xml") || !strings.Contains(out, "FAILED") {
				t.Fatalf("truncated: exit %d, %v\n%s", exitStatus(err), err, out)
			}
			// Without the policy, the same scan only marks the host stale.
			out, err = runImport(t, dir, args("nmap", nmapFixture("scan-host-gone.xml"), "--scope", "lab")...)
			if err != nil || !strings.Contains(out, "SUCCEEDED") {
				t.Fatalf("default policy: %v\n%s", err, out)
			}
		})
	}
}

// TestErrorsPrintedOnce: with JSON logs (stderr not a terminal), a failed
// command prints its error once, as a plain line, and exits with the
// run's status.
func TestErrorsPrintedOnce(t *testing.T) {
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	stdout := os.Stdout
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = devnull // the summary table
	status := ripple([]string{"--log-format", "json", "import", "nmap", nmapFixture("truncated.xml"),
		"--data-dir", t.TempDir(), "--scope", "lab"}, stderr)
	os.Stdout = stdout
	devnull.Close()
	b, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	if status != exitFailed {
		t.Errorf("exit status %d, want %d", status, exitFailed)
	}
	var mentions []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "unexpected") || strings.Contains(line, "truncated.xml") {
			mentions = append(mentions, line)
		}
	}
	if len(mentions) != 1 || !strings.HasPrefix(mentions[0], "ripple: import ") {
		t.Errorf("the error is printed %d times, want once as a plain line:\n%s", len(mentions), b)
	}
}

package main

import (
	"errors"
	"fmt"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// Exit statuses of ripple (README, "Discovery imports"), distinct so that
// cron jobs and CI can tell what happened. Kong's own usage errors (an
// unknown flag, a missing argument) exit 80.
const (
	// exitError: the command failed outside a run (bad arguments, store
	// or server unreachable); for imports, nothing was recorded.
	exitError = 1
	// exitFailed: the run FAILED; nothing was written.
	exitFailed = 3
	// exitPartial: the run was applied without the items and links its
	// problems list; nothing was marked stale.
	exitPartial = 4
	// exitInterrupted: a batched apply failed part-way; running the import
	// again finishes it.
	exitInterrupted = 5
	// exitTooStale: the run was applied but would have newly marked more
	// of its scope stale than maxStaleFraction allows, so it marked
	// nothing stale (a TOO_STALE problem).
	exitTooStale = 6
)

// commandError is an error that sets the process's exit status.
type commandError struct {
	status int
	msg    string
	err    error
}

func (e *commandError) Error() string { return e.msg }
func (e *commandError) Unwrap() error { return e.err }

// ExitCode implements kong.ExitCoder.
func (e *commandError) ExitCode() int { return e.status }

// exitStatus is the process's exit status for a command's error.
func exitStatus(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitError
}

// outcomeError says what a recorded run means for the command: nil when it
// SUCCEEDED or was PLANNED (a dry run), otherwise an error with the run's
// exit status and what to do next. failure is why a FAILED or INTERRUPTED
// run stopped.
func outcomeError(run importers.Run, plan *importers.Plan, failure error) error {
	if run.Finished == nil {
		if failure == nil {
			failure = errors.New("the run did not finish")
		}
		return fmt.Errorf("import not recorded: %w", failure)
	}
	switch run.Outcome {
	case importers.OutcomeSucceeded, importers.OutcomePlanned:
		return failure // nil, unless the finished run could not be recorded
	case importers.OutcomePartial:
		if p := tooStale(plan); p != nil {
			return &commandError{status: exitTooStale, msg: fmt.Sprintf("import %s applied, but marked nothing stale: %s\n"+
				"If the input really covers the whole scope, raise maxStaleFraction in a --policy file (0 turns the check off) "+
				"and run the import again; otherwise find out why the source reported so little.", run.ID, p.Message)}
		}
		return &commandError{status: exitPartial, msg: fmt.Sprintf("import %s PARTIAL: %d item(s) or link(s) could not be reconciled "+
			"and were not applied (see the problems above), and nothing was marked stale.\n"+
			"Fix them in the source (or the identification rules in --policy) and run the import again; --strict refuses such a run.",
			run.ID, run.Counts.Problems)}
	case importers.OutcomeInterrupted:
		return &commandError{status: exitInterrupted, err: failure, msg: fmt.Sprintf("import %s INTERRUPTED, partly written: %v\n"+
			"The batches written hold whole, correct CIs and relations and nothing was marked stale: run the same import again to finish it.",
			run.ID, failure)}
	}
	hint := "Check that the store is reachable (ripple serve's /readyz) and run the import again."
	switch {
	case formats.InputFault(failure):
		hint = "Fix the input where the error points and run the import again."
	case graph.ErrorCode(failure) == graph.CodeConflict:
		hint = "Another run of this scope was in progress: run the import again when it has finished."
	}
	return &commandError{status: exitFailed, err: failure, msg: fmt.Sprintf("import %s FAILED, nothing written: %v\n%s", run.ID, failure, hint)}
}

// tooStale returns the plan's TOO_STALE problem, if any.
func tooStale(plan *importers.Plan) *importers.Problem {
	if plan == nil {
		return nil
	}
	for i := range plan.Problems {
		if plan.Problems[i].Code == importers.ProblemTooStale {
			return &plan.Problems[i]
		}
	}
	return nil
}

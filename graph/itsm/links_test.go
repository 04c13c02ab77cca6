package itsm

import (
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// TestHoldingRuleMatchesTheStateMachines checks graph's rule of which
// records hold their CIs (graph.HoldsCIs) against the states defined here:
// a record in a final state (no move out) never holds, and a record that
// is still being worked on always does. A state added to a machine without
// a thought for the rule fails here.
func TestHoldingRuleMatchesTheStateMachines(t *testing.T) {
	check := func(kind graph.RecordKind, state string, final, open bool) {
		t.Helper()
		holds := graph.HoldsCIs(kind, state)
		switch {
		case final && holds:
			t.Errorf("a %s in final state %s holds its CIs", kind, state)
		case open && !holds:
			t.Errorf("an open %s in state %s does not hold its CIs", kind, state)
		}
	}
	for st, next := range incidentMachine {
		// Resolved incidents may reopen, but no longer hold: they are not open.
		open := st != IncidentResolved && st != IncidentClosed
		check(graph.KindIncident, string(st), len(next) == 0, open)
	}
	for st, next := range problemMachine {
		check(graph.KindProblem, string(st), len(next) == 0, len(next) > 0)
	}
	for st, next := range changeMachine {
		check(graph.KindChange, string(st), len(next) == 0, len(next) > 0)
	}
	check(graph.KindSLA, "ACTIVE", false, true)
	for _, k := range []WindowKind{WindowMaintenance, WindowFreeze} {
		check(graph.KindWindow, string(k), true, false)
	}
}

package itsm

import (
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// priorityMatrix maps impact (row) and urgency (column), each 1 (high) to 3
// (low), to a priority — the usual ITIL matrix:
//
//	              urgency 1   urgency 2   urgency 3
//	impact 1        P1          P2          P3
//	impact 2        P2          P3          P4
//	impact 3        P3          P4          P4
var priorityMatrix = [3][3]Priority{
	{P1, P2, P3},
	{P2, P3, P4},
	{P3, P4, P4},
}

// PriorityFor returns the priority for an impact and urgency (1–3 each).
func PriorityFor(impact, urgency int) (Priority, error) {
	if impact < 1 || impact > 3 {
		return "", graph.Invalid("impact", "impact must be 1 (high), 2 or 3 (low), not %d", impact)
	}
	if urgency < 1 || urgency > 3 {
		return "", graph.Invalid("urgency", "urgency must be 1 (high), 2 or 3 (low), not %d", urgency)
	}
	return priorityMatrix[impact-1][urgency-1], nil
}

// machine is a state machine: the states each state may move to.
type machine[S ~string] map[S][]S

func (m machine[S]) allows(from, to S) bool {
	for _, s := range m[from] {
		if s == to {
			return true
		}
	}
	return false
}

func (m machine[S]) check(kind string, from, to S) error {
	if _, known := m[to]; !known {
		return graph.Invalid("state", "unknown %s state %q", kind, to)
	}
	if !m.allows(from, to) {
		next := make([]string, len(m[from]))
		for i, s := range m[from] {
			next[i] = string(s)
		}
		allowed := strings.Join(next, ", ")
		if allowed == "" {
			allowed = "none: it is final"
		}
		return graph.Invalid("state", "a %s cannot go from %s to %s (allowed: %s)", kind, from, to, allowed)
	}
	return nil
}

// incidentMachine: NEW → IN_PROGRESS ⇄ ON_HOLD → RESOLVED → CLOSED, and a
// resolved incident may be reopened (back to IN_PROGRESS).
var incidentMachine = machine[IncidentState]{
	IncidentNew:        {IncidentInProgress},
	IncidentInProgress: {IncidentOnHold, IncidentResolved},
	IncidentOnHold:     {IncidentInProgress, IncidentResolved},
	IncidentResolved:   {IncidentClosed, IncidentInProgress},
	IncidentClosed:     nil,
}

// problemMachine: NEW → INVESTIGATING → KNOWN_ERROR → RESOLVED → CLOSED; a
// problem whose cause is fixed while investigating may skip KNOWN_ERROR.
var problemMachine = machine[ProblemState]{
	ProblemNew:           {ProblemInvestigating},
	ProblemInvestigating: {ProblemKnownError, ProblemResolved},
	ProblemKnownError:    {ProblemResolved},
	ProblemResolved:      {ProblemClosed, ProblemInvestigating},
	ProblemClosed:        nil,
}

// changeMachine lists the moves made by transitionChange. APPROVED and
// REJECTED are reached only through approveChange, which records who
// decided; the type-specific shortcuts are checked in checkChangeMove.
var changeMachine = machine[ChangeState]{
	ChangeRequested:    {ChangeAssessed, ChangeScheduled},
	ChangeAssessed:     {ChangeScheduled},
	ChangeApproved:     {ChangeScheduled},
	ChangeRejected:     nil,
	ChangeScheduled:    {ChangeImplementing},
	ChangeImplementing: {ChangeReview},
	ChangeReview:       {ChangeClosed},
	ChangeClosed:       nil,
}

// checkChangeMove applies the change-type rules on top of changeMachine:
// only a STANDARD change is pre-approved and may be scheduled without an
// approval; NORMAL and EMERGENCY changes are scheduled only from APPROVED.
func checkChangeMove(c *Change, to ChangeState) error {
	if to == ChangeApproved || to == ChangeRejected {
		return graph.Invalid("state", "a change is approved or rejected with approveChange, which records the decision")
	}
	if err := changeMachine.check("change", c.State, to); err != nil {
		return err
	}
	if to == ChangeScheduled && c.Type != ChangeStandard && c.State != ChangeApproved {
		return graph.Invalid("state", "a %s change needs an approval before it is SCHEDULED (it is %s)", c.Type, c.State)
	}
	return nil
}

// checkApproval says whether a change may take an approval decision now:
// NORMAL changes once assessed, EMERGENCY changes as soon as requested.
func checkApproval(c *Change) error {
	switch {
	case c.Type == ChangeStandard:
		return graph.Invalid("changeId", "a STANDARD change is pre-approved and takes no approval")
	case c.State == ChangeAssessed:
		return nil
	case c.State == ChangeRequested && c.Type == ChangeEmergency:
		return nil
	}
	return graph.Invalid("changeId", "a %s change in state %s cannot be approved or rejected (it must be ASSESSED%s)",
		c.Type, c.State, map[bool]string{true: " or, for an emergency, REQUESTED"}[c.Type == ChangeEmergency])
}

func validIncidentState(s IncidentState) bool { _, ok := incidentMachine[s]; return ok }
func validProblemState(s ProblemState) bool   { _, ok := problemMachine[s]; return ok }
func validChangeState(s ChangeState) bool     { _, ok := changeMachine[s]; return ok }

func validChangeType(t ChangeType) bool {
	return t == ChangeStandard || t == ChangeNormal || t == ChangeEmergency
}

func validOutcome(o ChangeOutcome) bool {
	return o == OutcomeSuccessful || o == OutcomeFailed || o == OutcomeRolledBack
}

func fieldIndex(field string, i int) string { return graph.FieldIndex(field, i) }

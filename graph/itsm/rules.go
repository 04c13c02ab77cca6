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
		return graph.Invalid("state", "%s cannot go from %s to %s (allowed: %s)", graph.Article(kind), from, to, allowed)
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
// SCHEDULED → REQUESTED takes a change off the calendar to re-plan it: its
// window and targets can be edited again, and it needs assessment and
// approval again. A change can be CANCELLED until implementation starts.
var changeMachine = machine[ChangeState]{
	ChangeRequested:    {ChangeAssessed, ChangeScheduled, ChangeCancelled},
	ChangeAssessed:     {ChangeScheduled, ChangeCancelled},
	ChangeApproved:     {ChangeScheduled, ChangeCancelled},
	ChangeRejected:     nil,
	ChangeScheduled:    {ChangeImplementing, ChangeRequested, ChangeCancelled},
	ChangeImplementing: {ChangeReview},
	ChangeReview:       {ChangeClosed},
	ChangeClosed:       nil,
	ChangeCancelled:    nil,
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
		return graph.Invalid("state", "%s needs an approval before it is SCHEDULED (it is %s)", graph.Article(string(c.Type)+" change"), c.State)
	}
	return nil
}

// checkApproval says whether a change may take an approval decision now:
// NORMAL changes once assessed, EMERGENCY changes as soon as requested.
// Who may decide is checkDecider's business.
func checkApproval(c *Change) error {
	switch {
	case c.Type == ChangeStandard:
		return graph.Invalid("changeId", "a STANDARD change is pre-approved and takes no approval")
	case c.State == ChangeAssessed:
		return nil
	case c.State == ChangeRequested && c.Type == ChangeEmergency:
		return nil
	}
	return graph.Invalid("changeId", "%s in state %s cannot be approved or rejected (it must be ASSESSED%s)",
		graph.Article(string(c.Type)+" change"), c.State, map[bool]string{true: " or, for an emergency, REQUESTED"}[c.Type == ChangeEmergency])
}

// checkDecider applies separation of duties: whoever requested a change
// does not decide on it, neither approving (the point of the rule) nor
// rejecting it (a requester who wants to drop a change cancels it, which
// says what happened). Actors are compared as given: until Ripple has
// authentication the actor is the X-Ripple-Actor header, and "anonymous"
// is one actor like any other.
func checkDecider(c *Change, actor string) error {
	if requester := c.Requester(); requester == actor {
		return graph.Errorf(graph.CodeForbidden, "",
			"%s requested change %q and cannot approve or reject it (separation of duties): another actor must decide; to withdraw it, move it to CANCELLED",
			actor, c.ID)
	}
	return nil
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

// Package itsm holds Ripple's ITIL records — incidents, problems, changes,
// service levels and maintenance/freeze windows — and their rules: state
// machines, the priority matrix, SLA clocks and validation. Records are kept
// by any graph.Store as versioned documents linked to CIs; this package is
// the one place that knows what the documents mean, so both stores share one
// definition of every rule.
package itsm

import (
	"time"
)

// Priority is an incident's priority, P1 (highest) to P4.
type Priority string

// Priorities, highest first.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// Transition is one state change of a record.
type Transition struct {
	From  string    `json:"from"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
}

// IncidentState is where an incident is in its lifecycle.
type IncidentState string

// Incident states.
const (
	IncidentNew        IncidentState = "NEW"
	IncidentInProgress IncidentState = "IN_PROGRESS"
	IncidentOnHold     IncidentState = "ON_HOLD"
	IncidentResolved   IncidentState = "RESOLVED"
	IncidentClosed     IncidentState = "CLOSED"
)

// Incident is an unplanned interruption or degradation of a service.
type Incident struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	AffectedCIs []string `json:"affectedCis"`
	// Services are the services impacted when the incident was raised (or
	// its affected CIs last changed): the blast radius of the affected CIs,
	// plus any affected CI that is itself a service. Their SLAs set the
	// incident's due times.
	Services []string      `json:"services,omitempty"`
	Impact   int           `json:"impact"`
	Urgency  int           `json:"urgency"`
	Priority Priority      `json:"priority"`
	State    IncidentState `json:"state"`
	OpenedAt time.Time     `json:"openedAt"`
	// RespondedAt is the first move to IN_PROGRESS: it stops the response
	// clock.
	RespondedAt *time.Time `json:"respondedAt,omitempty"`
	ResolvedAt  *time.Time `json:"resolvedAt,omitempty"`
	ClosedAt    *time.Time `json:"closedAt,omitempty"`
	// OutageStart and OutageEnd bound the service outage this incident
	// records for availability; nil start means no outage.
	OutageStart      *time.Time `json:"outageStart,omitempty"`
	OutageEnd        *time.Time `json:"outageEnd,omitempty"`
	CausedByChangeID string     `json:"causedByChangeId,omitempty"`
	// SLATerms are the SLAs of its services as they stood when the
	// incident was raised (or its affected CIs last changed), taken at
	// SLATermsAt: its clocks run on these terms, so editing or deleting an
	// SLA later does not move the due times of incidents already raised.
	// Incidents stored before Ripple kept terms have a nil SLATermsAt and
	// run on the SLAs as they are now.
	SLATerms   []SLA      `json:"slaTerms,omitempty"`
	SLATermsAt *time.Time `json:"slaTermsAt,omitempty"`
	// Major marks the parent of a group of incidents one cause explains
	// (see Correlation); its affected CI is the likely cause.
	Major       bool         `json:"major,omitempty"`
	Correlation *Correlation `json:"correlation,omitempty"`
	// Grouping, on a child, names its major incident and why it is in
	// that group; nil when the incident is in no group.
	Grouping    *Grouping    `json:"grouping,omitempty"`
	Transitions []Transition `json:"transitions,omitempty"`
	Version     int64        `json:"-"`
	CreatedAt   time.Time    `json:"-"`
	UpdatedAt   time.Time    `json:"-"`
}

// ParentID is the id of the major incident grouping this one, or "".
func (inc *Incident) ParentID() string {
	if inc.Grouping == nil {
		return ""
	}
	return inc.Grouping.ParentID
}

// Open reports whether the incident is not yet RESOLVED or CLOSED.
func (inc *Incident) Open() bool {
	return inc.State != IncidentResolved && inc.State != IncidentClosed
}

// ProblemState is where a problem is in its lifecycle.
type ProblemState string

// Problem states.
const (
	ProblemNew           ProblemState = "NEW"
	ProblemInvestigating ProblemState = "INVESTIGATING"
	ProblemKnownError    ProblemState = "KNOWN_ERROR"
	ProblemResolved      ProblemState = "RESOLVED"
	ProblemClosed        ProblemState = "CLOSED"
)

// Problem is the unknown cause of one or more incidents. The problem owns
// the link to its incidents (one record, one write), so linking never
// half-updates two records.
type Problem struct {
	ID          string       `json:"id"`
	IncidentIDs []string     `json:"incidentIds,omitempty"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	State       ProblemState `json:"state"`
	// RootCauseCI is the suspected or (RootCauseConfirmed) confirmed cause.
	RootCauseCI        string       `json:"rootCauseCi,omitempty"`
	RootCauseConfirmed bool         `json:"rootCauseConfirmed,omitempty"`
	Workaround         string       `json:"workaround,omitempty"`
	KnownError         bool         `json:"knownError,omitempty"`
	Transitions        []Transition `json:"transitions,omitempty"`
	Version            int64        `json:"-"`
	CreatedAt          time.Time    `json:"-"`
	UpdatedAt          time.Time    `json:"-"`
}

// ChangeType classifies a change by how it is authorised.
type ChangeType string

// Change types.
const (
	// ChangeStandard is pre-approved: it may be scheduled without approval.
	ChangeStandard ChangeType = "STANDARD"
	// ChangeNormal needs an approval before it is scheduled.
	ChangeNormal ChangeType = "NORMAL"
	// ChangeEmergency needs an approval but may skip assessment.
	ChangeEmergency ChangeType = "EMERGENCY"
)

// ChangeState is where a change is in its lifecycle.
type ChangeState string

// Change states.
const (
	ChangeRequested    ChangeState = "REQUESTED"
	ChangeAssessed     ChangeState = "ASSESSED"
	ChangeApproved     ChangeState = "APPROVED"
	ChangeRejected     ChangeState = "REJECTED"
	ChangeScheduled    ChangeState = "SCHEDULED"
	ChangeImplementing ChangeState = "IMPLEMENTING"
	ChangeReview       ChangeState = "REVIEW"
	ChangeClosed       ChangeState = "CLOSED"
	// ChangeCancelled is a change withdrawn before implementation (from
	// REQUESTED, ASSESSED, APPROVED or SCHEDULED), with a reason. It is
	// final, and no analysis counts it.
	ChangeCancelled ChangeState = "CANCELLED"
)

// ChangeOutcome is how a closed change went.
type ChangeOutcome string

// Change outcomes.
const (
	OutcomeSuccessful ChangeOutcome = "SUCCESSFUL"
	OutcomeFailed     ChangeOutcome = "FAILED"
	OutcomeRolledBack ChangeOutcome = "ROLLED_BACK"
)

// Decision is an approver's verdict.
type Decision string

// Decisions.
const (
	Approve Decision = "APPROVE"
	Reject  Decision = "REJECT"
)

// Approval is one approver's decision on a change.
type Approval struct {
	Approver string    `json:"approver"`
	At       time.Time `json:"at"`
	Decision Decision  `json:"decision"`
	Comment  string    `json:"comment,omitempty"`
}

// Note is a timestamped remark, e.g. an implementation note.
type Note struct {
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// Change is a planned addition, modification or removal of CIs.
type Change struct {
	ID           string      `json:"id"`
	Title        string      `json:"title"`
	Description  string      `json:"description,omitempty"`
	Type         ChangeType  `json:"type"`
	State        ChangeState `json:"state"`
	TargetCIs    []string    `json:"targetCis"`
	PlannedStart time.Time   `json:"plannedStart"`
	PlannedEnd   time.Time   `json:"plannedEnd"`
	ActualStart  *time.Time  `json:"actualStart,omitempty"`
	ActualEnd    *time.Time  `json:"actualEnd,omitempty"`
	RequestedAt  time.Time   `json:"requestedAt"`
	// RequestedBy is the actor who requested the change; separation of
	// duties keeps them from deciding on it (see Requester).
	RequestedBy string `json:"requestedBy,omitempty"`
	// Approvals lists every decision taken on the change, oldest first. A
	// decision holds only for the state it produced: a material edit sends
	// an APPROVED change back to REQUESTED, and it needs a new approval.
	Approvals           []Approval    `json:"approvals,omitempty"`
	ImplementationNotes []Note        `json:"implementationNotes,omitempty"`
	Outcome             ChangeOutcome `json:"outcome,omitempty"`
	// CancelReason is why the change was CANCELLED.
	CancelReason string `json:"cancelReason,omitempty"`
	// Assessment is the last stored change-impact assessment, as JSON
	// written by the analysis that produced it. A material edit (window,
	// targets, type) clears it, so it never shows reasons about a plan the
	// change no longer has.
	Assessment  *Assessment  `json:"assessment,omitempty"`
	Transitions []Transition `json:"transitions,omitempty"`
	Version     int64        `json:"-"`
	CreatedAt   time.Time    `json:"-"`
	UpdatedAt   time.Time    `json:"-"`
}

// Assessment is the stored summary of a change-impact analysis.
type Assessment struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	RiskScore int       `json:"riskScore"`
	Reasons   []string  `json:"reasons"`
	Services  []string  `json:"services,omitempty"`
}

// WindowKind says what a window is for.
type WindowKind string

// Window kinds.
const (
	// WindowMaintenance is agreed time for work: outages inside it do not
	// count against availability.
	WindowMaintenance WindowKind = "MAINTENANCE"
	// WindowFreeze forbids scheduling NORMAL changes inside it.
	WindowFreeze WindowKind = "FREEZE"
)

// Window is a time range scoped to services or CIs (none = everything).
type Window struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      WindowKind `json:"kind"`
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Scope     []string   `json:"scope,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Version   int64      `json:"-"`
	CreatedAt time.Time  `json:"-"`
	UpdatedAt time.Time  `json:"-"`
}

package rootcause

import (
	"time"
)

// Incident is an open incident as the ranking sees it.
type Incident struct {
	ID string
	// AffectedCIs are the CIs the incident is recorded against; ids that
	// are not in the subgraph are ignored (the incident still counts as
	// one to explain).
	AffectedCIs []string
	// Impact is the ITIL impact, 1 (high) to 3 (low); 0 means unknown.
	Impact int
	// Outage marks a service-down incident rather than a degradation.
	Outage   bool
	OpenedAt time.Time
}

// Change is a change record: actual window when known, else planned.
type Change struct {
	ID        string
	TargetCIs []string
	// Start and End bound the window; a zero End means still in progress.
	Start, End time.Time
	Failed     bool
}

// KnownError says a problem record documents a known failure mode of a CI.
type KnownError struct {
	CI        string
	ProblemID string
}

// Input is everything Rank weighs besides the topology.
type Input struct {
	Incidents   []Incident
	Changes     []Change
	KnownErrors []KnownError
	// Since is the start of the observation window the caller filtered
	// incidents and changes by; zero means "from the earliest incident"
	// for incidents and Options.ChangeLookback before Now for changes.
	Since time.Time
	Now   time.Time
	// Coverage is what earlier episodes taught about which CIs raise
	// incidents when they fail (Learn); the zero value means nothing.
	Coverage Coverage
}

// Evidence kinds.
const (
	// EvidenceCoverage: the incidents the candidate explains.
	EvidenceCoverage = "COVERAGE"
	// EvidenceEffectMatch: how well severities fit the predicted effects.
	EvidenceEffectMatch = "EFFECT_MATCH"
	// EvidenceMissing: impacted CIs that raised no incident.
	EvidenceMissing = "MISSING_SYMPTOMS"
	// EvidenceUnexplained: incidents outside the candidate's blast radius.
	EvidenceUnexplained = "UNEXPLAINED"
	// EvidenceTiming: whether the explained incidents opened in one burst.
	EvidenceTiming = "TIMING"
	// EvidenceChange: a change on or next to the candidate before the
	// first incident.
	EvidenceChange = "CHANGE"
	// EvidenceKnownError: a known error recorded on the candidate.
	EvidenceKnownError = "KNOWN_ERROR"
	// EvidenceDistance: the path to the nearest incident.
	EvidenceDistance = "DISTANCE"
	// EvidenceIndistinguishable: other CIs whose failure would look
	// exactly the same in this subgraph.
	EvidenceIndistinguishable = "INDISTINGUISHABLE"
)

// Evidence is one reason behind a candidate's score.
type Evidence struct {
	Kind   string
	Detail string
	// Weight is the item's contribution to the candidate's log-odds, in
	// nats, against the hypothesis that nothing failed: positive supports
	// the candidate. Informational items (UNEXPLAINED, DISTANCE,
	// INDISTINGUISHABLE) weigh 0: they matter only by comparison with other
	// candidates, through those candidates' own COVERAGE and MISSING items.
	Weight      float64
	ChangeID    string
	ProblemID   string
	IncidentIDs []string
	// CIs the item is about: missing CIs, a path, look-alike candidates.
	CIs []string
	// Offset is, for CHANGE, how long before the first explained incident
	// the change ended (negative when it was still running).
	Offset time.Duration
}

// Candidate is a CI that could be the root cause.
type Candidate struct {
	CI string
	// Score is the posterior probability that this CI alone explains the
	// incidents, among all candidates of this ranking (0..1).
	Score float64
	// LogOdds is the unnormalised log posterior; unlike Score it does not
	// depend on which other candidates were considered.
	LogOdds float64
	// Explains lists the incidents with a CI in the candidate's blast
	// radius, sorted.
	Explains []string
	Evidence []Evidence
}

package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// Figures are a service's figures over one stretch of time: the whole
// range of a report, or one period of its series. Events are booked in the
// period that contains them (an incident's opening, first response and
// resolution, a clock's breach, a problem's moves, a change's end of
// implementation); availability is measured in each period's service time.
// Nil pointers are figures that do not exist: no SLA, nothing elapsed,
// nothing to average.
type Figures struct {
	Start, End time.Time
	// ServiceTime is the service time of the whole stretch (the SLA's
	// service hours; 24x7 without an SLA), ElapsedServiceTime the part
	// before the report's AsOf.
	ServiceTime, ElapsedServiceTime time.Duration
	// Outage is the service time lost to the outages of the incidents
	// that count against the service, overlapping outages counted once.
	Outage time.Duration
	// Availability is the percentage of elapsed service time that was not
	// lost; nil while none has elapsed.
	Availability *float64
	// Target is the SLA's availability target; Budget the outage it allows
	// in the whole stretch ((100 - Target)% of ServiceTime), and
	// BudgetUsedPercent how much of that Outage used (nil when the budget
	// is zero). AvailabilityMet is false once Outage exceeds Budget. All
	// nil without an SLA; AvailabilityMet also while nothing has elapsed.
	Target            *float64
	Budget            *time.Duration
	BudgetUsedPercent *float64
	AvailabilityMet   *bool
	// Failures are the distinct outages (overlapping ones merged) that
	// start in the stretch and take some service time.
	Failures int
	// SLABreaches are the response and resolution due times missed.
	SLABreaches int
	// MTTA is the mean time from opening to first response of the
	// incidents first responded to in the stretch; MTTR from opening to
	// resolution of those resolved in it (wall-clock time). MTBF is the
	// elapsed service time that was not lost, divided by Failures.
	MTTA, MTTR, MTBF *time.Duration
	// Compliance has one entry per priority, P1 to P4.
	Compliance []PriorityCompliance
	Incidents  IncidentFigures
	Problems   ProblemFigures
	Changes    ChangeFigures
}

// PriorityCompliance counts the response and resolution clocks of one
// priority decided in a stretch: met when the clock stopped (first
// response, resolution) in time, missed when it stopped late or, still
// running, passed its due time (booked then).
type PriorityCompliance struct {
	Priority                        itsm.Priority
	ResponseMet, ResponseMissed     int
	ResolutionMet, ResolutionMissed int
}

// ResponseCompliance is the percentage of response clocks met; nil when
// none was decided.
func (c PriorityCompliance) ResponseCompliance() *float64 {
	return percent(c.ResponseMet, c.ResponseMet+c.ResponseMissed)
}

// ResolutionCompliance is the percentage of resolution clocks met; nil
// when none was decided.
func (c PriorityCompliance) ResolutionCompliance() *float64 {
	return percent(c.ResolutionMet, c.ResolutionMet+c.ResolutionMissed)
}

// IncidentFigures count the incidents that count against the service.
type IncidentFigures struct {
	// Opened in the stretch; ByPriority splits them (P1 to P4) and ByState
	// gives the state each was in at the end of the stretch (or AsOf).
	Opened     int
	ByPriority []PriorityCount
	ByState    []IncidentStateCount
	// Resolved in the stretch (their last resolution, if reopened).
	Resolved int
}

// PriorityCount is a number of incidents of one priority.
type PriorityCount struct {
	Priority itsm.Priority
	Count    int
}

// IncidentStateCount is a number of incidents in one state.
type IncidentStateCount struct {
	State itsm.IncidentState
	Count int
}

// ProblemFigures count the service's problems: opened, resolved (moved to
// RESOLVED) and identified as known errors (moved to KNOWN_ERROR) in the
// stretch, each problem at most once per figure.
type ProblemFigures struct {
	Opened, Resolved, KnownErrors int
}

// ChangeFigures count the service's changes whose implementation ended
// (moved to REVIEW) in the stretch.
type ChangeFigures struct {
	Implemented int
	// ByType splits them (STANDARD, NORMAL, EMERGENCY); ByOutcome counts
	// the ones CLOSED since, by outcome.
	ByType    []ChangeTypeCount
	ByOutcome []ChangeOutcomeCount
	// CausedIncidents are the ones an incident names as its cause; Failed
	// the ones that caused an incident or closed FAILED or ROLLED_BACK.
	CausedIncidents, Failed int
}

// FailureRate is the percentage of implemented changes that failed; nil
// when none was implemented.
func (c ChangeFigures) FailureRate() *float64 { return percent(c.Failed, c.Implemented) }

// ChangeTypeCount is a number of changes of one type.
type ChangeTypeCount struct {
	Type  itsm.ChangeType
	Count int
}

// ChangeOutcomeCount is a number of changes with one outcome.
type ChangeOutcomeCount struct {
	Outcome itsm.ChangeOutcome
	Count   int
}

// The keys of the split counts, in the order reports list them.
var (
	priorities     = []itsm.Priority{itsm.P1, itsm.P2, itsm.P3, itsm.P4}
	incidentStates = []itsm.IncidentState{itsm.IncidentNew, itsm.IncidentInProgress, itsm.IncidentOnHold, itsm.IncidentResolved, itsm.IncidentClosed}
	changeTypes    = []itsm.ChangeType{itsm.ChangeStandard, itsm.ChangeNormal, itsm.ChangeEmergency}
	outcomes       = []itsm.ChangeOutcome{itsm.OutcomeSuccessful, itsm.OutcomeFailed, itsm.OutcomeRolledBack}
)

func percent(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	p := 100 * float64(n) / float64(of)
	return &p
}

// tally is the figures of one stretch while they are booked.
type tally struct {
	Figures
	tta, ttr   time.Duration
	ttaN, ttrN int
}

func newTally(start, end time.Time) *tally {
	t := &tally{Figures: Figures{Start: start, End: end}}
	for _, p := range priorities {
		t.Compliance = append(t.Compliance, PriorityCompliance{Priority: p})
		t.Incidents.ByPriority = append(t.Incidents.ByPriority, PriorityCount{Priority: p})
	}
	for _, s := range incidentStates {
		t.Incidents.ByState = append(t.Incidents.ByState, IncidentStateCount{State: s})
	}
	for _, c := range changeTypes {
		t.Changes.ByType = append(t.Changes.ByType, ChangeTypeCount{Type: c})
	}
	for _, o := range outcomes {
		t.Changes.ByOutcome = append(t.Changes.ByOutcome, ChangeOutcomeCount{Outcome: o})
	}
	return t
}

// book keeps the figures of a report's range and of each of its periods,
// and books every event in the ones that contain it.
type book struct {
	asOf   time.Time
	total  *tally
	series []*tally
}

func newBook(from, to, asOf time.Time, periods []sla.Interval) *book {
	b := &book{asOf: asOf, total: newTally(from, to)}
	for _, p := range periods {
		b.series = append(b.series, newTally(p.Start, p.End))
	}
	return b
}

// at returns the tallies containing t: the range's and one period's, or
// none when t is outside the range.
func (b *book) at(t time.Time) []*tally {
	if t.Before(b.total.Start) || !t.Before(b.total.End) {
		return nil
	}
	i := sort.Search(len(b.series), func(i int) bool { return b.series[i].End.After(t) })
	return []*tally{b.total, b.series[i]}
}

// touches reports whether any of the instants falls in the range.
func (b *book) touches(ts []stamp) bool {
	for _, s := range ts {
		if len(b.at(s.at)) > 0 {
			return true
		}
	}
	return false
}

func (b *book) all() []*tally { return append([]*tally{b.total}, b.series...) }

// availability measures each stretch against the SLA (nil: 24x7, no
// target) with the outages that count against the service, and books the
// failures.
func (b *book) availability(s *itsm.SLA, cal *sla.Calendar, outages []sla.Interval) error {
	target := 100.0 // measures availability; reported only with an SLA
	if s != nil {
		target = s.AvailabilityTarget
	}
	for _, t := range b.all() {
		av, err := sla.MeasureAvailability(sla.AvailabilityInput{Target: target, Calendar: cal,
			PeriodStart: t.Start, PeriodEnd: t.End, AsOf: b.asOf, Outages: outages})
		if err != nil {
			return fmt.Errorf("availability from %s: %w", t.Start.Format(time.RFC3339), err)
		}
		t.ServiceTime, t.ElapsedServiceTime, t.Outage = av.ServiceTime, av.ElapsedServiceTime, av.Downtime
		if av.ElapsedServiceTime > 0 {
			t.Availability = &av.Attainment
		}
		if s == nil {
			continue
		}
		t.Target, t.Budget = &s.AvailabilityTarget, &av.Budget
		if av.Budget > 0 {
			t.BudgetUsedPercent = percentOf(av.BudgetUsed, av.Budget)
		}
		if av.ElapsedServiceTime > 0 {
			met := !av.Breached
			t.AvailabilityMet = &met
		}
	}
	for _, iv := range sla.Merge(outages, b.asOf) {
		if sla.ServiceTime(cal, iv.Start, iv.End) == 0 {
			continue
		}
		for _, t := range b.at(iv.Start) {
			t.Failures++
		}
	}
	return nil
}

func percentOf(d, of time.Duration) *float64 {
	p := 100 * float64(d) / float64(of)
	return &p
}

// incident books an incident that counts against the service, with its
// response and resolution clocks as of the report's AsOf.
func (b *book) incident(inc *itsm.Incident, response, resolution *itsm.ClockStatus) {
	pi := indexOf(priorities, inc.Priority)
	for _, t := range b.at(inc.OpenedAt) {
		t.Incidents.Opened++
		if pi >= 0 {
			t.Incidents.ByPriority[pi].Count++
		}
		if si := indexOf(incidentStates, b.stateAt(inc, t.End)); si >= 0 {
			t.Incidents.ByState[si].Count++
		}
	}
	if inc.RespondedAt != nil {
		for _, t := range b.at(*inc.RespondedAt) {
			t.tta += max(inc.RespondedAt.Sub(inc.OpenedAt), 0)
			t.ttaN++
		}
	}
	if inc.ResolvedAt != nil {
		for _, t := range b.at(*inc.ResolvedAt) {
			t.Incidents.Resolved++
			t.ttr += max(inc.ResolvedAt.Sub(inc.OpenedAt), 0)
			t.ttrN++
		}
	}
	if pi < 0 {
		return
	}
	if at, met, ok := decided(response, inc.RespondedAt); ok {
		for _, t := range b.at(at) {
			c := &t.Compliance[pi]
			if met {
				c.ResponseMet++
			} else {
				c.ResponseMissed++
				t.SLABreaches++
			}
		}
	}
	if at, met, ok := decided(resolution, inc.ResolvedAt); ok {
		for _, t := range b.at(at) {
			c := &t.Compliance[pi]
			if met {
				c.ResolutionMet++
			} else {
				c.ResolutionMissed++
				t.SLABreaches++
			}
		}
	}
}

// decided says when and how a clock was decided: when it stopped (met
// unless breached), or, still running and breached, at its due time.
func decided(c *itsm.ClockStatus, stoppedAt *time.Time) (at time.Time, met, ok bool) {
	switch {
	case c == nil:
		return at, false, false
	case c.Stopped && stoppedAt != nil:
		return *stoppedAt, !c.Breached, true
	case c.Breached:
		return c.Due, false, true
	}
	return at, false, false
}

// stateAt is the state an incident was in at the end of a stretch (or at
// AsOf, if that is earlier), replayed from its transitions.
func (b *book) stateAt(inc *itsm.Incident, end time.Time) itsm.IncidentState {
	state := inc.State
	if len(inc.Transitions) == 0 {
		return state
	}
	state = ""
	for _, tr := range inc.Transitions {
		if !tr.At.Before(end) || tr.At.After(b.asOf) {
			break
		}
		state = itsm.IncidentState(tr.To)
	}
	if state == "" { // opened after the stretch's end: not booked in it
		state = itsm.IncidentState(inc.Transitions[0].To)
	}
	return state
}

// stamp is an instant something happened to a record.
type stamp struct {
	what string
	at   time.Time
}

// problemEvents are a problem's opening and its moves to KNOWN_ERROR and
// RESOLVED.
func problemEvents(p *itsm.Problem) []stamp {
	var out []stamp
	if len(p.Transitions) == 0 {
		return []stamp{{"opened", p.CreatedAt}}
	}
	for i, tr := range p.Transitions {
		switch {
		case i == 0:
			out = append(out, stamp{"opened", tr.At})
		case tr.To == string(itsm.ProblemKnownError), tr.To == string(itsm.ProblemResolved):
			out = append(out, stamp{tr.To, tr.At})
		}
	}
	return out
}

// problem books a problem of the service, each figure at most once per
// stretch.
func (b *book) problem(p *itsm.Problem) {
	seen := map[*tally]map[string]bool{}
	for _, ev := range problemEvents(p) {
		for _, t := range b.at(ev.at) {
			if seen[t] == nil {
				seen[t] = map[string]bool{}
			}
			if seen[t][ev.what] {
				continue
			}
			seen[t][ev.what] = true
			switch ev.what {
			case "opened":
				t.Problems.Opened++
			case string(itsm.ProblemKnownError):
				t.Problems.KnownErrors++
			case string(itsm.ProblemResolved):
				t.Problems.Resolved++
			}
		}
	}
}

// change books a change of the service whose implementation ended in the
// range; caused says whether an incident names it as its cause.
func (b *book) change(c *itsm.Change, caused bool) {
	failed := caused || c.Outcome == itsm.OutcomeFailed || c.Outcome == itsm.OutcomeRolledBack
	for _, t := range b.at(*c.ActualEnd) {
		t.Changes.Implemented++
		if i := indexOf(changeTypes, c.Type); i >= 0 {
			t.Changes.ByType[i].Count++
		}
		if i := indexOf(outcomes, c.Outcome); i >= 0 && c.State == itsm.ChangeClosed {
			t.Changes.ByOutcome[i].Count++
		}
		if caused {
			t.Changes.CausedIncidents++
		}
		if failed {
			t.Changes.Failed++
		}
	}
}

// figures finishes the averages and returns the range's figures and the
// series.
func (b *book) figures() (Figures, []Figures) {
	for _, t := range b.all() {
		t.MTTA, t.MTTR = mean(t.tta, t.ttaN), mean(t.ttr, t.ttrN)
		if t.Failures > 0 {
			up := (t.ElapsedServiceTime - t.Outage) / time.Duration(t.Failures)
			t.MTBF = &up
		}
	}
	series := make([]Figures, len(b.series))
	for i, t := range b.series {
		series[i] = t.Figures
	}
	return b.total.Figures, series
}

func mean(sum time.Duration, n int) *time.Duration {
	if n == 0 {
		return nil
	}
	m := sum / time.Duration(n)
	return &m
}

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

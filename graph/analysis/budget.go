package analysis

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// Which changes count against an error budget, and how. Committed changes
// were agreed to (or are under way); proposed changes were asked for but
// not approved or scheduled yet. Cancelled, rejected and finished changes
// do not count.
var (
	committedChangeStates = []itsm.ChangeState{itsm.ChangeApproved, itsm.ChangeScheduled, itsm.ChangeImplementing}
	proposedChangeStates  = []itsm.ChangeState{itsm.ChangeRequested, itsm.ChangeAssessed}
	// activeChangeStates are the states of changes that may still happen.
	activeChangeStates = append(append([]itsm.ChangeState{}, proposedChangeStates...), committedChangeStates...)
)

func committed(c *itsm.Change) bool {
	for _, s := range committedChangeStates {
		if c.State == s {
			return true
		}
	}
	return false
}

// ChangeThreat is a live change in the rest of an SLA's period that would
// take its service down or degrade it.
type ChangeThreat struct {
	Change *itsm.Change
	Effect impact.Effect
	// Committed: the change is APPROVED, SCHEDULED or IMPLEMENTING;
	// otherwise it is proposed (REQUESTED or ASSESSED).
	Committed bool
	// PlannedDowntime is the service time of its window, from the
	// measurement on, the service would be DOWN (0 when DEGRADED), beyond
	// outages already recorded.
	PlannedDowntime time.Duration
	// window is the part of its window the budget counts.
	window sla.Interval
}

// SLABudget is an SLA's error budget in one period, measured as of an
// instant, and the outage the live changes in the rest of that period are
// expected to add. It is the one computation of budget and expected outage:
// slaAtRisk and changeImpact both read it, so they agree on the numbers for
// the same SLA at the same instant.
type SLABudget struct {
	Availability sla.Availability
	// Changes are the live changes in the rest of the period (from the
	// measurement on) that hit the service, committed first, then by start.
	Changes []ChangeThreat
	// CommittedOutage is the service time the committed changes are
	// expected to take the service DOWN, overlapping windows and recorded
	// outages counted once. ProposedOutage is what the proposed changes
	// would add on top if they went ahead too.
	CommittedOutage, ProposedOutage time.Duration

	in   sla.AvailabilityInput
	from time.Time
}

// slaBudget measures s over the period containing periodAt, as of asOf, and
// the outage the live changes in that period expect from asOf on. except
// leaves one change out: the one changeImpact is assessing.
func (a *Analyst) slaBudget(ctx context.Context, s *itsm.SLA, periodAt, asOf time.Time, except string, call *callCache) (SLABudget, error) {
	var b SLABudget
	in, err := a.availabilityInput(ctx, s, periodAt, asOf, call)
	if err != nil {
		return b, err
	}
	if b.Availability, err = sla.MeasureAvailability(in); err != nil {
		return b, fmt.Errorf("SLA %s: %w", s.ID, err)
	}
	b.in, b.from = in, b.Availability.AsOf
	if !b.from.Before(in.PeriodEnd) {
		return b, nil
	}
	changes, err := call.liveChanges(ctx, b.from, in.PeriodEnd)
	if err != nil {
		return b, err
	}
	var committedWins, allWins []sla.Interval
	for _, c := range changes {
		if c.ID == except || !c.PlannedEnd.After(b.from) {
			continue
		}
		br, err := call.of(ctx, c)
		if err != nil {
			return b, err
		}
		eff := effectOn(br, c, s.ServiceID)
		if eff == impact.Up {
			continue
		}
		th := ChangeThreat{Change: c, Effect: eff, Committed: committed(c)}
		if eff == impact.Down {
			th.window = b.window(c)
			if th.PlannedDowntime, err = b.outage(th.window); err != nil {
				return b, err
			}
			allWins = append(allWins, th.window)
			if th.Committed {
				committedWins = append(committedWins, th.window)
			}
		}
		b.Changes = append(b.Changes, th)
	}
	sort.SliceStable(b.Changes, func(i, j int) bool {
		x, y := b.Changes[i], b.Changes[j]
		if x.Committed != y.Committed {
			return x.Committed
		}
		return x.Change.PlannedStart.Before(y.Change.PlannedStart)
	})
	if b.CommittedOutage, err = b.outage(committedWins...); err != nil {
		return b, err
	}
	all, err := b.outage(allWins...)
	b.ProposedOutage = all - b.CommittedOutage
	return b, err
}

// window is the part of c's planned window the budget counts: from the
// measurement on (what is past is recorded by incidents, or did not happen).
func (b *SLABudget) window(c *itsm.Change) sla.Interval {
	iv := sla.Interval{Start: c.PlannedStart, End: c.PlannedEnd}
	if iv.Start.Before(b.from) {
		iv.Start = b.from
	}
	if iv.End.Before(iv.Start) {
		iv.End = iv.Start
	}
	return iv
}

// outage is the service time the windows would take the service down in
// the period, overlaps and recorded outages counted once.
func (b *SLABudget) outage(windows ...sla.Interval) (time.Duration, error) {
	d, err := sla.PlannedDowntime(b.in, windows...)
	if err != nil {
		return 0, fmt.Errorf("planned downtime: %w", err)
	}
	return d, nil
}

// committedWindows are the windows of the committed changes that take the
// service down.
func (b *SLABudget) committedWindows() []sla.Interval {
	var out []sla.Interval
	for _, th := range b.Changes {
		if th.Committed && th.Effect == impact.Down {
			out = append(out, th.window)
		}
	}
	return out
}

// describe names the changes that take the service down, committed or
// proposed, for reasons: `"Upgrade PostgreSQL" (SCHEDULED, 2h)`.
func (b *SLABudget) describe(committed bool) string {
	var parts []string
	for _, th := range b.Changes {
		if th.Committed == committed && th.Effect == impact.Down {
			parts = append(parts, fmt.Sprintf("%q (%s, %s)", th.Change.Title, th.Change.State, roundDuration(th.PlannedDowntime)))
		}
	}
	return strings.Join(parts, ", ")
}

// availabilityInput gathers an SLA's period around periodAt and the outages
// recorded by incidents on its service in that period, measured as of asOf.
// The incidents are the call's (callCache.serviceIncidents).
func (a *Analyst) availabilityInput(ctx context.Context, s *itsm.SLA, periodAt, asOf time.Time, call *callCache) (sla.AvailabilityInput, error) {
	cal, err := s.Calendar()
	if err != nil {
		return sla.AvailabilityInput{}, fmt.Errorf("SLA %s: %w", s.ID, err)
	}
	start, end := sla.PeriodContaining(s.Period, cal.Location(), periodAt)
	in := sla.AvailabilityInput{Target: s.AvailabilityTarget, Calendar: cal, PeriodStart: start, PeriodEnd: end, AsOf: asOf}
	incs, err := call.serviceIncidents(ctx, s.ServiceID, start, end)
	if err != nil {
		return in, err
	}
	in.Outages = Outages(incs)
	return in, nil
}

// serviceIncidents is ServiceIncidents read for every service of the call
// (callCache.services) at once, per period, on the first ask: fifty SLAs
// on one monthly period are one store call, not fifty.
func (cc *callCache) serviceIncidents(ctx context.Context, serviceID string, from, to time.Time) ([]*itsm.Incident, error) {
	key := [2]time.Time{from.UTC(), to.UTC()}
	read := cc.incidents[key]
	if read == nil || !read.asked[serviceID] {
		ids := append([]string{serviceID}, cc.services...)
		on, err := cc.a.servicesIncidents(ctx, ids, from, to)
		if err != nil {
			return nil, err
		}
		read = &servicesIncidents{asked: map[string]bool{}, on: on}
		for _, id := range ids {
			read.asked[id] = true
		}
		cc.incidents[key] = read
	}
	return read.on[serviceID], nil
}

// servicesIncidents are the incidents read for some services in one
// period.
type servicesIncidents struct {
	asked map[string]bool
	on    map[string][]*itsm.Incident
}

// ServiceIncidents returns the incidents that count against a service and
// were open at some time in [from, to]: those that impact it, that is
// whose services (Incident.Services: the services in the blast radius of
// its affected CIs when it was raised or its affected CIs last changed,
// DOWN or DEGRADED, and any affected CI that is a service) include it. So
// an outage of something the service depends on counts against the
// service. Budgets (slaAtRisk, changeImpact) and service reports read a
// service's outages from here, so they agree on what counts.
func (a *Analyst) ServiceIncidents(ctx context.Context, serviceID string, from, to time.Time) ([]*itsm.Incident, error) {
	on, err := a.servicesIncidents(ctx, []string{serviceID}, from, to)
	return on[serviceID], err
}

// servicesIncidents is ServiceIncidents of several services, in one store
// call.
func (a *Analyst) servicesIncidents(ctx context.Context, serviceIDs []string, from, to time.Time) (map[string][]*itsm.Incident, error) {
	// The record links every impacted service (role SERVICE), so the
	// store's CI filter finds them.
	on, err := a.ITSM.IncidentsOnCIs(ctx, serviceIDs, itsm.IncidentFilter{From: &from, To: &to})
	if err != nil {
		return nil, fmt.Errorf("incidents of the services: %w", err)
	}
	return on, nil
}

// Outages returns the outages the incidents record (Incident.Outage), open
// ones with a zero End.
func Outages(incs []*itsm.Incident) []sla.Interval {
	var out []sla.Interval
	for _, inc := range incs {
		if iv, ok := inc.Outage(); ok {
			out = append(out, iv)
		}
	}
	return out
}

// effectOn is how a change's blast radius hits a service (a target that is
// the service itself counts as DOWN).
func effectOn(br impact.BlastRadius, c *itsm.Change, serviceID string) impact.Effect {
	for _, id := range c.TargetCIs {
		if id == serviceID {
			return impact.Down
		}
	}
	for _, im := range br.Services {
		if im.CI.ID == serviceID {
			return im.Effect
		}
	}
	return impact.Up
}

// incidents lists every incident matching the filter.
func (a *Analyst) incidents(ctx context.Context, f itsm.IncidentFilter) ([]*itsm.Incident, error) {
	return EveryPage(func(p graph.Page) ([]*itsm.Incident, graph.RecordPage, error) { return a.ITSM.ListIncidents(ctx, f, p) })
}

// EveryPage collects a newest-first record listing page by page.
func EveryPage[T any](list func(graph.Page) ([]T, graph.RecordPage, error)) ([]T, error) {
	var out []T
	// The lists it pages keep the default order.
	err := graph.EachRecordPage(graph.RecordOrder{}, func(p graph.Page) (graph.RecordPage, error) {
		page, rp, err := list(p)
		out = append(out, page...)
		return rp, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Package report computes service reports: availability against the SLA
// target with the error budget used, SLA breaches, response and resolution
// compliance by priority, MTTA, MTTR, MTBF, incidents, problems and changes
// of a service over a range of time, as totals and as a series of periods
// for charts, and the same for every service at once (the portfolio).
//
// Figures are computed when asked, from the records and the lifecycle
// history they carry (their transitions, with the real times of events
// forwarded late), read through the store contract, so they come out the
// same on every store and are never cached guesses. The definitions are in
// the README ("Reports"); the time arithmetic (service hours, periods,
// availability, error budgets) is package sla's, and what counts against a
// service is package analysis's, so a report agrees with slaAtRisk.
//
// The package sits above analysis and itsm, beside them rather than inside:
// analysis answers questions about now (what a change puts at risk, which
// SLA is about to breach), reports look back over a range, and they need
// nothing of analysis but the rule for a service's incidents.
package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// MaxPeriods bounds the series of a report, and so its cost: a year by
// day, thirty by month.
const MaxPeriods = 366

// Reporter computes reports through the ITSM service of an analyst.
type Reporter struct {
	Analyst *analysis.Analyst
}

// New returns a reporter over the analyst.
func New(a *analysis.Analyst) *Reporter { return &Reporter{Analyst: a} }

func (r *Reporter) itsm() *itsm.Service { return r.Analyst.ITSM }
func (r *Reporter) store() graph.Store  { return r.Analyst.ITSM.Store }

// Request is the range and granularity of a report.
type Request struct {
	// From and To bound the range [From, To).
	From, To time.Time
	// Granularity is the length of the series' periods: DAY, WEEK or
	// MONTH ("" means MONTH).
	Granularity sla.PeriodKind
}

// check validates the request and fills the default granularity.
func (q Request) check() (Request, error) {
	switch q.Granularity {
	case "":
		q.Granularity = sla.PeriodMonth
	case sla.PeriodDay, sla.PeriodWeek, sla.PeriodMonth:
	default:
		return q, graph.Invalid("granularity", "unknown granularity %q (want DAY, WEEK or MONTH)", q.Granularity)
	}
	switch {
	case q.From.IsZero():
		return q, graph.Invalid("from", "from is required")
	case q.To.IsZero():
		return q, graph.Invalid("to", "to is required")
	case !q.To.After(q.From):
		return q, graph.Invalid("to", "to %s is not after from %s", q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	return q, nil
}

// ServiceReport is one service's report over a range.
type ServiceReport struct {
	Service graph.CI
	// SLA is the one the report measures against: the service's strictest
	// (highest availability target, then lowest id); nil without one.
	SLA         *itsm.SLA
	From, To    time.Time
	Granularity sla.PeriodKind
	// AsOf is the instant the figures are as of: To, or now if that is
	// earlier.
	AsOf time.Time
	// TimeZone is where periods begin at midnight: the SLA's, else UTC.
	TimeZone *time.Location
	// Total covers [From, To); Series has one entry per period, the first
	// and last clipped to the range.
	Total  Figures
	Series []Figures
	// ChangesCausingIncidents are the changes of the service implemented
	// in the range that an incident names as its cause, oldest first.
	ChangesCausingIncidents []*itsm.Change
}

// ServiceReport reports on one service (a business or application service
// CI). Errors: INVALID_INPUT naming "serviceId", "from", "to" or
// "granularity" (a range of more than MaxPeriods periods is refused on
// "to"), NOT_FOUND on "serviceId".
func (r *Reporter) ServiceReport(ctx context.Context, serviceID string, q Request) (*ServiceReport, error) {
	if err := graph.CheckID("serviceId", serviceID); err != nil {
		return nil, err
	}
	q, err := q.check()
	if err != nil {
		return nil, err
	}
	svc, err := r.store().GetCI(ctx, serviceID)
	if err != nil {
		if graph.ErrorCode(err) == graph.CodeNotFound {
			return nil, graph.NotFound("serviceId", "CI", serviceID)
		}
		return nil, err
	}
	if !r.store().Catalogue().IsService(svc.Class) {
		return nil, graph.Invalid("serviceId", "reports are about services, and %s is %s", svc.Name, graph.Article(svc.Class))
	}
	slas, err := r.itsm().SLAs(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	return newRun(r, q).service(ctx, svc, strictest(slas))
}

// Portfolio reports on every service (every CI of a service class), worst
// first: by error budget used (highest first; services without an SLA
// after those with one), then availability (lowest first), then SLA
// breaches (most first), then name. Errors as ServiceReport's.
func (r *Reporter) Portfolio(ctx context.Context, q Request) ([]*ServiceReport, error) {
	q, err := q.check()
	if err != nil {
		return nil, err
	}
	services, err := r.services(ctx)
	if err != nil {
		return nil, err
	}
	slas, err := r.itsm().SLAs(ctx, "")
	if err != nil {
		return nil, err
	}
	byService := map[string][]*itsm.SLA{}
	for _, s := range slas {
		byService[s.ServiceID] = append(byService[s.ServiceID], s)
	}
	run := newRun(r, q)
	out := make([]*ServiceReport, 0, len(services))
	for _, svc := range services {
		rep, err := run.service(ctx, svc, strictest(byService[svc.ID]))
		if err != nil {
			return nil, fmt.Errorf("report on %s: %w", svc.Name, err)
		}
		out = append(out, rep)
	}
	sort.SliceStable(out, func(i, j int) bool { return worse(out[i], out[j]) })
	return out, nil
}

// services lists every CI of a service class, by name.
func (r *Reporter) services(ctx context.Context) ([]graph.CI, error) {
	var out []graph.CI
	for _, class := range r.store().Catalogue().Classes() {
		if !class.Service {
			continue
		}
		page := graph.Page{First: graph.MaxPageSize}
		for {
			p, err := r.store().ListCIs(ctx, graph.CIFilter{Class: class.Name}, page)
			if err != nil {
				return nil, fmt.Errorf("list %s services: %w", class.Name, err)
			}
			out = append(out, p.CIs...)
			if !p.HasNextPage || len(p.CIs) == 0 {
				break
			}
			page.After = graph.EncodeCursor(p.CIs[len(p.CIs)-1])
		}
	}
	sort.Slice(out, func(i, j int) bool { return graph.CursorLess(out[i].Name, out[i].ID, out[j].Name, out[j].ID) })
	return out, nil
}

// worse orders the portfolio, worst first.
func worse(a, b *ServiceReport) bool {
	if c := compareNil(a.Total.BudgetUsedPercent, b.Total.BudgetUsedPercent, func(x, y float64) bool { return x > y }); c != 0 {
		return c < 0
	}
	if c := compareNil(a.Total.Availability, b.Total.Availability, func(x, y float64) bool { return x < y }); c != 0 {
		return c < 0
	}
	if a.Total.SLABreaches != b.Total.SLABreaches {
		return a.Total.SLABreaches > b.Total.SLABreaches
	}
	return graph.CursorLess(a.Service.Name, a.Service.ID, b.Service.Name, b.Service.ID)
}

// compareNil orders values by first (nil last): -1 when x comes first.
func compareNil(x, y *float64, first func(x, y float64) bool) int {
	switch {
	case x == nil && y == nil:
		return 0
	case y == nil:
		return -1
	case x == nil:
		return 1
	case first(*x, *y):
		return -1
	case first(*y, *x):
		return 1
	}
	return 0
}

// strictest is the SLA a service is reported against: the highest
// availability target, ties to the lowest id (SLAs come sorted by id).
func strictest(slas []*itsm.SLA) *itsm.SLA {
	var best *itsm.SLA
	for _, s := range slas {
		if best == nil || s.AvailabilityTarget > best.AvailabilityTarget {
			best = s
		}
	}
	return best
}

// run holds what the services of one request share: the records read
// once, and the answers to per-record questions.
type run struct {
	r    *Reporter
	q    Request
	asOf time.Time

	problems []*itsm.Problem
	changes  []*itsm.Change
	loaded   bool
	// caused says whether any incident names a change as its cause.
	caused map[string]bool
	// impacts holds the services of incidents linked to problems.
	impacts map[string][]string
}

func newRun(r *Reporter, q Request) *run {
	asOf := r.itsm().Now()
	if q.To.Before(asOf) {
		asOf = q.To
	}
	if asOf.Before(q.From) {
		asOf = q.From
	}
	return &run{r: r, q: q, asOf: asOf, caused: map[string]bool{}, impacts: map[string][]string{}}
}

// load reads the problems and the changes implemented in the range, once.
func (u *run) load(ctx context.Context) error {
	if u.loaded {
		return nil
	}
	svc := u.r.itsm()
	var err error
	u.problems, err = analysis.EveryPage(func(p graph.Page) ([]*itsm.Problem, graph.RecordPage, error) {
		return svc.ListProblems(ctx, itsm.ProblemFilter{}, p)
	})
	if err != nil {
		return fmt.Errorf("list problems: %w", err)
	}
	// A change's record spans its planned and actual windows, so the ones
	// whose implementation ended in the range overlap it.
	f := itsm.ChangeFilter{States: []itsm.ChangeState{itsm.ChangeReview, itsm.ChangeClosed}, From: &u.q.From, To: &u.q.To}
	changes, err := analysis.EveryPage(func(p graph.Page) ([]*itsm.Change, graph.RecordPage, error) {
		return svc.ListChanges(ctx, f, p)
	})
	if err != nil {
		return fmt.Errorf("list changes: %w", err)
	}
	for _, c := range changes {
		if c.ActualEnd != nil && u.inRange(*c.ActualEnd) {
			u.changes = append(u.changes, c)
		}
	}
	slices.SortStableFunc(u.changes, func(a, b *itsm.Change) int { return a.ActualEnd.Compare(*b.ActualEnd) })
	u.loaded = true
	return nil
}

func (u *run) inRange(t time.Time) bool { return !t.Before(u.q.From) && t.Before(u.q.To) }

// causedIncident reports whether any incident names the change as its
// cause.
func (u *run) causedIncident(ctx context.Context, id string) (bool, error) {
	if v, ok := u.caused[id]; ok {
		return v, nil
	}
	page, err := u.r.store().ListRecords(ctx, graph.KindIncident, graph.RecordFilter{Ref: graph.RecordRef(graph.KindChange, id)}, graph.Page{First: 1})
	if err != nil {
		return false, fmt.Errorf("incidents caused by change %s: %w", id, err)
	}
	u.caused[id] = len(page.Records) > 0
	return u.caused[id], nil
}

// incidentServices returns the services of the incidents linked to the
// problems, reading those not yet known in one batch.
func (u *run) incidentServices(ctx context.Context, problems []*itsm.Problem) error {
	var missing []string
	for _, p := range problems {
		for _, id := range p.IncidentIDs {
			if _, ok := u.impacts[id]; !ok {
				missing = append(missing, id)
				u.impacts[id] = nil
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	incs, err := u.r.itsm().IncidentsByIDs(ctx, missing)
	if err != nil {
		return fmt.Errorf("incidents of problems: %w", err)
	}
	for _, inc := range incs {
		u.impacts[inc.ID] = inc.Services
	}
	return nil
}

// service computes one service's report against its SLA (nil: none).
func (u *run) service(ctx context.Context, svc graph.CI, s *itsm.SLA) (*ServiceReport, error) {
	var cal *sla.Calendar
	if s != nil {
		var err error
		if cal, err = s.Calendar(); err != nil {
			return nil, fmt.Errorf("SLA %s: %w", s.ID, err)
		}
	}
	rep := &ServiceReport{Service: svc, SLA: s, From: u.q.From, To: u.q.To, Granularity: u.q.Granularity, AsOf: u.asOf,
		TimeZone: cal.Location()}
	periods, ok := sla.Periods(u.q.Granularity, rep.TimeZone, u.q.From, u.q.To, MaxPeriods)
	if !ok {
		return nil, graph.Invalid("to", "from %s to %s is more than %d %s periods: shorten the range or choose a coarser granularity",
			u.q.From.Format(time.RFC3339), u.q.To.Format(time.RFC3339), MaxPeriods, u.q.Granularity)
	}
	if err := u.load(ctx); err != nil {
		return nil, err
	}
	incs, err := u.r.Analyst.ServiceIncidents(ctx, svc.ID, u.q.From, u.q.To)
	if err != nil {
		return nil, err
	}
	reach, err := u.reach(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	b := newBook(u.q.From, u.q.To, u.asOf, periods)
	if err := b.availability(s, cal, analysis.Outages(incs)); err != nil {
		return nil, err
	}
	for _, inc := range incs {
		resp, res, err := u.r.itsm().Clocks(ctx, inc, u.asOf)
		if err != nil {
			return nil, fmt.Errorf("clocks of incident %s: %w", inc.ID, err)
		}
		b.incident(inc, resp, res)
	}
	if err := u.problemsOf(ctx, b, svc.ID, reach, incs); err != nil {
		return nil, err
	}
	if rep.ChangesCausingIncidents, err = u.changesOf(ctx, b, reach, incs); err != nil {
		return nil, err
	}
	rep.Total, rep.Series = b.figures()
	return rep, nil
}

// reach is the service and everything it depends on (what dependencies
// lists, in the graph as it is now): changes and problems on these CIs are
// the service's.
func (u *run) reach(ctx context.Context, serviceID string) (map[string]bool, error) {
	deps, err := impact.ComputeDependencies(ctx, u.r.store(), serviceID, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %s: %w", serviceID, err)
	}
	out := map[string]bool{serviceID: true}
	for _, d := range deps {
		out[d.CI.ID] = true
	}
	return out, nil
}

// problemsOf books the service's problems: those linked to an incident
// that counts against it, or whose root-cause CI is in its reach.
func (u *run) problemsOf(ctx context.Context, b *book, serviceID string, reach map[string]bool, incs []*itsm.Incident) error {
	var active []*itsm.Problem
	for _, p := range u.problems {
		if b.touches(problemEvents(p)) {
			active = append(active, p)
		}
	}
	if err := u.incidentServices(ctx, active); err != nil {
		return err
	}
	for _, inc := range incs {
		u.impacts[inc.ID] = inc.Services
	}
	for _, p := range active {
		mine := p.RootCauseCI != "" && reach[p.RootCauseCI]
		for _, id := range p.IncidentIDs {
			mine = mine || slices.Contains(u.impacts[id], serviceID)
		}
		if mine {
			b.problem(p)
		}
	}
	return nil
}

// changesOf books the service's changes implemented in the range — those
// targeting a CI in its reach, or named as the cause of one of its
// incidents — and returns the ones that caused an incident.
func (u *run) changesOf(ctx context.Context, b *book, reach map[string]bool, incs []*itsm.Incident) ([]*itsm.Change, error) {
	blamed := map[string]bool{}
	for _, inc := range incs {
		if inc.CausedByChangeID != "" {
			blamed[inc.CausedByChangeID] = true
		}
	}
	var causing []*itsm.Change
	for _, c := range u.changes {
		mine := blamed[c.ID]
		for _, id := range c.TargetCIs {
			mine = mine || reach[id]
		}
		if !mine {
			continue
		}
		caused, err := u.causedIncident(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		b.change(c, caused)
		if caused {
			causing = append(causing, c)
		}
	}
	return causing, nil
}

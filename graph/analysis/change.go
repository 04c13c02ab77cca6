// Package analysis answers the questions change managers and on-call
// engineers ask of the graph and its ITSM records: what a change puts at
// risk, which CI most likely explains the incidents open now, and which
// services are breaching or about to breach their SLAs.
package analysis

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// Analyst runs analyses over a store through the ITSM service.
type Analyst struct {
	ITSM *itsm.Service
	// coverage is the monitoring coverage learned from incident history,
	// reused between rankings.
	coverage coverageCache
	// radii and causes hold what the analyses derive from the graph alone,
	// for the graph version they were computed at (see graphCache).
	radii  *graphCache[*radius]
	causes *graphCache[causeGraph]
}

// New returns an analyst over the service.
func New(svc *itsm.Service) *Analyst {
	return &Analyst{ITSM: svc,
		radii:  newGraphCache(cachedCIs, func(r *radius) int { return len(r.br.Impacted) + len(r.br.Sources) }),
		causes: newGraphCache(cachedCIs, func(g causeGraph) int { return len(g.sub.Nodes) + len(g.sub.Edges) }),
	}
}

func (a *Analyst) store() graph.Store { return a.ITSM.Store }

// Collision is another change whose window overlaps this one's and whose
// blast radius meets it.
type Collision struct {
	Change *itsm.Change
	// Shared are the CIs both changes would hit (targets included).
	Shared []string
}

// RiskReason is one itemised contribution to a risk score.
type RiskReason struct {
	Factor string
	Points int
	Detail string
}

func (r RiskReason) String() string { return fmt.Sprintf("+%d %s: %s", r.Points, r.Factor, r.Detail) }

// ChangeImpact is what a change puts at risk during its window.
type ChangeImpact struct {
	Change   *itsm.Change
	Blast    impact.BlastRadius
	SLAs     []SLARisk
	Collided []Collision
	Freezes  []*itsm.Window
	// RiskScore is 0 (routine) to 100 (do not do this).
	RiskScore int
	Reasons   []RiskReason
}

// Risk factor names, stable for dashboards.
const (
	FactorCriticality = "SERVICE_CRITICALITY"
	FactorBlastSize   = "BLAST_RADIUS"
	FactorRedundancy  = "REDUNDANCY_HEADROOM"
	FactorChangeType  = "CHANGE_TYPE"
	FactorLeadTime    = "LEAD_TIME"
	FactorFailureRate = "PAST_FAILURES"
	FactorIncidents   = "INCIDENTS_AFTER_CHANGES"
	FactorCollision   = "COLLISION"
	FactorFreeze      = "FREEZE"
	FactorSLA         = "SLA_BUDGET"
)

// historyWindow is how far back past changes and incidents on the same CIs
// are considered; followWindow is how soon after a change an incident on its
// CIs counts as following it.
const (
	historyWindow = 180 * 24 * time.Hour
	followWindow  = 24 * time.Hour
)

// ChangeImpact assesses a change: blast radius of its targets, SLAs at risk
// in its window, colliding changes, freeze violations and a risk score.
func (a *Analyst) ChangeImpact(ctx context.Context, changeID string) (*ChangeImpact, error) {
	if err := graph.CheckID("changeId", changeID); err != nil {
		return nil, err
	}
	c, err := a.ITSM.GetChange(ctx, changeID)
	if err != nil {
		return nil, renameNotFound(err, "changeId")
	}
	out := &ChangeImpact{Change: c}
	call, err := a.newCallCache(ctx)
	if err != nil {
		return nil, err
	}
	// The change and those it may collide with, side by side.
	others, err := call.liveChanges(ctx, c.PlannedStart, c.PlannedEnd)
	if err != nil {
		return nil, err
	}
	call.prefetch(ctx, append([]*itsm.Change{c}, others...))
	out.Blast, err = call.of(ctx, c)
	if err != nil {
		return nil, err
	}
	if out.Collided, err = a.collisions(ctx, c, call); err != nil {
		return nil, err
	}
	// The services its targets impact are the cached radius's.
	out.Freezes, err = a.ITSM.FreezeViolationsWith(ctx, c, func(context.Context) ([]string, error) {
		ids := make([]string, len(out.Blast.Services))
		for i, s := range out.Blast.Services {
			ids[i] = s.CI.ID
		}
		return ids, nil
	})
	if err != nil {
		return nil, err
	}
	if out.SLAs, err = a.slaRisksOfChange(ctx, c, out.Blast, a.ITSM.Now(), call); err != nil {
		return nil, err
	}
	reasons, err := a.riskReasons(ctx, c, out)
	if err != nil {
		return nil, err
	}
	if gone := call.gone(c); len(gone) > 0 {
		reasons = append(reasons, RiskReason{Factor: FactorDeletedCI, Detail: fmt.Sprintf(
			"%d target(s) no longer exist and are left out of the blast radius: %s", len(gone), describeGone(gone))})
	}
	score := 0
	for _, r := range reasons {
		score += r.Points
	}
	out.Reasons, out.RiskScore = reasons, min(score, 100)
	return out, nil
}

// AssessChange runs ChangeImpact and stores its summary on the change.
func (a *Analyst) AssessChange(ctx context.Context, changeID string) (*ChangeImpact, error) {
	ci, err := a.ChangeImpact(ctx, changeID)
	if err != nil {
		return nil, err
	}
	as := itsm.Assessment{At: a.ITSM.Now(), Actor: graph.ActorFrom(ctx), RiskScore: ci.RiskScore}
	for _, r := range ci.Reasons {
		as.Reasons = append(as.Reasons, r.String())
	}
	for _, s := range ci.Blast.Services {
		as.Services = append(as.Services, s.CI.ID)
	}
	if ci.Change, err = a.ITSM.SetAssessment(ctx, ci.Change, as); err != nil {
		return nil, err
	}
	return ci, nil
}

// collisions finds other live changes overlapping c's window whose blast
// radius (targets included) shares a CI with c's: two changes on different
// CIs still collide when both hit the same database or service.
func (a *Analyst) collisions(ctx context.Context, c *itsm.Change, call *callCache) ([]Collision, error) {
	others, err := call.liveChanges(ctx, c.PlannedStart, c.PlannedEnd)
	if err != nil {
		return nil, err
	}
	mine := call.hit(c)
	var out []Collision
	for _, o := range others {
		if o.ID == c.ID || !o.PlannedStart.Before(c.PlannedEnd) || !c.PlannedStart.Before(o.PlannedEnd) {
			continue
		}
		if _, err := call.of(ctx, o); err != nil {
			return nil, err
		}
		var shared []string
		for id := range call.hit(o) {
			if mine[id] {
				shared = append(shared, id)
			}
		}
		if len(shared) > 0 {
			sort.Strings(shared)
			out = append(out, Collision{Change: o, Shared: shared})
		}
	}
	return out, nil
}

// changesIn lists every change in the states whose window overlaps [from, to].
func (a *Analyst) changesIn(ctx context.Context, from, to time.Time, states []itsm.ChangeState) ([]*itsm.Change, error) {
	return EveryPage(func(p graph.Page) ([]*itsm.Change, graph.RecordPage, error) {
		return a.ITSM.ListChanges(ctx, itsm.ChangeFilter{States: states, From: &from, To: &to}, p)
	})
}

// riskReasons itemises the risk of a change.
func (a *Analyst) riskReasons(ctx context.Context, c *itsm.Change, ci *ChangeImpact) ([]RiskReason, error) {
	var rs []RiskReason
	add := func(factor string, points int, format string, args ...any) {
		if points > 0 {
			rs = append(rs, RiskReason{Factor: factor, Points: points, Detail: fmt.Sprintf(format, args...)})
		}
	}

	// The most critical service hit, weighted by how hard.
	critPoints := map[graph.Criticality]int{graph.CriticalityCritical: 25, graph.CriticalityHigh: 18, graph.CriticalityMedium: 10, graph.CriticalityLow: 4}
	best, bestName, bestEffect := 0, "", impact.Up
	for _, s := range ci.Blast.Services {
		p := critPoints[s.CI.Criticality]
		if s.Effect == impact.Degraded {
			p /= 2
		}
		if p > best {
			best, bestName, bestEffect = p, s.CI.Name, s.Effect
		}
	}
	add(FactorCriticality, best, "%s service %s would be %s", critOf(ci.Blast.Services, bestName), bestName, bestEffect)

	// Size of the blast radius, on a log scale: 1 CI → 2, 10 → 7, 100 → 13.
	if n := len(ci.Blast.Impacted); n > 0 {
		add(FactorBlastSize, min(15, int(math.Round(2+5*math.Log10(float64(n))))), "%d CIs impacted, %d of them services", n, len(ci.Blast.Services))
	}

	// Redundancy: a group left DEGRADED has lost headroom; one taken DOWN
	// has none left.
	down, degraded := 0, 0
	for _, im := range ci.Blast.Impacted {
		if cl, ok := a.store().Catalogue().Class(im.CI.Class); ok && cl.RedundancyGroup {
			if im.Effect == impact.Down {
				down++
			} else {
				degraded++
			}
		}
	}
	switch {
	case down > 0 && degraded > 0:
		add(FactorRedundancy, min(15, 10*down+4*degraded), "%s would go DOWN and %s would lose redundancy", groups(down), groups(degraded))
	case down > 0:
		add(FactorRedundancy, min(15, 10*down), "%s would go DOWN", groups(down))
	case degraded > 0:
		add(FactorRedundancy, min(15, 4*degraded), "%s would lose redundancy", groups(degraded))
	}

	// Type and lead time.
	typePoints := map[itsm.ChangeType]int{itsm.ChangeEmergency: 15, itsm.ChangeNormal: 5}
	add(FactorChangeType, typePoints[c.Type], "%s change", c.Type)
	if lead := c.PlannedStart.Sub(c.RequestedAt); lead < 72*time.Hour {
		pts := 5
		if lead < 24*time.Hour {
			pts = 10
		}
		add(FactorLeadTime, pts, "planned to start %s after it was requested", roundDuration(lead))
	}

	// Track record on these CIs.
	past, err := a.pastChangesOn(ctx, c)
	if err != nil {
		return nil, err
	}
	failed := 0
	for _, p := range past {
		if p.Outcome == itsm.OutcomeFailed || p.Outcome == itsm.OutcomeRolledBack {
			failed++
		}
	}
	if len(past) > 0 && failed > 0 {
		add(FactorFailureRate, int(math.Round(15*float64(failed)/float64(len(past)))), "%d of %d past changes on these CIs failed or were rolled back", failed, len(past))
	}
	followed, err := a.incidentsAfter(ctx, past)
	if err != nil {
		return nil, err
	}
	add(FactorIncidents, min(10, 4*followed), "%d incidents followed earlier changes on these CIs", followed)

	add(FactorCollision, min(15, 8*len(ci.Collided)), "%d other change(s) overlap this window and hit the same CIs", len(ci.Collided))
	add(FactorFreeze, min(20, 15*len(ci.Freezes)), "the window overlaps %d freeze windows", len(ci.Freezes))
	var atRisk []string
	for _, s := range ci.SLAs {
		if s.AtRisk {
			atRisk = append(atRisk, s.String())
		}
	}
	add(FactorSLA, min(15, 8*len(atRisk)), "%d SLA(s) would not have enough error budget left for the expected outage: %s",
		len(atRisk), strings.Join(atRisk, "; "))
	return rs, nil
}

// SLARisk is an SLA of a service the change takes DOWN, and whether the
// budget left in the period of the change's window covers it.
type SLARisk struct {
	SLA     *itsm.SLA
	Service graph.CI
	// SLABudget is the SLA's budget in the period of the change's window,
	// measured now, with the other live changes in that period (this one
	// left out): the same computation, and at the same instant the same
	// numbers, as slaAtRisk.
	SLABudget
	// ExpectedOutage is the service time of the change's window (from now
	// on, within that period) the service would be DOWN, beyond outages
	// already recorded.
	ExpectedOutage time.Duration
	// AtRisk: the expected outage, on top of what the committed changes
	// will take (overlaps counted once), does not fit in the budget left.
	AtRisk bool
}

func (r SLARisk) String() string {
	s := fmt.Sprintf("%q on %s: %s expected", r.SLA.Name, r.Service.Name, roundDuration(r.ExpectedOutage))
	if r.CommittedOutage > 0 {
		s += fmt.Sprintf(" plus %s committed (%s)", roundDuration(r.CommittedOutage), r.describe(true))
	}
	return s + fmt.Sprintf(" against %s of budget left", roundDuration(r.Availability.BudgetLeft))
}

// slaRisksOfChange measures, for every SLA of every service the change
// takes DOWN, whether the budget left in its window's period covers the
// change on top of the committed ones. Services only DEGRADED are expected
// to stay available.
func (a *Analyst) slaRisksOfChange(ctx context.Context, c *itsm.Change, br impact.BlastRadius, now time.Time, call *callCache) ([]SLARisk, error) {
	var out []SLARisk
	down := downServices(a.store().Catalogue(), br)
	var all []*itsm.SLA
	var withSLAs []string
	for _, head := range down {
		slas, err := call.slasOf(ctx, head.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, slas...)
		if len(slas) > 0 {
			withSLAs = append(withSLAs, head.ID)
		}
	}
	if len(withSLAs) == 0 {
		return nil, nil
	}
	call.services = withSLAs
	if err := a.prefetchPeriods(ctx, call, all, c.PlannedStart, now); err != nil {
		return nil, err
	}
	// The blast radius names CIs by their heads; a risk shows the service
	// whole: one store read for all of them.
	services, err := a.store().CIsByIDs(ctx, withSLAs)
	if err != nil {
		return nil, fmt.Errorf("services at risk: %w", err)
	}
	for _, id := range withSLAs {
		slas, err := call.slasOf(ctx, id)
		if err != nil {
			return nil, err
		}
		svc, ok := services[id]
		if !ok {
			return nil, graph.NotFound("serviceId", "CI", id)
		}
		for _, s := range slas {
			b, err := a.slaBudget(ctx, s, c.PlannedStart, now, c.ID, call)
			if err != nil {
				return nil, err
			}
			r := SLARisk{SLA: s, Service: svc, SLABudget: b}
			if !c.PlannedEnd.After(b.from) {
				out = append(out, r) // the window is over: nothing more to expect
				continue
			}
			own := b.window(c)
			if r.ExpectedOutage, err = b.outage(own); err != nil {
				return nil, err
			}
			total, err := b.outage(append(b.committedWindows(), own)...)
			if err != nil {
				return nil, err
			}
			r.AtRisk = b.Availability.WouldBreach(total)
			out = append(out, r)
		}
	}
	return out, nil
}

// downServices are the services a change takes DOWN: those its blast radius
// takes down, and targets that are services themselves.
func downServices(cat *graph.Catalogue, br impact.BlastRadius) []graph.CIHead {
	var out []graph.CIHead
	for _, src := range br.Sources {
		if cat.IsService(src.Class) {
			out = append(out, src)
		}
	}
	for _, s := range br.Services {
		if s.Effect == impact.Down {
			out = append(out, s.CI)
		}
	}
	return out
}

// pastChangesOn lists closed changes of the last historyWindow that targeted
// any of c's targets.
func (a *Analyst) pastChangesOn(ctx context.Context, c *itsm.Change) ([]*itsm.Change, error) {
	seen := map[string]*itsm.Change{}
	from := c.PlannedStart.Add(-historyWindow)
	for _, target := range c.TargetCIs {
		page, err := EveryPage(func(p graph.Page) ([]*itsm.Change, graph.RecordPage, error) {
			return a.ITSM.ListChanges(ctx, itsm.ChangeFilter{States: []itsm.ChangeState{itsm.ChangeClosed}, CI: target, From: &from, To: &c.PlannedStart}, p)
		})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if p.ID != c.ID {
				seen[p.ID] = p
			}
		}
	}
	out := make([]*itsm.Change, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// incidentsAfter counts incidents blamed on the changes, or raised on their
// targets within followWindow after they ended.
func (a *Analyst) incidentsAfter(ctx context.Context, changes []*itsm.Change) (int, error) {
	counted := map[string]bool{}
	for _, ch := range changes {
		end := ch.PlannedEnd
		if ch.ActualEnd != nil {
			end = *ch.ActualEnd
		}
		until := end.Add(followWindow)
		for _, target := range ch.TargetCIs {
			incs, err := a.incidents(ctx, itsm.IncidentFilter{CI: target, From: &end, To: &until})
			if err != nil {
				return 0, err
			}
			for _, inc := range incs {
				if !inc.OpenedAt.Before(end) && inc.OpenedAt.Before(until) || inc.CausedByChangeID == ch.ID {
					counted[inc.ID] = true
				}
			}
		}
	}
	return len(counted), nil
}

func groups(n int) string {
	if n == 1 {
		return "1 redundancy group"
	}
	return fmt.Sprintf("%d redundancy groups", n)
}

func critOf(services []impact.Impacted, name string) string {
	for _, s := range services {
		if s.CI.Name == name {
			return string(s.CI.Criticality)
		}
	}
	return ""
}

// roundDuration writes a duration for people, to the minute: "45m", "2h",
// "1h30m", "3d".
func roundDuration(d time.Duration) string {
	if d < 0 {
		return "-" + roundDuration(-d)
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// renameNotFound names the argument when the record itself is missing.
func renameNotFound(err error, field string) error {
	if graph.ErrorCode(err) != graph.CodeNotFound {
		return err
	}
	return graph.RenameField(err, "id", field)
}

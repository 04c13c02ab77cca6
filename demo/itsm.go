package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// LoadITSM adds the demo's ITSM layer on top of the estate (Load first):
// SLAs on the services, open incidents (one a payments outage right after a
// failed deployment), a known-error problem, scheduled changes (two of them
// colliding), a freeze and a maintenance window. Times are relative to now so
// every analysis shows something meaningful the moment Ripple starts.
//
// Records have no natural keys, so idempotence is by marker: if the Online
// Shop already has an SLA the layer is considered loaded and nothing is
// written.
func LoadITSM(ctx context.Context, svc *itsm.Service, now time.Time) (bool, error) {
	ids, err := demoIDs(ctx, svc.Store)
	if err != nil {
		return false, err
	}
	existing, err := svc.SLAs(ctx, ids["Online Shop"])
	if err != nil || len(existing) > 0 {
		return false, err
	}
	ctx = graph.WithActor(ctx, "demo")
	l := loader{ctx: ctx, svc: svc, ids: ids, now: now.UTC()}
	l.slas()
	l.history()
	l.incidents()
	l.changes()
	return true, l.err
}

// loader keeps the first error so the script reads as a story.
type loader struct {
	ctx context.Context
	svc *itsm.Service
	ids map[string]string
	now time.Time
	err error
}

// at returns a service whose clock reads t, so the demo can record things
// that happened in the past (a failed deployment an hour ago).
func (l *loader) at(t time.Time) *itsm.Service {
	s := *l.svc
	s.Now = func() time.Time { return t }
	return &s
}

func (l *loader) cis(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = l.ids[n]
	}
	return out
}

func (l *loader) do(what string, f func() error) {
	if l.err == nil {
		if err := f(); err != nil {
			l.err = fmt.Errorf("demo %s: %w", what, err)
		}
	}
}

func targets(p1, p2, p3, p4 [2]time.Duration) []itsm.PriorityTarget {
	return []itsm.PriorityTarget{
		{Priority: itsm.P1, Response: p1[0], Resolution: p1[1]},
		{Priority: itsm.P2, Response: p2[0], Resolution: p2[1]},
		{Priority: itsm.P3, Response: p3[0], Resolution: p3[1]},
		{Priority: itsm.P4, Response: p4[0], Resolution: p4[1]},
	}
}

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

func (l *loader) slas() {
	standard := targets([2]time.Duration{15 * minute, 4 * hour}, [2]time.Duration{30 * minute, 8 * hour},
		[2]time.Duration{4 * hour, 3 * day}, [2]time.Duration{day, 10 * day})
	always := sla.ServiceHours{Always: true}
	office := sla.ServiceHours{TimeZone: "Europe/Berlin", Weekly: []sla.WeeklyHours{
		{Days: []string{"MON", "TUE", "WED", "THU", "FRI", "SAT"}, Start: "07:00", End: "22:00"}}}
	for _, s := range []itsm.CreateSLAInput{
		{ServiceID: l.ids["Online Shop"], Name: "Online Shop availability", AvailabilityTarget: 99.9, Period: "MONTH", Targets: standard, ServiceHours: always},
		{ServiceID: l.ids["Payments"], Name: "Payments availability", AvailabilityTarget: 99.95, Period: "MONTH", Targets: standard, ServiceHours: always},
		{ServiceID: l.ids["Checkout"], Name: "Checkout OLA", AvailabilityTarget: 99.9, Period: "MONTH", Targets: standard, ServiceHours: always},
		{ServiceID: l.ids["Catalog"], Name: "Catalog business hours", AvailabilityTarget: 99.5, Period: "MONTH", Targets: standard, ServiceHours: office},
	} {
		l.do("SLA "+s.Name, func() error { _, err := l.svc.CreateSLA(l.ctx, s); return err })
	}
}

// history: a resolved catalog outage earlier in the month eats into budgets,
// and a closed change that went wrong makes the payments pods look risky.
func (l *loader) history() {
	opened := l.now.Add(-50 * hour)
	end := opened.Add(38 * minute)
	l.do("past incident", func() error {
		s := l.at(opened)
		inc, err := s.CreateIncident(l.ctx, itsm.CreateIncidentInput{Title: "Catalog database unreachable", AffectedCIs: l.cis("catalog-db"),
			Impact: ptr(1), Urgency: ptr(1), OutageStart: &opened})
		if err != nil {
			return err
		}
		if _, err = l.at(opened.Add(9*minute)).TransitionIncident(l.ctx, inc.ID, itsm.IncidentInProgress, "failing over"); err != nil {
			return err
		}
		_, err = l.at(end).TransitionIncident(l.ctx, inc.ID, itsm.IncidentResolved, "replica promoted")
		return err
	})
	l.do("past change", func() error {
		start := l.now.Add(-6 * day)
		c, err := l.at(start.Add(-2*day)).CreateChange(l.ctx, itsm.CreateChangeInput{Title: "Resize payments-api memory limits", Type: itsm.ChangeStandard,
			TargetCIs: l.cis("payments-api-0"), PlannedStart: start, PlannedEnd: start.Add(hour)})
		if err != nil {
			return err
		}
		return l.walk(c.ID, start, itsm.OutcomeRolledBack)
	})
}

// walk takes a standard change through its lifecycle starting at t.
func (l *loader) walk(id string, t time.Time, outcome itsm.ChangeOutcome) error {
	steps := []itsm.ChangeState{itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview, itsm.ChangeClosed}
	for i, st := range steps {
		o := itsm.ChangeOutcome("")
		if st == itsm.ChangeClosed {
			o = outcome
		}
		if _, err := l.at(t.Add(time.Duration(i)*20*minute)).TransitionChange(l.ctx, id, st, o, ""); err != nil {
			return err
		}
	}
	return nil
}

// incidents: a payments outage 25 minutes after a deployment that failed,
// slow checkout pods, and replica lag that is a known error.
func (l *loader) incidents() {
	deployStart := l.now.Add(-70 * minute)
	l.do("deployment", func() error {
		c, err := l.at(deployStart.Add(-day)).CreateChange(l.ctx, itsm.CreateChangeInput{Title: "Deploy payments-api 3.2.1", Type: itsm.ChangeStandard,
			TargetCIs: l.cis("payments-api-0"), PlannedStart: deployStart, PlannedEnd: deployStart.Add(30 * minute)})
		if err != nil {
			return err
		}
		return l.walk(c.ID, deployStart, itsm.OutcomeFailed)
	})
	outage := l.now.Add(-25 * minute)
	l.do("payments outage", func() error {
		opened := outage.Add(3 * minute)
		inc, err := l.svc.CreateIncident(l.ctx, itsm.CreateIncidentInput{Title: "Payments failing with HTTP 502", AffectedCIs: l.cis("payments-api-0"),
			Impact: ptr(1), Urgency: ptr(1), OpenedAt: &opened, OutageStart: &outage})
		if err != nil {
			return err
		}
		_, err = l.at(opened.Add(4*minute)).TransitionIncident(l.ctx, inc.ID, itsm.IncidentInProgress, "on-call engaged")
		return err
	})
	for _, in := range []itsm.CreateIncidentInput{
		{Title: "Checkout requests time out", AffectedCIs: l.cis("checkout-api"), Impact: ptr(1), Urgency: ptr(2), OpenedAt: ptr(l.now.Add(-18 * minute))},
		{Title: "Payment Processing error rate high", AffectedCIs: l.cis("Payment Processing"), Impact: ptr(2), Urgency: ptr(1), OpenedAt: ptr(l.now.Add(-20 * minute))},
		{Title: "Checkout pod checkout-api-7d9f-b restarting", AffectedCIs: l.cis("checkout-api-7d9f-b"), Impact: ptr(3), Urgency: ptr(2), OpenedAt: ptr(l.now.Add(-3 * hour))},
	} {
		l.do("incident "+in.Title, func() error { _, err := l.svc.CreateIncident(l.ctx, in); return err })
	}
	l.do("known error", func() error {
		inc, err := l.svc.CreateIncident(l.ctx, itsm.CreateIncidentInput{Title: "Orders replica lagging behind primary",
			AffectedCIs: l.cis("orders-db-replica"), Impact: ptr(3), Urgency: ptr(3), OpenedAt: ptr(l.now.Add(-5 * hour))})
		if err != nil {
			return err
		}
		p, err := l.svc.CreateProblem(l.ctx, itsm.CreateProblemInput{Title: "Recurring replica lag on orders-db",
			Description: "Write latency spikes on the shared SAN LUN stall WAL replay.", IncidentIDs: []string{inc.ID},
			RootCauseCI: l.ids["san-lun-07"], Workaround: "Move the replica's WAL to local NVMe until the LUN is migrated."})
		if err != nil {
			return err
		}
		if _, err = l.svc.TransitionProblem(l.ctx, p.ID, itsm.ProblemInvestigating, ""); err != nil {
			return err
		}
		_, err = l.svc.TransitionProblem(l.ctx, p.ID, itsm.ProblemKnownError, "root cause confirmed by storage team")
		return err
	})
}

// changes: an approved database upgrade and an emergency node patch in
// overlapping windows (both hit Checkout: a collision), a certificate
// rotation, and a freeze over the peak weekend.
func (l *loader) changes() {
	upgrade := l.now.Add(2 * day).Truncate(hour)
	l.do("freeze", func() error {
		_, err := l.svc.CreateWindow(l.ctx, itsm.CreateWindowInput{Name: "Peak-weekend freeze", Kind: itsm.WindowFreeze,
			Start: l.now.Add(4 * day).Truncate(day), End: l.now.Add(6 * day).Truncate(day), Scope: l.cis("Online Shop"), Reason: "Black Friday weekend"})
		return err
	})
	l.do("maintenance window", func() error {
		_, err := l.svc.CreateWindow(l.ctx, itsm.CreateWindowInput{Name: "Database maintenance", Kind: itsm.WindowMaintenance,
			Start: upgrade.Add(-hour), End: upgrade.Add(3 * hour), Scope: l.cis("orders-db")})
		return err
	})
	l.do("database upgrade", func() error {
		c, err := l.svc.CreateChange(l.ctx, itsm.CreateChangeInput{Title: "Upgrade PostgreSQL to 16.6 on orders-db-primary", Type: itsm.ChangeNormal,
			TargetCIs: l.cis("orders-db-primary"), PlannedStart: upgrade, PlannedEnd: upgrade.Add(2 * hour)})
		if err != nil {
			return err
		}
		if _, err = l.svc.TransitionChange(l.ctx, c.ID, itsm.ChangeAssessed, "", ""); err != nil {
			return err
		}
		if _, err = l.svc.ApproveChange(graph.WithActor(l.ctx, "cab-chair"), c.ID, itsm.Approve, "approved at CAB"); err != nil {
			return err
		}
		_, err = l.svc.TransitionChange(l.ctx, c.ID, itsm.ChangeScheduled, "", "")
		return err
	})
	l.do("node patch", func() error {
		_, err := l.svc.CreateChange(l.ctx, itsm.CreateChangeInput{Title: "Kernel patch on k8s-node-2 and k8s-node-3", Type: itsm.ChangeEmergency,
			TargetCIs: l.cis("k8s-node-2", "k8s-node-3"), PlannedStart: upgrade.Add(hour), PlannedEnd: upgrade.Add(3 * hour)})
		return err
	})
	l.do("certificate rotation", func() error {
		start := l.now.Add(3 * day).Truncate(hour)
		c, err := l.svc.CreateChange(l.ctx, itsm.CreateChangeInput{Title: "Rotate TLS certificates on lb-01", Type: itsm.ChangeStandard,
			TargetCIs: l.cis("lb-01"), PlannedStart: start, PlannedEnd: start.Add(30 * minute)})
		if err != nil {
			return err
		}
		_, err = l.svc.TransitionChange(l.ctx, c.ID, itsm.ChangeScheduled, "", "")
		return err
	})
}

// demoIDs maps demo CI names to their ids through the "demo" identifier.
func demoIDs(ctx context.Context, s graph.Store) (map[string]string, error) {
	ids := map[string]string{}
	cis, _ := estate()
	for _, c := range cis {
		page, err := s.ListCIs(ctx, graph.CIFilter{Identifier: c.name}, graph.Page{First: 5})
		if err != nil {
			return nil, err
		}
		for _, found := range page.CIs {
			for _, id := range found.Identifiers {
				if id.Kind == IdentifierKind && id.Value == c.name {
					ids[c.name] = found.ID
				}
			}
		}
		if ids[c.name] == "" {
			return nil, graph.Errorf(graph.CodeNotFound, "", "demo CI %q is missing: load the demo estate first", c.name)
		}
	}
	return ids, nil
}

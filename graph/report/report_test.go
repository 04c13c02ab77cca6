package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/report"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

func ptr[T any](v T) *T { return &v }

// utc builds an instant in November 2026 (UTC) from day, hour and minute.
func nov(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

// estate: Shop -> shop-app -> shop-db -RUNS_ON-> db-vm, Other ->
// other-app, a service that shares nothing with the shop, and Quiet, a
// service with an SLA and nothing happening.
type estate struct {
	shop, app, db, vm, other, otherApp, quiet graph.CI
}

func build(t *testing.T, s graph.Store) estate {
	t.Helper()
	ctx := context.Background()
	mk := func(name, class string) graph.CI {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		return res.CI
	}
	e := estate{shop: mk("Shop", graph.ClassBusinessService), app: mk("shop-app", graph.ClassApplication),
		db: mk("shop-db", graph.ClassDatabase), vm: mk("db-vm", graph.ClassVirtualMachine),
		other: mk("Other", graph.ClassBusinessService), otherApp: mk("other-app", graph.ClassApplication),
		quiet: mk("Quiet", graph.ClassApplicationService)}
	for _, r := range [][3]string{{e.shop.ID, graph.RelDependsOn, e.app.ID}, {e.app.ID, graph.RelDependsOn, e.db.ID},
		{e.db.ID, graph.RelRunsOn, e.vm.ID}, {e.other.ID, graph.RelDependsOn, e.otherApp.ID}} {
		if _, err := s.Relate(ctx, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// history records November 2026 for the shop, every event back-dated as
// an integration forwarding it late would:
//
//	A  P1 on shop-db   opened 10th 10:00, outage 10:00–11:30 (90 min),
//	   responded 10:10, resolved 11:30, closed on the 11th
//	C  P2 on shop-app  opened 20th 08:00, outage 08:00–10:00, responded 09:00
//	   (30 min target: missed), resolved 10:00; caused by change Ch2
//	D  P3 on db-vm     opened 20th 09:00, outage 09:00–10:30 (merges with C's:
//	   08:00–10:30 is one 150-minute failure), responded 09:05, resolved 10:30;
//	   caused by change Ch3
//	E  P1 on shop-app  opened 25th 12:00, never answered: response (12:15) and
//	   resolution (16:00) missed
//	B  P3 on other-app opened 10th, outage 00:00–01:00: not the shop's
//
// Outage 240 min of 43,200 → availability 99.4444…%, budget 43.2 min.
type history struct {
	a, c, d, e, b *itsm.Incident
	ch2, ch3      *itsm.Change
}

type recorder struct {
	t   *testing.T
	ctx context.Context
	svc *itsm.Service
}

func (r recorder) incident(title string, ci graph.CI, impact, urgency int, opened time.Time, outage bool, cause *itsm.Change) *itsm.Incident {
	r.t.Helper()
	in := itsm.CreateIncidentInput{Title: title, AffectedCIs: []string{ci.ID}, Impact: &impact, Urgency: &urgency, OpenedAt: &opened}
	if outage {
		in.OutageStart = &opened
	}
	if cause != nil {
		in.CausedByChangeID = cause.ID
	}
	inc, err := r.svc.CreateIncident(r.ctx, in)
	if err != nil {
		r.t.Fatal(err)
	}
	return inc
}

func (r recorder) move(inc *itsm.Incident, steps ...any) {
	r.t.Helper()
	for i := 0; i+1 < len(steps); i += 2 {
		if _, err := r.svc.TransitionIncidentAt(r.ctx, inc.ID, steps[i].(itsm.IncidentState), "", steps[i+1].(time.Time)); err != nil {
			r.t.Fatal(err)
		}
	}
}

// change requests a change at requested and takes it through the given
// states, each at its time; approvals are given by "cab".
func (r recorder) change(title string, typ itsm.ChangeType, target graph.CI, requested time.Time, steps ...any) *itsm.Change {
	r.t.Helper()
	c, err := r.svc.CreateChange(r.ctx, itsm.CreateChangeInput{Title: title, Type: typ, TargetCIs: []string{target.ID},
		PlannedStart: requested.Add(24 * time.Hour), PlannedEnd: requested.Add(25 * time.Hour), RequestedAt: &requested})
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(steps); i += 2 {
		at := steps[i+1].(time.Time)
		switch st := steps[i].(type) {
		case itsm.ChangeState:
			_, err = r.svc.TransitionChangeAt(r.ctx, c.ID, st, "", "", at)
		case itsm.ChangeOutcome:
			_, err = r.svc.TransitionChangeAt(r.ctx, c.ID, itsm.ChangeClosed, st, "", at)
		case itsm.Decision:
			_, err = r.svc.ApproveChangeAt(graph.WithActor(r.ctx, "cab"), c.ID, st, "", at)
		}
		if err != nil {
			r.t.Fatalf("%s: %v at %s: %v", title, steps[i], at, err)
		}
	}
	return c
}

func (r recorder) problem(title string, root graph.CI, opened time.Time, incidents []string, steps ...any) {
	r.t.Helper()
	p, err := r.svc.CreateProblem(r.ctx, itsm.CreateProblemInput{Title: title, RootCauseCI: root.ID, OpenedAt: &opened, IncidentIDs: incidents})
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(steps); i += 2 {
		if _, err := r.svc.TransitionProblemAt(r.ctx, p.ID, steps[i].(itsm.ProblemState), "", steps[i+1].(time.Time)); err != nil {
			r.t.Fatal(err)
		}
	}
}

var (
	p1p2p3 = []itsm.PriorityTarget{
		{Priority: itsm.P1, Response: 15 * time.Minute, Resolution: 4 * time.Hour},
		{Priority: itsm.P2, Response: 30 * time.Minute, Resolution: 8 * time.Hour},
		{Priority: itsm.P3, Response: 4 * time.Hour, Resolution: 72 * time.Hour},
	}
	// testNow is after the month reported on.
	testNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
)

func record(t *testing.T, svc *itsm.Service, e estate) history {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e.shop.ID, Name: "Shop", AvailabilityTarget: 99.9,
		Targets: p1p2p3, ServiceHours: sla.ServiceHours{Always: true}}); err != nil {
		t.Fatal(err)
	}
	// A laxer SLA on the same service: the report uses the strictest.
	if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e.shop.ID, Name: "Shop (lax)", AvailabilityTarget: 99,
		ServiceHours: sla.ServiceHours{Always: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e.quiet.ID, Name: "Quiet", AvailabilityTarget: 99.5}); err != nil {
		t.Fatal(err)
	}
	r := recorder{t: t, ctx: ctx, svc: svc}
	const (
		review   = itsm.ChangeReview
		impl     = itsm.ChangeImplementing
		sched    = itsm.ChangeScheduled
		assessed = itsm.ChangeAssessed
	)
	var h history
	// Ch1 STANDARD on db-vm: implemented on the 5th, SUCCESSFUL.
	r.change("Ch1 patch db-vm", itsm.ChangeStandard, e.vm, nov(1, 9, 0),
		sched, nov(1, 10, 0), impl, nov(5, 2, 0), review, nov(5, 3, 0), itsm.OutcomeSuccessful, nov(6, 9, 0))
	// Ch2 NORMAL on shop-app: implemented on the 20th, ROLLED_BACK; caused C.
	h.ch2 = r.change("Ch2 deploy shop-app", itsm.ChangeNormal, e.app, nov(15, 9, 0),
		assessed, nov(15, 10, 0), itsm.Approve, nov(16, 9, 0), sched, nov(16, 10, 0),
		impl, nov(20, 7, 30), review, nov(20, 7, 50), itsm.OutcomeRolledBack, nov(21, 9, 0))
	// Ch3 EMERGENCY on other-app, still in REVIEW: not on the shop's
	// dependencies, but D names it as its cause.
	h.ch3 = r.change("Ch3 hotfix other-app", itsm.ChangeEmergency, e.otherApp, nov(19, 9, 0),
		itsm.Approve, nov(19, 10, 0), sched, nov(19, 11, 0), impl, nov(20, 8, 30), review, nov(20, 8, 45))
	// Ch4 on shop-db, implemented in October: not in the range.
	r.change("Ch4 tune shop-db", itsm.ChangeStandard, e.db, time.Date(2026, 10, 28, 9, 0, 0, 0, time.UTC),
		sched, time.Date(2026, 10, 28, 10, 0, 0, 0, time.UTC), impl, time.Date(2026, 10, 30, 2, 0, 0, 0, time.UTC),
		review, time.Date(2026, 10, 30, 3, 0, 0, 0, time.UTC), itsm.OutcomeSuccessful, nov(2, 9, 0))
	// Ch5 on other-app, implemented on the 8th: the other service's.
	r.change("Ch5 other-app", itsm.ChangeStandard, e.otherApp, nov(7, 9, 0),
		sched, nov(7, 10, 0), impl, nov(8, 2, 0), review, nov(8, 3, 0), itsm.OutcomeFailed, nov(8, 9, 0))

	h.a = r.incident("A", e.db, 1, 1, nov(10, 10, 0), true, nil)
	r.move(h.a, itsm.IncidentInProgress, nov(10, 10, 10), itsm.IncidentResolved, nov(10, 11, 30), itsm.IncidentClosed, nov(11, 9, 0))
	h.b = r.incident("B", e.otherApp, 2, 2, nov(10, 0, 0), true, nil)
	r.move(h.b, itsm.IncidentInProgress, nov(10, 0, 30), itsm.IncidentResolved, nov(10, 1, 0))
	h.c = r.incident("C", e.app, 1, 2, nov(20, 8, 0), true, h.ch2)
	r.move(h.c, itsm.IncidentInProgress, nov(20, 9, 0), itsm.IncidentResolved, nov(20, 10, 0))
	h.d = r.incident("D", e.vm, 2, 2, nov(20, 9, 0), true, h.ch3)
	r.move(h.d, itsm.IncidentInProgress, nov(20, 9, 5), itsm.IncidentResolved, nov(20, 10, 30))
	h.e = r.incident("E", e.app, 1, 1, nov(25, 12, 0), false, nil)

	// Problems: one opened on the 12th for A, known error on the 14th,
	// resolved on the 28th; one opened in October on db-vm and resolved on
	// the 3rd; one on the other service.
	r.problem("PA", e.db, nov(12, 9, 0), []string{h.a.ID},
		itsm.ProblemInvestigating, nov(13, 9, 0), itsm.ProblemKnownError, nov(14, 9, 0), itsm.ProblemResolved, nov(28, 9, 0))
	r.problem("PC", e.vm, time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC), nil,
		itsm.ProblemInvestigating, time.Date(2026, 10, 21, 9, 0, 0, 0, time.UTC), itsm.ProblemResolved, nov(3, 9, 0))
	r.problem("PB", e.otherApp, nov(5, 9, 0), nil)
	return h
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, deref(got), want)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func wantDuration(t *testing.T, what string, got *time.Duration, want time.Duration) {
	t.Helper()
	if got == nil || *got != want {
		t.Errorf("%s = %v, want %v", what, deref(got), want)
	}
}

func TestServiceReport(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		svc := itsm.New(s)
		svc.Now = func() time.Time { return testNow }
		e := build(t, s)
		h := record(t, svc, e)
		rep := report.New(analysis.New(svc))

		r, err := rep.ServiceReport(ctx, e.shop.ID, report.Request{From: nov(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Granularity: sla.PeriodWeek})
		if err != nil {
			t.Fatal(err)
		}
		if r.SLA == nil || r.SLA.AvailabilityTarget != 99.9 || !r.AsOf.Equal(r.To) || r.TimeZone != time.UTC {
			t.Fatalf("SLA %+v, asOf %s, zone %s: want the 99.9 SLA, as of the end, in UTC", r.SLA, r.AsOf, r.TimeZone)
		}
		tot := r.Total
		month := 30 * 24 * time.Hour
		if tot.ServiceTime != month || tot.ElapsedServiceTime != month {
			t.Errorf("service time %v, elapsed %v, want 720h", tot.ServiceTime, tot.ElapsedServiceTime)
		}
		// By hand: 90 + 150 minutes down of 43,200.
		if tot.Outage != 240*time.Minute {
			t.Errorf("outage %v, want 4h", tot.Outage)
		}
		near(t, "availability", tot.Availability, 100*(43200.0-240)/43200)
		wantDuration(t, "budget", tot.Budget, 43*time.Minute+12*time.Second)
		near(t, "budget used", tot.BudgetUsedPercent, 100*240/43.2)
		if tot.AvailabilityMet == nil || *tot.AvailabilityMet {
			t.Errorf("availability met %v, want false", deref(tot.AvailabilityMet))
		}
		if tot.Failures != 2 {
			t.Errorf("failures %d, want 2 (C and D overlap)", tot.Failures)
		}
		wantDuration(t, "MTBF", tot.MTBF, (43200-240)*time.Minute/2)
		wantDuration(t, "MTTA", tot.MTTA, (10+60+5)*time.Minute/3)
		wantDuration(t, "MTTR", tot.MTTR, (90+120+90)*time.Minute/3)
		if tot.SLABreaches != 3 {
			t.Errorf("SLA breaches %d, want 3 (C's response, E's response and resolution)", tot.SLABreaches)
		}
		wantCompliance := []report.PriorityCompliance{
			{Priority: itsm.P1, ResponseMet: 1, ResponseMissed: 1, ResolutionMet: 1, ResolutionMissed: 1},
			{Priority: itsm.P2, ResponseMissed: 1, ResolutionMet: 1},
			{Priority: itsm.P3, ResponseMet: 1, ResolutionMet: 1},
			{Priority: itsm.P4},
		}
		for i, c := range tot.Compliance {
			if c != wantCompliance[i] {
				t.Errorf("compliance %+v, want %+v", c, wantCompliance[i])
			}
		}
		near(t, "P1 response compliance", tot.Compliance[0].ResponseCompliance(), 50)
		if tot.Compliance[3].ResponseCompliance() != nil {
			t.Error("P4 has no clocks: compliance should be nil")
		}
		inc := tot.Incidents
		if inc.Opened != 4 || inc.Resolved != 3 || inc.ByPriority[0].Count != 2 || inc.ByPriority[1].Count != 1 || inc.ByPriority[2].Count != 1 {
			t.Errorf("incidents %+v", inc)
		}
		states := map[itsm.IncidentState]int{}
		for _, sc := range inc.ByState {
			states[sc.State] = sc.Count
		}
		if states[itsm.IncidentClosed] != 1 || states[itsm.IncidentResolved] != 2 || states[itsm.IncidentNew] != 1 {
			t.Errorf("incidents by state %+v", inc.ByState)
		}
		if p := tot.Problems; p != (report.ProblemFigures{Opened: 1, Resolved: 2, KnownErrors: 1}) {
			t.Errorf("problems %+v, want 1 opened, 2 resolved, 1 known error", p)
		}
		ch := tot.Changes
		if ch.Implemented != 3 || ch.CausedIncidents != 2 || ch.Failed != 2 {
			t.Errorf("changes %+v, want 3 implemented (Ch1-3), 2 caused incidents and failed", ch)
		}
		for i, want := range []int{1, 1, 1} {
			if ch.ByType[i].Count != want {
				t.Errorf("changes by type %+v", ch.ByType)
			}
		}
		if ch.ByOutcome[0].Count != 1 || ch.ByOutcome[1].Count != 0 || ch.ByOutcome[2].Count != 1 {
			t.Errorf("changes by outcome %+v, want one SUCCESSFUL, one ROLLED_BACK (Ch3 is still in review)", ch.ByOutcome)
		}
		near(t, "change failure rate", ch.FailureRate(), 200.0/3)
		if got := r.ChangesCausingIncidents; len(got) != 2 || got[0].ID != h.ch2.ID || got[1].ID != h.ch3.ID {
			t.Errorf("changes causing incidents %v, want Ch2, Ch3", got)
		}

		// Weekly series: ISO weeks, the first and last clipped to November.
		wantStarts := []time.Time{nov(1, 0, 0), nov(2, 0, 0), nov(9, 0, 0), nov(16, 0, 0), nov(23, 0, 0), nov(30, 0, 0)}
		if len(r.Series) != len(wantStarts) {
			t.Fatalf("%d periods, want %d", len(r.Series), len(wantStarts))
		}
		var outage time.Duration
		for i, p := range r.Series {
			if !p.Start.Equal(wantStarts[i]) {
				t.Errorf("period %d starts %s, want %s", i, p.Start, wantStarts[i])
			}
			outage += p.Outage
		}
		if outage != tot.Outage {
			t.Errorf("the periods' outages add up to %v, not %v", outage, tot.Outage)
		}
		wk := r.Series[3] // 16–23: C and D
		if wk.Outage != 150*time.Minute || wk.Failures != 1 || wk.Changes.Implemented != 2 || wk.Incidents.Opened != 2 {
			t.Errorf("week of the 16th: outage %v, %d failures, %d changes, %d incidents", wk.Outage, wk.Failures, wk.Changes.Implemented, wk.Incidents.Opened)
		}
		near(t, "availability in the week of the 16th", wk.Availability, 100*(10080.0-150)/10080)
		if r.Series[4].SLABreaches != 2 || r.Series[3].SLABreaches != 1 {
			t.Errorf("breaches by week %d, %d; want 1 (C) then 2 (E)", r.Series[3].SLABreaches, r.Series[4].SLABreaches)
		}
		if p := r.Series[0]; p.ServiceTime != 24*time.Hour || p.Changes.Implemented != 0 {
			t.Errorf("first period %+v", p)
		}

		// The CSV export: a row per week and the total, by column name.
		var buf bytes.Buffer
		if err := report.WriteCSV(&buf, []*report.ServiceReport{r}, true); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+6+1 {
			t.Fatalf("%d CSV rows, want a header, 6 weeks and the total", len(rows))
		}
		cell := map[string]string{}
		for i, name := range rows[0] {
			cell[name] = rows[7][i]
		}
		for name, want := range map[string]string{"row": "TOTAL", "service": "Shop", "start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z",
			"outage_minutes": "240.00", "availability_percent": "99.4444", "error_budget_minutes": "43.20", "error_budget_used_percent": "555.5556",
			"availability_met": "false", "mtta_minutes": "25.00", "mttr_minutes": "100.00", "mtbf_minutes": "21480.00", "sla_breaches": "3",
			"p2_response_missed": "1", "p1_response_compliance_percent": "50.0000", "p4_response_compliance_percent": "", "incidents_opened_p1": "2",
			"incidents_opened_state_resolved": "2", "known_errors": "1", "changes_emergency": "1", "changes_closed_rolled_back": "1",
			"change_failure_rate_percent": "66.6667", "sla": "Shop", "time_zone": "UTC", "granularity": "WEEK"} {
			if cell[name] != want {
				t.Errorf("CSV %s = %q, want %q", name, cell[name], want)
			}
		}
		if rows[4][slices.Index(rows[0], "outage_minutes")] != "150.00" {
			t.Errorf("CSV week of the 16th: %v", rows[4])
		}

		// The portfolio: every service, worst first.
		all, err := rep.Portfolio(ctx, report.Request{From: nov(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Granularity: sla.PeriodDay})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, sr := range all {
			order = append(order, sr.Service.Name)
		}
		if got := strings.Join(order, ","); got != "Shop,Quiet,Other" {
			t.Errorf("portfolio %s, want Shop (budget overspent), Quiet (none used), Other (no SLA)", got)
		} else if all[0].Total.Outage != tot.Outage || len(all[0].Series) != 30 || *all[1].Total.BudgetUsedPercent != 0 {
			t.Errorf("portfolio: shop outage %v, %d days; quiet budget used %v", all[0].Total.Outage, len(all[0].Series), *all[1].Total.BudgetUsedPercent)
		}

		// The report agrees with slaAtRisk on the month so far.
		mid := nov(25, 12, 0)
		svc.Now = func() time.Time { return mid }
		sofar, err := rep.ServiceReport(ctx, e.shop.ID, report.Request{From: nov(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		sts, err := analysis.New(svc).SLAAtRisk(ctx, mid)
		if err != nil {
			t.Fatal(err)
		}
		var matched bool
		for _, st := range sts {
			if st.SLA.ID == sofar.SLA.ID {
				matched = true
				av := st.Availability
				if sofar.Total.Outage != av.Downtime || *sofar.Total.Availability != av.Attainment || *sofar.Total.Budget != av.Budget {
					t.Errorf("report: %v down, %v%%, budget %v; slaAtRisk: %v, %v%%, %v",
						sofar.Total.Outage, *sofar.Total.Availability, *sofar.Total.Budget, av.Downtime, av.Attainment, av.Budget)
				}
			}
		}
		if !matched || !sofar.AsOf.Equal(mid) || len(sofar.Series) != 1 {
			t.Errorf("no slaAtRisk status for the report's SLA, or asOf %s, %d periods", sofar.AsOf, len(sofar.Series))
		}

		// The other service sees only its own records.
		o, err := rep.ServiceReport(ctx, e.other.ID, report.Request{From: nov(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if o.SLA != nil || o.Total.Target != nil || o.Total.Outage != time.Hour || o.Total.Incidents.Opened != 1 ||
			o.Total.Changes.Implemented != 2 || o.Total.Problems.Opened != 1 {
			t.Errorf("other service: SLA %v, outage %v, %+v, %+v, %+v", o.SLA, o.Total.Outage, o.Total.Incidents, o.Total.Changes, o.Total.Problems)
		}
	})
}

// TestServiceHoursAndZones: availability counts service hours only, periods
// begin at midnight in the SLA's time zone (a day of 25 hours when the
// clocks go back), and a failure outside service hours is no failure.
func TestServiceHoursAndZones(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		svc := itsm.New(s)
		svc.Now = func() time.Time { return testNow }
		e := build(t, s)
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: e.shop.ID, Name: "office", AvailabilityTarget: 99.5,
			ServiceHours: sla.ServiceHours{TimeZone: "Europe/Berlin", Weekly: []sla.WeeklyHours{
				{Days: []string{"MON", "TUE", "WED", "THU", "FRI"}, Start: "08:00", End: "18:00"}}}}); err != nil {
			t.Fatal(err)
		}
		r := recorder{t: t, ctx: ctx, svc: svc}
		// Tuesday 13 October 17:00–19:00 Berlin: one hour in service hours.
		tue := r.incident("evening", e.db, 2, 2, time.Date(2026, 10, 13, 17, 0, 0, 0, berlin), true, nil)
		r.move(tue, itsm.IncidentInProgress, time.Date(2026, 10, 13, 17, 5, 0, 0, berlin), itsm.IncidentResolved, time.Date(2026, 10, 13, 19, 0, 0, 0, berlin))
		// Saturday 17 October: no service time lost.
		sat := r.incident("weekend", e.db, 2, 2, time.Date(2026, 10, 17, 10, 0, 0, 0, berlin), true, nil)
		r.move(sat, itsm.IncidentInProgress, time.Date(2026, 10, 17, 10, 5, 0, 0, berlin), itsm.IncidentResolved, time.Date(2026, 10, 17, 11, 0, 0, 0, berlin))

		rep := report.New(analysis.New(svc))
		oct, err := rep.ServiceReport(ctx, e.shop.ID, report.Request{From: time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), To: time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)})
		if err != nil {
			t.Fatal(err)
		}
		// 22 weekdays of 10 hours: 13,200 minutes.
		tot := oct.Total
		if tot.ServiceTime != 220*time.Hour || tot.Outage != time.Hour || tot.Failures != 1 || len(oct.Series) != 1 || oct.TimeZone.String() != "Europe/Berlin" {
			t.Fatalf("service time %v, outage %v, %d failures, %d periods, zone %s", tot.ServiceTime, tot.Outage, tot.Failures, len(oct.Series), oct.TimeZone)
		}
		near(t, "availability", tot.Availability, 100*(13200.0-60)/13200)
		wantDuration(t, "budget", tot.Budget, 66*time.Minute)
		near(t, "budget used", tot.BudgetUsedPercent, 100*60.0/66)
		wantDuration(t, "MTBF", tot.MTBF, 13140*time.Minute)
		if tot.AvailabilityMet == nil || !*tot.AvailabilityMet {
			t.Errorf("availability met %v, want true", deref(tot.AvailabilityMet))
		}

		days, err := rep.ServiceReport(ctx, e.shop.ID, report.Request{From: time.Date(2026, 10, 24, 0, 0, 0, 0, berlin),
			To: time.Date(2026, 10, 27, 0, 0, 0, 0, berlin), Granularity: sla.PeriodDay})
		if err != nil {
			t.Fatal(err)
		}
		wantStarts := []time.Time{time.Date(2026, 10, 23, 22, 0, 0, 0, time.UTC), time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC)}
		if len(days.Series) != 3 {
			t.Fatalf("%d days, want 3", len(days.Series))
		}
		for i, p := range days.Series {
			if !p.Start.Equal(wantStarts[i]) {
				t.Errorf("day %d starts %s, want %s (Berlin midnight)", i, p.Start.UTC(), wantStarts[i])
			}
		}
		if sun := days.Series[1]; sun.End.Sub(sun.Start) != 25*time.Hour || sun.ServiceTime != 0 || sun.Availability != nil || sun.AvailabilityMet != nil {
			t.Errorf("Sunday the clocks go back: %v long, %v service time, availability %v", sun.End.Sub(sun.Start), sun.ServiceTime, deref(sun.Availability))
		}
		if mon := days.Series[2]; mon.ServiceTime != 10*time.Hour {
			t.Errorf("Monday has %v of service time, want 10h", mon.ServiceTime)
		}

		for _, tc := range []struct {
			name, id string
			q        report.Request
			code     graph.Code
			field    string
		}{
			{"to before from", e.shop.ID, report.Request{From: nov(2, 0, 0), To: nov(1, 0, 0)}, graph.CodeInvalidInput, "to"},
			{"no from", e.shop.ID, report.Request{To: nov(1, 0, 0)}, graph.CodeInvalidInput, "from"},
			{"too many periods", e.shop.ID, report.Request{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: nov(1, 0, 0), Granularity: sla.PeriodDay}, graph.CodeInvalidInput, "to"},
			{"granularity", e.shop.ID, report.Request{From: nov(1, 0, 0), To: nov(2, 0, 0), Granularity: sla.PeriodQuarter}, graph.CodeInvalidInput, "granularity"},
			{"not a service", e.db.ID, report.Request{From: nov(1, 0, 0), To: nov(2, 0, 0)}, graph.CodeInvalidInput, "serviceId"},
			{"unknown service", graph.NewID(), report.Request{From: nov(1, 0, 0), To: nov(2, 0, 0)}, graph.CodeNotFound, "serviceId"},
			{"malformed id", "nope", report.Request{From: nov(1, 0, 0), To: nov(2, 0, 0)}, graph.CodeInvalidInput, "serviceId"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := rep.ServiceReport(ctx, tc.id, tc.q)
				if graph.ErrorCode(err) != tc.code || graph.ErrorField(err) != tc.field {
					t.Fatalf("got %v (%s on %q), want %s on %q", err, graph.ErrorCode(err), graph.ErrorField(err), tc.code, tc.field)
				}
			})
		}
		// A year by day fits.
		if _, err := rep.ServiceReport(ctx, e.shop.ID, report.Request{From: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), To: nov(1, 0, 0), Granularity: sla.PeriodDay}); err != nil {
			t.Fatal(err)
		}
	})
}

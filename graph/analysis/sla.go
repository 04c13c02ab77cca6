package analysis

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// SLARisk is an SLA a change would put at risk: the budget left in the
// period of its window against the outage the change is expected to cause.
type SLARisk struct {
	SLA          *itsm.SLA
	Service      graph.CI
	Availability sla.Availability
	// ExpectedOutage is the service time of the change window the service
	// would be DOWN, beyond outages already recorded.
	ExpectedOutage time.Duration
	AtRisk         bool
}

// slaRisksOfChange measures, for every SLA of every service the change
// takes DOWN, whether the period's remaining budget covers the window.
// Services only DEGRADED are expected to stay available.
func (a *Analyst) slaRisksOfChange(ctx context.Context, c *itsm.Change, br impact.BlastRadius) ([]SLARisk, error) {
	var out []SLARisk
	for _, svc := range br.Services {
		if svc.Effect != impact.Down {
			continue
		}
		slas, err := a.ITSM.SLAs(ctx, svc.CI.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range slas {
			in, err := a.availabilityInput(ctx, s, c.PlannedStart)
			if err != nil {
				return nil, err
			}
			av, err := sla.MeasureAvailability(in)
			if err != nil {
				return nil, fmt.Errorf("SLA %s: %w", s.ID, err)
			}
			expected, err := sla.PlannedDowntime(in, sla.Interval{Start: c.PlannedStart, End: c.PlannedEnd})
			if err != nil {
				return nil, err
			}
			out = append(out, SLARisk{SLA: s, Service: svc.CI, Availability: av, ExpectedOutage: expected, AtRisk: av.WouldBreach(expected)})
		}
	}
	return out, nil
}

// availabilityInput gathers an SLA's period around asOf and the outages
// recorded by incidents on its service in that period.
func (a *Analyst) availabilityInput(ctx context.Context, s *itsm.SLA, asOf time.Time) (sla.AvailabilityInput, error) {
	cal, err := s.Calendar()
	if err != nil {
		return sla.AvailabilityInput{}, fmt.Errorf("SLA %s: %w", s.ID, err)
	}
	start, end := sla.PeriodContaining(s.Period, cal.Location(), asOf)
	in := sla.AvailabilityInput{Target: s.AvailabilityTarget, Calendar: cal, PeriodStart: start, PeriodEnd: end, AsOf: asOf}
	incs, err := a.incidents(ctx, itsm.IncidentFilter{CI: s.ServiceID, From: &start, To: &end})
	if err != nil {
		return in, err
	}
	for _, inc := range incs {
		if iv, ok := inc.Outage(); ok {
			in.Outages = append(in.Outages, iv)
		}
	}
	return in, nil
}

// incidents lists every incident matching the filter.
func (a *Analyst) incidents(ctx context.Context, f itsm.IncidentFilter) ([]*itsm.Incident, error) {
	var out []*itsm.Incident
	err := graph.EachRecordPage(func(p graph.Page) (graph.RecordPage, error) {
		page, rp, err := a.ITSM.ListIncidents(ctx, f, p)
		out = append(out, page...)
		return rp, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SLA statuses.
const (
	StatusOK       = "OK"
	StatusAtRisk   = "AT_RISK"
	StatusBreached = "BREACHED"
)

// IncidentClocks is an open incident with its SLA clocks.
type IncidentClocks struct {
	Incident             *itsm.Incident
	Response, Resolution *itsm.ClockStatus
}

// ChangeThreat is a change scheduled in the period that would take the
// service down or degrade it.
type ChangeThreat struct {
	Change          *itsm.Change
	Effect          impact.Effect
	PlannedDowntime time.Duration
}

// ServiceSLAStatus is one SLA of one service as of an instant.
type ServiceSLAStatus struct {
	Service       graph.CI
	SLA           *itsm.SLA
	Availability  sla.Availability
	OpenIncidents []IncidentClocks
	Changes       []ChangeThreat
	Status        string
	Reasons       []string
}

// Thresholds for AT_RISK: the share of the budget burnt, and how close to
// its due time an open incident's clock may run.
const (
	budgetWarnShare = 0.75
	clockWarnShare  = 0.25
)

// SLAAtRisk reports every SLA as of asOf: attainment and budget this period,
// open incidents with the time left on their clocks, changes scheduled for
// the rest of the period that would hit the service, and a status with the
// reasons for it.
func (a *Analyst) SLAAtRisk(ctx context.Context, asOf time.Time) ([]ServiceSLAStatus, error) {
	slas, err := a.ITSM.SLAs(ctx, "")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(slas))
	for i, s := range slas {
		ids[i] = s.ServiceID
	}
	services, err := a.store().CIsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	blasts := newBlastCache(a.store())
	var out []ServiceSLAStatus
	for _, s := range slas {
		st, err := a.slaStatus(ctx, s, services[s.ServiceID], asOf, blasts)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	rank := map[string]int{StatusBreached: 0, StatusAtRisk: 1, StatusOK: 2}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Status] != rank[out[j].Status] {
			return rank[out[i].Status] < rank[out[j].Status]
		}
		return out[i].Service.Name < out[j].Service.Name
	})
	return out, nil
}

func (a *Analyst) slaStatus(ctx context.Context, s *itsm.SLA, svc graph.CI, asOf time.Time, blasts *blastCache) (ServiceSLAStatus, error) {
	st := ServiceSLAStatus{Service: svc, SLA: s, Status: StatusOK}
	in, err := a.availabilityInput(ctx, s, asOf)
	if err != nil {
		return st, err
	}
	if st.Availability, err = sla.MeasureAvailability(in); err != nil {
		return st, fmt.Errorf("SLA %s: %w", s.ID, err)
	}
	av := st.Availability
	breach := func(format string, args ...any) {
		st.Status = StatusBreached
		st.Reasons = append(st.Reasons, fmt.Sprintf(format, args...))
	}
	risk := func(format string, args ...any) {
		if st.Status == StatusOK {
			st.Status = StatusAtRisk
		}
		st.Reasons = append(st.Reasons, fmt.Sprintf(format, args...))
	}
	if av.Breached {
		breach("availability %.3f%% is below the %.3f%% target: %s down, budget %s", av.Attainment, s.AvailabilityTarget, roundDuration(av.Downtime), roundDuration(av.Budget))
	} else if av.Budget > 0 && float64(av.BudgetUsed) >= budgetWarnShare*float64(av.Budget) {
		risk("%.0f%% of the error budget is used (%s of %s)", 100*float64(av.BudgetUsed)/float64(av.Budget), roundDuration(av.BudgetUsed), roundDuration(av.Budget))
	}

	open, err := a.incidents(ctx, itsm.IncidentFilter{CI: s.ServiceID, Open: true})
	if err != nil {
		return st, err
	}
	for _, inc := range open {
		resp, res, err := a.ITSM.Clocks(ctx, inc, asOf)
		if err != nil {
			return st, err
		}
		st.OpenIncidents = append(st.OpenIncidents, IncidentClocks{Incident: inc, Response: resp, Resolution: res})
		for _, c := range []struct {
			name string
			cs   *itsm.ClockStatus
		}{{"response", resp}, {"resolution", res}} {
			switch {
			case c.cs == nil || c.cs.Stopped && !c.cs.Breached:
			case c.cs.Breached:
				breach("%s incident %q missed its %s due time %s", inc.Priority, inc.Title, c.name, c.cs.Due.Format(time.RFC3339))
			case float64(c.cs.Remaining) <= clockWarnShare*float64(c.cs.Target):
				risk("%s incident %q has %s left to its %s due time", inc.Priority, inc.Title, roundDuration(c.cs.Remaining), c.name)
			}
		}
	}

	changes, err := a.changesIn(ctx, asOf, av.PeriodEnd, activeChangeStates)
	if err != nil {
		return st, err
	}
	var planned time.Duration
	for _, c := range changes {
		if !c.PlannedEnd.After(asOf) {
			continue
		}
		br, err := blasts.of(ctx, c)
		if err != nil {
			return st, err
		}
		eff := effectOn(br, c, s.ServiceID)
		if eff == impact.Up {
			continue
		}
		threat := ChangeThreat{Change: c, Effect: eff}
		if eff == impact.Down {
			if threat.PlannedDowntime, err = sla.PlannedDowntime(in, sla.Interval{Start: c.PlannedStart, End: c.PlannedEnd}); err != nil {
				return st, err
			}
			planned += threat.PlannedDowntime
		}
		st.Changes = append(st.Changes, threat)
	}
	if planned > 0 && !av.Breached && av.WouldBreach(planned) {
		risk("changes scheduled this period would take it down for %s with %s of budget left", roundDuration(planned), roundDuration(av.BudgetLeft))
	}
	return st, nil
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

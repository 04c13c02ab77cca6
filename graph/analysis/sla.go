package analysis

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

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

// ServiceSLAStatus is one SLA of one service as of an instant: its budget
// this period (with the changes planned for the rest of it), its open
// incidents, and a status with the reasons for it.
type ServiceSLAStatus struct {
	Service graph.CI
	SLA     *itsm.SLA
	SLABudget
	OpenIncidents []IncidentClocks
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
// open incidents with the time left on their clocks, live changes in the
// rest of the period that would hit the service, and a status with the
// reasons for it. Committed changes (APPROVED, SCHEDULED, IMPLEMENTING)
// that would overspend the budget make an SLA AT_RISK; proposed ones
// (REQUESTED, ASSESSED) are reported (ProposedOutage) but do not.
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
	call, err := a.newCallCache(ctx)
	if err != nil {
		return nil, err
	}
	call.services = ids
	if err := a.prefetchPeriods(ctx, call, slas, asOf, asOf); err != nil {
		return nil, err
	}
	var out []ServiceSLAStatus
	for _, s := range slas {
		st, err := a.slaStatus(ctx, s, services[s.ServiceID], asOf, call)
		if err != nil {
			return nil, err
		}
		if _, ok := services[s.ServiceID]; !ok {
			if err := a.noteDeletedService(ctx, &st); err != nil {
				return nil, err
			}
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

func (a *Analyst) slaStatus(ctx context.Context, s *itsm.SLA, svc graph.CI, asOf time.Time, call *callCache) (ServiceSLAStatus, error) {
	st := ServiceSLAStatus{Service: svc, SLA: s, Status: StatusOK}
	var err error
	if st.SLABudget, err = a.slaBudget(ctx, s, asOf, asOf, "", call); err != nil {
		return st, err
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

	open, err := call.openIncidentsOn(ctx, s.ServiceID)
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

	if st.CommittedOutage > 0 && !av.Breached && av.WouldBreach(st.CommittedOutage) {
		risk("committed changes would take it down for %s with %s of budget left: %s",
			roundDuration(st.CommittedOutage), roundDuration(av.BudgetLeft), st.describe(true))
	}
	return st, nil
}

package resolvers

import (
	"time"

	"github.com/ripple-cmdb/ripple/graph/report"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// reporter is the wired service's one Reporter.
func (r *Resolver) reporter() *report.Reporter { return r.Reports }

// minutesOrNil is minutes for a figure that may not exist.
func minutesOrNil(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	m := minutes(*d)
	return &m
}

// Expected sizes of report lists whose length the query does not fix.
const (
	reportPeriods  = 31 // a month by day
	reportServices = 20 // services in the portfolio
)

// reportComplexity prices the reports: the analysis, and a series and a
// portfolio of the expected sizes (the real number of periods is bounded
// by report.MaxPeriods).
func reportComplexity(c *generated.ComplexityRoot) {
	c.Query.ServiceReport = func(child int, _ string, _, _ time.Time, _ *sla.PeriodKind) int { return analysisCost + child }
	c.Query.ServiceReports = func(child int, _, _ time.Time, _ *sla.PeriodKind) int {
		return analysisCost + times(reportServices, child)
	}
	c.ServiceReport.Series = func(child int) int { return times(reportPeriods, child) }
	c.ServiceReport.ChangesCausingIncidents = func(child int) int { return times(recordLinks, child) }
}

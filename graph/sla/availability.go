package sla

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// AvailabilityInput is what MeasureAvailability needs.
type AvailabilityInput struct {
	// Target is the availability objective in percent, such as 99.9 or
	// 99.95: above 0, at most 100, with at most four decimals (99.9999),
	// so that the error budget is computed exactly.
	Target float64
	// Calendar restricts availability to service hours; nil means 24x7.
	Calendar *Calendar
	// PeriodStart and PeriodEnd bound the period, usually from
	// PeriodContaining.
	PeriodStart, PeriodEnd time.Time
	// AsOf is the instant of the measurement. It is clamped into the
	// period: before it nothing has elapsed, after it the period is
	// complete.
	AsOf time.Time
	// Outages may overlap each other and cross the period boundaries; an
	// open outage (zero End) lasts until AsOf. Only their union inside the
	// period, before AsOf and within service hours counts.
	Outages []Interval
}

// Availability is the state of an availability SLA in one period.
type Availability struct {
	PeriodStart, PeriodEnd time.Time
	// AsOf is the input's AsOf clamped into the period.
	AsOf time.Time
	// ServiceTime is the service time of the whole period.
	ServiceTime time.Duration
	// ElapsedServiceTime is the service time from the period start to AsOf.
	ElapsedServiceTime time.Duration
	// Downtime is the service time lost to outages so far.
	Downtime time.Duration
	// Attainment is the percentage of elapsed service time that was
	// available; 100 while no service time has elapsed.
	Attainment float64
	// Budget is the downtime the whole period allows: (1 - Target/100) ×
	// ServiceTime, rounded down to the nanosecond so that downtime equal to
	// the budget still meets the target.
	Budget time.Duration
	// BudgetUsed equals Downtime; BudgetLeft is Budget - BudgetUsed and goes
	// negative once the budget is overspent.
	BudgetUsed, BudgetLeft time.Duration
	// Breached reports that the downtime so far already exceeds the budget,
	// so the period can no longer meet the target. (Attainment may dip below
	// the target early in a period without the period being lost.)
	Breached bool
}

// WouldBreach reports whether extra downtime (service time, see
// PlannedDowntime) on top of what has been used would exceed the budget.
// Using up the budget exactly still meets the target.
func (a Availability) WouldBreach(extra time.Duration) bool {
	return satAdd(a.BudgetUsed, extra) > a.Budget
}

// ProjectedAttainment returns the period's final attainment in percent if
// extra downtime happens and nothing else does; 100 for a period without
// service time.
func (a Availability) ProjectedAttainment(extra time.Duration) float64 {
	if a.ServiceTime == 0 {
		return 100
	}
	down := min(satAdd(a.BudgetUsed, extra), a.ServiceTime)
	return 100 * float64(a.ServiceTime-down) / float64(a.ServiceTime)
}

// Validate checks the input. Errors name "target", "periodEnd", "asOf" or
// "outages[i].end" below field.
func (in AvailabilityInput) Validate(field string) error {
	if _, err := targetPPM(sub(field, "target"), in.Target); err != nil {
		return err
	}
	if in.PeriodStart.IsZero() {
		return graph.Invalid(sub(field, "periodStart"), "period start is required")
	}
	if !in.PeriodEnd.After(in.PeriodStart) {
		return graph.Invalid(sub(field, "periodEnd"), "period end is not after period start")
	}
	if in.AsOf.IsZero() {
		return graph.Invalid(sub(field, "asOf"), "asOf is required")
	}
	for i, o := range in.Outages {
		if err := o.Validate(sub(field, fmt.Sprintf("outages[%d]", i))); err != nil {
			return err
		}
	}
	return nil
}

// MeasureAvailability computes attainment and error budget for one period.
// Errors are INVALID_INPUT from Validate.
func MeasureAvailability(in AvailabilityInput) (Availability, error) {
	if err := in.Validate(""); err != nil {
		return Availability{}, err
	}
	ppm, _ := targetPPM("target", in.Target)
	asOf := clampTime(in.AsOf, in.PeriodStart, in.PeriodEnd)
	a := Availability{PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd, AsOf: asOf}
	a.ServiceTime = ServiceTime(in.Calendar, in.PeriodStart, in.PeriodEnd)
	a.ElapsedServiceTime = ServiceTime(in.Calendar, in.PeriodStart, asOf)
	a.Downtime = serviceTimeOf(in.Calendar, union(in.Outages, in.PeriodStart, asOf))
	a.Attainment = 100
	if a.ElapsedServiceTime > 0 {
		a.Attainment = 100 * float64(a.ElapsedServiceTime-a.Downtime) / float64(a.ElapsedServiceTime)
	}
	a.Budget = budget(a.ServiceTime, ppm)
	a.BudgetUsed = a.Downtime
	a.BudgetLeft = a.Budget - a.BudgetUsed
	a.Breached = a.BudgetUsed > a.Budget
	return a, nil
}

// PlannedDowntime returns the service time planned outages (change
// windows) would add to the period's downtime: their union inside the period
// and service hours that the recorded outages do not already cover, so
// overlapping windows count once. Open recorded outages are assumed to end
// at AsOf; each planned interval needs an end. Pass the result to
// Availability.WouldBreach.
func PlannedDowntime(in AvailabilityInput, planned ...Interval) (time.Duration, error) {
	if err := in.Validate(""); err != nil {
		return 0, err
	}
	for i, p := range planned {
		field := "planned"
		if len(planned) > 1 {
			field = fmt.Sprintf("planned[%d]", i)
		}
		if err := p.Validate(field); err != nil {
			return 0, err
		}
		if p.Open() {
			return 0, graph.Invalid(field+".end", "a planned outage needs an end")
		}
	}
	asOf := clampTime(in.AsOf, in.PeriodStart, in.PeriodEnd)
	recorded := union(in.Outages, in.PeriodStart, asOf)
	var extra time.Duration
	for _, p := range union(planned, in.PeriodStart, in.PeriodEnd) {
		extra = satAdd(extra, serviceTimeOf(in.Calendar, minus(p.Start, p.End, recorded)))
	}
	return extra, nil
}

// targetPPM turns a percentage into parts per million, refusing more
// precision than that so budgets are exact integers of nanoseconds.
func targetPPM(field string, target float64) (uint64, error) {
	if math.IsNaN(target) || target <= 0 || target > 100 {
		return 0, graph.Invalid(field, "target %v is not a percentage above 0 and at most 100", target)
	}
	scaled := target * 10000
	ppm := math.Round(scaled)
	if math.Abs(scaled-ppm) > 1e-6 {
		return 0, graph.Invalid(field, "target %v has more than four decimals", target)
	}
	return uint64(ppm), nil
}

// budget returns serviceTime × (1 - ppm/1e6), rounded down, in 128-bit
// arithmetic: a year in nanoseconds times a million overflows int64.
func budget(serviceTime time.Duration, ppm uint64) time.Duration {
	hi, lo := bits.Mul64(uint64(serviceTime), 1_000_000-ppm)
	q, _ := bits.Div64(hi, lo, 1_000_000)
	return time.Duration(q)
}

func clampTime(t, lo, hi time.Time) time.Time {
	if t.Before(lo) {
		return lo
	}
	if t.After(hi) {
		return hi
	}
	return t
}

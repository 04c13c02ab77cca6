package sla

import (
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Interval is a half-open stretch of time [Start, End): a pause of an SLA
// clock or an outage. A zero End means the interval is still open; it then
// ends at the "now" (or "as of") instant of the calculation.
type Interval struct {
	Start time.Time
	End   time.Time
}

// Open reports whether the interval has not ended yet.
func (iv Interval) Open() bool { return iv.End.IsZero() }

// Validate checks that Start is set and End, when set, is not before Start.
// An empty interval (End == Start) is allowed: a pause that was lifted at
// once is a fact, not an error.
func (iv Interval) Validate(field string) error {
	if iv.Start.IsZero() {
		return graph.Invalid(sub(field, "start"), "start is required")
	}
	if !iv.End.IsZero() && iv.End.Before(iv.Start) {
		return graph.Invalid(sub(field, "end"), "end %s is before start %s",
			iv.End.Format(time.RFC3339), iv.Start.Format(time.RFC3339))
	}
	return nil
}

// union closes open intervals at hi, clips all to [lo, hi) and returns their
// union as sorted, disjoint, non-empty intervals. Intervals ending before
// they start are dropped rather than trusted.
func union(ivs []Interval, lo, hi time.Time) []Interval {
	var out []Interval
	for _, iv := range ivs {
		if iv.Open() {
			iv.End = hi
		}
		if iv.Start.Before(lo) {
			iv.Start = lo
		}
		if iv.End.After(hi) {
			iv.End = hi
		}
		if iv.Start.Before(iv.End) {
			out = append(out, iv)
		}
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	merged := out[:0]
	for _, iv := range out {
		if n := len(merged); n > 0 && !iv.Start.After(merged[n-1].End) {
			if iv.End.After(merged[n-1].End) {
				merged[n-1].End = iv.End
			}
			continue
		}
		merged = append(merged, iv)
	}
	return merged
}

// minus returns [lo, hi) without the sorted disjoint intervals in holes.
func minus(lo, hi time.Time, holes []Interval) []Interval {
	var out []Interval
	for _, h := range holes {
		if !h.End.After(lo) {
			continue
		}
		if !h.Start.Before(hi) {
			break
		}
		if lo.Before(h.Start) {
			out = append(out, Interval{lo, h.Start})
		}
		lo = h.End
	}
	if lo.Before(hi) {
		out = append(out, Interval{lo, hi})
	}
	return out
}

// serviceTimeOf sums the service time of disjoint intervals.
func serviceTimeOf(cal *Calendar, ivs []Interval) time.Duration {
	var sum time.Duration
	for _, iv := range ivs {
		sum = satAdd(sum, ServiceTime(cal, iv.Start, iv.End))
	}
	return sum
}

// satAdd adds a non-negative b to a, saturating instead of wrapping.
func satAdd(a, b time.Duration) time.Duration {
	if s := a + b; s >= a {
		return s
	}
	return time.Duration(1<<63 - 1)
}

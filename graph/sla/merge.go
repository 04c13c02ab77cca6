package sla

import "time"

// Merge returns the union of intervals up to asOf as sorted, disjoint,
// non-empty intervals (open ones end at asOf, touching ones join): distinct
// outages, when several incidents record overlapping ones. It is the union
// MeasureAvailability counts downtime from, so both see the same outages.
func Merge(ivs []Interval, asOf time.Time) []Interval {
	return union(ivs, time.Time{}, asOf)
}

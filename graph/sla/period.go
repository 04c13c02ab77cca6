package sla

import (
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// PeriodKind is the length of a reporting period for SLA attainment.
type PeriodKind string

// The period kinds. Weeks are ISO weeks, starting on Monday.
const (
	PeriodMonth   PeriodKind = "MONTH"
	PeriodWeek    PeriodKind = "WEEK"
	PeriodQuarter PeriodKind = "QUARTER"
	PeriodYear    PeriodKind = "YEAR"
	// PeriodDay divides reports; an SLA is not measured per day, so
	// ParsePeriodKind does not accept it.
	PeriodDay PeriodKind = "DAY"
)

// ParsePeriodKind accepts MONTH, WEEK, QUARTER or YEAR; the empty string
// means MONTH, the default period of an SLA.
func ParsePeriodKind(field, s string) (PeriodKind, error) {
	switch k := PeriodKind(s); k {
	case "":
		return PeriodMonth, nil
	case PeriodMonth, PeriodWeek, PeriodQuarter, PeriodYear:
		return k, nil
	}
	return "", graph.Invalid(field, "unknown period %q (want MONTH, WEEK, QUARTER or YEAR)", graph.Truncate(s, 32))
}

// PeriodContaining returns the period [start, end) of the given kind that
// contains t, with boundaries at local midnight in tz (nil means UTC). The
// empty kind means MONTH; any other unknown kind panics, as kinds are meant
// to pass ParsePeriodKind first.
//
// A boundary is the first instant at which tz's wall clock reads 00:00 of
// the period's first day or later; where midnight is skipped by a clock
// change, that is the instant of the change. Periods tile time: the end of
// one is the start of the next, so t always lies in exactly one, even in
// zones whose clocks go back across midnight.
func PeriodContaining(kind PeriodKind, tz *time.Location, t time.Time) (start, end time.Time) {
	if tz == nil {
		tz = time.UTC
	}
	y, m, d := t.In(tz).Date()
	day := dayNumber(y, m, d)
	first, next := periodDays(kind, day)
	start, end = midnight(tz, first), midnight(tz, next)
	// A clock going back across midnight can show yesterday's date after
	// today's midnight has begun; the boundaries are still right, only the
	// period we guessed from the date is not.
	for !t.Before(end) {
		first, next = periodDays(kind, next)
		start, end = end, midnight(tz, next)
	}
	for t.Before(start) {
		first, next = periodDays(kind, first-1)
		start, end = midnight(tz, first), start
	}
	return start, end
}

// periodDays returns the first day of the period containing day and the
// first day of the next one, as day numbers.
func periodDays(kind PeriodKind, day int64) (first, next int64) {
	y, m, _ := civil(day)
	switch kind {
	case "", PeriodMonth:
		return dayNumber(y, m, 1), dayNumber(y, m+1, 1)
	case PeriodQuarter:
		q := m - (m-1)%3
		return dayNumber(y, q, 1), dayNumber(y, q+3, 1)
	case PeriodYear:
		return dayNumber(y, 1, 1), dayNumber(y+1, 1, 1)
	case PeriodWeek:
		monday := day - int64((weekdayOf(day)+6)%7)
		return monday, monday + 7
	case PeriodDay:
		return day, day + 1
	}
	panic(fmt.Sprintf("sla: unknown period kind %q", string(kind)))
}

// dayNumber returns the days since 1970-01-01 of a civil date, normalizing
// overflowing months and days the way time.Date does.
func dayNumber(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

func civil(day int64) (int, time.Month, int) {
	return time.Unix(day*secondsPerDay, 0).UTC().Date()
}

// midnight returns the first instant at which loc's wall clock reads 00:00
// of the given day or later. time.Date is not used because its choice for
// skipped and repeated wall times is unspecified.
func midnight(loc *time.Location, day int64) time.Time {
	return firstAtWall(loc, day*secondsPerDay)
}

// firstAtWall returns the earliest instant whose wall-clock reading in loc,
// as seconds since 1970-01-01 00:00 local, is w or later. It scans the zone
// segments from a point safely before w: no UTC offset has ever exceeded 16
// hours, so every instant 26 hours before w still reads earlier than w.
func firstAtWall(loc *time.Location, w int64) time.Time {
	t := time.Unix(w-26*3600, 0)
	for {
		off, end := zoneAt(loc, t)
		c := time.Unix(w-off, 0)
		if end.IsZero() || c.Before(end) {
			if c.Before(t) {
				// The clock jumped over w at the start of this segment.
				return t.In(loc)
			}
			return c.In(loc)
		}
		t = end
	}
}

// Periods cuts [from, to) into the periods of a kind in tz (see
// PeriodContaining), the first and last clipped to the range, at most limit of
// them: ok is false, and nothing is returned, when more would be needed.
// An empty range has no periods.
func Periods(kind PeriodKind, tz *time.Location, from, to time.Time, limit int) (periods []Interval, ok bool) {
	for t := from; t.Before(to); {
		if len(periods) == limit {
			return nil, false
		}
		_, end := PeriodContaining(kind, tz, t)
		if end.After(to) {
			end = to
		}
		periods = append(periods, Interval{Start: t, End: end})
		t = end
	}
	return periods, true
}

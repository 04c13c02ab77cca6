package sla

import (
	"slices"
	"time"
)

// Calendar is a compiled, immutable set of service hours. Build one with
// NewCalendar, ParseCalendar or Always; it is safe for concurrent use.
//
// A nil *Calendar means 24x7. The zero Calendar value, which no constructor
// returns, has no service time at all: ServiceTime is always 0 and
// AddServiceTime fails with ErrNoServiceTime.
type Calendar struct {
	spec   ServiceHours
	always bool
	loc    *time.Location
	// days holds, per time.Weekday, sorted disjoint spans of local time.
	days [7][]span
	// holidays holds sorted local dates as days since 1970-01-01.
	holidays []int64
	// weekly is the service time of one ordinary week (no holidays, no
	// clock change); AddServiceTime skips whole weeks with it.
	weekly time.Duration
}

// span is a local service interval [start, end) in seconds since midnight.
type span struct{ start, end int64 }

const (
	secondsPerDay = 24 * 60 * 60
	week          = 7 * 24 * time.Hour
)

// Always returns the 24x7 calendar.
func Always() *Calendar {
	return &Calendar{spec: ServiceHours{Always: true}, always: true, loc: time.UTC}
}

// ServiceHours returns the definition the calendar was built from, with day
// names in upper case.
func (c *Calendar) ServiceHours() ServiceHours {
	if c == nil {
		return ServiceHours{Always: true}
	}
	return normalizeSpec(c.spec)
}

// IsAlways reports whether every instant is service time.
func (c *Calendar) IsAlways() bool { return c == nil || c.always }

// Location returns the calendar's time zone; UTC when none was given.
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// always24x7 is shared inside the package only: handing it out would let a
// caller overwrite it with *Always() = Calendar{}.
var always24x7 = Always()

// orAlways lets a nil calendar stand for 24x7 everywhere inside the package.
func orAlways(c *Calendar) *Calendar {
	if c == nil {
		return always24x7
	}
	return c
}

func (c *Calendar) isHoliday(day int64) bool {
	_, ok := slices.BinarySearch(c.holidays, day)
	return ok
}

// nextHoliday returns the first holiday on or after day, or false.
func (c *Calendar) nextHoliday(day int64) (int64, bool) {
	i, _ := slices.BinarySearch(c.holidays, day)
	if i == len(c.holidays) {
		return 0, false
	}
	return c.holidays[i], true
}

// mergeSpans sorts spans and joins touching ones, so that 08:00-12:00 plus
// 12:00-18:00 is one span; the input is known not to overlap.
func mergeSpans(ss []span) []span {
	slices.SortFunc(ss, func(a, b span) int { return int(a.start - b.start) })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && out[n-1].end == s.start {
			out[n-1].end = s.end
			continue
		}
		out = append(out, s)
	}
	return out
}

// floorDiv divides rounding toward negative infinity, so instants before
// 1970 land on the right local day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekdayOf returns the weekday of a day number; 1970-01-01 was a Thursday.
func weekdayOf(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7)
}

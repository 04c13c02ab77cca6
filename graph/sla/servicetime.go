package sla

import (
	"fmt"
	"math"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// HorizonYears bounds how far AddServiceTime looks ahead. A due time more
// than a century away is a mistake in the SLA, not a deadline, and the bound
// makes a calendar with next to no service time fail fast instead of
// walking for millions of years.
const HorizonYears = 100

// ErrNoServiceTime reports that a duration of service time cannot elapse:
// the calendar has no service time at all (the zero Calendar) or not enough
// of it within HorizonYears. It is an INVALID_INPUT domain error about the
// SLA definition; test for it with errors.Is.
var ErrNoServiceTime = graph.Errorf(graph.CodeInvalidInput, "",
	"the service hours leave no service time within %d years", HorizonYears)

// ServiceTime returns the service time inside [from, to): 0 when to is not
// after from. Spans beyond the range of time.Duration (about 292 years)
// saturate.
func ServiceTime(cal *Calendar, from, to time.Time) time.Duration {
	if !from.Before(to) {
		return 0
	}
	_, used := orAlways(cal).walk(from, to, math.MaxInt64)
	return used
}

// AddServiceTime returns the instant at which d of service time has elapsed
// after from: the earliest t with ServiceTime(cal, from, t) == d. So a due
// time lands at the end of the service hour that completes it (Monday 18:00,
// not Tuesday 08:00), and AddServiceTime(cal, from, 0) is from. A negative d
// is invalid input; ErrNoServiceTime comes back when d cannot elapse within
// HorizonYears of from.
func AddServiceTime(cal *Calendar, from time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, graph.Invalid("duration", "service time must not be negative, got %v", d)
	}
	at, used := orAlways(cal).walk(from, from.AddDate(HorizonYears, 0, 0), d)
	if used < d {
		return time.Time{}, ErrNoServiceTime
	}
	return at, nil
}

// walk moves forward from t through service time until limit or until
// budget is used up, and returns the instant reached and the service time
// used. When the budget runs out, the instant is the earliest at which it
// does. It is the one algorithm behind ServiceTime, AddServiceTime, clocks
// and availability.
//
// Time is cut into zone segments (stretches with one UTC offset, found with
// zoneAt), where local time is UTC plus a constant. Inside a segment,
// any seven days without a holiday hold exactly c.weekly of service, so
// whole weeks are skipped in one step; only the days next to a clock change,
// a holiday or the end are walked one local day at a time. The cost is
// therefore proportional to clock changes and holidays, not to the length.
func (c *Calendar) walk(t, limit time.Time, budget time.Duration) (time.Time, time.Duration) {
	if budget <= 0 || !t.Before(limit) {
		return t, 0
	}
	if c.always {
		if d := limit.Sub(t); d < budget {
			return limit, d
		}
		return t.Add(budget), budget
	}
	if c.weekly == 0 {
		return limit, 0
	}
	var (
		used   time.Duration
		off    int64     // UTC offset of the current segment, seconds
		segEnd time.Time // start of the next segment; zero: none
		inSeg  bool
	)
	for t.Before(limit) {
		if !inSeg || (!segEnd.IsZero() && !t.Before(segEnd)) {
			off, segEnd = zoneAt(c.loc, t)
			inSeg = true
		}
		stop := limit
		if !segEnd.IsZero() && segEnd.Before(stop) {
			stop = segEnd
		}
		day := floorDiv(t.Unix()+off, secondsPerDay)
		if n := c.wholeWeeks(t, stop, day, off, budget-used); n > 0 {
			t = t.Add(time.Duration(n) * week)
			used += time.Duration(n) * c.weekly
			continue
		}
		// Walk the rest of this local day, or of the segment if the clock
		// changes first.
		dayStart := day * secondsPerDay
		end := time.Unix(dayStart+secondsPerDay-off, 0)
		if end.After(stop) {
			end = stop
		}
		if !c.isHoliday(day) {
			for _, s := range c.days[weekdayOf(day)] {
				a := time.Unix(dayStart+s.start-off, 0)
				b := time.Unix(dayStart+s.end-off, 0)
				if a.Before(t) {
					a = t
				}
				if b.After(end) {
					b = end
				}
				if !a.Before(b) {
					continue
				}
				d := b.Sub(a)
				if rest := budget - used; d >= rest {
					return a.Add(rest), budget
				}
				used += d
			}
		}
		t = end
	}
	return limit, used
}

// wholeWeeks returns how many whole weeks can be skipped from t: they must
// end by stop (same UTC offset throughout), contain no holiday and use less
// than rest. Strictly less, because a budget that runs out exactly at the
// end of a skipped week ran out at the end of that week's last service
// interval, which only the day-by-day walk can find.
func (c *Calendar) wholeWeeks(t, stop time.Time, day, off int64, rest time.Duration) int64 {
	if rest <= c.weekly {
		return 0
	}
	n := int64((rest - 1) / c.weekly)
	n = min(n, int64(stop.Sub(t)/week))
	if h, ok := c.nextHoliday(day); ok {
		if h == day {
			return 0
		}
		n = min(n, int64(time.Unix(h*secondsPerDay-off, 0).Sub(t)/week))
	}
	return n
}

// String describes the calendar for logs.
func (c *Calendar) String() string {
	if c.IsAlways() {
		return "24x7"
	}
	return fmt.Sprintf("%v of service per week in %s, %d holidays", c.weekly, c.loc, len(c.holidays))
}

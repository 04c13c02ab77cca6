package sla

import (
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Clock is an SLA clock, such as the resolution clock of an incident: it runs
// during service time from Start until Target has elapsed, and stands still
// during Pauses (an incident ON_HOLD, awaiting the customer). Pauses may
// overlap or reach back before Start; only their union after Start counts.
// The last pause may be open (zero End): the clock is paused now.
//
// The functions taking a Clock look only at what happened before now: a
// pause that starts after now is ignored, and a pause with an End after now
// counts as open. To stop a clock (the incident is resolved), pass the
// resolution instant as now.
type Clock struct {
	Start  time.Time
	Target time.Duration
	Pauses []Interval
}

// Validate checks the clock: a start, a positive target, well-formed
// pauses. Errors name fields below field ("target", "pauses[2].end").
func (c Clock) Validate(field string) error {
	if c.Start.IsZero() {
		return graph.Invalid(sub(field, "start"), "start is required")
	}
	if c.Target <= 0 {
		return graph.Invalid(sub(field, "target"), "target must be positive, got %v", c.Target)
	}
	for i, p := range c.Pauses {
		if err := p.Validate(sub(field, fmt.Sprintf("pauses[%d]", i))); err != nil {
			return err
		}
	}
	return nil
}

// running returns the stretches of [Start, now) in which the clock ran.
func (c Clock) running(now time.Time) []Interval {
	if !c.Start.Before(now) {
		return nil
	}
	return minus(c.Start, now, union(c.Pauses, c.Start, now))
}

// Elapsed returns the service time the clock has run by now.
func Elapsed(cal *Calendar, c Clock, now time.Time) time.Duration {
	return serviceTimeOf(cal, c.running(now))
}

// Remaining returns Target minus Elapsed. It is negative once the target is
// overrun, which is what a "breached by 2h" display needs.
func Remaining(cal *Calendar, c Clock, now time.Time) time.Duration {
	return c.Target - Elapsed(cal, c, now)
}

// Breached reports whether the clock has reached its target by now, that is
// Elapsed >= Target, equivalently !now.Before(Due). Reaching the target
// counts as a breach so that a clock stopped after the due time but outside
// service hours (due Friday 18:00, resolved Saturday) is breached, as anyone
// looking at the due time would expect.
func Breached(cal *Calendar, c Clock, now time.Time) bool {
	return Elapsed(cal, c, now) >= c.Target
}

// Due returns the instant the clock reaches its target. If that happened
// before now, it is that past instant (pauses included). Otherwise it is
// the instant the target will be reached if the clock runs on from now
// without further pauses; in particular, a clock paused now is treated as if
// resumed now, so the due time moves later for as long as the pause lasts.
// A clock that starts after now is due its Target of service time after its
// Start. Errors: INVALID_INPUT for a negative target, ErrNoServiceTime.
func Due(cal *Calendar, c Clock, now time.Time) (time.Time, error) {
	if c.Target < 0 {
		return time.Time{}, graph.Invalid("target", "target must not be negative, got %v", c.Target)
	}
	cal = orAlways(cal)
	rest := c.Target
	for _, r := range c.running(now) {
		at, used := cal.walk(r.Start, r.End, rest)
		if used == rest {
			return at, nil
		}
		rest -= used
	}
	resume := now
	if c.Start.After(now) {
		resume = c.Start
	}
	return AddServiceTime(cal, resume, rest)
}

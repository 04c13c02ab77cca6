package sla

import "time"

// zoneAt returns the UTC offset in effect at t, in seconds, and the instant
// the next zone begins (zero when the offset never changes again). The end
// may come early (at a change of abbreviation only, or at a year end where
// the zone's POSIX TZ rule takes over), which costs callers an extra lookup
// but never a wrong answer; it is always after t.
//
// It wraps Time.ZoneBounds to work around golang/go#81583: in leap years
// served by a zone's TZ rule (Berlin and New York from 2038 on), ZoneBounds
// returns an end before t on the last UTC day of the year, which would stall
// any loop that advances to the end of the zone. There we step at most an
// hour, bisecting to the exact second if the offset changes within it;
// no zone has ever changed its offset twice within an hour.
func zoneAt(loc *time.Location, t time.Time) (off int64, end time.Time) {
	lt := t.In(loc)
	_, o := lt.Zone()
	_, end = lt.ZoneBounds()
	if end.IsZero() || end.After(t) {
		return int64(o), end
	}
	offAt := func(sec int64) int {
		_, o := time.Unix(sec, 0).In(loc).Zone()
		return o
	}
	// Offsets change on whole seconds, so the second containing t has o.
	lo := t.Unix()
	hi := lo + 3600
	if offAt(hi) == o {
		return int64(o), time.Unix(hi, 0)
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if offAt(mid) == o {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int64(o), time.Unix(hi, 0)
}

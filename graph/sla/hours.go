package sla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Input limits for service hours. They keep one SLA definition from growing
// without bound and are part of the documented API.
const (
	MaxWeeklyHours = 64
	MaxHolidays    = 2048
)

// ServiceHours is the stored and JSON form of a service calendar, for example
//
//	{"timeZone":"Europe/Berlin",
//	 "weekly":[{"days":["MON","TUE","WED","THU","FRI"],"start":"08:00","end":"18:00"}],
//	 "holidays":["2026-12-25"]}
//
// {"always":true} and {} both mean 24x7. With no weekly entries but some
// holidays, every day is served 00:00-24:00 except the holidays.
type ServiceHours struct {
	// Always makes every instant service time. It cannot be combined with
	// weekly hours or holidays, which would contradict it.
	Always bool `json:"always,omitempty"`
	// TimeZone is an IANA zone name such as "Europe/Berlin". It is required
	// as soon as there are weekly hours or holidays: a schedule without a
	// zone would silently mean UTC, which is rarely what anyone meant.
	TimeZone string `json:"timeZone,omitempty"`
	// Weekly lists the local service intervals. Entries may share a day but
	// must not overlap there; touching entries (08:00-12:00, 12:00-18:00)
	// are fine and behave as one.
	Weekly []WeeklyHours `json:"weekly,omitempty"`
	// Holidays are local dates (YYYY-MM-DD) without any service. Listing a
	// date twice is harmless, as holiday lists are often merged from
	// several sources.
	Holidays []string `json:"holidays,omitempty"`
}

// WeeklyHours is one local service interval [Start, End) on each of Days.
// Days are MON, TUE, WED, THU, FRI, SAT and SUN in any letter case. Start and
// End are HH:MM; End may be 24:00 (the end of the day) and must be after
// Start, so an interval across midnight is written as two entries
// (FRI 22:00-24:00 and SAT 00:00-06:00), which then join seamlessly.
type WeeklyHours struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// dayNames is indexed by time.Weekday.
var dayNames = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// Validate reports the first problem with h as an INVALID_INPUT error whose
// field is a path below field, such as "serviceHours.weekly[1].end".
func (h ServiceHours) Validate(field string) error {
	_, err := NewCalendar(field, h)
	return err
}

// ParseCalendar decodes service hours from JSON (unknown keys are rejected,
// so a typo such as "holiday" cannot silently drop data) and builds the
// calendar. Errors name fields below field.
func ParseCalendar(field string, data []byte) (*Calendar, error) {
	var h ServiceHours
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, graph.Invalid(sub(field, te.Field), "want a JSON %s, got %s", te.Type, te.Value)
		}
		return nil, graph.Invalid(field, "malformed service hours: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, graph.Invalid(field, "malformed service hours: trailing data after the JSON object")
	}
	return NewCalendar(field, h)
}

// NewCalendar checks h and compiles it into a Calendar. Errors are
// INVALID_INPUT and name the offending field below field.
func NewCalendar(field string, h ServiceHours) (*Calendar, error) {
	c := &Calendar{spec: normalizeSpec(h), loc: time.UTC}
	if h.TimeZone != "" {
		loc, err := LoadTimeZone(sub(field, "timeZone"), h.TimeZone)
		if err != nil {
			return nil, err
		}
		c.loc = loc
	}
	if h.Always {
		if len(h.Weekly) > 0 || len(h.Holidays) > 0 {
			return nil, graph.Invalid(sub(field, "always"), "always cannot be combined with weekly hours or holidays")
		}
		c.always = true
		return c, nil
	}
	if len(h.Weekly) == 0 && len(h.Holidays) == 0 {
		c.always = true
		return c, nil
	}
	if h.TimeZone == "" {
		return nil, graph.Invalid(sub(field, "timeZone"), "a time zone is required for weekly hours or holidays")
	}
	if err := c.compileWeekly(field, h.Weekly); err != nil {
		return nil, err
	}
	if err := c.compileHolidays(field, h.Holidays); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadTimeZone loads an IANA time zone. "Local" is refused because its
// meaning depends on the machine the server happens to run on; "UTC" is fine.
func LoadTimeZone(field, name string) (*time.Location, error) {
	if name == "" {
		return nil, graph.Invalid(field, "time zone is required")
	}
	if name == "Local" {
		return nil, graph.Invalid(field, "time zone Local is not allowed (name an IANA zone such as Europe/Berlin)")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, graph.Invalid(field, "unknown time zone %q", graph.Truncate(name, 64))
	}
	return loc, nil
}

func (c *Calendar) compileWeekly(field string, weekly []WeeklyHours) error {
	if len(weekly) > MaxWeeklyHours {
		return graph.Invalid(sub(field, "weekly"), "at most %d weekly entries", MaxWeeklyHours)
	}
	// owner[d][k] is the index of the entry that contributed c.days[d][k],
	// so an overlap error can point at both entries.
	var owner [7][]int
	for i, w := range weekly {
		f := sub(field, fmt.Sprintf("weekly[%d]", i))
		start, err := parseClock(w.Start, false)
		if err != nil {
			return graph.Invalid(f+".start", "start %q is not a time of day (want HH:MM, 00:00 to 23:59)", graph.Truncate(w.Start, 16))
		}
		end, err := parseClock(w.End, true)
		if err != nil {
			return graph.Invalid(f+".end", "end %q is not a time of day (want HH:MM, 00:00 to 24:00)", graph.Truncate(w.End, 16))
		}
		if end <= start {
			return graph.Invalid(f+".end", "end %s is not after start %s", w.End, w.Start)
		}
		if len(w.Days) == 0 {
			return graph.Invalid(f+".days", "at least one day is required")
		}
		var seen [7]bool
		for j, name := range w.Days {
			d := slices.Index(dayNames[:], strings.ToUpper(name))
			if d < 0 {
				return graph.Invalid(fmt.Sprintf("%s.days[%d]", f, j), "unknown day %q (want MON, TUE, WED, THU, FRI, SAT or SUN)", graph.Truncate(name, 16))
			}
			if seen[d] {
				return graph.Invalid(fmt.Sprintf("%s.days[%d]", f, j), "day %s is listed twice", dayNames[d])
			}
			seen[d] = true
			for k, s := range c.days[d] {
				if start < s.end && s.start < end {
					return graph.Invalid(f, "%s %s-%s overlaps weekly[%d] %s-%s",
						dayNames[d], w.Start, w.End, owner[d][k], clockString(s.start), clockString(s.end))
				}
			}
			c.days[d] = append(c.days[d], span{start, end})
			owner[d] = append(owner[d], i)
		}
	}
	for d := range c.days {
		c.days[d] = mergeSpans(c.days[d])
		for _, s := range c.days[d] {
			c.weekly += time.Duration(s.end-s.start) * time.Second
		}
	}
	if len(weekly) == 0 {
		// Holidays only: every other day is served in full.
		for d := range c.days {
			c.days[d] = []span{{0, secondsPerDay}}
		}
		c.weekly = 7 * 24 * time.Hour
	}
	return nil
}

func (c *Calendar) compileHolidays(field string, holidays []string) error {
	if len(holidays) > MaxHolidays {
		return graph.Invalid(sub(field, "holidays"), "at most %d holidays", MaxHolidays)
	}
	for i, s := range holidays {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return graph.Invalid(sub(field, fmt.Sprintf("holidays[%d]", i)), "holiday %q is not a date (want YYYY-MM-DD)", graph.Truncate(s, 32))
		}
		c.holidays = append(c.holidays, floorDiv(d.Unix(), secondsPerDay))
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	return nil
}

// parseClock reads HH:MM as seconds since midnight. 24:00 is accepted only
// when allowEnd is set, as the end of the day.
func parseClock(s string, allowEnd bool) (int64, error) {
	bad := errors.New("bad time of day")
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	h := int64(s[0]-'0')*10 + int64(s[1]-'0')
	m := int64(s[3]-'0')*10 + int64(s[4]-'0')
	switch {
	case m > 59, h > 24, h == 24 && (m != 0 || !allowEnd):
		return 0, bad
	}
	return h*3600 + m*60, nil
}

func clockString(sec int64) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec%3600/60) }

// normalizeSpec deep-copies h so a Calendar cannot be changed through the
// caller's slices, and spells days in upper case.
func normalizeSpec(h ServiceHours) ServiceHours {
	out := ServiceHours{Always: h.Always, TimeZone: h.TimeZone, Holidays: slices.Clone(h.Holidays)}
	for _, w := range h.Weekly {
		days := make([]string, len(w.Days))
		for i, d := range w.Days {
			days[i] = strings.ToUpper(d)
		}
		out.Weekly = append(out.Weekly, WeeklyHours{Days: days, Start: w.Start, End: w.End})
	}
	return out
}

// sub joins a field path and a child name.
func sub(field, child string) string {
	if field == "" {
		return child
	}
	return field + "." + child
}

package sla

import (
	"testing"
	"time"

	// Tests must not depend on the zone files of the machine they run on.
	_ "time/tzdata"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// local parses "2006-01-02 15:04" (optionally with seconds) in a zone; use it
// only for wall times that exist exactly once.
func local(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05.999999999"
	}
	v, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustCal(t testing.TB, js string) *Calendar {
	t.Helper()
	c, err := ParseCalendar("serviceHours", []byte(js))
	if err != nil {
		t.Fatalf("ParseCalendar(%s): %v", js, err)
	}
	return c
}

const (
	berlin8x5JSON = `{"timeZone":"Europe/Berlin",
		"weekly":[{"days":["MON","TUE","WED","THU","FRI"],"start":"08:00","end":"18:00"}],
		"holidays":["2026-12-25","2027-01-01"]}`
	utc9to5JSON = `{"timeZone":"UTC","weekly":[{"days":["mon","tue","wed","thu","fri"],"start":"09:00","end":"17:00"}]}`
)

package sla

import (
	"errors"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestServiceTime(t *testing.T) {
	berlin, ny := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	b8x5 := mustCal(t, berlin8x5JSON)
	u9to5 := mustCal(t, utc9to5JSON)
	bSunday := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["SUN"],"start":"00:00","end":"24:00"}]}`)
	nySunday := mustCal(t, `{"timeZone":"America/New_York","weekly":[{"days":["SUN"],"start":"00:00","end":"24:00"}]}`)
	bNight := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["SUN"],"start":"01:00","end":"04:00"}]}`)
	bInGap := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["SUN"],"start":"02:15","end":"02:45"}]}`)
	nyInGap := mustCal(t, `{"timeZone":"America/New_York","weekly":[{"days":["SUN"],"start":"01:30","end":"02:30"}]}`)
	late := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["FRI"],"start":"20:00","end":"24:00"},{"days":["SAT"],"start":"00:00","end":"02:00"}]}`)
	leap := mustCal(t, `{"timeZone":"UTC","holidays":["2028-02-29"]}`)

	tests := []struct {
		name     string
		cal      *Calendar
		from, to time.Time
		want     time.Duration
	}{
		{"same day", b8x5, local(t, berlin, "2026-03-02 09:00"), local(t, berlin, "2026-03-02 17:00"), 8 * time.Hour},
		{"over the weekend", b8x5, local(t, berlin, "2026-03-06 17:00"), local(t, berlin, "2026-03-09 09:00"), 2 * time.Hour},
		{"whole week", b8x5, local(t, berlin, "2026-03-02 00:00"), local(t, berlin, "2026-03-09 00:00"), 50 * time.Hour},
		{"weekend around spring forward", b8x5, local(t, berlin, "2026-03-27 12:00"), local(t, berlin, "2026-03-30 12:00"), 10 * time.Hour},
		{"weekend around fall back", b8x5, local(t, berlin, "2026-10-23 12:00"), local(t, berlin, "2026-10-26 12:00"), 10 * time.Hour},
		{"holiday on Friday", b8x5, local(t, berlin, "2026-12-24 17:00"), local(t, berlin, "2026-12-28 09:00"), 2 * time.Hour},
		{"year boundary with New Year holiday", b8x5, local(t, berlin, "2026-12-31 17:00"), local(t, berlin, "2027-01-04 09:00"), 2 * time.Hour},
		{"whole year 2026 (260 working days)", b8x5, local(t, berlin, "2026-01-01 00:00"), local(t, berlin, "2027-01-01 00:00"), 2600 * time.Hour},
		{"month boundary Jan 31", u9to5, utc(t, "2026-01-30T16:00:00Z"), utc(t, "2026-02-02T10:00:00Z"), 2 * time.Hour},
		{"leap month with Feb 29 a holiday", leap, utc(t, "2028-02-01T00:00:00Z"), utc(t, "2028-03-01T00:00:00Z"), 28 * 24 * time.Hour},
		{"to before from", b8x5, local(t, berlin, "2026-03-02 17:00"), local(t, berlin, "2026-03-02 09:00"), 0},
		{"sub-second ends", b8x5, local(t, berlin, "2026-03-02 09:00:00.5"), local(t, berlin, "2026-03-02 09:00:01.25"), 750 * time.Millisecond},
		{"nil is 24x7", nil, utc(t, "2026-03-28T00:00:00Z"), utc(t, "2026-03-30T00:00:00Z"), 48 * time.Hour},
		// Wall-clock days: 23 hours in spring, 25 in autumn.
		{"Berlin Sunday spring forward", bSunday, local(t, berlin, "2026-03-28 00:00"), local(t, berlin, "2026-03-30 00:00"), 23 * time.Hour},
		{"Berlin Sunday fall back", bSunday, local(t, berlin, "2026-10-24 00:00"), local(t, berlin, "2026-10-26 00:00"), 25 * time.Hour},
		{"New York Sunday spring forward", nySunday, local(t, ny, "2026-03-07 00:00"), local(t, ny, "2026-03-09 00:00"), 23 * time.Hour},
		{"New York Sunday fall back", nySunday, local(t, ny, "2026-10-31 00:00"), local(t, ny, "2026-11-02 00:00"), 25 * time.Hour},
		{"Berlin 01:00-04:00 spring forward", bNight, local(t, berlin, "2026-03-29 00:00"), local(t, berlin, "2026-03-29 12:00"), 2 * time.Hour},
		{"Berlin 01:00-04:00 fall back", bNight, local(t, berlin, "2026-10-25 00:00"), local(t, berlin, "2026-10-25 12:00"), 4 * time.Hour},
		{"Berlin 02:15-02:45 is skipped in spring", bInGap, local(t, berlin, "2026-03-29 00:00"), local(t, berlin, "2026-03-29 12:00"), 0},
		{"Berlin 02:15-02:45 happens twice in autumn", bInGap, local(t, berlin, "2026-10-25 00:00"), local(t, berlin, "2026-10-25 12:00"), time.Hour},
		{"New York 01:30-02:30 spring forward", nyInGap, local(t, ny, "2026-03-08 00:00"), local(t, ny, "2026-03-08 12:00"), 30 * time.Minute},
		{"New York 01:30-02:30 fall back", nyInGap, local(t, ny, "2026-11-01 00:00"), local(t, ny, "2026-11-01 12:00"), 90 * time.Minute},
		{"interval ending 24:00 joins the next day", late, local(t, berlin, "2026-03-06 19:00"), local(t, berlin, "2026-03-07 03:00"), 6 * time.Hour},
		{"starts mid-interval across midnight", late, local(t, berlin, "2026-03-06 23:30"), local(t, berlin, "2026-03-07 00:30"), time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ServiceTime(tt.cal, tt.from, tt.to); got != tt.want {
				t.Fatalf("ServiceTime = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAddServiceTime(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	b8x5 := mustCal(t, berlin8x5JSON)
	u9to5 := mustCal(t, utc9to5JSON)
	late := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["FRI"],"start":"20:00","end":"24:00"},{"days":["SAT"],"start":"00:00","end":"02:00"}]}`)
	tests := []struct {
		name string
		cal  *Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"within the day", b8x5, local(t, berlin, "2026-03-02 16:00"), time.Hour, local(t, berlin, "2026-03-02 17:00")},
		{"ends at closing, not next opening", b8x5, local(t, berlin, "2026-03-02 17:00"), time.Hour, local(t, berlin, "2026-03-02 18:00")},
		{"from closing", b8x5, local(t, berlin, "2026-03-02 18:00"), time.Hour, local(t, berlin, "2026-03-03 09:00")},
		{"from the weekend", b8x5, local(t, berlin, "2026-03-07 12:00"), time.Hour, local(t, berlin, "2026-03-09 09:00")},
		{"over spring forward", b8x5, local(t, berlin, "2026-03-27 16:00"), 3 * time.Hour, local(t, berlin, "2026-03-30 09:00")},
		{"over fall back", b8x5, local(t, berlin, "2026-10-23 16:00"), 3 * time.Hour, local(t, berlin, "2026-10-26 09:00")},
		{"over a holiday", b8x5, local(t, berlin, "2026-12-24 17:00"), 2 * time.Hour, local(t, berlin, "2026-12-28 09:00")},
		{"zero outside service hours", b8x5, local(t, berlin, "2026-03-07 12:00"), 0, local(t, berlin, "2026-03-07 12:00")},
		{"exactly one week ends Friday, not Monday", b8x5, local(t, berlin, "2026-03-02 08:00"), 50 * time.Hour, local(t, berlin, "2026-03-06 18:00")},
		{"exactly ten weeks", b8x5, local(t, berlin, "2026-03-02 08:00"), 500 * time.Hour, local(t, berlin, "2026-05-08 18:00")},
		{"a whole year", b8x5, local(t, berlin, "2026-01-01 00:00"), 2600 * time.Hour, local(t, berlin, "2026-12-31 18:00")},
		{"month boundary", u9to5, utc(t, "2026-01-30T16:00:00Z"), 3 * time.Hour, utc(t, "2026-02-02T11:00:00Z")},
		{"into leap day", u9to5, utc(t, "2028-02-28T16:00:00Z"), 8 * time.Hour, utc(t, "2028-02-29T16:00:00Z")},
		{"across an interval ending 24:00", late, local(t, berlin, "2026-03-06 23:00"), 2 * time.Hour, local(t, berlin, "2026-03-07 01:00")},
		{"24x7", nil, utc(t, "2026-03-29T00:30:00Z"), 90 * time.Minute, utc(t, "2026-03-29T02:00:00Z")},
		{"sub-second start", b8x5, local(t, berlin, "2026-03-02 17:59:59.75"), time.Second, local(t, berlin, "2026-03-03 08:00:00.75")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddServiceTime(tt.cal, tt.from, tt.d)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("AddServiceTime = %v, %v; want %v", got, err, tt.want)
			}
			if back := ServiceTime(tt.cal, tt.from, got); back != tt.d {
				t.Fatalf("ServiceTime back = %v, want %v", back, tt.d)
			}
		})
	}
}

func TestAddServiceTimeErrors(t *testing.T) {
	from := utc(t, "2026-03-02T09:00:00Z")
	if _, err := AddServiceTime(&Calendar{}, from, time.Minute); !errors.Is(err, ErrNoServiceTime) {
		t.Fatalf("zero calendar: %v, want ErrNoServiceTime", err)
	}
	if got := ServiceTime(&Calendar{}, from, from.Add(time.Hour)); got != 0 {
		t.Fatalf("zero calendar has %v of service time", got)
	}
	// One minute a week cannot hold 10,000 hours within the horizon; the
	// walk must give up quickly instead of looping for 11,000 years.
	tiny := mustCal(t, `{"timeZone":"Europe/Berlin","weekly":[{"days":["SUN"],"start":"12:00","end":"12:01"}]}`)
	if _, err := AddServiceTime(tiny, from, 10000*time.Hour); !errors.Is(err, ErrNoServiceTime) {
		t.Fatalf("tiny calendar: %v, want ErrNoServiceTime", err)
	}
	if _, err := AddServiceTime(nil, from, (HorizonYears+1)*366*24*time.Hour); !errors.Is(err, ErrNoServiceTime) {
		t.Fatalf("beyond the horizon: %v, want ErrNoServiceTime", err)
	}
	if _, err := AddServiceTime(nil, from, -time.Second); graph.ErrorField(err) != "duration" {
		t.Fatalf("negative duration: %v, want INVALID_INPUT on duration", err)
	}
}

func TestLongSpansAreConsistent(t *testing.T) {
	b8x5 := mustCal(t, berlin8x5JSON)
	from := utc(t, "2026-01-05T10:17:00Z")
	for _, d := range []time.Duration{49 * time.Hour, 50 * time.Hour, 51 * time.Hour, 5000 * time.Hour, 40 * 2600 * time.Hour} {
		due, err := AddServiceTime(b8x5, from, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := ServiceTime(b8x5, from, due); got != d {
			t.Errorf("d=%v: ServiceTime(from, due) = %v", d, got)
		}
		// due is the earliest such instant: a moment earlier falls short.
		if got := ServiceTime(b8x5, from, due.Add(-time.Nanosecond)); got != d-time.Nanosecond {
			t.Errorf("d=%v: a nanosecond before due has %v", d, got)
		}
	}
}

func BenchmarkServiceTimeTenYears(b *testing.B) {
	b8x5 := mustCal(b, berlin8x5JSON)
	from := utc(b, "2026-01-05T10:17:00Z")
	to := from.AddDate(10, 0, 0)
	for b.Loop() {
		ServiceTime(b8x5, from, to)
	}
}

func BenchmarkAddServiceTime(b *testing.B) {
	b8x5 := mustCal(b, berlin8x5JSON)
	from := utc(b, "2026-01-05T10:17:00Z")
	for _, d := range []time.Duration{4 * time.Hour, 2600 * time.Hour, 10 * 2600 * time.Hour} {
		b.Run(d.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := AddServiceTime(b8x5, from, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestZoneBoundsWorkaround covers golang/go#81583: on the last UTC day of a
// leap year served by a zone's TZ rule, Time.ZoneBounds reports an end
// before the instant. Walking through it used to loop forever.
func TestZoneBoundsWorkaround(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc := mustLoc(t, zone)
		at := utc(t, "2040-12-31T12:00:00Z")
		off, end := zoneAt(loc, at)
		if _, want := at.In(loc).Zone(); off != int64(want) || !end.After(at) {
			t.Errorf("%s: zoneAt = %d, %v", zone, off, end)
		}
		cal := mustCal(t, `{"timeZone":"`+zone+`","holidays":["2000-01-01"]}`)
		from := local(t, loc, "2040-12-30 00:00")
		if got := ServiceTime(cal, from, local(t, loc, "2041-01-02 00:00")); got != 72*time.Hour {
			t.Errorf("%s: three days around new year 2041 have %v", zone, got)
		}
		if got, err := AddServiceTime(cal, from, 72*time.Hour); err != nil || !got.Equal(local(t, loc, "2041-01-02 00:00")) {
			t.Errorf("%s: AddServiceTime = %v, %v", zone, got, err)
		}
	}
}

func TestExtremeRanges(t *testing.T) {
	b8x5 := mustCal(t, berlin8x5JSON)
	// Saturates instead of overflowing, and finishes quickly although it
	// spans the whole history of the zone.
	if got := ServiceTime(b8x5, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got != time.Duration(1<<63-1) {
		t.Errorf("ServiceTime over 10,000 years = %v, want saturation", got)
	}
	if got := ServiceTime(nil, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got != time.Duration(1<<63-1) {
		t.Errorf("24x7 over 10,000 years = %v, want saturation", got)
	}
	from := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	st := ServiceTime(b8x5, from, to)
	if due, err := AddServiceTime(b8x5, from, st); err == nil {
		t.Errorf("200 years of office hours fit in the 100-year horizon: %v", due)
	}
	if mid := ServiceTime(b8x5, from, from.AddDate(99, 0, 0)); mid <= 0 || mid >= st {
		t.Errorf("ServiceTime over 99 years = %v of %v", mid, st)
	}
}

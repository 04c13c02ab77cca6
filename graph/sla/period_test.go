package sla

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestPeriodContaining(t *testing.T) {
	berlin, ny := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	tests := []struct {
		name       string
		kind       PeriodKind
		tz         *time.Location
		t          time.Time
		start, end time.Time
	}{
		{"month across spring forward", PeriodMonth, berlin, local(t, berlin, "2026-03-15 12:00"),
			local(t, berlin, "2026-03-01 00:00"), local(t, berlin, "2026-04-01 00:00")},
		{"empty kind is month", "", berlin, local(t, berlin, "2026-10-31 23:59"),
			local(t, berlin, "2026-10-01 00:00"), local(t, berlin, "2026-11-01 00:00")},
		{"leap February", PeriodMonth, time.UTC, utc(t, "2028-02-29T23:59:59Z"),
			utc(t, "2028-02-01T00:00:00Z"), utc(t, "2028-03-01T00:00:00Z")},
		{"January 31 to February", PeriodMonth, ny, local(t, ny, "2026-02-01 00:00"),
			local(t, ny, "2026-02-01 00:00"), local(t, ny, "2026-03-01 00:00")},
		{"a nanosecond before the boundary", PeriodMonth, ny, local(t, ny, "2026-02-01 00:00").Add(-1),
			local(t, ny, "2026-01-01 00:00"), local(t, ny, "2026-02-01 00:00")},
		{"local month differs from UTC month", PeriodMonth, ny, utc(t, "2026-03-01T03:00:00Z"),
			local(t, ny, "2026-02-01 00:00"), local(t, ny, "2026-03-01 00:00")},
		{"ISO week across the year", PeriodWeek, berlin, local(t, berlin, "2026-01-01 10:00"),
			local(t, berlin, "2025-12-29 00:00"), local(t, berlin, "2026-01-05 00:00")},
		{"Sunday night belongs to the week before", PeriodWeek, berlin, local(t, berlin, "2026-03-29 23:30"),
			local(t, berlin, "2026-03-23 00:00"), local(t, berlin, "2026-03-30 00:00")},
		{"quarter across fall back", PeriodQuarter, ny, local(t, ny, "2026-11-15 08:00"),
			local(t, ny, "2026-10-01 00:00"), local(t, ny, "2027-01-01 00:00")},
		{"year", PeriodYear, berlin, local(t, berlin, "2028-02-29 12:00"),
			local(t, berlin, "2028-01-01 00:00"), local(t, berlin, "2029-01-01 00:00")},
		{"nil zone is UTC", PeriodMonth, nil, utc(t, "2026-12-31T23:00:00Z"),
			utc(t, "2026-12-01T00:00:00Z"), utc(t, "2027-01-01T00:00:00Z")},
		// Havana springs forward at midnight: 8 March 2026 begins at 01:00.
		{"week starting in a skipped midnight", PeriodWeek, mustLoc(t, "America/Havana"), utc(t, "2026-03-10T12:00:00Z"),
			utc(t, "2026-03-09T04:00:00Z"), utc(t, "2026-03-16T04:00:00Z")},
		// The year 2040 is a leap year served by Berlin's TZ rule, where
		// ZoneBounds misreports the zone end (golang/go#81583).
		{"last day of 2040", PeriodMonth, berlin, utc(t, "2040-12-31T12:00:00Z"),
			local(t, berlin, "2040-12-01 00:00"), local(t, berlin, "2041-01-01 00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := PeriodContaining(tt.kind, tt.tz, tt.t)
			if !start.Equal(tt.start) || !end.Equal(tt.end) {
				t.Fatalf("PeriodContaining = [%v, %v), want [%v, %v)", start, end, tt.start, tt.end)
			}
		})
	}
}

func TestMidnightInZonesThatChangeAtMidnight(t *testing.T) {
	tests := []struct {
		zone, day, want string
	}{
		// Havana: 00:00 -> 01:00, the day starts at the change.
		{"America/Havana", "2026-03-08", "2026-03-08T05:00:00Z"},
		// Santiago: 24:00 -> 23:00 on Saturday 4 April 2026; the wall clock
		// first reads 5 April 00:00 an hour after the change.
		{"America/Santiago", "2026-04-05", "2026-04-05T04:00:00Z"},
		{"America/Santiago", "2026-09-06", "2026-09-06T04:00:00Z"},
		// Apia skipped 30 December 2011 entirely.
		{"Pacific/Apia", "2011-12-30", "2011-12-30T10:00:00Z"},
		{"Pacific/Apia", "2011-12-31", "2011-12-30T10:00:00Z"},
	}
	for _, tt := range tests {
		d, _ := time.Parse(time.DateOnly, tt.day)
		got := midnight(mustLoc(t, tt.zone), floorDiv(d.Unix(), secondsPerDay))
		if !got.Equal(utc(t, tt.want)) {
			t.Errorf("%s %s starts at %v, want %s", tt.zone, tt.day, got.UTC(), tt.want)
		}
	}
}

// TestPeriodsTile checks, for random instants in zones with unusual clock
// changes, that the period contains the instant and that periods abut.
func TestPeriodsTile(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "America/Havana",
		"Asia/Beirut", "Pacific/Apia", "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca"}
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := utc(t, "2005-01-01T00:00:00Z").Unix(), utc(t, "2045-01-01T00:00:00Z").Unix()
	for i := 0; i < 4000; i++ {
		tz := mustLoc(t, zones[rng.IntN(len(zones))])
		kind := []PeriodKind{PeriodMonth, PeriodWeek, PeriodQuarter, PeriodYear}[rng.IntN(4)]
		at := time.Unix(lo+rng.Int64N(hi-lo), 0)
		start, end := PeriodContaining(kind, tz, at)
		if at.Before(start) || !at.Before(end) {
			t.Fatalf("%s %s at %v: [%v, %v) does not contain it", tz, kind, at, start, end)
		}
		if s, _ := PeriodContaining(kind, tz, end); !s.Equal(end) {
			t.Fatalf("%s %s at %v: next period starts %v, not at %v", tz, kind, at, s, end)
		}
		if _, e := PeriodContaining(kind, tz, start.Add(-1)); !e.Equal(start) {
			t.Fatalf("%s %s at %v: previous period ends %v, not at %v", tz, kind, at, e, start)
		}
		if y, m, d := start.In(tz).Date(); kind != PeriodWeek && d != 1 || kind == PeriodYear && m != 1 {
			t.Fatalf("%s %s at %v: starts %d-%02d-%02d", tz, kind, at, y, m, d)
		}
	}
}

func TestParsePeriodKind(t *testing.T) {
	for in, want := range map[string]PeriodKind{"": PeriodMonth, "MONTH": PeriodMonth, "WEEK": PeriodWeek, "QUARTER": PeriodQuarter, "YEAR": PeriodYear} {
		if got, err := ParsePeriodKind("period", in); err != nil || got != want {
			t.Errorf("ParsePeriodKind(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParsePeriodKind("period", "month"); graph.ErrorField(err) != "period" {
		t.Errorf("lower-case month: %v", err)
	}
}

func TestPeriodContainingUnknownKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an unknown kind")
		}
	}()
	PeriodContaining("FORTNIGHT", time.UTC, time.Now())
}

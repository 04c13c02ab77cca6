package sla

import (
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name     string
		kind     PeriodKind
		tz       *time.Location
		from, to time.Time
		limit    int
		// starts are the periods' starts; the last period ends at to.
		starts []time.Time
		ok     bool
	}{
		{"days across fall back (a 25-hour Sunday)", PeriodDay, berlin, local(t, berlin, "2026-10-24 00:00"), local(t, berlin, "2026-10-27 00:00"), 10,
			[]time.Time{local(t, berlin, "2026-10-24 00:00"), local(t, berlin, "2026-10-25 00:00"), local(t, berlin, "2026-10-26 00:00")}, true},
		{"weeks clipped to the range", PeriodWeek, time.UTC, utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-12T06:00:00Z"), 10,
			[]time.Time{utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-02T00:00:00Z"), utc(t, "2026-11-09T00:00:00Z")}, true},
		{"months in the zone, not in UTC", PeriodMonth, berlin, utc(t, "2026-09-30T22:00:00Z"), utc(t, "2026-12-01T00:00:00Z"), 10,
			[]time.Time{local(t, berlin, "2026-10-01 00:00"), local(t, berlin, "2026-11-01 00:00"), local(t, berlin, "2026-12-01 00:00")}, true},
		{"exactly the limit", PeriodDay, time.UTC, utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-04T00:00:00Z"), 3,
			[]time.Time{utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-02T00:00:00Z"), utc(t, "2026-11-03T00:00:00Z")}, true},
		{"one over the limit", PeriodDay, time.UTC, utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-04T00:00:01Z"), 3, nil, false},
		{"empty range", PeriodDay, time.UTC, utc(t, "2026-11-01T00:00:00Z"), utc(t, "2026-11-01T00:00:00Z"), 3, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Periods(tc.kind, tc.tz, tc.from, tc.to, tc.limit)
			if ok != tc.ok || len(got) != len(tc.starts) {
				t.Fatalf("got %d periods (ok %v), want %d (ok %v): %v", len(got), ok, len(tc.starts), tc.ok, got)
			}
			for i, p := range got {
				end := tc.to
				if i+1 < len(tc.starts) {
					end = tc.starts[i+1]
				}
				if !p.Start.Equal(tc.starts[i]) || !p.End.Equal(end) {
					t.Errorf("period %d is %s – %s, want %s – %s", i, p.Start, p.End, tc.starts[i], end)
				}
			}
		})
	}
	if _, err := ParsePeriodKind("period", "DAY"); err == nil {
		t.Error("an SLA period cannot be a day")
	}
}

func TestMerge(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	got := Merge([]Interval{{at(9), at(11)}, {at(8), at(10)}, {at(11), at(12)}, {at(14), time.Time{}}, {at(18), at(19)}}, at(16))
	want := []Interval{{at(8), at(12)}, {at(14), at(16)}}
	if len(got) != len(want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Errorf("merged %v, want %v", got, want)
		}
	}
}

package sla

import (
	"errors"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestClock(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	b8x5 := mustCal(t, berlin8x5JSON)
	at := func(s string) time.Time { return local(t, berlin, s) }
	pause := func(from, to string) Interval {
		iv := Interval{Start: at(from)}
		if to != "" {
			iv.End = at(to)
		}
		return iv
	}
	// Opened Monday 2 March 2026 16:00, four service hours to resolve:
	// due Tuesday 10:00 without pauses.
	base := Clock{Start: at("2026-03-02 16:00"), Target: 4 * time.Hour}
	with := func(ps ...Interval) Clock { c := base; c.Pauses = ps; return c }

	tests := []struct {
		name      string
		cal       *Calendar
		clock     Clock
		now       time.Time
		elapsed   time.Duration
		due       time.Time
		breached  bool
		remaining time.Duration
	}{
		{"running", b8x5, base, at("2026-03-02 17:00"), time.Hour, at("2026-03-03 10:00"), false, 3 * time.Hour},
		{"overnight counts nothing", b8x5, base, at("2026-03-03 07:00"), 2 * time.Hour, at("2026-03-03 10:00"), false, 2 * time.Hour},
		{"due instant reached", b8x5, base, at("2026-03-03 10:00"), 4 * time.Hour, at("2026-03-03 10:00"), true, 0},
		{"overrun", b8x5, base, at("2026-03-04 09:00"), 13 * time.Hour, at("2026-03-03 10:00"), true, -9 * time.Hour},
		{"pause over two nights", b8x5, with(pause("2026-03-02 17:00", "2026-03-04 10:00")), at("2026-03-04 12:00"),
			3 * time.Hour, at("2026-03-04 13:00"), false, time.Hour},
		{"open pause: due as if resumed now", b8x5, with(pause("2026-03-02 17:00", "")), at("2026-03-04 10:00"),
			time.Hour, at("2026-03-04 13:00"), false, 3 * time.Hour},
		{"open pause outside service hours", b8x5, with(pause("2026-03-02 17:00", "")), at("2026-03-07 10:00"),
			time.Hour, at("2026-03-09 11:00"), false, 3 * time.Hour},
		{"pause ending after now counts as open", b8x5, with(pause("2026-03-02 17:00", "2026-03-10 00:00")), at("2026-03-04 10:00"),
			time.Hour, at("2026-03-04 13:00"), false, 3 * time.Hour},
		{"pause starting after now is ignored", b8x5, with(pause("2026-03-03 09:00", "2026-03-03 12:00")), at("2026-03-02 17:00"),
			time.Hour, at("2026-03-03 10:00"), false, 3 * time.Hour},
		{"overlapping pauses", b8x5, with(pause("2026-03-02 16:30", "2026-03-03 09:00"), pause("2026-03-02 17:00", "2026-03-03 10:00"), pause("2026-03-03 09:30", "2026-03-03 11:00")),
			at("2026-03-03 12:00"), 90 * time.Minute, at("2026-03-03 14:30"), false, 150 * time.Minute},
		{"pause from before start", b8x5, with(pause("2026-03-02 12:00", "2026-03-02 17:00")), at("2026-03-02 18:00"),
			time.Hour, at("2026-03-03 11:00"), false, 3 * time.Hour},
		{"breach inside history with later pause", b8x5, with(pause("2026-03-03 11:00", "2026-03-03 15:00")), at("2026-03-03 16:00"),
			6 * time.Hour, at("2026-03-03 10:00"), true, -2 * time.Hour},
		{"not started yet", b8x5, base, at("2026-03-02 12:00"), 0, at("2026-03-03 10:00"), false, 4 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Elapsed(tt.cal, tt.clock, tt.now); got != tt.elapsed {
				t.Errorf("Elapsed = %v, want %v", got, tt.elapsed)
			}
			if got, err := Due(tt.cal, tt.clock, tt.now); err != nil || !got.Equal(tt.due) {
				t.Errorf("Due = %v, %v; want %v", got, err, tt.due)
			}
			if got := Breached(tt.cal, tt.clock, tt.now); got != tt.breached {
				t.Errorf("Breached = %v, want %v", got, tt.breached)
			}
			if got := Remaining(tt.cal, tt.clock, tt.now); got != tt.remaining {
				t.Errorf("Remaining = %v, want %v", got, tt.remaining)
			}
			if err := tt.clock.Validate("clock"); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestClockBreachedOutsideServiceHours(t *testing.T) {
	// Due Friday 18:00, resolved Saturday: the clock has exactly reached its
	// target, which counts as breached.
	berlin := mustLoc(t, "Europe/Berlin")
	b8x5 := mustCal(t, berlin8x5JSON)
	c := Clock{Start: local(t, berlin, "2026-03-06 16:00"), Target: 2 * time.Hour}
	now := local(t, berlin, "2026-03-07 10:00")
	due, _ := Due(b8x5, c, now)
	if !due.Equal(local(t, berlin, "2026-03-06 18:00")) || !Breached(b8x5, c, now) || Remaining(b8x5, c, now) != 0 {
		t.Fatalf("due %v breached %v remaining %v", due, Breached(b8x5, c, now), Remaining(b8x5, c, now))
	}
}

func TestClockAcrossDST(t *testing.T) {
	// A 24x7 four-hour clock opened at local midnight before spring forward
	// is due at 05:00 local: four real hours, one of them skipped on the
	// wall clock. With fall back it is due at 03:00 local (the second one).
	for _, tt := range []struct {
		zone, start, due string
	}{
		{"Europe/Berlin", "2026-03-28T23:00:00Z", "2026-03-29T03:00:00Z"},
		{"Europe/Berlin", "2026-10-24T22:00:00Z", "2026-10-25T02:00:00Z"},
		{"America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z"},
		{"America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z"},
	} {
		cal := mustCal(t, `{"timeZone":"`+tt.zone+`","holidays":["1999-01-01"]}`)
		c := Clock{Start: utc(t, tt.start), Target: 4 * time.Hour}
		got, err := Due(cal, c, c.Start)
		if err != nil || !got.Equal(utc(t, tt.due)) {
			t.Errorf("%s from %s: due %v, %v; want %s", tt.zone, tt.start, got, err, tt.due)
		}
	}
}

func TestClockErrors(t *testing.T) {
	now := utc(t, "2026-03-02T10:00:00Z")
	if _, err := Due(&Calendar{}, Clock{Start: now, Target: time.Hour}, now); !errors.Is(err, ErrNoServiceTime) {
		t.Fatalf("no service time: %v", err)
	}
	if _, err := Due(nil, Clock{Start: now, Target: -time.Hour}, now); graph.ErrorField(err) != "target" {
		t.Fatalf("negative target: %v", err)
	}
	for _, tt := range []struct {
		clock Clock
		field string
	}{
		{Clock{Target: time.Hour}, "clock.start"},
		{Clock{Start: now}, "clock.target"},
		{Clock{Start: now, Target: time.Hour, Pauses: []Interval{{Start: now}, {Start: now, End: now.Add(-time.Second)}}}, "clock.pauses[1].end"},
		{Clock{Start: now, Target: time.Hour, Pauses: []Interval{{End: now}}}, "clock.pauses[0].start"},
	} {
		if err := tt.clock.Validate("clock"); graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tt.field {
			t.Errorf("Validate(%+v) = %v, want INVALID_INPUT on %s", tt.clock, err, tt.field)
		}
	}
}

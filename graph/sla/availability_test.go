package sla

import (
	"math"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestMeasureAvailability(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	b8x5 := mustCal(t, berlin8x5JSON)
	mar, apr := utc(t, "2026-03-01T00:00:00Z"), utc(t, "2026-04-01T00:00:00Z")
	out := func(from, to string) Interval {
		iv := Interval{Start: utc(t, from)}
		if to != "" {
			iv.End = utc(t, to)
		}
		return iv
	}
	bStart, bEnd := PeriodContaining(PeriodMonth, berlin, local(t, berlin, "2026-03-10 12:00"))

	tests := []struct {
		name                 string
		in                   AvailabilityInput
		serviceTime, elapsed time.Duration
		downtime, budget     time.Duration
		attainment           float64
		breached             bool
	}{
		{"no outages", AvailabilityInput{Target: 99.9, PeriodStart: mar, PeriodEnd: apr, AsOf: utc(t, "2026-03-10T00:00:00Z")},
			744 * time.Hour, 216 * time.Hour, 0, 44*time.Minute + 38*time.Second + 400*time.Millisecond, 100, false},
		{"overlapping outages count once", AvailabilityInput{Target: 99.9, PeriodStart: mar, PeriodEnd: apr, AsOf: utc(t, "2026-03-10T00:00:00Z"),
			Outages: []Interval{out("2026-03-03T10:00:00Z", "2026-03-03T10:30:00Z"), out("2026-03-03T10:15:00Z", "2026-03-03T10:45:00Z")}},
			744 * time.Hour, 216 * time.Hour, 45 * time.Minute, 44*time.Minute + 38*time.Second + 400*time.Millisecond,
			100 * (1 - 45.0/(216*60)), true},
		{"outage crossing the period start", AvailabilityInput{Target: 99.5, PeriodStart: mar, PeriodEnd: apr, AsOf: apr,
			Outages: []Interval{out("2026-02-28T23:00:00Z", "2026-03-01T01:00:00Z")}},
			744 * time.Hour, 744 * time.Hour, time.Hour, 3*time.Hour + 43*time.Minute + 12*time.Second, 100 * (1 - 1.0/744), false},
		{"open outage ends at asOf", AvailabilityInput{Target: 99.9, PeriodStart: mar, PeriodEnd: apr, AsOf: utc(t, "2026-03-10T00:00:00Z"),
			Outages: []Interval{out("2026-03-09T23:00:00Z", ""), out("2026-03-20T00:00:00Z", "2026-03-21T00:00:00Z")}},
			744 * time.Hour, 216 * time.Hour, time.Hour, 44*time.Minute + 38*time.Second + 400*time.Millisecond, 100 * (1 - 1.0/216), true},
		{"target 99.95 over a 30-day month", AvailabilityInput{Target: 99.95, PeriodStart: apr, PeriodEnd: utc(t, "2026-05-01T00:00:00Z"), AsOf: utc(t, "2026-05-01T00:00:00Z"),
			Outages: []Interval{out("2026-04-10T00:00:00Z", "2026-04-10T00:21:36Z")}},
			720 * time.Hour, 720 * time.Hour, 21*time.Minute + 36*time.Second, 21*time.Minute + 36*time.Second, 99.95, false},
		{"asOf after the period is clamped", AvailabilityInput{Target: 99.95, PeriodStart: apr, PeriodEnd: utc(t, "2026-05-01T00:00:00Z"), AsOf: utc(t, "2026-06-01T00:00:00Z"),
			Outages: []Interval{out("2026-04-30T23:00:00Z", "2026-05-01T01:00:00Z")}},
			720 * time.Hour, 720 * time.Hour, time.Hour, 21*time.Minute + 36*time.Second, 100 * (1 - 1.0/720), true},
		{"asOf before the period", AvailabilityInput{Target: 99.9, PeriodStart: apr, PeriodEnd: utc(t, "2026-05-01T00:00:00Z"), AsOf: mar},
			720 * time.Hour, 0, 0, 43*time.Minute + 12*time.Second, 100, false},
		{"business hours: nights do not count", AvailabilityInput{Target: 99, Calendar: b8x5, PeriodStart: bStart, PeriodEnd: bEnd, AsOf: local(t, berlin, "2026-03-10 12:00"),
			Outages: []Interval{{local(t, berlin, "2026-03-02 17:00"), local(t, berlin, "2026-03-03 09:00")}, {local(t, berlin, "2026-03-07 09:00"), local(t, berlin, "2026-03-07 17:00")}}},
			220 * time.Hour, 64 * time.Hour, 2 * time.Hour, 2*time.Hour + 12*time.Minute, 100 * (1 - 2.0/64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := MeasureAvailability(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if a.ServiceTime != tt.serviceTime || a.ElapsedServiceTime != tt.elapsed || a.Downtime != tt.downtime || a.Budget != tt.budget {
				t.Fatalf("service %v elapsed %v downtime %v budget %v; want %v %v %v %v",
					a.ServiceTime, a.ElapsedServiceTime, a.Downtime, a.Budget, tt.serviceTime, tt.elapsed, tt.downtime, tt.budget)
			}
			if math.Abs(a.Attainment-tt.attainment) > 1e-9 {
				t.Errorf("Attainment = %v, want %v", a.Attainment, tt.attainment)
			}
			if a.BudgetUsed != a.Downtime || a.BudgetLeft != a.Budget-a.Downtime || a.Breached != tt.breached {
				t.Errorf("used %v left %v breached %v (want breached %v)", a.BudgetUsed, a.BudgetLeft, a.Breached, tt.breached)
			}
		})
	}
}

func TestBudgetProjection(t *testing.T) {
	apr, may := utc(t, "2026-04-01T00:00:00Z"), utc(t, "2026-05-01T00:00:00Z")
	in := AvailabilityInput{Target: 99.9, PeriodStart: apr, PeriodEnd: may, AsOf: utc(t, "2026-04-15T00:00:00Z"),
		Outages: []Interval{{utc(t, "2026-04-02T00:00:00Z"), utc(t, "2026-04-02T00:33:12Z")}, {Start: utc(t, "2026-04-14T23:50:00Z")}}}
	a, err := MeasureAvailability(in)
	if err != nil {
		t.Fatal(err)
	}
	// Budget 43m12s, used 33m12s + 10m (open outage) = 43m12s: met exactly.
	if a.BudgetLeft != 0 || a.Breached {
		t.Fatalf("left %v breached %v", a.BudgetLeft, a.Breached)
	}
	if a.WouldBreach(0) || !a.WouldBreach(time.Nanosecond) {
		t.Fatal("using up the budget exactly must not breach; one nanosecond more must")
	}
	if got := a.ProjectedAttainment(0); math.Abs(got-99.9) > 1e-9 {
		t.Fatalf("ProjectedAttainment(0) = %v", got)
	}

	// A change window half inside the open outage, and one across the
	// period end, with business hours.
	extra, err := PlannedDowntime(in, Interval{utc(t, "2026-04-14T23:00:00Z"), utc(t, "2026-04-15T01:00:00Z")})
	if err != nil || extra != 110*time.Minute {
		t.Fatalf("PlannedDowntime = %v, %v; want 1h50m (the open outage covers 10m)", extra, err)
	}
	extra, err = PlannedDowntime(in, Interval{utc(t, "2026-04-30T23:00:00Z"), utc(t, "2026-05-01T02:00:00Z")})
	if err != nil || extra != time.Hour {
		t.Fatalf("PlannedDowntime across the period end = %v, %v; want 1h", extra, err)
	}
	in.Calendar = mustCal(t, utc9to5JSON)
	extra, err = PlannedDowntime(in, Interval{utc(t, "2026-04-16T16:00:00Z"), utc(t, "2026-04-17T10:00:00Z")})
	if err != nil || extra != 2*time.Hour {
		t.Fatalf("PlannedDowntime in business hours = %v, %v; want 2h", extra, err)
	}
	if _, err := PlannedDowntime(in, Interval{Start: apr}); graph.ErrorField(err) != "planned.end" {
		t.Fatalf("open planned outage: %v", err)
	}
	// Several windows: overlaps count once (16:00–17:00 twice, 09:00–10:00
	// the next day once = 2h of business hours).
	extra, err = PlannedDowntime(in, Interval{utc(t, "2026-04-16T16:00:00Z"), utc(t, "2026-04-16T17:00:00Z")},
		Interval{utc(t, "2026-04-16T16:30:00Z"), utc(t, "2026-04-17T10:00:00Z")})
	if err != nil || extra != 2*time.Hour {
		t.Fatalf("PlannedDowntime of overlapping windows = %v, %v; want 2h", extra, err)
	}
	if _, err := PlannedDowntime(in, Interval{utc(t, "2026-04-16T16:00:00Z"), utc(t, "2026-04-16T17:00:00Z")}, Interval{Start: apr}); graph.ErrorField(err) != "planned[1].end" {
		t.Fatalf("open second planned outage: %v", err)
	}
	if extra, err := PlannedDowntime(in); err != nil || extra != 0 {
		t.Fatalf("no planned outage: %v, %v", extra, err)
	}
}

func TestAvailabilityInputErrors(t *testing.T) {
	apr, may := utc(t, "2026-04-01T00:00:00Z"), utc(t, "2026-05-01T00:00:00Z")
	ok := AvailabilityInput{Target: 99.9, PeriodStart: apr, PeriodEnd: may, AsOf: may}
	tests := []struct {
		name  string
		edit  func(*AvailabilityInput)
		field string
	}{
		{"zero target", func(in *AvailabilityInput) { in.Target = 0 }, "target"},
		{"above 100", func(in *AvailabilityInput) { in.Target = 100.5 }, "target"},
		{"NaN", func(in *AvailabilityInput) { in.Target = math.NaN() }, "target"},
		{"five decimals", func(in *AvailabilityInput) { in.Target = 99.99999 }, "target"},
		{"period end before start", func(in *AvailabilityInput) { in.PeriodEnd = apr.Add(-time.Hour) }, "periodEnd"},
		{"no period start", func(in *AvailabilityInput) { in.PeriodStart = time.Time{} }, "periodStart"},
		{"no asOf", func(in *AvailabilityInput) { in.AsOf = time.Time{} }, "asOf"},
		{"outage ends before it starts", func(in *AvailabilityInput) {
			in.Outages = []Interval{{apr, may}, {may, apr}}
		}, "outages[1].end"},
	}
	for _, tt := range tests {
		in := ok
		tt.edit(&in)
		if _, err := MeasureAvailability(in); graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tt.field {
			t.Errorf("%s: %v, want INVALID_INPUT on %s", tt.name, err, tt.field)
		}
	}
	for _, target := range []float64{100, 99.9999, 0.0001, 99.95, 99.999} {
		in := ok
		in.Target = target
		if _, err := MeasureAvailability(in); err != nil {
			t.Errorf("target %v: %v", target, err)
		}
	}
	in := ok
	in.Target = 100
	in.Outages = []Interval{{apr, apr.Add(time.Nanosecond)}}
	if a, _ := MeasureAvailability(in); a.Budget != 0 || !a.Breached {
		t.Errorf("target 100: budget %v breached %v", a.Budget, a.Breached)
	}
}

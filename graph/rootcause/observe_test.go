package rootcause

import (
	"math"
	"testing"
	"time"
)

func TestDownLike(t *testing.T) {
	tests := []struct {
		outage bool
		impact int
		want   bool
	}{
		{true, 1, true}, {true, 2, true}, {true, 3, true}, {true, 0, true},
		{false, 1, false}, // the outage flag outweighs the impact level
		{false, 2, false}, {false, 3, false}, {false, 0, false},
	}
	for _, tt := range tests {
		i := Incident{Outage: tt.outage, Impact: tt.impact}
		if got := downLike(&i); got != tt.want {
			t.Errorf("outage=%v impact=%d: downLike %v, want %v", tt.outage, tt.impact, got, tt.want)
		}
	}
}

func TestBurst(t *testing.T) {
	const burst, window = 10 * time.Minute, 3 * time.Hour
	at := func(d time.Duration) float64 { return burstLogRatio(d, burst, window) }
	if at(0) != at(19*time.Minute) {
		t.Error("no plateau: a tighter burst should earn nothing more")
	}
	if !(at(20*time.Minute) > at(40*time.Minute) && at(40*time.Minute) > at(2*time.Hour)) {
		t.Error("no decay after the plateau")
	}
	if got := at(-time.Minute); math.Abs(got-math.Log(0.25)) > 1e-12 {
		t.Errorf("before the onset: %v, want the floor", got)
	}
	if at(10*time.Hour) < math.Log(0.25) {
		t.Error("a late symptom fell below the floor")
	}
}

func TestFitOnset(t *testing.T) {
	const burst, window = 10 * time.Minute, 3 * time.Hour
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		after []time.Duration
		want  time.Duration
	}{
		{"one", []time.Duration{0}, 0},
		{"burst", []time.Duration{0, time.Minute, 3 * time.Minute}, 0},
		{"early outlier is skipped", []time.Duration{0, 70 * time.Minute, 71 * time.Minute, 72 * time.Minute, 75 * time.Minute}, 70 * time.Minute},
	}
	for _, tt := range tests {
		var times []time.Time
		for _, d := range tt.after {
			times = append(times, base.Add(d))
		}
		if got, _ := fitOnset(times, burst, window); !got.Equal(base.Add(tt.want)) {
			t.Errorf("%s: onset %v, want %v", tt.name, got.Sub(base), tt.want)
		}
	}
}

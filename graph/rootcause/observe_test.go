package rootcause

import (
	"math"
	"slices"
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
	// Each CI's incident times, in minutes after base.
	tests := []struct {
		name  string
		after [][]int
		want  time.Duration
	}{
		{"one", [][]int{{0}}, 0},
		{"burst", [][]int{{0}, {1}, {3}}, 0},
		{"early outlier is skipped", [][]int{{0}, {70}, {71}, {72}, {75}}, 70 * time.Minute},
		// Every CI of the burst also carries older noise: the earliest
		// times are all noise, the burst is still found.
		{"noise before the burst on every CI", [][]int{{-150, 0}, {-140, 1}, {-135, -130, 2}, {-120, 3}, {-110, 4}, {-100, 5}, {-90, 6}, {-80, 7}, {-70, 8}, {-60, 9}, {-50, 10}, {-40, 11}}, 0},
	}
	for _, tt := range tests {
		var perNode [][]time.Time
		var all []time.Time
		for _, mins := range tt.after {
			var times []time.Time
			for _, m := range mins {
				times = append(times, base.Add(time.Duration(m)*time.Minute))
			}
			perNode = append(perNode, times)
			all = append(all, times...)
		}
		slices.SortFunc(all, time.Time.Compare)
		if got, _ := fitOnset(perNode, all, burst, window); !got.Equal(base.Add(tt.want)) {
			t.Errorf("%s: onset %v, want %v", tt.name, got.Sub(base), tt.want)
		}
	}
}

package sla

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The property tests compare the calendar arithmetic with a brute-force
// reference that reads the ServiceHours definition directly and steps
// minute by minute through time.Time.In. Instants are whole UTC minutes in
// years whose offsets are whole minutes, so service is constant within each
// minute and counting minutes is exact.

var refZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Europe/London", "Australia/Lord_Howe",
	"Pacific/Chatham", "Asia/Kathmandu", "America/Santiago", "America/Havana", "Pacific/Apia", "Africa/Casablanca"}

// refMinutes reports, for each minute from from on, whether it is service
// time according to the definition in h.
func refMinutes(h ServiceHours, loc *time.Location, from time.Time, n int) []bool {
	holidays := map[string]bool{}
	for _, d := range h.Holidays {
		holidays[d] = true
	}
	out := make([]bool, n)
	for i := range out {
		lt := from.Add(time.Duration(i) * time.Minute).In(loc)
		if holidays[lt.Format(time.DateOnly)] {
			continue
		}
		if len(h.Weekly) == 0 {
			out[i] = true
			continue
		}
		day := dayNames[lt.Weekday()]
		m := lt.Hour()*60 + lt.Minute()
		for _, w := range h.Weekly {
			s, _ := parseClock(w.Start, false)
			e, _ := parseClock(w.End, true)
			if slices.Contains(w.Days, day) && int64(m*60) >= s && int64(m*60) < e {
				out[i] = true
			}
		}
	}
	return out
}

// randomHours makes a valid schedule: up to four entries, biased towards the
// small hours where clocks change, and a few holidays near [from, to).
func randomHours(rng *rand.Rand, zone string, from, to time.Time) ServiceHours {
	h := ServiceHours{TimeZone: zone}
	if rng.IntN(10) > 0 {
		for range 1 + rng.IntN(4) {
			var w WeeklyHours
			for d, name := range dayNames {
				if rng.IntN(3) == 0 || d == rng.IntN(7) {
					w.Days = append(w.Days, name)
				}
			}
			if len(w.Days) == 0 {
				w.Days = []string{dayNames[rng.IntN(7)]}
			}
			var start int
			switch rng.IntN(3) {
			case 0:
				start = 60 * rng.IntN(24)
			case 1:
				start = rng.IntN(4 * 60) // around the usual change times
			default:
				start = rng.IntN(24 * 60)
			}
			end := start + 1 + rng.IntN(24*60-start)
			if rng.IntN(4) == 0 {
				end = 24 * 60
			}
			w.Start, w.End = clockString(int64(start*60)), clockString(int64(end*60))
			try := h
			try.Weekly = append(slices.Clone(h.Weekly), w)
			if _, err := NewCalendar("", try); err == nil {
				h = try
			}
		}
	}
	days := int(to.Sub(from)/(24*time.Hour)) + 4
	for range rng.IntN(4) {
		h.Holidays = append(h.Holidays, from.AddDate(0, 0, rng.IntN(days)-2).In(mustLocCached(zone)).Format(time.DateOnly))
	}
	return h
}

var locCache = map[string]*time.Location{}

func mustLocCached(name string) *time.Location {
	if l, ok := locCache[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	locCache[name] = l
	return l
}

// checkReference compares ServiceTime and AddServiceTime with the
// reference over [from, from+n minutes), and checks additivity at split.
func checkReference(t *testing.T, h ServiceHours, from time.Time, n int, pick func(max int) int) {
	t.Helper()
	cal, err := NewCalendar("", h)
	if err != nil {
		t.Fatalf("NewCalendar(%+v): %v", h, err)
	}
	loc := mustLocCached(h.TimeZone)
	ref := refMinutes(h, loc, from, n)
	// ServiceTime over a prefix and a random inner range.
	for _, r := range [][2]int{{0, n}, {pick(n), n}, {0, pick(n)}} {
		lo, hi := min(r[0], r[1]), max(r[0], r[1])
		want := time.Duration(countTrue(ref[lo:hi])) * time.Minute
		a, b := from.Add(time.Duration(lo)*time.Minute), from.Add(time.Duration(hi)*time.Minute)
		if got := ServiceTime(cal, a, b); got != want {
			t.Fatalf("%s %+v\nServiceTime(%v, %v) = %v, reference %v", h.TimeZone, h, a.UTC(), b.UTC(), got, want)
		}
	}
	// AddServiceTime for a duration the reference can answer within range.
	// All of it is the hardest case: the answer is the end of the last
	// service interval, however far before from+n that is.
	total := countTrue(ref)
	for _, d := range []int{pick(total), total} {
		want := from
		for i, count := 0, 0; count < d; i++ {
			if ref[i] {
				count++
			}
			want = from.Add(time.Duration(i+1) * time.Minute)
		}
		got, err := AddServiceTime(cal, from, time.Duration(d)*time.Minute)
		if err != nil || !got.Equal(want) {
			t.Fatalf("%s %+v\nAddServiceTime(%v, %dm) = %v, %v; reference %v", h.TimeZone, h, from.UTC(), d, got.UTC(), err, want.UTC())
		}
	}
	// Additivity at an arbitrary instant, nanoseconds included.
	end := from.Add(time.Duration(n) * time.Minute)
	split := from.Add(time.Duration(pick(n*60)) * time.Second).Add(time.Duration(pick(1e9)))
	if whole, parts := ServiceTime(cal, from, end), ServiceTime(cal, from, split)+ServiceTime(cal, split, end); whole != parts {
		t.Fatalf("%s %+v\nServiceTime not additive at %v: %v vs %v", h.TimeZone, h, split.UTC(), whole, parts)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// randomCase picks a zone, a start minute (half the time shortly before a
// clock change) and a length of up to 20 days.
func randomCase(rng *rand.Rand) (zone string, from time.Time, minutes int) {
	zone = refZones[rng.IntN(len(refZones))]
	lo, hi := time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC).Unix()/60, time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC).Unix()/60
	from = time.Unix(60*(lo+rng.Int64N(hi-lo)), 0).UTC()
	if rng.IntN(2) == 0 {
		if _, end := zoneAt(mustLocCached(zone), from); !end.IsZero() {
			from = end.Add(-time.Duration(rng.IntN(10*24*60)) * time.Minute).Truncate(time.Minute)
		}
	}
	return zone, from, 1 + rng.IntN(20*24*60)
}

func TestAgainstReference(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 40
	}
	rng := rand.New(rand.NewPCG(20260329, 20261025))
	for range cases {
		zone, from, n := randomCase(rng)
		h := randomHours(rng, zone, from, from.Add(time.Duration(n)*time.Minute))
		checkReference(t, h, from, n, func(max int) int { return rng.IntN(max + 1) })
	}
}

// FuzzServiceTime runs the reference comparison on inputs derived from the
// fuzzer's numbers; the seed corpus alone runs in every `go test`.
func FuzzServiceTime(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(20260329), uint64(0))     // near Berlin's spring forward in some draws
	f.Add(uint64(1<<63), uint64(1<<40+17)) // large values must be reduced, not trusted
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rng := rand.New(rand.NewPCG(a, b))
		zone, from, n := randomCase(rng)
		n = 1 + n%(7*24*60) // keep each fuzz input cheap
		h := randomHours(rng, zone, from, from.Add(time.Duration(n)*time.Minute))
		checkReference(t, h, from, n, func(max int) int { return rng.IntN(max + 1) })
	})
}

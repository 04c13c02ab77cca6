package rootcause

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// siblings are two apps that x depends on: with incidents on x alone they
// explain it equally well, so only the priors can separate them. (x itself
// explains it best; the tests look at the siblings' order.)
var siblings = []string{"x DEPENDS_ON appa", "x DEPENDS_ON appb", "y DEPENDS_ON appa", "z DEPENDS_ON appb"}

func TestChangeTimeCorrelation(t *testing.T) {
	sub := build(siblings...)
	incidents := []Incident{inc("INC-1", "x", true, 1, 0)}
	change := func(target string, endBefore time.Duration, failed bool) Change {
		end := t0.Add(-endBefore)
		return Change{ID: "CHG-12", TargetCIs: []string{target}, Start: end.Add(-30 * time.Minute), End: end, Failed: failed}
	}
	tests := []struct {
		name    string
		changes []Change
		first   string // of appa and appb
		detail  string // substring of the CHANGE evidence on appb, "" for none
	}{
		{"no change: tie broken by id", nil, "appa", ""},
		{"change just before", []Change{change("appb", 14*time.Minute, false)}, "appb", "change CHG-12 on APPB ended 14m before the first incident"},
		{"failed change", []Change{change("appb", 2*time.Hour, true)}, "appb", "ended 2h00m before the first incident and failed"},
		{"still running", []Change{{ID: "CHG-12", TargetCIs: []string{"appb"}, Start: t0.Add(-10 * time.Minute)}}, "appb", "was still in progress"},
		{"started after the incident", []Change{{ID: "CHG-12", TargetCIs: []string{"appb"}, Start: t0.Add(time.Minute), End: t0.Add(20 * time.Minute)}}, "appa", ""},
		{"older than the lookback", []Change{change("appb", 30*time.Hour, true)}, "appa", ""},
		{"long ago: shown, but weighs almost nothing", []Change{change("appb", 20*time.Hour, false)}, "appb", "ended 20h00m before"},
		{"change on a neighbour", []Change{change("z", 5*time.Minute, false)}, "appb", "change CHG-12 on Z (next to APPB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rank(t, sub, Input{Incidents: incidents, Changes: tt.changes})
			if f := firstOf(got, "appa", "appb"); f != tt.first {
				t.Fatalf("%s before the other sibling, want %s (ranking %v)", f, tt.first, ids(got))
			}
			_, b := find(got, "appb")
			ev := evidence(b, EvidenceChange)
			if tt.detail == "" {
				if len(ev) != 0 {
					t.Fatalf("unexpected change evidence %+v", ev)
				}
				return
			}
			if len(ev) != 1 || !strings.Contains(ev[0].Detail, tt.detail) || ev[0].ChangeID != "CHG-12" || ev[0].Weight <= 0 {
				t.Fatalf("change evidence %+v, want one mentioning %q", ev, tt.detail)
			}
		})
	}
}

// TestChangeDecay checks the change prior falls with the offset and that a
// failed change weighs more than a successful one at the same offset.
func TestChangeDecay(t *testing.T) {
	sub := build(siblings...)
	incidents := []Incident{inc("INC-1", "x", true, 1, 0)}
	weight := func(before time.Duration, failed bool) float64 {
		end := t0.Add(-before)
		ch := Change{ID: "CHG-1", TargetCIs: []string{"appb"}, Start: end.Add(-time.Hour), End: end, Failed: failed}
		_, b := find(rank(t, sub, Input{Incidents: incidents, Changes: []Change{ch}}), "appb")
		ev := evidence(b, EvidenceChange)
		if len(ev) != 1 {
			t.Fatalf("no change evidence for offset %v", before)
		}
		if ev[0].Offset != before {
			t.Fatalf("offset %v, want %v", ev[0].Offset, before)
		}
		return ev[0].Weight
	}
	prev := math.Inf(1)
	for _, before := range []time.Duration{time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour} {
		w := weight(before, false)
		if w >= prev {
			t.Errorf("weight %.2f at %v does not decay (previous %.2f)", w, before, prev)
		}
		if wf := weight(before, true); wf <= w {
			t.Errorf("failed change weighs %.2f at %v, not more than %.2f", wf, before, w)
		}
		prev = w
	}
}

// TestChangeBackground checks that the more changes are in flight, the
// less one of them says.
func TestChangeBackground(t *testing.T) {
	sub := build(siblings...)
	incidents := []Incident{inc("INC-1", "x", true, 1, 0)}
	suspect := Change{ID: "CHG-1", TargetCIs: []string{"appb"}, Start: t0.Add(-time.Hour), End: t0.Add(-10 * time.Minute)}
	var weights []float64
	for _, others := range []int{0, 20} {
		changes := []Change{suspect}
		for i := range others {
			end := t0.Add(-time.Duration(i+2) * time.Hour)
			changes = append(changes, Change{ID: "BG", TargetCIs: []string{"y"}, Start: end.Add(-time.Hour), End: end})
		}
		_, b := find(rank(t, sub, Input{Incidents: incidents, Changes: changes}), "appb")
		weights = append(weights, evidence(b, EvidenceChange)[0].Weight)
	}
	if weights[1] >= weights[0] {
		t.Fatalf("weight with 20 background changes %.2f, want below %.2f", weights[1], weights[0])
	}
}

func TestKnownErrorPrior(t *testing.T) {
	sub := build(siblings...)
	incidents := []Incident{inc("INC-1", "x", true, 1, 0)}
	tests := []struct {
		name  string
		kes   []KnownError
		first string // of appa and appb
	}{
		{"none", nil, "appa"},
		{"on appb", []KnownError{{CI: "appb", ProblemID: "PRB-3"}}, "appb"},
		{"on a CI that explains nothing", []KnownError{{CI: "y", ProblemID: "PRB-3"}}, "appa"},
		{"on both", []KnownError{{CI: "appa", ProblemID: "PRB-1"}, {CI: "appb", ProblemID: "PRB-2"}}, "appa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rank(t, sub, Input{Incidents: incidents, KnownErrors: tt.kes})
			if f := firstOf(got, "appa", "appb"); f != tt.first {
				t.Fatalf("%s before the other sibling, want %s", f, tt.first)
			}
			for _, ke := range tt.kes {
				_, c := find(got, ke.CI)
				if c.CI == "" {
					continue
				}
				ev := evidence(c, EvidenceKnownError)
				if len(ev) != 1 || ev[0].ProblemID != ke.ProblemID || ev[0].Weight <= 0 ||
					ev[0].Detail != "known error "+ke.ProblemID+" is recorded on "+strings.ToUpper(ke.CI) {
					t.Fatalf("known-error evidence %+v", ev)
				}
			}
		})
	}
	// A known error on every CI says little about any one of them.
	one := rank(t, sub, Input{Incidents: incidents, KnownErrors: []KnownError{{CI: "appb", ProblemID: "P"}}})
	var all []KnownError
	for id := range sub.Nodes {
		all = append(all, KnownError{CI: id, ProblemID: "P-" + id})
	}
	many := rank(t, sub, Input{Incidents: incidents, KnownErrors: all})
	_, b1 := find(one, "appb")
	_, bn := find(many, "appb")
	if w1, wn := evidence(b1, EvidenceKnownError)[0].Weight, evidence(bn, EvidenceKnownError)[0].Weight; wn >= w1 {
		t.Fatalf("known error weighs %.2f when every CI has one, want below %.2f", wn, w1)
	}
}

// redundant is a group needing two of three members, an app on it and a
// service on the app.
var redundant = []string{"m1 MEMBER_OF g", "m2 MEMBER_OF g", "m3 MEMBER_OF g", "app DEPENDS_ON g", "svc DEPENDS_ON app"}

func TestRedundancy(t *testing.T) {
	sub := build(redundant...)
	tests := []struct {
		name      string
		incidents []Incident
		top       []string // acceptable first candidates
		notBefore string   // a candidate that must rank below the first
	}{
		{"only the group degraded: some member failed, not the group",
			[]Incident{inc("INC-1", "g", false, 3, 0), inc("INC-2", "app", false, 2, 2*time.Minute)},
			[]string{"m1", "m2", "m3"}, "g"},
		{"the failed member alerted too",
			[]Incident{inc("INC-1", "g", false, 3, time.Minute), inc("INC-2", "m2", true, 1, 0), inc("INC-3", "svc", false, 3, 3*time.Minute)},
			[]string{"m2"}, "g"},
		{"the group itself down: outages all the way",
			[]Incident{inc("INC-1", "g", true, 1, 0), inc("INC-2", "app", true, 1, time.Minute), inc("INC-3", "svc", true, 2, 2*time.Minute)},
			[]string{"g"}, "m1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rank(t, sub, Input{Incidents: tt.incidents})
			ok := false
			for _, want := range tt.top {
				ok = ok || got[0].CI == want
			}
			if !ok {
				t.Fatalf("top is %s, want one of %v (ranking %v)", got[0].CI, tt.top, ids(got))
			}
			if i, _ := find(got, tt.notBefore); i == 0 {
				t.Fatalf("%s ranked first", tt.notBefore)
			}
		})
	}
	// The member hypothesis predicts the group DEGRADED, matching the
	// incident's severity.
	got := rank(t, sub, Input{Incidents: []Incident{inc("INC-1", "g", false, 3, 0)}})
	if ev := evidence(got[0], EvidenceEffectMatch); len(ev) != 1 || !strings.HasPrefix(ev[0].Detail, "1 of 1 symptoms match") {
		t.Fatalf("effect evidence %+v", ev)
	}
}

func TestIndistinguishable(t *testing.T) {
	// a and b depend on each other: either failing takes both down, and
	// everything downstream, in exactly the same way.
	sub := build("a DEPENDS_ON b", "b DEPENDS_ON a", "svc DEPENDS_ON a", "c DEPENDS_ON svc")
	got := rank(t, sub, Input{Incidents: []Incident{
		inc("INC-1", "a", true, 1, 0), inc("INC-2", "b", true, 1, time.Minute), inc("INC-3", "svc", true, 2, 2*time.Minute),
	}})
	if got[0].CI != "a" || got[1].CI != "b" {
		t.Fatalf("ranking %v, want a then b", ids(got))
	}
	if got[0].Score != got[1].Score || got[0].LogOdds != got[1].LogOdds {
		t.Fatalf("look-alikes scored %.4f and %.4f", got[0].Score, got[1].Score)
	}
	for i, other := range []string{"b", "a"} {
		ev := evidence(got[i], EvidenceIndistinguishable)
		if len(ev) != 1 || !reflect.DeepEqual(ev[0].CIs, []string{other}) || !strings.Contains(ev[0].Detail, strings.ToUpper(other)) {
			t.Fatalf("%s: look-alike evidence %+v", got[i].CI, ev)
		}
	}
	if ev := evidence(got[2], EvidenceIndistinguishable); len(ev) != 0 {
		t.Fatalf("%s has look-alikes %+v", got[2].CI, ev)
	}
}

// TestSpecificity: a fault on one VM must not be blamed on its hypervisor
// or rack, whose other dependants are fine.
func TestSpecificity(t *testing.T) {
	sub := build(
		"rack CONTAINS hv", "vm1 HOSTED_ON hv", "vm2 HOSTED_ON hv", "app1 RUNS_ON vm1", "app2 RUNS_ON vm2",
		"svc1 DEPENDS_ON app1", "svc2 DEPENDS_ON app2",
	)
	incidents := []Incident{inc("INC-1", "vm1", true, 1, 0), inc("INC-2", "app1", true, 1, time.Minute), inc("INC-3", "svc1", true, 2, 2*time.Minute)}
	got := rank(t, sub, Input{Incidents: incidents})
	if got[0].CI != "vm1" {
		t.Fatalf("ranking %v, want vm1 first", ids(got))
	}
	_, hv := find(got, "hv")
	ev := evidence(hv, EvidenceMissing)
	if len(ev) != 1 || ev[0].Detail != "4 CIs expected to fail without incidents: HV, VM2, APP2, SVC2" || ev[0].Weight >= 0 {
		t.Fatalf("hypervisor's missing-symptom evidence %+v", ev)
	}
	// With the whole chain alerting, the hypervisor is the answer.
	incidents = append(incidents, inc("INC-4", "hv", true, 1, -time.Minute), inc("INC-5", "vm2", true, 1, 0),
		inc("INC-6", "app2", true, 1, time.Minute), inc("INC-7", "svc2", true, 2, time.Minute))
	if got := rank(t, sub, Input{Incidents: incidents}); got[0].CI != "hv" {
		t.Fatalf("ranking %v, want hv first", ids(got))
	}
}

func TestEvidenceText(t *testing.T) {
	sub := build("svc DEPENDS_ON app", "app DEPENDS_ON db", "other DEPENDS_ON db", "app RUNS_ON vm")
	in := Input{
		Incidents: []Incident{
			inc("INC-1", "app", true, 1, 0), inc("INC-2", "svc", true, 2, 3*time.Minute),
			inc("INC-3", "unrelated", false, 3, -time.Hour), // not in the subgraph
		},
		Changes: []Change{{ID: "CHG-12", TargetCIs: []string{"db"}, Start: t0.Add(-time.Hour), End: t0.Add(-14 * time.Minute)}},
	}
	got := rank(t, sub, in)
	_, db := find(got, "db")
	want := map[string]string{
		EvidenceCoverage:    "covers 2 of 3 incidents (2 of 4 CIs it would impact raised one)",
		EvidenceMissing:     "2 CIs expected to fail without incidents: DB, OTHER",
		EvidenceUnexplained: "1 incident not explained: INC-3",
		EvidenceChange:      "change CHG-12 on DB ended 14m before the first incident",
		EvidenceDistance:    "nearest incident is 1 hop downstream: DB → APP",
		EvidenceTiming:      "its symptoms opened within 3m of the onset at 14:00:00",
	}
	for kind, detail := range want {
		ev := evidence(db, kind)
		if len(ev) != 1 || ev[0].Detail != detail {
			t.Errorf("%s: got %+v, want %q", kind, ev, detail)
		}
	}
	if !reflect.DeepEqual(db.Explains, []string{"INC-1", "INC-2"}) {
		t.Errorf("explains %v", db.Explains)
	}
}

func TestScores(t *testing.T) {
	sub := build(redundant...)
	in := Input{Incidents: []Incident{inc("INC-1", "g", false, 3, 0), inc("INC-2", "svc", false, 2, time.Minute)}}
	first := rank(t, sub, in)
	var sum float64
	for i, c := range first {
		sum += c.Score
		if c.Score < 0 || c.Score > 1 || (i > 0 && c.Score > first[i-1].Score) {
			t.Fatalf("bad score order %v", first)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("scores sum to %v", sum)
	}
	// Map iteration order must not leak into the result.
	for range 5 {
		if again := rank(t, sub, in); !reflect.DeepEqual(again, first) {
			t.Fatal("ranking differs between runs")
		}
	}
	if got := Rank(graph.DefaultCatalogue(), sub, in, Options{}); len(got) != len(first) || len(Rank(graph.DefaultCatalogue(), sub, in, Options{Limit: 2})) != 2 {
		t.Fatal("limit not applied")
	}
}

func TestNothingToExplain(t *testing.T) {
	sub := build(redundant...)
	for name, in := range map[string]Input{
		"no incidents":        {},
		"incidents elsewhere": {Incidents: []Incident{inc("INC-1", "nowhere", true, 1, 0)}},
	} {
		if got := rank(t, sub, in); got != nil {
			t.Errorf("%s: got %v", name, ids(got))
		}
	}
}

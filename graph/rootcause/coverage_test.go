package rootcause

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// A CI declared unmonitored is no evidence against the cause above it: its
// silence was expected.
func TestMonitoredMarker(t *testing.T) {
	lines := []string{"appa DEPENDS_ON db1", "appb DEPENDS_ON db1", "appc DEPENDS_ON db1"}
	in := Input{Incidents: []Incident{inc("INC-1", "appa", true, 1, 0), inc("INC-2", "appb", true, 1, time.Minute)}}
	odds := func(marker any) (float64, float64) {
		sub := build(lines...)
		if marker != nil {
			sub.Nodes["appc"].Attributes = map[string]any{MonitoredAttribute: marker}
		}
		_, c := find(rank(t, sub, in), "db1")
		var missing float64
		for _, e := range evidence(c, EvidenceMissing) {
			missing += e.Weight
		}
		return c.LogOdds, missing
	}
	tests := []struct {
		name   string
		marker any
		// want says how the odds compare with no marker at all.
		wantHigher bool
	}{
		{"no marker", nil, false},
		{"declared unmonitored", false, true},
		{"declared monitored", true, false},
		{"not a bool: ignored", "no", false},
	}
	base, baseMissing := odds(nil)
	if baseMissing >= 0 {
		t.Fatalf("silent appc should count against db1 without a marker, MISSING weight %v", baseMissing)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := odds(tc.marker)
			if higher := got > base+1; higher != tc.wantHigher {
				t.Errorf("db1 log-odds %.2f against %.2f without a marker: higher=%v, want %v", got, base, higher, tc.wantHigher)
			}
		})
	}
}

// Learn finds the class that never raises anything inside a failure's
// blast radius and the one that always does.
func TestLearnCoverage(t *testing.T) {
	cat := graph.DefaultCatalogue()
	var episodes []Episode
	for i := range 8 {
		// vm1 and vm2 run on hv; apps on the VMs. The hypervisor fails;
		// the VMs stay silent (nobody watches them here), the apps raise.
		sub := build("vm1 HOSTED_ON hv", "vm2 HOSTED_ON hv", "appa RUNS_ON vm1", "appb RUNS_ON vm2", "appc DEPENDS_ON db1")
		at := time.Duration(i) * 24 * time.Hour
		in := Input{
			Incidents: []Incident{inc("INC-1", "appa", true, 1, at), inc("INC-2", "appb", true, 1, at+time.Minute), inc("INC-3", "hv", true, 1, at+2*time.Minute)},
			Now:       t0.Add(at + time.Hour),
		}
		episodes = append(episodes, Episode{Sub: sub, Input: in})
	}
	cov := Learn(cat, episodes, Options{})
	vm, ok := cov.Classes[graph.ClassVirtualMachine]
	if !ok {
		t.Fatalf("no rate learned for VirtualMachine; classes %v", cov.Classes)
	}
	if vm.Down > 0.2 || vm.Weight < 8 {
		t.Errorf("VirtualMachine rate %+v: want a low DOWN detection backed by every episode", vm)
	}
	if app := cov.Classes[graph.ClassApplication]; app.Down < 0.8 {
		t.Errorf("Application rate %+v: want a high DOWN detection", app)
	}
	if db := cov.Classes[graph.ClassDatabase]; db.Weight != 0 {
		t.Errorf("db1 was never inside a failure, yet Database has a learned detection %+v", db)
	}
}

// A class declared unmonitored in the catalogue is silent unless a CI of it
// says otherwise.
func TestMonitoredClass(t *testing.T) {
	def := graph.DefaultCatalogue()
	classes := def.Classes()
	for i := range classes {
		if classes[i].Name == graph.ClassApplication {
			classes[i].Monitored = new(false)
		}
	}
	cat, err := graph.NewCatalogue(classes, def.RelationTypes())
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{"appa DEPENDS_ON db1", "appb DEPENDS_ON db1", "appc DEPENDS_ON db1"}
	in := Input{Incidents: []Incident{inc("INC-1", "appa", true, 1, 0), inc("INC-2", "appb", true, 1, time.Minute)}, Now: t0.Add(time.Hour)}
	missing := func(cat *graph.Catalogue, appcMarker any) float64 {
		sub := build(lines...)
		if appcMarker != nil {
			sub.Nodes["appc"].Attributes = map[string]any{MonitoredAttribute: appcMarker}
		}
		_, c := find(Rank(cat, sub, in, Options{Limit: -1}), "db1")
		var w float64
		for _, e := range evidence(c, EvidenceMissing) {
			w += e.Weight
		}
		return w
	}
	watched, unwatched, declared := missing(def, nil), missing(cat, nil), missing(cat, true)
	if unwatched <= watched+0.5 {
		t.Errorf("silent appc of an unmonitored class weighs %.2f against db1, as much as a watched one (%.2f)", unwatched, watched)
	}
	if declared >= unwatched-0.5 {
		t.Errorf("appc declared monitored in an unmonitored class weighs %.2f, want about a watched one's %.2f", declared, watched)
	}
}

// Learn tells teams apart: one whose CIs never raise anything when they
// fail, one whose CIs raise unrelated incidents all the time.
func TestLearnOwners(t *testing.T) {
	cat := graph.DefaultCatalogue()
	var episodes []Episode
	for i := range 10 {
		// db fails; appq (quiet team) stays silent, appa and appb raise.
		// appn (noisy team) sits elsewhere and raises noise in every
		// episode.
		sub := build("appa DEPENDS_ON db", "appb DEPENDS_ON db", "appq DEPENDS_ON db", "appq2 DEPENDS_ON db",
			"appn DEPENDS_ON srv", "appm DEPENDS_ON srv", "appo DEPENDS_ON srv")
		for id, team := range map[string]string{"appa": "ops", "appb": "ops", "appq": "quiet", "appq2": "quiet", "appn": "noisy", "appm": "ops", "appo": "ops", "db": "ops", "srv": "ops"} {
			sub.Nodes[id].CI.Owner = team
		}
		at := time.Duration(i) * 24 * time.Hour
		in := Input{
			Incidents: []Incident{inc("INC-1", "db", true, 1, at), inc("INC-2", "appa", true, 1, at+time.Minute),
				inc("INC-3", "appb", true, 1, at+2*time.Minute), inc("INC-4", "appn", false, 3, at-40*time.Minute)},
			Now: t0.Add(at + time.Hour),
		}
		episodes = append(episodes, Episode{Sub: sub, Input: in})
	}
	cov := Learn(cat, episodes, Options{})
	quiet, ops, noisy := cov.Owners["quiet"], cov.Owners["ops"], cov.Owners["noisy"]
	if quiet.Weight < 10 || quiet.Down >= ops.Down/2 {
		t.Errorf("quiet team %+v against ops %+v: want a much lower DOWN detection, backed by every episode", quiet, ops)
	}
	if noisy.Noise <= 2 || ops.Noise >= 1 {
		t.Errorf("noise factors: noisy team %.2f, ops %.2f; want the noisy team well above 1 and ops below", noisy.Noise, ops.Noise)
	}
}

// An incident on a CI of a team known for noisy alerts says less for the
// cause above it, and a team known never to alert costs a cause nothing
// when its CIs stay silent.
func TestOwnerCoverage(t *testing.T) {
	lines := []string{"appa DEPENDS_ON db", "appb DEPENDS_ON db", "appc DEPENDS_ON db"}
	// Web and batch CIs elsewhere, silent: noise is spread over the CIs by
	// their team's factor, and the current observations are not all
	// there is to go on.
	teams := map[string]string{"appa": "web", "appb": "web", "appc": "batch", "db": "batch"}
	for i := range 30 {
		for _, team := range []string{"web", "batch"} {
			id := fmt.Sprintf("app%s%d", team, i)
			lines = append(lines, id+" DEPENDS_ON srv")
			teams[id] = team
		}
	}
	in := Input{Incidents: []Incident{inc("INC-1", "appa", true, 1, 0), inc("INC-2", "appb", true, 1, time.Minute)}}
	weights := func(teams map[string]string, cov Coverage) (covered, missing float64) {
		sub := build(lines...)
		for id, team := range teams {
			sub.Nodes[id].CI.Owner = team
		}
		in := in
		in.Coverage = cov
		_, c := find(rank(t, sub, in), "db")
		for _, e := range evidence(c, EvidenceCoverage) {
			covered += e.Weight
		}
		for _, e := range evidence(c, EvidenceMissing) {
			missing += e.Weight
		}
		return covered, missing
	}
	overall := Rate{Down: 0.8, Degraded: 0.7, Weight: 40}
	plainCov, plainMiss := weights(teams, Coverage{Overall: overall, Owners: map[string]Rate{
		"web": {Down: 0.8, Degraded: 0.7, Weight: 40, Noise: 1}, "batch": {Down: 0.8, Degraded: 0.7, Weight: 40, Noise: 1}}})
	noisyCov, _ := weights(teams, Coverage{Overall: overall, Owners: map[string]Rate{
		"web": {Down: 0.8, Degraded: 0.7, Weight: 40, Noise: 10}, "batch": {Down: 0.8, Degraded: 0.7, Weight: 40, Noise: 1}}})
	_, quietMiss := weights(teams, Coverage{Overall: overall, Owners: map[string]Rate{
		"web": {Down: 0.8, Degraded: 0.7, Weight: 40, Noise: 1}, "batch": {Down: 0.02, Degraded: 0.02, Weight: 40, Noise: 1}}})
	if noisyCov >= plainCov-1 {
		t.Errorf("COVERAGE weight %.2f with a noisy web team, want well below %.2f", noisyCov, plainCov)
	}
	if plainMiss >= -1 || quietMiss < plainMiss+1 {
		t.Errorf("MISSING weight %.2f when batch never alerts, want well above %.2f", quietMiss, plainMiss)
	}
}

// TestBetaTable checks the cached beta-binomial against the formula it
// replaces, log B(α+a, β+b) − log B(α, β).
func TestBetaTable(t *testing.T) {
	lbeta := func(x, y float64) float64 {
		lx, _ := math.Lgamma(x)
		ly, _ := math.Lgamma(y)
		lxy, _ := math.Lgamma(x + y)
		return lx + ly - lxy
	}
	for _, tc := range []struct {
		alpha, beta float64
		n           int
	}{{1.6, 0.4, 5}, {9.6, 2.4, 12}, {0.6, 11.4, 3}, {11.88, 0.12, 40}} {
		var tab betaTable
		tab.reset(tc.alpha, tc.beta)
		checked := 0
		for a := 0; a <= tc.n; a++ {
			for b := 0; a+b <= tc.n; b++ {
				want := lbeta(tc.alpha+float64(a), tc.beta+float64(b)) - lbeta(tc.alpha, tc.beta)
				if got := tab.logRatio(a, b); math.Abs(got-want) > 1e-9 {
					t.Errorf("Beta(%g, %g): %d successes, %d failures: got %g, want %g", tc.alpha, tc.beta, a, b, got, want)
				}
				checked++
			}
		}
		if checked == 0 {
			t.Fatal("nothing checked")
		}
	}
}

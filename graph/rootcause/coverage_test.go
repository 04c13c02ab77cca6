package rootcause

import (
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
			if higher := got > base+0.5; higher != tc.wantHigher {
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
	if _, ok := cov.Classes[graph.ClassDatabase]; ok {
		t.Errorf("db1 was never inside a failure, yet Database has a learned rate %+v", cov.Classes[graph.ClassDatabase])
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

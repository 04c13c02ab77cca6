package rcabench

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Setting is one noise regime.
type Setting struct {
	Name string
	// Miss is the share of impacted CIs that raise no incident.
	Miss float64
	// Noise is the expected number of unrelated incidents as a share of
	// the symptoms raised (the count is Poisson).
	Noise float64
	// SevNoise is the chance that a symptom's severity is set at random.
	SevNoise float64
	// DegradedShare, when set, is a DEGRADED CI's chance of raising an
	// incident relative to a DOWN one's (degradations are reported less
	// often); zero means the same chance.
	DegradedShare float64
	// Silent classes are watched by nothing: their CIs raise neither
	// symptoms nor noise.
	Silent []string
	// History is how many earlier trials in the same world the ranking may
	// learn coverage from (rootcause.Learn), as a store accumulates them.
	History int
	// Teams sets monitoring per owning team: how much of a CI's detection
	// its team keeps and how much noise its alerts make. Teams not listed
	// keep the setting's detection and average noise.
	Teams map[string]Team
}

// Team is one owning team's monitoring.
type Team struct {
	// Detect multiplies the detection of the team's CIs: 0 means nobody
	// watches them.
	Detect float64
	// Noise weighs how often the team's CIs raise unrelated incidents,
	// against 1 for an average team.
	Noise float64
}

// team is the monitoring of CI n's team.
func (s Setting) team(w *World, n int32) Team {
	if t, ok := s.Teams[w.owner(n)]; ok {
		return t
	}
	return Team{Detect: 1, Noise: 1}
}

// detect is the chance that CI n, hit with effect e, raises an incident.
func (s Setting) detect(w *World, n int32, e impact.Effect) float64 {
	if !s.watched(w, n) {
		return 0
	}
	p := (1 - s.Miss) * s.team(w, n).Detect
	if e == impact.Degraded && s.DegradedShare > 0 {
		p *= s.DegradedShare
	}
	return p
}

// watched reports whether CI n raises anything at all.
func (s Setting) watched(w *World, n int32) bool {
	return !slices.Contains(s.Silent, w.class(n)) && s.team(w, n).Detect > 0
}

// noiseWeight is CI n's share, up to a constant, of the unrelated
// incidents: 0 when nothing watches it.
func (s Setting) noiseWeight(w *World, n int32) float64 {
	if !s.watched(w, n) {
		return 0
	}
	return s.team(w, n).Noise
}

// unwatched are the classes the coverage regimes leave silent: pods behind
// their workloads, redundancy groups, hypervisors behind their VMs, racks,
// data centres, network gear and Kubernetes clusters.
var unwatched = []string{graph.ClassPod, graph.ClassCluster, graph.ClassHypervisor, graph.ClassRack,
	graph.ClassDataCenter, graph.ClassNetworkDevice, graph.ClassKubernetesCluster}

// teams is the team-by-team monitoring of the "teams" regimes: the
// platform team's racks, switches, hypervisors, servers and Kubernetes
// nodes raise nothing (silent CIs in the middle of every chain, under VMs
// and pods that do alert), the legacy team catches a third of its
// failures, and the payments team's alerts are ten times as noisy as
// anyone's.
var teams = map[string]Team{
	ownerPlatform: {Detect: 0},
	"legacy":      {Detect: 0.35, Noise: 0.5},
	"payments":    {Detect: 1, Noise: 10},
}

// Settings are the regimes the report covers: perfect monitoring, the
// issue's target regime, a harsh one, sparse monitoring (the default
// detection rate far too high) and a loud one (the default noise share far
// too low); then uneven coverage by class, DEGRADED seldom reported, both,
// and team-by-team coverage and noise, each without and with a history of
// earlier trials on the same estate to learn from.
var Settings = []Setting{
	{Name: "clean", Miss: 0, Noise: 0, SevNoise: 0},
	{Name: "noisy (30% missing, 20% noise)", Miss: 0.3, Noise: 0.2, SevNoise: 0.1},
	{Name: "harsh (50% missing, 50% noise)", Miss: 0.5, Noise: 0.5, SevNoise: 0.25},
	{Name: "sparse (70% missing, 20% noise)", Miss: 0.7, Noise: 0.2, SevNoise: 0.1},
	{Name: "loud (0% missing, 100% noise)", Miss: 0, Noise: 1, SevNoise: 0.1},
	{Name: "watched classes only", Miss: 0.2, Noise: 0.2, SevNoise: 0.1, Silent: unwatched},
	{Name: "degraded seldom reported", Miss: 0.2, Noise: 0.2, SevNoise: 0.1, DegradedShare: 0.25},
	{Name: "uneven, no history", Miss: 0.2, Noise: 0.2, SevNoise: 0.1, DegradedShare: 0.25, Silent: unwatched},
	{Name: "uneven, 40 earlier trials", Miss: 0.2, Noise: 0.2, SevNoise: 0.1, DegradedShare: 0.25, Silent: unwatched, History: 40},
	{Name: "teams, no history", Miss: 0.1, Noise: 0.5, SevNoise: 0.1, DegradedShare: 0.25, Silent: teamSilent, Teams: teams},
	{Name: "teams, 40 earlier trials", Miss: 0.1, Noise: 0.5, SevNoise: 0.1, DegradedShare: 0.25, Silent: teamSilent, Teams: teams, History: 40},
}

// teamSilent are the classes nobody watches in the "teams" regimes, whoever
// owns them: pods behind their workloads and redundancy groups.
var teamSilent = []string{graph.ClassPod, graph.ClassCluster, graph.ClassKubernetesCluster}

// The generator's fixed parameters. The oracle reads the same constants;
// rootcause.Rank does not, it has its own defaults.
const (
	hopDelay      = time.Minute     // extra delay per hop from the root
	symptomDelay  = 3 * time.Minute // mean of the exponential detection delay
	noiseBefore   = 2 * time.Hour   // unrelated incidents open in [T-noiseBefore, T+noiseAfter]
	noiseAfter    = 30 * time.Minute
	pRootChange   = 0.4 // a change caused the fault
	pChangeOnRoot = 0.7 // ... recorded on the root itself, else on a neighbour
	causalWindow  = 45 * time.Minute
	changeRate    = 0.05 // unrelated changes per CI over the change window
	changeBefore  = 24 * time.Hour
	changeAfter   = time.Hour
	pFailedCausal = 0.4
	pFailedRandom = 0.1
	pRootKE       = 0.25 // a known error is recorded on the root
	keRate        = 0.03 // decoy known errors per CI
	depth         = 6    // the caller's upstream neighbourhood depth
	observeAfter  = 40 * time.Minute
)

// Severity of a symptom by effect: P(outage) and P(impact 1, 2, 3).
var (
	genOutage = [3]float64{impact.Up: 0.3, impact.Degraded: 0.05, impact.Down: 0.9}
	genImpact = [3][3]float64{
		impact.Up:       {1.0 / 3, 1.0 / 3, 1.0 / 3},
		impact.Degraded: {0.05, 0.45, 0.5},
		impact.Down:     {0.5, 0.35, 0.15},
	}
)

// Trial is one generated incident situation.
type Trial struct {
	World *World
	Root  string
	Onset time.Time
	// Sub is the upstream neighbourhood of the incidents' CIs: what the
	// resolver would fetch and pass to Rank.
	Sub     graph.Subgraph
	Input   rootcause.Input
	Setting Setting
	// Symptoms is the number of incidents the fault itself raised.
	Symptoms int
}

var epoch = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// NewTrial injects a fault at a random CI of w. Roots whose symptoms all go
// missing are redrawn: with no symptom there is nothing to rank.
func NewTrial(cat *graph.Catalogue, w *World, s Setting, rng *rand.Rand) *Trial {
	t := &Trial{World: w, Setting: s, Onset: epoch.Add(time.Duration(rng.Int63n(int64(30 * 24 * time.Hour))))}
	n := w.Len()
	var root int32
	for {
		root = int32(rng.Intn(n))
		t.Input = rootcause.Input{Now: t.Onset.Add(observeAfter), Since: t.Onset.Add(-changeBefore)}
		for _, h := range w.blast[root] {
			if rng.Float64() >= s.detect(w, h.node, h.effect) {
				continue
			}
			opened := t.Onset.Add(hops(h) + expDuration(rng, symptomDelay))
			sev := h.effect
			if rng.Float64() < s.SevNoise {
				sev = impact.Up
			}
			t.addIncident(w.idx.ID(h.node), sev, opened, rng)
		}
		if len(t.Input.Incidents) > 0 {
			break
		}
	}
	t.Root = w.idx.ID(root)
	t.Symptoms = len(t.Input.Incidents)
	noisy := w.noisy(s)
	for range poisson(s.Noise*float64(t.Symptoms), rng) {
		at := t.Onset.Add(-noiseBefore + time.Duration(rng.Int63n(int64(noiseBefore+noiseAfter))))
		t.addIncident(w.idx.ID(noisy.pick(rng)), impact.Up, at, rng)
	}
	seeds := map[string]bool{}
	var seedList []string
	for _, inc := range t.Input.Incidents {
		for _, id := range inc.AffectedCIs {
			if !seeds[id] {
				seeds[id] = true
				seedList = append(seedList, id)
			}
		}
	}
	t.Sub = w.Upstream(cat, seedList, depth)
	t.addChanges(root, rng)
	t.addKnownErrors(root, rng)
	return t
}

func (t *Trial) addIncident(ci string, sev impact.Effect, opened time.Time, rng *rand.Rand) {
	inc := rootcause.Incident{
		ID:          fmt.Sprintf("INC-%d", len(t.Input.Incidents)+1),
		AffectedCIs: []string{ci},
		Outage:      rng.Float64() < genOutage[sev],
		OpenedAt:    opened,
		Impact:      3,
	}
	switch u := rng.Float64(); {
	case u < genImpact[sev][0]:
		inc.Impact = 1
	case u < genImpact[sev][0]+genImpact[sev][1]:
		inc.Impact = 2
	}
	t.Input.Incidents = append(t.Input.Incidents, inc)
}

// addChanges records the causal change, if any, and the background of
// unrelated changes. Only changes on CIs of the subgraph are passed on, as
// the resolver would fetch changes for those CIs.
func (t *Trial) addChanges(root int32, rng *rand.Rand) {
	w := t.World
	var all []rootcause.Change
	if rng.Float64() < pRootChange {
		target := root
		if nb := w.nbrs[root]; len(nb) > 0 && rng.Float64() >= pChangeOnRoot {
			target = nb[rng.Intn(len(nb))]
		}
		end := t.Onset.Add(-time.Duration(rng.Int63n(int64(causalWindow))))
		all = append(all, change(w.idx.ID(target), end, rng.Float64() < pFailedCausal, rng))
	}
	for range poisson(changeRate*float64(w.Len()), rng) {
		end := t.Onset.Add(-changeBefore + time.Duration(rng.Int63n(int64(changeBefore+changeAfter))))
		all = append(all, change(w.idx.ID(int32(rng.Intn(w.Len()))), end, rng.Float64() < pFailedRandom, rng))
	}
	for i, ch := range all {
		if t.Sub.Nodes[ch.TargetCIs[0]] == nil || ch.Start.After(t.Input.Now) {
			continue
		}
		ch.ID = fmt.Sprintf("CHG-%d", i+1)
		t.Input.Changes = append(t.Input.Changes, ch)
	}
}

func change(target string, end time.Time, failed bool, rng *rand.Rand) rootcause.Change {
	start := end.Add(-10*time.Minute - time.Duration(rng.Int63n(int64(80*time.Minute))))
	return rootcause.Change{TargetCIs: []string{target}, Start: start, End: end, Failed: failed}
}

func (t *Trial) addKnownErrors(root int32, rng *rand.Rand) {
	w := t.World
	var cis []string
	if rng.Float64() < pRootKE {
		cis = append(cis, t.Root)
	}
	for range poisson(keRate*float64(w.Len()), rng) {
		cis = append(cis, w.idx.ID(int32(rng.Intn(w.Len()))))
	}
	for i, ci := range cis {
		if t.Sub.Nodes[ci] != nil {
			t.Input.KnownErrors = append(t.Input.KnownErrors, rootcause.KnownError{CI: ci, ProblemID: fmt.Sprintf("PRB-%d", i+1)})
		}
	}
}

func expDuration(rng *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(rng.ExpFloat64() * float64(mean))
}

func poisson(lambda float64, rng *rand.Rand) int {
	// Knuth's method is fine for the small rates used here.
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

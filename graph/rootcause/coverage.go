package rootcause

import (
	"math"
	"sort"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// Monitoring coverage is uneven on a real estate: applications and services
// are watched, the pods behind a workload, redundancy groups, hypervisors
// behind VMs, racks and network gear often are not, and a degradation is
// reported far less often than an outage. A silent CI inside a candidate's
// blast radius is evidence against the candidate only in proportion to how
// likely that CI was to raise something, so the ranking weighs each CI with
// a detection rate of its own: a prior by class, what the store's history
// taught (Coverage), an explicit marker, and a re-estimate from the current
// observations (expectation-maximisation over the candidates).

// Rate is a detection rate: the chance that a CI raises an incident when it
// is DOWN or DEGRADED. Weight is how many observations back it, as a
// pseudo-count: the current observations move a rate with a small weight
// easily and one with a large weight hardly at all.
type Rate struct {
	Down, Degraded float64
	Weight         float64
}

// Coverage is what is known about monitoring before looking at the
// incidents being ranked: rates by class and by CI (a CI's entry replaces
// its class's). Learn builds one from earlier episodes; a nil map means
// nothing is known and the priors apply.
type Coverage struct {
	Classes map[string]Rate
	CIs     map[string]Rate
}

// MonitoredAttribute is the CI attribute that declares whether anything
// watches the CI: false makes it silent (it raises nothing, so its silence
// is no evidence), true gives it the default detection with a large weight.
const MonitoredAttribute = "monitored"

// declaredWeight is the pseudo-count of a declared marker: an operator's
// statement outweighs a few episodes of evidence.
const declaredWeight = 50

// silent is the detection rate of a CI declared unmonitored: not zero,
// since someone may still notice and type in an incident.
var silent = Rate{Down: 0.02, Degraded: 0.02, Weight: declaredWeight}

// priorWeight is the pseudo-count of the class priors: two observations'
// worth, so a handful of episodes overrides them.
const priorWeight = 2

// classPrior is the detection rate a class starts from: the defaults, with
// little weight. A prior lowered for the classes monitoring often misses
// (pods, hypervisors, racks...) was tried in the rcabench harness: it
// cost accuracy where those classes are watched and bought none where they
// are not, since the re-estimation below finds silent classes by itself.
func classPrior(_ string, opt Options) Rate {
	return Rate{Down: opt.Detection, Degraded: opt.DetectionDegraded, Weight: priorWeight}
}

// groupKey identifies CIs that share a detection rate: their class, and
// the CI itself when it has a learned rate of its own, or the marker it
// declares.
type groupKey struct {
	class, ci string
}

// detection assigns every node of the graph to a detection group and holds
// each group's prior and size. Groups stay few (a handful of classes, plus
// CIs with evidence of their own), so a candidate's counts per group are
// cheap to keep for every candidate.
type detection struct {
	group []int32 // by node
	prior []Rate  // by group
	size  []int   // nodes per group
	// observed counts nodes with an incident per group.
	observed []int
}

func newDetection(cat *graph.Catalogue, sub graph.Subgraph, g *impact.Graph, cov *Coverage, opt Options, obs []*nodeObs) *detection {
	d := &detection{group: make([]int32, g.Len())}
	index := map[groupKey]int32{}
	classOf := func(id string) string {
		if n := sub.Nodes[id]; n != nil {
			return n.CI.Class
		}
		return ""
	}
	for n := range int32(g.Len()) {
		id := g.ID(n)
		class := classOf(id)
		if opt.UniformDetection {
			d.addTo(n, groupKey{}, classPrior("", opt), index, obs)
			continue
		}
		key := groupKey{class: class}
		prior := classPrior(class, opt)
		if r, ok := cov.Classes[class]; ok {
			prior = blend(prior, r)
		}
		if cl, ok := cat.Class(class); ok && cl.Monitored != nil && !*cl.Monitored {
			prior = silent
		}
		if label, r, ok := ciRate(sub.Nodes[id], cov, opt); ok {
			key.ci = label
			prior = blend(prior, r)
			if r.Weight >= declaredWeight {
				prior = r // a declaration replaces what the class says
			}
		}
		d.addTo(n, key, prior, index, obs)
	}
	return d
}

// addTo puts node n in the group of key, creating it with prior.
func (d *detection) addTo(n int32, key groupKey, prior Rate, index map[groupKey]int32, obs []*nodeObs) {
	gi, ok := index[key]
	if !ok {
		gi = int32(len(d.prior))
		index[key] = gi
		d.prior = append(d.prior, prior)
		d.size = append(d.size, 0)
		d.observed = append(d.observed, 0)
	}
	d.group[n] = gi
	d.size[gi]++
	if obs[n] != nil {
		d.observed[gi]++
	}
}

// ciRate is a CI's own rate and the label of its detection group: its
// declared marker (CIs declaring the same share a group), else what was
// learned about it.
func ciRate(n *graph.Node, cov *Coverage, opt Options) (string, Rate, bool) {
	if n == nil {
		return "", Rate{}, false
	}
	if v, ok := n.Attributes[MonitoredAttribute].(bool); ok {
		if !v {
			return "declared unmonitored", silent, true
		}
		return "declared monitored", Rate{Down: opt.Detection, Degraded: opt.DetectionDegraded, Weight: declaredWeight}, true
	}
	if r, ok := cov.CIs[n.CI.ID]; ok {
		return n.CI.ID, r, true
	}
	return "", Rate{}, false
}

// blend combines a prior with evidence, weighting each by its pseudo-count.
func blend(prior, ev Rate) Rate {
	w := prior.Weight + ev.Weight
	if w <= 0 {
		return prior
	}
	return Rate{
		Down:     (prior.Down*prior.Weight + ev.Down*ev.Weight) / w,
		Degraded: (prior.Degraded*prior.Weight + ev.Degraded*ev.Weight) / w,
		Weight:   w,
	}
}

// groups is the number of detection groups.
func (d *detection) groups() int { return len(d.prior) }

// counts are a candidate's impacted CIs per group and effect: with
// (obs) and without (miss) an incident. Index: group*4 + slot.
type counts []int32

const (
	slotObsDegraded = iota
	slotObsDown
	slotMissDegraded
	slotMissDown
	slots
)

func slot(observed bool, e impact.Effect) int {
	s := slotObsDegraded
	if !observed {
		s = slotMissDegraded
	}
	if e == impact.Down {
		s++
	}
	return s
}

// rates holds detection per group and effect and the noise rate per group.
type rates struct {
	p [][3]float64
	q []float64
}

// coverageOdds is a candidate's symptom log-odds under r: each impacted CI
// that raised an incident weighs log(p/q), each silent one
// log((1-p)/(1-q)).
func (c counts) coverageOdds(r rates) (cov, miss float64) {
	for g := range r.q {
		base := g * slots
		for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
			p, q := r.p[g][e], r.q[g]
			cov += float64(c[base+slot(true, e)]) * math.Log(p/q)
			miss += float64(c[base+slot(false, e)]) * math.Log((1-p)/(1-q))
		}
	}
	return cov, miss
}

// emRounds bounds the re-estimation. Rates settle within a few rounds; the
// first round alone does most of the work.
const emRounds = 4

// fitRates estimates detection and noise per group from the current
// observations by expectation-maximisation: given the posterior over
// candidates (E), each group's detection is the expected share of its
// impacted CIs that raised an incident, shrunk towards the prior by its
// weight, and its noise rate the expected share of its unimpacted CIs that
// raised one (M). base holds each candidate's log-odds apart from the
// symptom terms.
func (m *model) fitRates(all []stats, base []float64) rates {
	d := m.det
	r := m.initialRates()
	if len(all) == 0 || m.opt.UniformDetection {
		return r
	}
	logOdds := make([]float64, len(all))
	G := d.groups()
	num := make([][3]float64, G)
	den := make([][3]float64, G)
	noiseNum := make([]float64, G)
	noiseDen := make([]float64, G)
	for range emRounds {
		for i := range all {
			cov, miss := all[i].cnt.coverageOdds(r)
			logOdds[i] = base[i] + cov + miss
		}
		post := softmax(logOdds)
		clear(num)
		clear(den)
		clear(noiseNum)
		clear(noiseDen)
		for i := range all {
			w := post[i]
			if w < 1e-6 {
				continue
			}
			c := all[i].cnt
			for g := range G {
				b := g * slots
				impacted, observed := 0, 0
				for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
					o, s := float64(c[b+slot(true, e)]), float64(c[b+slot(false, e)])
					num[g][e] += w * o
					den[g][e] += w * (o + s)
					impacted += int(o + s)
					observed += int(o)
				}
				noiseNum[g] += w * float64(d.observed[g]-observed)
				noiseDen[g] += w * float64(d.size[g]-impacted)
			}
		}
		q0 := m.noisePrior()
		for g := range G {
			pr := d.prior[g]
			r.p[g][impact.Down] = clamp((num[g][impact.Down]+pr.Down*pr.Weight)/(den[g][impact.Down]+pr.Weight), 0.01, 0.99)
			r.p[g][impact.Degraded] = clamp((num[g][impact.Degraded]+pr.Degraded*pr.Weight)/(den[g][impact.Degraded]+pr.Weight), 0.01, 0.99)
			// The noise prior is worth as many CIs as the group has, so a
			// small group's noise estimate cannot run away.
			qw := 0.2*float64(d.size[g]) + 1
			r.q[g] = clamp((noiseNum[g]+q0*detShare(pr, m.opt)*qw)/(noiseDen[g]+qw), 1e-4, 0.3)
		}
	}
	return r
}

// initialRates are the priors: detection per group, and a noise rate that
// spreads the expected noise over the CIs in proportion to how watched
// they are (an unwatched CI raises no noise either).
func (m *model) initialRates() rates {
	d := m.det
	r := rates{p: make([][3]float64, d.groups()), q: make([]float64, d.groups())}
	q0 := m.noisePrior()
	for g, pr := range d.prior {
		r.p[g][impact.Down] = clamp(pr.Down, 0.01, 0.99)
		r.p[g][impact.Degraded] = clamp(pr.Degraded, 0.01, 0.99)
		r.q[g] = clamp(q0*detShare(pr, m.opt), 1e-4, 0.3)
	}
	return r
}

// noisePrior is the noise rate per fully watched CI: the expected number of
// unrelated incidents (a share of those observed) over the watched CIs.
func (m *model) noisePrior() float64 {
	var watched float64
	for g, pr := range m.det.prior {
		watched += float64(m.det.size[g]) * detShare(pr, m.opt)
	}
	return m.opt.NoiseShare * float64(m.observed) / max(watched, 1)
}

// detShare is how watched a group is relative to the default detection.
func detShare(r Rate, opt Options) float64 {
	return clamp(r.Down/opt.Detection, 0.01, 1)
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

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
// easily and one with a large weight hardly at all. Noise is how often the
// CIs raise unrelated incidents against the estate's average (1); zero
// means unknown, taken as 1.
type Rate struct {
	Down, Degraded float64
	Weight         float64
	Noise          float64
}

// Coverage is what is known about monitoring before looking at the
// incidents being ranked: rates by class, by owner (the team that runs a
// CI: teams differ in what they watch and how noisy their alerts are) and
// by CI (a CI's entry replaces the rest). A CI's detection is its class's,
// scaled by how its owner's compares with Overall; its noise is the
// product of its class's and its owner's. Learn builds one from earlier
// episodes; a nil map means nothing is known and the priors apply.
type Coverage struct {
	Classes map[string]Rate
	Owners  map[string]Rate
	CIs     map[string]Rate
	// Overall is the whole history's rate, the yardstick of Owners.
	Overall Rate
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

// groupKey identifies CIs that share a detection rate: their class and
// owner, and the CI itself when it has a learned rate of its own, or the
// marker it declares.
type groupKey struct {
	class, owner, ci string
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
		// Owners split a class only when something was learned about
		// them: a group pools what the current observations say about
		// its CIs, and splitting it for nothing would weaken that.
		if node := sub.Nodes[id]; node != nil && node.CI.Owner != "" {
			if r, ok := cov.Owners[node.CI.Owner]; ok {
				key.owner = node.CI.Owner
				prior = withOwner(prior, r, cov.Overall)
			}
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
// Noise factors multiply: they are relative to the estate, not rates.
func blend(prior, ev Rate) Rate {
	w := prior.Weight + ev.Weight
	if w <= 0 {
		return prior
	}
	return Rate{
		Down:     (prior.Down*prior.Weight + ev.Down*ev.Weight) / w,
		Degraded: (prior.Degraded*prior.Weight + ev.Degraded*ev.Weight) / w,
		Weight:   w,
		Noise:    noiseFactor(prior) * noiseFactor(ev),
	}
}

// withOwner scales a class's rate by how the owner's detection compares
// with the estate's overall, and its noise by the owner's. The result is
// as sure as the surer of the two records.
func withOwner(class, owner, overall Rate) Rate {
	scale := func(c, o, all float64) float64 {
		if all <= 0 {
			return c
		}
		return clamp(c*o/all, 0.01, 0.99)
	}
	return Rate{
		Down:     scale(class.Down, owner.Down, overall.Down),
		Degraded: scale(class.Degraded, owner.Degraded, overall.Degraded),
		Weight:   max(class.Weight, owner.Weight),
		Noise:    noiseFactor(class) * noiseFactor(owner),
	}
}

// noiseFactor is a rate's relative noise, 1 when unknown.
func noiseFactor(r Rate) float64 {
	if r.Noise <= 0 {
		return 1
	}
	return r.Noise
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

// rates holds, per group, the detection prior by effect (mean p and
// pseudo-count w) and the noise rate q.
type rates struct {
	// free marks the groups whose detection is neither declared nor
	// learned: the current observations re-estimate it.
	free []bool
	p    [][3]float64
	w    []float64
	q    []float64
	// unwatched is the prior chance that nothing watches the group.
	unwatched []float64
	// beta holds, per group and effect, the log-gamma values of its
	// beta-binomial (prepare): scoring every candidate in every round
	// would otherwise spend most of its time in math.Lgamma.
	beta [][3]betaTable
}

// betaTable is log Γ(α+k), log Γ(β+k) and log Γ(α+β+k) for k from 0 up to
// the largest count asked for so far: a group's counts repeat from one
// candidate to the next.
type betaTable struct {
	a, b             float64 // α and β
	alpha, beta, sum []float64
}

// reset empties the table for a new prior, keeping its memory.
func (t *betaTable) reset(alpha, beta float64) {
	t.a, t.b = alpha, beta
	t.alpha, t.beta, t.sum = t.alpha[:0], t.beta[:0], t.sum[:0]
}

// grow extends the table to k = n.
func (t *betaTable) grow(n int) {
	for k := len(t.alpha); k <= n; k++ {
		x := float64(k)
		la, _ := math.Lgamma(t.a + x)
		lb, _ := math.Lgamma(t.b + x)
		ls, _ := math.Lgamma(t.a + t.b + x)
		t.alpha, t.beta, t.sum = append(t.alpha, la), append(t.beta, lb), append(t.sum, ls)
	}
}

// logRatio is log B(α+a, β+b) / B(α, β): the chance of a given sequence
// of a successes and b failures when the success rate has a Beta(α, β)
// prior.
func (t *betaTable) logRatio(a, b int) float64 {
	t.grow(a + b)
	return (t.alpha[a] + t.beta[b] - t.sum[a+b]) - (t.alpha[0] + t.beta[0] - t.sum[0])
}

// prepare resets the beta tables for the current detection rates.
func (r *rates) prepare() {
	if len(r.beta) != len(r.p) {
		r.beta = make([][3]betaTable, len(r.p))
	}
	for g := range r.p {
		if math.IsInf(r.w[g], 1) {
			continue
		}
		w := max(r.w[g], freeWeight)
		for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
			p := r.p[g][e]
			r.beta[g][e].reset(p*w, (1-p)*w)
		}
	}
}

// unwatchedShare is the prior chance that nothing at all watches a group
// of CIs whose monitoring is neither declared nor learned.
const unwatchedShare = 0.1

// coverageOdds is a candidate's symptom log-odds under r, against every
// incident being noise. Detection is not a fixed number but integrated
// over its prior: each group's impacted CIs that raised an incident weigh
// log(p/q) and the silent ones log((1-p)/(1-q)), with p re-estimated from
// the CIs counted before (a beta-binomial). A group nothing is known about
// may moreover be unwatched altogether (share r.unwatched): many CIs on a
// real estate raise nothing whatever happens to them. A hypothesis under
// which a whole group stays silent thus learns, as it is scored, that the
// group is unwatched, and its silence costs little; a well-known rate
// (large w) hardly moves. cov is the part from the CIs that raised
// something, miss the part from the silent ones.
func (c counts) coverageOdds(r rates) (cov, miss float64) {
	for g := range r.q {
		base := g * slots
		var a, b [3]float64
		for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
			a[e], b[e] = float64(c[base+slot(true, e)]), float64(c[base+slot(false, e)])
		}
		if a[impact.Down]+a[impact.Degraded]+b[impact.Down]+b[impact.Degraded] == 0 {
			continue
		}
		var none [3]float64
		seen := r.logLikelihood(g, a, none)
		q := r.q[g]
		nA, nB := a[impact.Down]+a[impact.Degraded], b[impact.Down]+b[impact.Degraded]
		cov += seen - nA*math.Log(q)
		miss += r.logLikelihood(g, a, b) - seen - nB*math.Log1p(-q)
	}
	return cov, miss
}

// logLikelihood is the chance, in group g, that the CIs counted in a
// raised an incident and those in b did not (by effect), detection
// integrated over its prior.
func (r rates) logLikelihood(g int, a, b [3]float64) float64 {
	var watched float64
	for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
		if a[e]+b[e] == 0 {
			continue
		}
		p := r.p[g][e]
		if math.IsInf(r.w[g], 1) {
			watched += a[e]*math.Log(p) + b[e]*math.Log1p(-p)
			continue
		}
		watched += r.beta[g][e].logRatio(int(a[e]), int(b[e]))
	}
	u := r.unwatched[g]
	if u <= 0 {
		return watched
	}
	nA, nB := a[impact.Down]+a[impact.Degraded], b[impact.Down]+b[impact.Degraded]
	unwatched := nA*math.Log(silent.Down) + nB*math.Log1p(-silent.Down)
	return logSumExp(math.Log(u)+unwatched, math.Log1p(-u)+watched)
}

func logSumExp(x, y float64) float64 {
	top := max(x, y)
	return top + math.Log(math.Exp(x-top)+math.Exp(y-top))
}

// emRounds bounds the re-estimation. Rates settle within a few rounds; the
// first round alone does most of the work.
const emRounds = 4

// unwatchedWeight is the pseudo-count of unwatchedShare when the current
// observations re-estimate it.
const unwatchedWeight = 4

// freeWeight is the least pseudo-count of a detection rate when it is
// integrated over per candidate. The rate itself is refitted from every
// candidate's impacted CIs (fitRates), so one candidate's few CIs should
// not move it far: with the prior's two CIs' worth, a cause whose blast
// radius is mostly silent made its own detection low and its missing
// symptoms nearly free. In rcabench this lifts "harsh" from 0.94 to 0.95
// of the oracle's top-1 (seed 2) and costs no regime.
const freeWeight = 12

// detectionWeight is the pseudo-count of the default detection when the
// current observations re-estimate it.
const detectionWeight = 4

// fitRates re-estimates, from the current observations, the noise rate
// per group and the share of unwatched groups, by
// expectation-maximisation: given the posterior over candidates (E), a
// group's noise rate is the expected share of its unimpacted CIs that
// raised an incident, and the unwatched share the expected share of
// impacted groups that are unwatched (M), each shrunk towards its prior.
// Detection itself needs no such step: coverageOdds integrates it per
// candidate. base holds each candidate's log-odds apart from the symptom
// terms.
func (m *model) fitRates(all []stats, base []float64) rates {
	d := m.det
	r := m.initialRates()
	if len(all) == 0 || m.opt.UniformDetection {
		return r
	}
	logOdds := make([]float64, len(all))
	G := d.groups()
	noiseNum := make([]float64, G)
	noiseDen := make([]float64, G)
	q0 := m.noisePrior()
	for range emRounds {
		for i := range all {
			cov, miss := all[i].cnt.coverageOdds(r)
			logOdds[i] = base[i] + cov + miss
		}
		post := softmax(logOdds)
		clear(noiseNum)
		clear(noiseDen)
		var unwNum, unwDen float64
		var detNum, detDen [3]float64
		for i := range all {
			w := post[i]
			if w < 1e-6 {
				continue
			}
			c := all[i].cnt
			for g := range G {
				b := g * slots
				var a, s [3]float64
				for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
					a[e], s[e] = float64(c[b+slot(true, e)]), float64(c[b+slot(false, e)])
				}
				observed := a[impact.Down] + a[impact.Degraded]
				impacted := observed + s[impact.Down] + s[impact.Degraded]
				noiseNum[g] += w * (float64(d.observed[g]) - observed)
				noiseDen[g] += w * (float64(d.size[g]) - impacted)
				if impacted == 0 || !r.free[g] {
					continue
				}
				watched := 1.0
				if r.unwatched[g] > 0 {
					unw := r.unwatchedPosterior(g, a, s)
					unwNum += w * unw
					unwDen += w
					watched = 1 - unw
				}
				for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
					detNum[e] += w * watched * a[e]
					detDen[e] += w * watched * (a[e] + s[e])
				}
			}
		}
		for g := range G {
			// The noise prior is worth as many CIs as the group has, so a
			// small group's noise estimate cannot run away.
			qw := 0.2*float64(d.size[g]) + 1
			r.q[g] = clamp((noiseNum[g]+q0*noiseShare(d.prior[g], m.opt)*qw)/(noiseDen[g]+qw), 1e-4, 0.3)
		}
		u := clamp((unwNum+unwatchedShare*unwatchedWeight)/(unwDen+unwatchedWeight), 0.01, 0.9)
		// The groups nothing is known about share one detection rate per
		// effect, re-estimated from every impacted CI of theirs: the
		// current observations say how well this estate is watched, and
		// each group's own few CIs would only echo the posterior.
		var det [3]float64
		for _, e := range [...]impact.Effect{impact.Degraded, impact.Down} {
			prior := m.opt.Detection
			if e == impact.Degraded {
				prior = m.opt.DetectionDegraded
			}
			det[e] = clamp((detNum[e]+prior*detectionWeight)/(detDen[e]+detectionWeight), 0.05, 0.99)
		}
		for g := range G {
			if r.unwatched[g] > 0 {
				r.unwatched[g] = u
			}
			if r.free[g] {
				r.p[g] = det
			}
		}
		r.prepare()
	}
	return r
}

// unwatchedPosterior is the chance that group g is unwatched given that
// the CIs counted in a raised an incident and those in b did not.
func (r rates) unwatchedPosterior(g int, a, b [3]float64) float64 {
	u := r.unwatched[g]
	nA, nB := a[impact.Down]+a[impact.Degraded], b[impact.Down]+b[impact.Degraded]
	unw := math.Log(u) + nA*math.Log(silent.Down) + nB*math.Log1p(-silent.Down)
	return math.Exp(unw - r.logLikelihood(g, a, b))
}

// initialRates are the priors: detection per group, and a noise rate that
// spreads the expected noise over the CIs in proportion to how watched
// they are (an unwatched CI raises no noise either).
func (m *model) initialRates() rates {
	d := m.det
	G := d.groups()
	r := rates{free: make([]bool, G), p: make([][3]float64, G), w: make([]float64, G), q: make([]float64, G), unwatched: make([]float64, G)}
	q0 := m.noisePrior()
	for g, pr := range d.prior {
		r.p[g][impact.Down] = clamp(pr.Down, 0.01, 0.99)
		r.p[g][impact.Degraded] = clamp(pr.Degraded, 0.01, 0.99)
		r.w[g] = pr.Weight
		switch {
		case m.opt.UniformDetection:
			// Fixed rates: the model before coverage was learned.
			r.w[g] = math.Inf(1)
		case pr.Weight <= priorWeight:
			r.free[g] = true
			// A group with any incident at all, symptom or noise, is
			// watched: an unwatched CI raises nothing.
			if d.observed[g] == 0 {
				r.unwatched[g] = unwatchedShare
			}
		}
		r.q[g] = clamp(q0*noiseShare(pr, m.opt), 1e-4, 0.3)
	}
	r.prepare()
	return r
}

// noisePrior is the noise rate of an average, fully watched CI: the
// expected number of unrelated incidents (a share of those observed) over
// the CIs, each counted by how much noise it makes.
func (m *model) noisePrior() float64 {
	var watched float64
	for g, pr := range m.det.prior {
		watched += float64(m.det.size[g]) * noiseShare(pr, m.opt)
	}
	return m.opt.NoiseShare * float64(m.observed) / max(watched, 1)
}

// noiseShare is a group's noise relative to an average, fully watched CI:
// an unwatched CI raises no noise either, and a noisy team's CIs more.
func noiseShare(r Rate, opt Options) float64 {
	return clamp(r.Down/opt.Detection, 0.01, 1) * clamp(noiseFactor(r), 0.05, 20)
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

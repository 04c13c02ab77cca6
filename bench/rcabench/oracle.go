package rcabench

import (
	"math"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// veto stands for "impossible under the model" while keeping sums finite,
// so that a candidate needing one impossible event still beats one needing
// two.
const veto = -30.0

// Oracle ranks the subgraph's CIs by their likelihood under the generator's
// exact model: the full world graph (so it sees every missing symptom,
// including dependants outside the subgraph), the true detection, noise
// and severity parameters, the delay distributions and the change and
// known-error processes. The failure onset is not known to it: it takes
// the onset that maximises the likelihood (a profile likelihood) and, given
// the onset, assigns each CI's incidents to symptom or noise, whichever is
// likelier. It is therefore a practical ceiling, not the exact
// Bayes-optimal ranking, and it can be beaten on a few trials.
func Oracle(t *Trial, k int) []string {
	o := newOracle(t)
	type cand struct {
		id string
		ll float64
	}
	var list []cand
	for id := range t.Sub.Nodes {
		if ll, ok := o.logLikelihood(o.w.node(id)); ok {
			list = append(list, cand{id: id, ll: ll})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].ll != list[j].ll {
			return list[i].ll > list[j].ll
		}
		return list[i].id < list[j].id
	})
	out := make([]string, 0, k)
	for i := 0; i < len(list) && i < k; i++ {
		out = append(out, list[i].id)
	}
	return out
}

type oracle struct {
	t         *Trial
	w         *World
	noisy     noiseSource
	onNode    map[int32][]int
	changesOn map[int32][]int
	keOn      map[int32]int
	noiseLL   []float64 // per incident, given it is noise and in the window
}

func newOracle(t *Trial) *oracle {
	w := t.World
	o := &oracle{t: t, w: w, noisy: w.noisy(t.Setting), onNode: map[int32][]int{}, changesOn: map[int32][]int{}, keOn: map[int32]int{}}
	for i, inc := range t.Input.Incidents {
		node := w.node(inc.AffectedCIs[0]) // the generator names one CI
		o.onNode[node] = append(o.onNode[node], i)
		o.noiseLL = append(o.noiseLL, logOr(o.noisy.share(node))+sevLogProb(&t.Input.Incidents[i], impact.Up, 0)-math.Log((noiseBefore+noiseAfter).Minutes()))
	}
	for i, ch := range t.Input.Changes {
		node := w.node(ch.TargetCIs[0])
		o.changesOn[node] = append(o.changesOn[node], i)
	}
	for _, ke := range t.Input.KnownErrors {
		o.keOn[w.node(ke.CI)]++
	}
	return o
}

// pick is an impacted CI's best-fitting incident.
type pick struct {
	inc  int
	hit  hit
	sevL float64
	miss float64 // the CI's chance of raising nothing
}

func (o *oracle) logLikelihood(c int32) (float64, bool) {
	s := o.t.Setting
	blast := o.w.blast[c]
	var picks []pick
	var missing float64
	allMissing := 0.0 // log P(no symptom at all)
	for _, h := range blast {
		miss := 1 - s.detect(o.w, h.node, h.effect)
		allMissing += logOr(miss)
		incs := o.onNode[h.node]
		if len(incs) == 0 {
			missing += logOr(miss)
			continue
		}
		best, bestL := -1, math.Inf(-1)
		for _, i := range incs {
			if l := sevLogProb(&o.t.Input.Incidents[i], h.effect, s.SevNoise); l > bestL {
				best, bestL = i, l
			}
		}
		picks = append(picks, pick{inc: best, hit: h, sevL: bestL, miss: miss})
	}
	if len(picks) == 0 {
		return 0, false
	}
	best, bestOnset := math.Inf(-1), time.Time{}
	for _, anchor := range picks {
		onset := o.t.Input.Incidents[anchor.inc].OpenedAt.Add(-hops(anchor.hit))
		if ll := o.given(c, picks, onset); ll > best {
			best, bestOnset = ll, onset
		}
	}
	ll := best + missing
	// Roots with no symptom at all were redrawn by the generator.
	ll -= math.Log(1 - math.Exp(allMissing))
	ll += o.changeLR(c, bestOnset)
	if n := o.keOn[c]; n > 0 {
		ll += math.Log((1 - pRootKE) + pRootKE*float64(n)/keRate)
	}
	return ll, true
}

// given is the incidents' log-likelihood under "c failed at onset".
func (o *oracle) given(c int32, picks []pick, onset time.Time) float64 {
	s := o.t.Setting
	symptom := map[int]bool{}
	var ll float64
	for _, p := range picks {
		inc := &o.t.Input.Incidents[p.inc]
		asSymptom := logOr(1-p.miss) + p.sevL + expLogDensity(inc.OpenedAt.Sub(onset)-hops(p.hit), symptomDelay)
		asNoise := logOr(p.miss) + o.noise(p.inc, onset)
		if asSymptom >= asNoise {
			symptom[p.inc] = true
			ll += asSymptom
		} else {
			ll += logOr(p.miss) // the symptom went missing; the incident is noise below
		}
	}
	noise := 0
	for i := range o.t.Input.Incidents {
		if !symptom[i] {
			noise++
			ll += o.noise(i, onset)
		}
	}
	return ll + poissonLogPMF(s.Noise*float64(len(symptom)), noise)
}

func (o *oracle) noise(i int, onset time.Time) float64 {
	at := o.t.Input.Incidents[i].OpenedAt
	if at.Before(onset.Add(-noiseBefore)) || at.After(onset.Add(noiseAfter)) {
		return o.noiseLL[i] + veto
	}
	return o.noiseLL[i]
}

func hops(h hit) time.Duration { return time.Duration(max(h.dist, 0)) * hopDelay }

func logOr(p float64) float64 {
	if p <= 0 {
		return veto
	}
	return math.Log(p)
}

// sevLogProb is the generator's severity distribution for effect e, mixed
// with the random severity it draws with probability sevNoise.
func sevLogProb(inc *rootcause.Incident, e impact.Effect, sevNoise float64) float64 {
	p := func(e impact.Effect) float64 {
		po := genOutage[e]
		if !inc.Outage {
			po = 1 - po
		}
		return po * genImpact[e][inc.Impact-1]
	}
	return math.Log((1-sevNoise)*p(e) + sevNoise*p(impact.Up))
}

func expLogDensity(d, mean time.Duration) float64 {
	if d < 0 {
		return veto
	}
	return -math.Log(mean.Minutes()) - d.Minutes()/mean.Minutes()
}

func poissonLogPMF(lambda float64, k int) float64 {
	if lambda <= 0 {
		if k == 0 {
			return 0
		}
		return veto * float64(k)
	}
	lg, _ := math.Lgamma(float64(k + 1))
	return float64(k)*math.Log(lambda) - lambda - lg
}

// changeLR is the likelihood ratio of the observed changes under "c is the
// root" against "every change is background".
func (o *oracle) changeLR(c int32, onset time.Time) float64 {
	w := o.w
	background := func(failed bool) float64 {
		f := pFailedRandom
		if !failed {
			f = 1 - f
		}
		return f / float64(w.Len()) / (changeBefore + changeAfter).Minutes()
	}
	causal := func(failed bool, onRoot bool) float64 {
		f := pFailedCausal
		if !failed {
			f = 1 - f
		}
		where := pChangeOnRoot
		if !onRoot {
			where = (1 - pChangeOnRoot) / float64(len(w.nbrs[c]))
		}
		return where * f / causalWindow.Minutes()
	}
	var sum float64
	consider := func(node int32, onRoot bool) {
		for _, i := range o.changesOn[node] {
			ch := &o.t.Input.Changes[i]
			// The estimated onset is a little late; allow for it.
			if ch.End.After(onset) || ch.End.Before(onset.Add(-causalWindow-5*time.Minute)) {
				continue
			}
			sum += causal(ch.Failed, onRoot) / background(ch.Failed)
		}
	}
	consider(c, true)
	for _, nb := range w.nbrs[c] {
		consider(nb, false)
	}
	return math.Log((1 - pRootChange) + pRootChange*sum)
}

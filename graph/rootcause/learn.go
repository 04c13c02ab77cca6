package rootcause

import (
	"math"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// Episode is an earlier set of incidents and the subgraph around them, as
// the store held them: what Learn learns coverage from.
type Episode struct {
	Sub   graph.Subgraph
	Input Input
}

// learnConfidence is how sure the ranking must be of an episode's cause
// before its blast radius counts as evidence: an episode it cannot explain
// says little about who watches what.
const learnConfidence = 0.5

// ciMinTrials and ciDeviation decide when a CI earns a rate of its own: it
// was inside enough failures, and its record differs clearly from its
// class's. The rest share their class's rate, which keeps the detection
// groups few.
const (
	ciMinTrials = 3
	ciDeviation = 0.35
)

// noisePseudo is the pseudo-count of a noise factor's prior of 1: a class
// or team needs a few unrelated incidents before it counts as noisy or
// quiet.
const noisePseudo = 2

// Learn estimates monitoring coverage from earlier episodes. For each, the
// likeliest cause is taken as what failed (when the ranking is confident of
// it), and every CI of its blast radius counts as one trial of its
// detection: it raised an incident or it stayed silent. Rates are kept by
// class, by owner, and by CI where a CI's record departs from its
// class's. The incidents outside the blast radius are noise: each class's
// and owner's share of them, against its share of the CIs the episodes
// saw, is its noise factor. Ranking with the result lets a silent,
// unwatched CI stop counting against the cause it sits under, and an
// incident from a noisy team's CI say less.
func Learn(cat *graph.Catalogue, episodes []Episode, opt Options) Coverage {
	type tally struct {
		raised, trials [3]float64
		noise          float64
		seen           map[string]bool // CIs the episodes saw
	}
	byClass, byOwner, byCI := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	var all tally
	classOf := map[string]string{}
	get := func(m map[string]*tally, k string) *tally {
		t := m[k]
		if t == nil {
			t = &tally{seen: map[string]bool{}}
			m[k] = t
		}
		return t
	}
	trial := func(t *tally, e impact.Effect, raised bool) {
		t.trials[e]++
		if raised {
			t.raised[e]++
		}
	}
	all.seen = map[string]bool{}
	opt.Limit = 1
	for _, ep := range episodes {
		best := Rank(cat, ep.Sub, ep.Input, opt)
		if len(best) == 0 || best[0].Score < learnConfidence {
			continue
		}
		raised := map[string]int{}
		for _, inc := range ep.Input.Incidents {
			for _, ci := range inc.AffectedCIs {
				raised[ci]++
			}
		}
		effects := impact.Propagate(cat, ep.Sub, []string{best[0].CI}).Effect
		for id, n := range ep.Sub.Nodes {
			class, owner := n.CI.Class, n.CI.Owner
			classOf[id] = class
			groups := []*tally{&all, get(byClass, class)}
			if owner != "" {
				groups = append(groups, get(byOwner, owner))
			}
			e := effects[id]
			hit := e == impact.Down || e == impact.Degraded
			for _, t := range groups {
				t.seen[id] = true
				if hit {
					trial(t, e, raised[id] > 0)
				}
				// A CI's incidents beyond its one symptom are noise.
				if extra := raised[id] - btoi(hit); extra > 0 {
					t.noise += float64(extra)
				}
			}
			if hit {
				trial(get(byCI, id), e, raised[id] > 0)
			}
		}
	}
	rate := func(t *tally, prior Rate) Rate {
		r := Rate{Down: prior.Down, Degraded: prior.Degraded, Weight: t.trials[impact.Down] + t.trials[impact.Degraded]}
		if n := t.trials[impact.Down]; n > 0 {
			r.Down = t.raised[impact.Down] / n
		}
		if n := t.trials[impact.Degraded]; n > 0 {
			r.Degraded = t.raised[impact.Degraded] / n
		}
		return r
	}
	// noise is a tally's noise factor: its share of the noise against its
	// share of the CIs seen, shrunk towards 1.
	perCI := all.noise / float64(max(len(all.seen), 1))
	noise := func(t *tally) float64 {
		if perCI <= 0 {
			return 1
		}
		return (t.noise + noisePseudo) / (float64(len(t.seen))*perCI + noisePseudo)
	}
	opt = opt.withDefaults()
	def := classPrior("", opt)
	cov := Coverage{Classes: map[string]Rate{}, Owners: map[string]Rate{}, CIs: map[string]Rate{}}
	cov.Overall = rate(&all, def)
	for _, class := range sortedKeys(byClass) {
		t := byClass[class]
		r := rate(t, classPrior(class, opt))
		r.Noise = noise(t)
		cov.Classes[class] = r
	}
	for _, owner := range sortedKeys(byOwner) {
		t := byOwner[owner]
		// An owner's rate leans on the overall one until its record is long.
		r := blend(Rate{Down: cov.Overall.Down, Degraded: cov.Overall.Degraded, Weight: priorWeight}, rate(t, cov.Overall))
		r.Weight -= priorWeight
		r.Noise = noise(t)
		cov.Owners[owner] = r
	}
	for _, id := range sortedKeys(byCI) {
		t := byCI[id]
		if t.trials[impact.Down]+t.trials[impact.Degraded] < ciMinTrials {
			continue
		}
		class := blend(classPrior(classOf[id], opt), cov.Classes[classOf[id]])
		r := rate(t, class)
		if math.Abs(r.Down-class.Down) > ciDeviation || math.Abs(r.Degraded-class.Degraded) > ciDeviation {
			cov.CIs[id] = r
		}
	}
	return cov
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

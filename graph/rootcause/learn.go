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

// Learn estimates monitoring coverage from earlier episodes. For each, the
// likeliest cause is taken as what failed (when the ranking is confident of
// it), and every CI of its blast radius counts as one trial of its
// detection: it raised an incident or it stayed silent. Rates are kept by
// class, and by CI where a CI's record departs from its class's. Ranking
// with the result lets a silent, unwatched CI stop counting against the
// cause it sits under.
func Learn(cat *graph.Catalogue, episodes []Episode, opt Options) Coverage {
	type tally struct{ raised, trials [3]float64 }
	byClass := map[string]*tally{}
	byCI := map[string]*tally{}
	classOf := map[string]string{}
	add := func(m map[string]*tally, k string, e impact.Effect, raised bool) {
		t := m[k]
		if t == nil {
			t = &tally{}
			m[k] = t
		}
		t.trials[e]++
		if raised {
			t.raised[e]++
		}
	}
	opt.Limit = 1
	for _, ep := range episodes {
		best := Rank(cat, ep.Sub, ep.Input, opt)
		if len(best) == 0 || best[0].Score < learnConfidence {
			continue
		}
		raised := map[string]bool{}
		for _, inc := range ep.Input.Incidents {
			for _, ci := range inc.AffectedCIs {
				raised[ci] = true
			}
		}
		effects := impact.Propagate(cat, ep.Sub, []string{best[0].CI}).Effect
		for id, e := range effects {
			if e != impact.Down && e != impact.Degraded {
				continue
			}
			n := ep.Sub.Nodes[id]
			if n == nil {
				continue
			}
			classOf[id] = n.CI.Class
			add(byClass, n.CI.Class, e, raised[id])
			add(byCI, id, e, raised[id])
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
	opt = opt.withDefaults()
	cov := Coverage{Classes: map[string]Rate{}, CIs: map[string]Rate{}}
	for _, class := range sortedKeys(byClass) {
		cov.Classes[class] = rate(byClass[class], classPrior(class, opt))
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

package rootcause

import (
	"math"
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph/impact"
)

// The severity model: how an incident on a CI looks depending on what
// happened to the CI. Index by impact.Effect; Up stands for "unrelated
// noise". Outage flags and impact levels are treated as independent. The
// numbers are deliberately soft: severities are set by people and are
// often wrong, so a mismatch lowers the odds without vetoing.
var (
	pOutage = [3]float64{impact.Up: 0.3, impact.Degraded: 0.1, impact.Down: 0.85}
	pImpact = [3][3]float64{
		impact.Up:       {0.25, 0.35, 0.40},
		impact.Degraded: {0.10, 0.40, 0.50},
		impact.Down:     {0.50, 0.40, 0.10},
	}
)

// severityLogRatio is log P(severity | effect) / P(severity | noise).
func severityLogRatio(inc *Incident, e impact.Effect) float64 {
	var r float64
	if inc.Outage {
		r += math.Log(pOutage[e] / pOutage[impact.Up])
	} else {
		r += math.Log((1 - pOutage[e]) / (1 - pOutage[impact.Up]))
	}
	if inc.Impact >= 1 && inc.Impact <= 3 {
		r += math.Log(pImpact[e][inc.Impact-1] / pImpact[impact.Up][inc.Impact-1])
	}
	return r
}

// downLike reports whether an incident looks more like a DOWN than a
// DEGRADED symptom.
func downLike(inc *Incident) bool {
	return severityLogRatio(inc, impact.Down) > severityLogRatio(inc, impact.Degraded)
}

// nodeObs is what was observed on one CI. A CI has at most one symptom of
// the root cause; when several incidents name it, the one that fits the
// predicted effect best is taken as the symptom and the rest count as
// noise under every hypothesis, so they cancel out.
type nodeObs struct {
	incidents []int32 // indexes into Input.Incidents
	// first is the earliest known opening time (zero when none is known);
	// times are all known opening times, sorted. A CI can carry noise
	// opened long before a failure as well as the failure's symptom, so
	// the timing fit looks at every one of them.
	first time.Time
	times []time.Time
	// sev is the best severity log-ratio per effect, best the incident
	// giving it.
	sev  [3]float64
	best [3]int32
}

func observe(in *Input, g *impact.Graph) ([]*nodeObs, int) {
	obs := make([]*nodeObs, g.Len())
	observed := 0
	for i := range in.Incidents {
		inc := &in.Incidents[i]
		for _, id := range inc.AffectedCIs {
			node, ok := g.Lookup(id)
			if !ok {
				continue
			}
			o := obs[node]
			if o == nil {
				o = &nodeObs{sev: [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}}
				obs[node] = o
				observed++
			} else if o.incidents[len(o.incidents)-1] == int32(i) {
				continue // the same CI listed twice
			}
			o.incidents = append(o.incidents, int32(i))
			if !inc.OpenedAt.IsZero() {
				if o.first.IsZero() || inc.OpenedAt.Before(o.first) {
					o.first = inc.OpenedAt
				}
				at, _ := slices.BinarySearchFunc(o.times, inc.OpenedAt, time.Time.Compare)
				o.times = slices.Insert(o.times, at, inc.OpenedAt)
			}
			for _, e := range []impact.Effect{impact.Degraded, impact.Down} {
				if r := severityLogRatio(inc, e); r > o.sev[e] {
					o.sev[e], o.best[e] = r, int32(i)
				}
			}
		}
	}
	return obs, observed
}

// burstLogRatio is the timing term of an explained incident opened d after
// the failure's onset, against unrelated incidents spread uniformly over
// window. Symptoms open within a plateau of two bursts after the onset
// (detection and escalation delays do not shrink with the number of hops,
// so a tighter cluster earns nothing more) and become exponentially less
// likely after it. A floor keeps a slow or late-detected symptom from
// vetoing a cause; an incident before the onset gets only the floor.
func burstLogRatio(d, burst, window time.Duration) float64 {
	const floor = 0.25
	if d < 0 {
		return math.Log(floor)
	}
	plateau := 2 * burst
	shape := 1.0
	if d > plateau {
		shape = math.Exp(-float64(d-plateau) / float64(burst))
	}
	return math.Log((1-floor)*float64(window)/float64(plateau+burst)*shape + floor)
}

// maxOnsets bounds the onsets tried per candidate. Every symptom time is
// one, since when noise is dense the earliest times on a cause's CIs are
// often noise opened long before the failure; past the bound they are
// thinned evenly.
const maxOnsets = 64

// fitOnset chooses the failure onset that maximises the timing terms of a
// candidate's symptoms and returns it with their sum. perNode holds each
// impacted CI's sorted incident times. Given an onset, each CI's symptom
// is its first incident at or after it (the earlier ones are noise as
// far as timing goes); a CI with none gets the floor. The CI whose time
// is the onset gets no term: with a flat prior on when the failure
// started, its own time says nothing.
func fitOnset(perNode [][]time.Time, all []time.Time, burst, window time.Duration) (time.Time, float64) {
	if len(all) == 0 {
		return time.Time{}, 0
	}
	step := max(1, (len(all)+maxOnsets-1)/maxOnsets)
	best, bestL := all[0], math.Inf(-1)
	for j := 0; j < len(all); j += step {
		if j > 0 && all[j].Equal(all[j-1]) {
			continue
		}
		onset := all[j]
		var l float64
		self := false // the onset's own CI, skipped once
		for _, times := range perNode {
			k, _ := slices.BinarySearchFunc(times, onset, time.Time.Compare)
			if k == len(times) {
				l += burstLogRatio(-1, burst, window)
				continue
			}
			if !self && times[k].Equal(onset) {
				self = true
				continue
			}
			l += burstLogRatio(times[k].Sub(onset), burst, window)
		}
		if l > bestL {
			best, bestL = onset, l
		}
	}
	return best, bestL
}

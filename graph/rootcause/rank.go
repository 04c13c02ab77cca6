package rootcause

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// Rank returns the CIs of sub that best explain the incidents, best first,
// at most opt.Limit of them. CIs whose failure would reach no incident are
// not candidates. Ties are broken by CI id, so equal inputs give equal
// rankings.
//
// sub must contain every CI whose failure could reach an incident's CI:
// the upstream neighbourhood of those CIs (Store.Neighbourhood, Upstream,
// depth 6 or so). Ranking is better still when sub also holds one hop
// downstream of that neighbourhood (a second Neighbourhood call, Downstream,
// depth 1, seeded with its CIs): the upstream walk only sees dependants that
// lead to an incident, so a too-broad cause's silent dependants, the
// strongest evidence against it, are otherwise invisible. In the rcabench
// harness that hop lifts mean top-1 accuracy from 0.83 to 0.87, and by up
// to 14 points where unrelated incidents are many.
func Rank(cat *graph.Catalogue, sub graph.Subgraph, in Input, opt Options) []Candidate {
	opt = opt.withDefaults()
	m := newModel(cat, sub, &in, opt)
	if m.observed == 0 {
		return nil
	}
	stats := m.scoreAll()
	base := make([]float64, len(stats))
	for i := range stats {
		base[i] = stats[i].baseOdds()
	}
	r := m.fitRates(stats, base)
	logOdds := make([]float64, len(stats))
	for i := range stats {
		cov, miss := stats[i].cnt.coverageOdds(r)
		logOdds[i] = base[i] + cov + miss
	}
	post := softmax(logOdds)
	order := make([]int, len(stats))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := order[a], order[b]
		// Odds within rounding error are a tie; a suspicious change, however
		// old, breaks it before the id does.
		if math.Abs(logOdds[x]-logOdds[y]) > 1e-9*max(1, math.Abs(logOdds[x])) {
			return logOdds[x] > logOdds[y]
		}
		if stats[x].change.logLR != stats[y].change.logLR {
			return stats[x].change.logLR > stats[y].change.logLR
		}
		return stats[x].node < stats[y].node // node order is id order
	})
	if opt.Limit > 0 && len(order) > opt.Limit {
		order = order[:opt.Limit]
	}
	out := make([]Candidate, len(order))
	for k, i := range order {
		out[k] = m.candidate(&stats[i], stats, r, post[i], logOdds[i])
	}
	return out
}

// model is one ranking's indexed inputs.
type model struct {
	opt      Options
	sub      graph.Subgraph
	in       *Input
	g        *impact.Graph
	w        *impact.Walker
	obs      []*nodeObs
	observed int // CIs with at least one incident
	det      *detection
	pri      *priors
	window   time.Duration // incident observation window
	onset    time.Time     // earliest incident, the fallback failure onset
	times    []time.Time   // scratch for score
	perNode  [][]time.Time // scratch for score
}

func newModel(cat *graph.Catalogue, sub graph.Subgraph, in *Input, opt Options) *model {
	g := impact.NewGraph(cat, sub)
	m := &model{opt: opt, sub: sub, in: in, g: g, w: g.NewWalker()}
	m.obs, m.observed = observe(in, g)
	m.det = newDetection(cat, sub, g, &in.Coverage, opt, m.obs)
	m.pri = newPriors(in, g, opt)
	latest := in.Now
	for _, inc := range in.Incidents {
		if inc.OpenedAt.IsZero() {
			continue
		}
		if m.onset.IsZero() || inc.OpenedAt.Before(m.onset) {
			m.onset = inc.OpenedAt
		}
		if inc.OpenedAt.After(latest) {
			latest = inc.OpenedAt
		}
	}
	start := in.Since
	if start.IsZero() || (!m.onset.IsZero() && m.onset.Before(start)) {
		start = m.onset
	}
	// Below two bursts the window cannot tell a burst from noise; the
	// floor also keeps the ratio finite when every time is equal.
	m.window = max(latest.Sub(start), 2*opt.Burst)
	return m
}

// stats are what scoring one candidate yields: counts and sums rather than
// its blast radius, so that hundreds of candidates cost little memory.
type stats struct {
	node int32
	// cnt counts impacted CIs with and without an incident, by detection
	// group and predicted effect.
	cnt    counts
	size   int
	sev    float64 // sum of severity log-ratios of the symptoms
	t0     time.Time
	timing float64
	change changeHit
	ke     float64
	// shape identifies the predicted effects, for spotting look-alikes.
	shape uint64
}

// baseOdds is the candidate's log-odds apart from the detection terms,
// which depend on the rates being fitted.
func (s *stats) baseOdds() float64 {
	return s.sev + s.timing + s.change.logLR + s.ke
}

// scoreAll propagates from every CI and keeps those whose failure reaches
// at least one incident.
func (m *model) scoreAll() []stats {
	out := make([]stats, 0, m.g.Len())
	for c := range int32(m.g.Len()) {
		if s, ok := m.score(c); ok {
			out = append(out, s)
		}
	}
	return out
}

func (m *model) score(c int32) (stats, bool) {
	s := stats{node: c, cnt: make(counts, m.det.groups()*slots)}
	reached := m.w.Run(c)
	s.size = len(reached)
	times, perNode := m.times[:0], m.perNode[:0]
	symptoms := 0
	for _, n := range reached {
		e := m.w.Effect(n)
		s.shape += mix(uint64(n)<<2 | uint64(e))
		o := m.obs[n]
		s.cnt[int(m.det.group[n])*slots+slot(o != nil, e)]++
		if o == nil {
			continue
		}
		symptoms++
		s.sev += o.sev[e]
		if len(o.times) > 0 {
			times = append(times, o.times...)
			perNode = append(perNode, o.times)
		}
	}
	if symptoms == 0 {
		return s, false
	}
	slices.SortFunc(times, time.Time.Compare)
	s.t0, s.timing = fitOnset(perNode, times, m.opt.Burst, m.window)
	m.times, m.perNode = times, perNode
	t0 := s.t0
	if t0.IsZero() {
		t0 = m.onset
	}
	s.change = m.pri.changeOdds(m.in, m.g, c, t0)
	s.ke = m.pri.knownErrorOdds(c)
	return s, true
}

// mix is splitmix64's finaliser; summing it over (node, effect) pairs gives
// an order-independent fingerprint of a blast radius.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func softmax(x []float64) []float64 {
	out := make([]float64, len(x))
	if len(x) == 0 {
		return out
	}
	top := math.Inf(-1)
	for _, v := range x {
		top = max(top, v)
	}
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(v - top)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

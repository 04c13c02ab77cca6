package rootcause

import (
	"math"
	"time"

	"github.com/ripple-cmdb/ripple/graph/impact"
)

// Caps on prior odds so that a single record cannot outvote the symptoms
// entirely: bad CMDB data (a change logged against the wrong CI) happens.
const (
	maxChangeOdds     = 1e4
	maxKnownErrorOdds = 100
)

// priors holds the background rates against which changes and known
// errors are judged: the more changes in flight, the less any one of them
// says.
type priors struct {
	opt       Options
	changesOn [][]int32 // change indexes by target node
	// changeRate is the background rate of changes per CI per minute.
	changeRate float64
	keOn       [][]int32 // known-error indexes by node
	keBase     float64   // share of CIs with a known error
	nbrs       []int32   // scratch
}

func newPriors(in *Input, g *impact.Graph, opt Options) *priors {
	n := g.Len()
	p := &priors{opt: opt, changesOn: make([][]int32, n), keOn: make([][]int32, n)}
	changes := 0
	for i, ch := range in.Changes {
		hit := false
		for _, id := range ch.TargetCIs {
			if node, ok := g.Lookup(id); ok && !containsIdx(p.changesOn[node], int32(i)) {
				p.changesOn[node] = append(p.changesOn[node], int32(i))
				hit = true
			}
		}
		if hit {
			changes++
		}
	}
	window := opt.ChangeLookback
	if !in.Since.IsZero() && !in.Now.IsZero() && in.Now.After(in.Since) {
		window = in.Now.Sub(in.Since)
	}
	p.changeRate = float64(changes+1) / (float64(max(n, 1)) * max(window.Minutes(), 1))
	withKE := 0
	for i, ke := range in.KnownErrors {
		if node, ok := g.Lookup(ke.CI); ok {
			if len(p.keOn[node]) == 0 {
				withKE++
			}
			p.keOn[node] = append(p.keOn[node], int32(i))
		}
	}
	p.keBase = float64(max(withKE, 1)) / float64(max(n, 1))
	return p
}

func containsIdx(list []int32, v int32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// changeHit is the most suspicious change for a candidate and the log
// prior odds from all of them.
type changeHit struct {
	change int32 // -1 when none
	on     int32 // the node the change targets
	offset time.Duration
	logLR  float64
}

// changeOdds weighs the changes on node c and on its neighbours against the
// failure's onset t0: a change whose window ended shortly before t0 (or was
// still running) is far likelier under "c is the root" than by chance.
// Changes that started after t0 cannot have caused it.
//
// Under "c is the root", with probability ChangeShare one of the changes
// caused it and the rest are background; otherwise all are background. The
// likelihood ratio against a candidate with no suspicious change is
// 1 + share/(1-share) × Σ causal density / background density, so it is
// never below one and adds up over several suspicious changes.
func (p *priors) changeOdds(in *Input, g *impact.Graph, c int32, t0 time.Time) changeHit {
	best := changeHit{change: -1}
	if t0.IsZero() {
		return best
	}
	var sum, bestOdds float64
	consider := func(node int32, weight float64) {
		for _, ci := range p.changesOn[node] {
			ch := &in.Changes[ci]
			if !ch.Start.IsZero() && ch.Start.After(t0) {
				continue
			}
			var offset time.Duration
			if !ch.End.IsZero() {
				offset = t0.Sub(ch.End)
			}
			if offset > p.opt.ChangeLookback {
				continue
			}
			d := max(offset, 0)
			density := math.Exp(-float64(d)/float64(p.opt.ChangeDelay)) / p.opt.ChangeDelay.Minutes()
			odds := weight * density / p.changeRate
			if ch.Failed {
				odds *= p.opt.FailedChange
			}
			sum += odds
			if best.change < 0 || odds > bestOdds {
				best, bestOdds = changeHit{change: ci, on: node, offset: offset}, odds
			}
		}
	}
	consider(c, 1)
	// A change recorded next to the root could have been recorded next to
	// any of its neighbours: share the weight among them.
	nbrs := p.nbrs[:0]
	g.Neighbours(c, func(n int32) {
		if n != c && !containsIdx(nbrs, n) {
			nbrs = append(nbrs, n)
		}
	})
	p.nbrs = nbrs
	for _, n := range nbrs {
		consider(n, p.opt.NearChange/float64(len(nbrs)))
	}
	s := p.opt.ChangeShare
	best.logLR = math.Log(min(1+s/(1-s)*sum, maxChangeOdds))
	return best
}

// knownErrorOdds is the log prior odds from a known error on c.
func (p *priors) knownErrorOdds(c int32) float64 {
	if len(p.keOn[c]) == 0 {
		return 0
	}
	s := p.opt.KnownErrorShare
	return math.Log(min((1-s)+s/p.keBase, maxKnownErrorOdds))
}

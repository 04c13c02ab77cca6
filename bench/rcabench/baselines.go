package rcabench

import (
	"sort"

	"github.com/ripple-cmdb/ripple/graph"
)

// flow is a subgraph's failure-flow adjacency (cause → affected) and its
// reverse, without redundancy semantics: what a naive tool sees.
type flow struct {
	ids             []string
	index           map[string]int
	affects, causes [][]int
	incidents       []int // incident count per node
}

func newFlow(cat *graph.Catalogue, t *Trial) *flow {
	f := &flow{index: map[string]int{}}
	for id := range t.Sub.Nodes {
		f.ids = append(f.ids, id)
	}
	sort.Strings(f.ids)
	for i, id := range f.ids {
		f.index[id] = i
	}
	f.affects, f.causes = make([][]int, len(f.ids)), make([][]int, len(f.ids))
	for _, r := range t.Sub.Edges {
		rt, _ := cat.RelationType(r.Type)
		if c, a, ok := rt.Flow(r.From, r.To); ok {
			cause, affected := f.index[c], f.index[a]
			f.affects[cause] = append(f.affects[cause], affected)
			f.causes[affected] = append(f.causes[affected], cause)
		}
	}
	f.incidents = make([]int, len(f.ids))
	for _, inc := range t.Input.Incidents {
		for _, id := range inc.AffectedCIs {
			if i, ok := f.index[id]; ok {
				f.incidents[i]++
			}
		}
	}
	return f
}

// closure returns, for node c, the incidents on c and everything
// downstream of it, the number of alerting CIs among them and the size of
// the closure.
func (f *flow) closure(c int) (incidents, alerting, size int) {
	seen := map[int]bool{c: true}
	queue := []int{c}
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		incidents += f.incidents[n]
		if f.incidents[n] > 0 {
			alerting++
		}
		for _, a := range f.affects[n] {
			if !seen[a] {
				seen[a] = true
				queue = append(queue, a)
			}
		}
	}
	return incidents, alerting, len(queue)
}

type scored struct {
	id          string
	key1, key2  float64 // higher is better
	tieSmallest int
}

func top(list []scored, k int) []string {
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.key1 != b.key1 {
			return a.key1 > b.key1
		}
		if a.key2 != b.key2 {
			return a.key2 > b.key2
		}
		if a.tieSmallest != b.tieSmallest {
			return a.tieSmallest < b.tieSmallest
		}
		return a.id < b.id
	})
	out := make([]string, 0, k)
	for i := 0; i < len(list) && i < k; i++ {
		out = append(out, list[i].id)
	}
	return out
}

// MostIncidents ranks every CI by the incidents on it and its dependants;
// among equals the smallest closure (the most specific CI) wins.
func MostIncidents(cat *graph.Catalogue, t *Trial, k int) []string {
	f := newFlow(cat, t)
	list := make([]scored, len(f.ids))
	for i, id := range f.ids {
		inc, _, size := f.closure(i)
		list[i] = scored{id: id, key1: float64(inc), tieSmallest: size}
	}
	return top(list, k)
}

// DeepestAlerting ranks the CIs that have incidents by how many other
// alerting CIs lie downstream of them: the most upstream alert first.
func DeepestAlerting(cat *graph.Catalogue, t *Trial, k int) []string {
	f := newFlow(cat, t)
	var list []scored
	for i, id := range f.ids {
		if f.incidents[i] == 0 {
			continue
		}
		inc, alerting, size := f.closure(i)
		list = append(list, scored{id: id, key1: float64(alerting), key2: float64(inc), tieSmallest: size})
	}
	return top(list, k)
}

// PageRank is personalised PageRank on the reversed failure graph (from
// each CI to its causes), restarting at the alerting CIs in proportion to
// their incidents; dangling mass returns to the restart vector.
func PageRank(cat *graph.Catalogue, t *Trial, k int) []string {
	const alpha, iterations = 0.15, 60
	f := newFlow(cat, t)
	n := len(f.ids)
	restart := make([]float64, n)
	var total float64
	for i, c := range f.incidents {
		restart[i] = float64(c)
		total += float64(c)
	}
	if total == 0 {
		return nil
	}
	for i := range restart {
		restart[i] /= total
	}
	p := append([]float64(nil), restart...)
	next := make([]float64, n)
	for range iterations {
		var dangling float64
		for i := range next {
			next[i] = 0
		}
		for i, mass := range p {
			if len(f.causes[i]) == 0 {
				dangling += mass
				continue
			}
			share := (1 - alpha) * mass / float64(len(f.causes[i]))
			for _, c := range f.causes[i] {
				next[c] += share
			}
		}
		for i := range next {
			next[i] += (alpha + (1-alpha)*dangling) * restart[i]
		}
		var sum float64 // renormalise against rounding drift
		for _, v := range next {
			sum += v
		}
		for i := range next {
			next[i] /= sum
		}
		p, next = next, p
	}
	list := make([]scored, n)
	for i, id := range f.ids {
		list[i] = scored{id: id, key1: p[i]}
	}
	return top(list, k)
}

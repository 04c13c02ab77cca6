// Package rcabench measures root-cause ranking accuracy on synthetic
// estates: it generates topologies, injects a fault, raises the incidents
// an imperfect monitoring setup would raise, adds unrelated noise, changes
// and known errors, and scores rootcause.Rank against simple baselines and
// a likelihood oracle that knows the generator's exact model.
package rcabench

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"sort"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// World is a whole synthetic estate. Graph holds every CI and relation,
// with Node.Members set as a store would; ids double as names.
type World struct {
	Topology string
	Graph    graph.Subgraph
	idx      *impact.Graph
	// blast[n] is the full-graph failure of node n (index order of idx):
	// what the generator and the oracle take as the truth.
	blast [][]hit
	// nbrs[n] are the nodes one propagating relation away from n.
	nbrs [][]int32
}

// hit is one CI reached by a failure.
type hit struct {
	node   int32
	effect impact.Effect
	dist   int32 // explaining distance, -1 when none
}

// builder assembles a World; every relation is checked against the
// catalogue so that generators cannot drift into shapes a store would
// reject.
type builder struct {
	cat   *graph.Catalogue
	rng   *rand.Rand
	sub   graph.Subgraph
	order []string // creation order: failure only flows from older to newer
	seen  map[graph.RelationKey]bool
}

func newBuilder(cat *graph.Catalogue, rng *rand.Rand) *builder {
	return &builder{cat: cat, rng: rng, sub: graph.Subgraph{Nodes: map[string]*graph.Node{}}, seen: map[graph.RelationKey]bool{}}
}

func (b *builder) add(class, prefix string, attrs map[string]any) string {
	id := fmt.Sprintf("%s-%03d", prefix, len(b.order))
	b.sub.Nodes[id] = &graph.Node{CI: graph.CIHead{ID: id, Name: id, Class: class}, Attributes: attrs}
	b.order = append(b.order, id)
	return id
}

func (b *builder) rel(from, typ, to string) {
	if err := b.cat.CheckRelation(typ, b.sub.Nodes[from].CI.Class, b.sub.Nodes[to].CI.Class); err != nil {
		panic(fmt.Sprintf("generator bug: %s %s %s: %v", from, typ, to, err))
	}
	k := graph.RelationKey{From: from, Type: typ, To: to}
	if from == to || b.seen[k] {
		return
	}
	b.seen[k] = true
	b.sub.Edges = append(b.sub.Edges, graph.Relation{From: from, Type: typ, To: to})
}

// noise adds random DEPENDS_ON edges from a share of the software CIs to
// older, non-physical CIs: the undocumented dependencies every real CMDB
// has. Targets are older, so the graph stays acyclic.
func (b *builder) noise(share float64) {
	for i, from := range b.order {
		if i == 0 || b.rng.Float64() >= share || physical(b.sub.Nodes[from].CI.Class) {
			continue
		}
		to := b.order[b.rng.Intn(i)]
		if physical(b.sub.Nodes[to].CI.Class) {
			continue
		}
		b.rel(from, graph.RelDependsOn, to)
	}
}

func physical(class string) bool { return class == graph.ClassRack || class == graph.ClassDataCenter }

func (b *builder) pick(list []string) string { return list[b.rng.Intn(len(list))] }

// world finishes the estate: member counts as a store reports them, and
// the full-graph blast radius of every CI.
func (b *builder) world(topology string) *World {
	for _, r := range b.sub.Edges {
		if rt, _ := b.cat.RelationType(r.Type); rt.Grouping {
			b.sub.Nodes[r.To].Members++
		}
	}
	for id, n := range b.sub.Nodes {
		n.CI.Owner = ownerOf(id, n.CI.Class)
	}
	w := &World{Topology: topology, Graph: b.sub, idx: impact.NewGraph(b.cat, b.sub)}
	walker := w.idx.NewWalker()
	w.blast = make([][]hit, w.idx.Len())
	w.nbrs = make([][]int32, w.idx.Len())
	for n := range int32(w.idx.Len()) {
		for _, r := range walker.Run(n) {
			w.blast[n] = append(w.blast[n], hit{node: r, effect: walker.Effect(r), dist: walker.Distance(r)})
		}
		seen := map[int32]bool{n: true}
		w.idx.Neighbours(n, func(m int32) {
			if !seen[m] {
				seen[m] = true
				w.nbrs[n] = append(w.nbrs[n], m)
			}
		})
		sort.Slice(w.nbrs[n], func(i, j int) bool { return w.nbrs[n][i] < w.nbrs[n][j] })
	}
	return w
}

// class is a node's class.
func (w *World) class(n int32) string { return w.Graph.Nodes[w.idx.ID(n)].CI.Class }

// owner is a node's owning team.
func (w *World) owner(n int32) string { return w.Graph.Nodes[w.idx.ID(n)].CI.Owner }

// noiseSource draws the CIs unrelated incidents land on.
type noiseSource struct {
	nodes   []int32
	cum     []float64 // cumulative weights; nil when all are equal
	weights map[int32]float64
	total   float64
}

// noisy is where s puts unrelated incidents: on the watched CIs, in
// proportion to their team's noise.
func (w *World) noisy(s Setting) noiseSource {
	src := noiseSource{weights: map[int32]float64{}}
	uneven := false
	for n := range int32(w.Len()) {
		wt := s.noiseWeight(w, n)
		if wt <= 0 {
			continue
		}
		uneven = uneven || wt != 1
		src.nodes = append(src.nodes, n)
		src.total += wt
		src.cum = append(src.cum, src.total)
		src.weights[n] = wt
	}
	if !uneven {
		src.cum = nil // a uniform draw, as before teams had a say
	}
	return src
}

func (src noiseSource) pick(rng *rand.Rand) int32 {
	if src.cum == nil {
		return src.nodes[rng.Intn(len(src.nodes))]
	}
	u := rng.Float64() * src.total
	return src.nodes[sort.SearchFloat64s(src.cum, u)]
}

// share is the chance that an unrelated incident lands on n.
func (src noiseSource) share(n int32) float64 { return src.weights[n] / src.total }

// Owners: the platform team runs the physical and virtual infrastructure,
// the application teams the rest, split by a hash of the CI's id so that
// every world has the same split without drawing from its random source.
const ownerPlatform = "platform"

var appTeams = []string{"payments", "search", "checkout", "legacy"}

func ownerOf(id, class string) string {
	switch class {
	case graph.ClassDataCenter, graph.ClassRack, graph.ClassNetworkDevice, graph.ClassHypervisor,
		graph.ClassServer, graph.ClassStorageVolume, graph.ClassKubernetesNode:
		return ownerPlatform
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return appTeams[h.Sum32()%uint32(len(appTeams))]
}

// Len is the number of CIs.
func (w *World) Len() int { return w.idx.Len() }

// node is the index of a CI of the estate.
func (w *World) node(id string) int32 {
	n, _ := w.idx.Lookup(id)
	return n
}

// Upstream returns what Store.Neighbourhood returns for an Upstream query:
// the CIs within depth hops against the flow of failure from the seeds and
// every propagating relation met while expanding (nodes at the depth limit
// are included but not expanded, so their own causes are not).
func (w *World) Upstream(cat *graph.Catalogue, seeds []string, depth int) graph.Subgraph {
	causes := map[string][]graph.Relation{} // by the CI they affect
	for _, r := range w.Graph.Edges {
		rt, _ := cat.RelationType(r.Type)
		if _, affected, ok := rt.Flow(r.From, r.To); ok {
			causes[affected] = append(causes[affected], r)
		}
	}
	out := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	var queue []string
	for _, s := range seeds {
		if n := w.Graph.Nodes[s]; n != nil && out.Nodes[s] == nil {
			c := *n
			c.Depth = 0
			out.Nodes[s] = &c
			queue = append(queue, s)
		}
	}
	for head := 0; head < len(queue); head++ {
		id := queue[head]
		d := out.Nodes[id].Depth
		if d >= depth {
			continue
		}
		for _, r := range causes[id] {
			out.Edges = append(out.Edges, r)
			peer := r.To
			if peer == id {
				peer = r.From
			}
			if out.Nodes[peer] == nil {
				c := *w.Graph.Nodes[peer]
				c.Depth = d + 1
				out.Nodes[peer] = &c
				queue = append(queue, peer)
			}
		}
	}
	return out
}

// Downstream merges into sub what Store.Neighbourhood returns for a
// Downstream query seeded at every CI of sub: the CIs within depth hops
// along the flow of failure and the relations met on the way.
func (w *World) Downstream(cat *graph.Catalogue, sub graph.Subgraph, depth int) graph.Subgraph {
	affects := map[string][]graph.Relation{} // by the CI whose failure they carry
	for _, r := range w.Graph.Edges {
		rt, _ := cat.RelationType(r.Type)
		if cause, _, ok := rt.Flow(r.From, r.To); ok {
			affects[cause] = append(affects[cause], r)
		}
	}
	out := graph.Subgraph{Nodes: make(map[string]*graph.Node, len(sub.Nodes))}
	seen := map[graph.RelationKey]bool{}
	for _, r := range sub.Edges {
		seen[r.Key()] = true
		out.Edges = append(out.Edges, r)
	}
	dist := map[string]int{}
	var queue []string
	for id, n := range sub.Nodes {
		out.Nodes[id] = n
		dist[id] = 0
		queue = append(queue, id)
	}
	sort.Strings(queue)
	for head := 0; head < len(queue); head++ {
		id := queue[head]
		if dist[id] >= depth {
			continue
		}
		for _, r := range affects[id] {
			if !seen[r.Key()] {
				seen[r.Key()] = true
				out.Edges = append(out.Edges, r)
			}
			peer := r.From
			if peer == id {
				peer = r.To
			}
			if _, ok := dist[peer]; !ok {
				dist[peer] = dist[id] + 1
				c := *w.Graph.Nodes[peer]
				c.Depth = -1
				out.Nodes[peer] = &c
				queue = append(queue, peer)
			}
		}
	}
	return out
}

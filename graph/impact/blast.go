package impact

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/ripple-cmdb/ripple/graph"
)

// Impacted is one CI hit by a failure. It names the CI by its head: a
// response that shows more of it loads it.
type Impacted struct {
	CI       graph.CIHead
	Distance int
	Effect   Effect
	// Path is one shortest explaining path of CI ids, from a failed CI to
	// this one, both included.
	Path []string
}

// BlastRadius is everything that fails or degrades when the sources go down
// together.
type BlastRadius struct {
	Sources []graph.CIHead
	// Impacted excludes the sources and is ordered by distance, then name.
	Impacted []Impacted
	// Services are the impacted business and application services.
	Services []Impacted
}

// ComputeBlastRadius asks the store for the downstream neighbourhood of the
// CIs and propagates their failure through it.
func ComputeBlastRadius(ctx context.Context, s graph.Traverser, ciIDs []string, maxDepth int, types []string) (BlastRadius, error) {
	q := graph.NeighbourhoodQuery{Seeds: dedupe(ciIDs), Direction: graph.Downstream, MaxDepth: maxDepth, Types: types}
	q, err := s.Catalogue().CheckNeighbourhoodQuery(q)
	if err != nil {
		return BlastRadius{}, err
	}
	sub, err := s.Neighbourhood(ctx, q)
	if err != nil {
		return BlastRadius{}, fmt.Errorf("blast radius: %w", err)
	}
	// Propagating through a large neighbourhood can take longer than the
	// walk: a request whose deadline passed meanwhile gets no late answer.
	if err := ctx.Err(); err != nil {
		return BlastRadius{}, graph.Unavailable(err, "blast radius: the request was cancelled or timed out")
	}
	br := blastRadiusOf(s.Catalogue(), sub, q)
	if err := ctx.Err(); err != nil {
		return BlastRadius{}, graph.Unavailable(err, "blast radius: the request was cancelled or timed out")
	}
	return br, nil
}

// blastRadiusOf propagates over node numbers and turns into ids and CIs
// only what it returns: the State maps of Propagate, one entry per reached
// CI in three string-keyed maps, cost more than the propagation itself.
func blastRadiusOf(cat *graph.Catalogue, sub graph.Subgraph, q graph.NeighbourhoodQuery) BlastRadius {
	g := NewGraph(cat, sub)
	seeds := make([]int32, 0, len(q.Seeds))
	var br BlastRadius
	for _, id := range q.Seeds {
		if n, ok := g.Lookup(id); ok {
			seeds = append(seeds, n)
			br.Sources = append(br.Sources, g.nodes[n].CI)
		}
	}
	w := g.NewWalker()
	reached := w.Run(seeds...)
	// Explained nodes come first in reached, seeds first of all; a seed
	// repeated in q.Seeds was reached once. The impacted are sorted as
	// small keys, not as Impacted values ten times their size.
	type key struct {
		impactedKey
		n int32
	}
	var hit []key
	pathLen := 0
	for _, n := range reached {
		d := w.Distance(n)
		if d < 0 {
			break
		}
		if d == 0 || int(d) > q.MaxDepth || w.Effect(n) == Up {
			continue
		}
		hit = append(hit, key{impactedKey: impactedKey{distance: int(d), name: g.nodes[n].CI.Name, id: g.ids[n]}, n: n})
		pathLen += int(d) + 1
	}
	slices.SortFunc(hit, func(a, b key) int { return a.compare(b.impactedKey) })
	br.Impacted = make([]Impacted, len(hit))
	paths := make([]string, pathLen) // one backing array for every path
	for i, k := range hit {
		d := k.distance
		path := paths[: d+1 : d+1]
		paths = paths[d+1:]
		for j, cur := d, k.n; j >= 0; j, cur = j-1, w.parent[cur] {
			path[j] = g.ids[cur]
		}
		br.Impacted[i] = Impacted{CI: g.nodes[k.n].CI, Distance: d, Effect: w.Effect(k.n), Path: path}
	}
	for _, im := range br.Impacted {
		if cat.IsService(im.CI.Class) {
			br.Services = append(br.Services, im)
		}
	}
	return br
}

// Dependency is a CI that another CI needs, directly or transitively.
type Dependency struct {
	CI       graph.CIHead
	Distance int
	// Path runs from the asking CI to this dependency, both included.
	Path []string
}

// ComputeDependencies lists what ciID needs, nearest first: everything whose
// failure could propagate to it within maxDepth hops.
func ComputeDependencies(ctx context.Context, s graph.Traverser, ciID string, maxDepth int, types []string) ([]Dependency, error) {
	if err := graph.CheckID("ciId", ciID); err != nil {
		return nil, err
	}
	q := graph.NeighbourhoodQuery{Seeds: []string{ciID}, Direction: graph.Upstream, MaxDepth: maxDepth, Types: types}
	q, err := s.Catalogue().CheckNeighbourhoodQuery(q)
	if err != nil {
		return nil, err
	}
	sub, err := s.Neighbourhood(ctx, q)
	if err != nil {
		// The only seed is the asking CI: name the field as the API does.
		return nil, fmt.Errorf("dependencies: %w", graph.RenameField(err, "ciIds[0]", "ciId"))
	}
	return dependenciesOf(s.Catalogue(), sub, ciID), nil
}

func dependenciesOf(cat *graph.Catalogue, sub graph.Subgraph, root string) []Dependency {
	// Breadth-first against the flow of failure: from an affected CI to its
	// causes. Parents give the path; depths match the store's BFS.
	causes := map[string][]string{}
	for _, r := range sub.Edges {
		rt, _ := cat.RelationType(r.Type)
		if cause, affected, ok := rt.Flow(r.From, r.To); ok {
			causes[affected] = append(causes[affected], cause)
		}
	}
	dist := map[string]int{root: 0}
	parent := map[string]string{}
	queue := []string{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		next := causes[id]
		sort.Strings(next)
		for _, c := range next {
			if _, seen := dist[c]; seen || sub.Nodes[c] == nil {
				continue
			}
			dist[c] = dist[id] + 1
			parent[c] = id
			queue = append(queue, c)
		}
	}
	st := State{Distance: dist, Parent: parent}
	var deps []Dependency
	for id, d := range dist {
		if id == root {
			continue
		}
		deps = append(deps, Dependency{CI: sub.Nodes[id].CI, Distance: d, Path: st.PathTo(id)})
	}
	sort.Slice(deps, func(i, j int) bool {
		return less(deps[i].Distance, deps[i].CI, deps[j].Distance, deps[j].CI)
	})
	return deps
}

func less(d1 int, a graph.CIHead, d2 int, b graph.CIHead) bool {
	if d1 != d2 {
		return d1 < d2
	}
	return graph.CursorLess(a.Name, a.ID, b.Name, b.ID)
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

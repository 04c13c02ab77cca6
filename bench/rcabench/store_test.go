package rcabench

import (
	"context"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// TestUpstreamMatchesStore loads generated estates into each store and
// checks that World.Upstream, which stands in for the resolver's store
// call in every trial, returns the same nodes, depths, member counts and
// relations as Store.Neighbourhood.
func TestUpstreamMatchesStore(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		for _, topo := range TopologyNames {
			t.Run(topo, func(t *testing.T) { upstreamMatches(t, s, topo) })
		}
	})
}

// upstreamMatches runs the check on one topology, in a store that may
// already hold other estates: CIs are named per topology.
func upstreamMatches(t *testing.T, s graph.Store, topo string) {
	ctx := context.Background()
	cat := graph.DefaultCatalogue()
	w := Topologies[topo](cat, rand.New(rand.NewSource(3)), 2)
	byName := load(t, s, w)
	name := map[string]string{}
	for n, id := range byName {
		name[id] = n
	}
	rng := rand.New(rand.NewSource(4))
	for range 10 {
		var seeds, storeSeeds []string
		for range 1 + rng.Intn(4) {
			id := w.idx.ID(int32(rng.Intn(w.Len())))
			seeds = append(seeds, id)
			storeSeeds = append(storeSeeds, byName[id])
		}
		want := w.Upstream(cat, seeds, depth)
		got, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: storeSeeds, Direction: graph.Upstream, MaxDepth: depth})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Nodes) != len(want.Nodes) {
			t.Fatalf("seeds %v: store has %d nodes, harness %d", seeds, len(got.Nodes), len(want.Nodes))
		}
		for id, n := range got.Nodes {
			h := want.Nodes[name[id]]
			if h == nil || h.Depth != n.Depth || h.Members != n.Members {
				t.Fatalf("seeds %v: node %s differs: store %+v, harness %+v", seeds, name[id], *n, h)
			}
		}
		if g, h := edgeKeys(got.Edges, name), edgeKeys(want.Edges, nil); !reflect.DeepEqual(g, h) {
			t.Fatalf("seeds %v: store has %d relations, harness %d", seeds, len(g), len(h))
		}
		// A traversal returns CI heads: the ranking reads every CI's
		// attributes, loaded as graph/analysis loads them.
		ids := make([]string, 0, len(got.Nodes))
		for id := range got.Nodes {
			ids = append(ids, id)
		}
		cis, err := s.CIsByIDs(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for id, n := range got.Nodes {
			n.Attributes = cis[id].Attributes
		}
		// End to end: the ranking over what the store returned (its
		// attributes round-tripped through storage) is the same.
		var in, storeIn rootcause.Input
		for i, id := range seeds {
			in.Incidents = append(in.Incidents, rootcause.Incident{ID: id, AffectedCIs: []string{id}, Outage: true, Impact: 1})
			storeIn.Incidents = append(storeIn.Incidents, rootcause.Incident{ID: id, AffectedCIs: []string{storeSeeds[i]}, Outage: true, Impact: 1})
		}
		opt := rootcause.Options{Limit: -1}
		harness, store := rootcause.Rank(cat, want, in, opt), rootcause.Rank(cat, got, storeIn, opt)
		if len(harness) != len(store) {
			t.Fatalf("seeds %v: %d candidates from the store's subgraph, %d from the harness's", seeds, len(store), len(harness))
		}
		// Ties are broken by id and the ids differ, so compare the
		// score sequence and each CI's score rather than positions.
		scores := map[string]float64{}
		for _, c := range harness {
			scores[c.CI] = c.Score
		}
		for i, c := range store {
			// Node numbering follows ids, so sums run in another order.
			if math.Abs(c.Score-harness[i].Score) > 1e-9 || math.Abs(scores[name[c.CI]]-c.Score) > 1e-9 {
				t.Fatalf("seeds %v: %s scores %.6f from the store's subgraph, %.6f from the harness's",
					seeds, name[c.CI], c.Score, scores[name[c.CI]])
			}
		}
	}
}

// load writes the world into the store in one batch, naming CIs by a
// "rcabench" identifier (topology/id), and returns the store ids by world
// id.
func load(t *testing.T, s graph.Store, w *World) map[string]string {
	t.Helper()
	key := func(id string) graph.Identifier {
		return graph.Identifier{Kind: "rcabench", Value: w.Topology + "/" + id}
	}
	ref := func(id string) graph.CIRef {
		k := key(id)
		return graph.CIRef{Identifier: &k}
	}
	var b graph.Batch
	for n := range int32(w.Len()) {
		id := w.idx.ID(n)
		node := w.Graph.Nodes[id]
		ci := node.CI
		b.Upserts = append(b.Upserts, graph.CIInput{Name: &ci.Name, Class: &ci.Class, Owner: &ci.Owner, Attributes: node.Attributes,
			Identifiers: []graph.Identifier{key(id)}})
	}
	for _, r := range w.Graph.Edges {
		b.Relate = append(b.Relate, graph.BatchRelation{From: ref(r.From), Type: r.Type, To: ref(r.To)})
	}
	res, err := s.Apply(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, ci := range res.CIs {
		out[w.idx.ID(int32(i))] = ci.ID
	}
	return out
}

func edgeKeys(rels []graph.Relation, rename map[string]string) []graph.RelationKey {
	out := make([]graph.RelationKey, len(rels))
	for i, r := range rels {
		k := r.Key()
		if rename != nil {
			k.From, k.To = rename[k.From], rename[k.To]
		}
		out[i] = k
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

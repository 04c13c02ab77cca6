package analysis

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// A traversal answered from the union's subgraph is the store's own, node
// depths, members, attributes and edges alike, and so is every blast
// radius computed over it: on a random graph with chains longer than the
// default depth (so the cut matters), redundancy groups, CONNECTS_TO
// (which does not propagate) and seed sets that overlap.
func TestSharedReachIsTheStoresTraversal(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewSource(7))
		var apps, groups []string
		add := func(name, class string, attrs map[string]any) string {
			res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class, Attributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			return res.CI.ID
		}
		rel := func(from, typ, to string) {
			if _, err := s.Relate(ctx, from, typ, to); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 60 {
			apps = append(apps, add(fmt.Sprintf("app-%02d", i), graph.ClassApplication, nil))
		}
		for i := range 4 {
			groups = append(groups, add(fmt.Sprintf("group-%d", i), graph.ClassCluster, map[string]any{"minHealthy": 1 + i%3}))
		}
		// A chain of 30 (longer than the default depth of 10), then random
		// dependencies, memberships and connections.
		for i := 1; i < 30; i++ {
			rel(apps[i], graph.RelDependsOn, apps[i-1])
		}
		for range 50 {
			a, b := rng.Intn(len(apps)), rng.Intn(len(apps))
			if a != b {
				rel(apps[a], graph.RelDependsOn, apps[b])
			}
		}
		for range 16 {
			rel(apps[rng.Intn(len(apps))], graph.RelMemberOf, groups[rng.Intn(len(groups))])
		}
		for _, g := range groups {
			rel(apps[rng.Intn(len(apps))], graph.RelDependsOn, g)
		}
		for range 10 {
			a, b := rng.Intn(len(apps)), rng.Intn(len(apps))
			if a != b {
				rel(apps[a], graph.RelConnectsTo, apps[b])
			}
		}
		sets := [][]string{{apps[0]}, {apps[3], apps[17]}, {apps[40]}, {groups[1]}, {apps[0], apps[55], apps[3]}, {apps[29]}}
		var union []string
		for _, set := range sets {
			union = append(union, set...)
		}
		shared, err := newSharedReach(ctx, s, union)
		if err != nil {
			t.Fatal(err)
		}
		if len(shared.sub.Nodes) < 20 {
			t.Fatalf("the union reaches %d CIs; the test needs a larger graph", len(shared.sub.Nodes))
		}
		for i, set := range sets {
			q := graph.NeighbourhoodQuery{Seeds: set, Direction: graph.Downstream, MaxDepth: graph.DefaultMaxDepth}
			want, err := s.Neighbourhood(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := shared.Neighbourhood(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Nodes) == 0 {
				t.Fatalf("set %d reaches nothing", i)
			}
			if w, g := describeSubgraph(want), describeSubgraph(got); w != g {
				t.Errorf("set %d: from the union\n%s\nfrom the store\n%s", i, g, w)
			}
			wantBR, err := impact.ComputeBlastRadius(ctx, s, set, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			gotBR, err := impact.ComputeBlastRadius(ctx, shared, set, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(wantBR, gotBR) {
				t.Errorf("set %d: blast radius from the union %+v, from the store %+v", i, gotBR, wantBR)
			}
		}
		// Other traversals go to the store.
		up := graph.NeighbourhoodQuery{Seeds: []string{apps[0]}, Direction: graph.Upstream, MaxDepth: 3}
		if shared.covers(up) || shared.covers(graph.NeighbourhoodQuery{Seeds: []string{apps[1]}, MaxDepth: graph.DefaultMaxDepth}) {
			t.Error("covers a traversal the union does not answer")
		}
	})
}

// describeSubgraph writes a subgraph in a canonical order.
func describeSubgraph(sub graph.Subgraph) string {
	var lines []string
	for id, n := range sub.Nodes {
		lines = append(lines, fmt.Sprintf("node %s %s depth %d members %d attrs %v", id, n.CI.Name, n.Depth, n.Members, n.Attributes))
	}
	for _, e := range sub.Edges {
		lines = append(lines, fmt.Sprintf("edge %s -%s-> %s", e.From, e.Type, e.To))
	}
	sort.Strings(lines)
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

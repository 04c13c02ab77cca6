package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// estate is a small online shop:
//
//	shop -DEPENDS_ON-> checkout -DEPENDS_ON-> web-tier (Cluster, minHealthy 2)
//	                                            ^ MEMBER_OF: web-1, web-2, web-3
//	                   checkout -DEPENDS_ON-> orders-db -RUNS_ON-> db-vm -HOSTED_ON-> hv-1
//	                                                                      rack-1 -CONTAINS-> hv-1
//	web-1 -CONNECTS_TO-> orders-db (does not propagate)
type estate map[string]graph.CI

func buildEstate(ctx context.Context, t *testing.T, s graph.Store) estate {
	t.Helper()
	e := estate{}
	add := func(name, class string, attrs map[string]any) {
		e[name] = mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr(name), Class: Ptr(class), Attributes: attrs})
	}
	add("shop", graph.ClassBusinessService, nil)
	add("checkout", graph.ClassApplicationService, nil)
	add("web-tier", graph.ClassCluster, map[string]any{"minHealthy": float64(2)})
	for _, w := range []string{"web-1", "web-2", "web-3"} {
		add(w, graph.ClassVirtualMachine, nil)
	}
	add("orders-db", graph.ClassDatabase, nil)
	add("db-vm", graph.ClassVirtualMachine, nil)
	add("hv-1", graph.ClassHypervisor, nil)
	add("rack-1", graph.ClassRack, nil)
	rel := func(from, typ, to string) { mustRelate(ctx, t, s, e[from], typ, e[to]) }
	rel("shop", graph.RelDependsOn, "checkout")
	rel("checkout", graph.RelDependsOn, "web-tier")
	for _, w := range []string{"web-1", "web-2", "web-3"} {
		rel(w, graph.RelMemberOf, "web-tier")
	}
	rel("checkout", graph.RelDependsOn, "orders-db")
	rel("orders-db", graph.RelRunsOn, "db-vm")
	rel("db-vm", graph.RelHostedOn, "hv-1")
	rel("rack-1", graph.RelContains, "hv-1")
	rel("web-1", graph.RelConnectsTo, "orders-db")
	return e
}

func (e estate) ids(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = e[n].ID
	}
	return out
}

func (e estate) name(id string) string {
	for n, ci := range e {
		if ci.ID == id {
			return n
		}
	}
	return id
}

var neighbourhoodCases = []testCase{
	{"DownstreamDepthsEdgesAndMembers", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: e.ids("web-1"), Direction: graph.Downstream, MaxDepth: 5})
		if err != nil {
			t.Fatal(err)
		}
		wantDepth := map[string]int{"web-1": 0, "web-tier": 1, "checkout": 2, "shop": 3}
		if got := depths(e, sub); fmt.Sprint(got) != fmt.Sprint(wantDepth) {
			t.Fatalf("depths %v, want %v", got, wantDepth)
		}
		if m := sub.Nodes[e["web-tier"].ID].Members; m != 3 {
			t.Fatalf("web-tier members = %d, want 3 (all members, reached or not)", m)
		}
		if m := sub.Nodes[e["checkout"].ID].Members; m != 0 {
			t.Fatalf("checkout members = %d, want 0", m)
		}
		if len(sub.Edges) != 3 {
			t.Fatalf("edges %v, want the 3 traversed ones (CONNECTS_TO does not propagate)", edgeNames(e, sub))
		}
		if sub.Nodes[e["shop"].ID].CI.Name != "shop" {
			t.Fatalf("nodes carry the full CI")
		}
	}},
	{"UpstreamFollowsContainment", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: e.ids("orders-db"), Direction: graph.Upstream, MaxDepth: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"orders-db": 0, "db-vm": 1, "hv-1": 2, "rack-1": 3}
		if got := depths(e, sub); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("depths %v, want %v", got, want)
		}
	}},
	{"DepthLimitAndTypeFilter", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: e.ids("rack-1"), MaxDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := depths(e, sub), map[string]int{"rack-1": 0, "hv-1": 1, "db-vm": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("depth 2: %v, want %v", got, want)
		}
		sub, err = s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: e.ids("rack-1"), MaxDepth: 10,
			Types: []string{graph.RelContains, graph.RelHostedOn, graph.RelConnectsTo}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := depths(e, sub), map[string]int{"rack-1": 0, "hv-1": 1, "db-vm": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("types filter: %v, want %v", got, want)
		}
	}},
	{"CyclesTerminateAndReturnBackEdges", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassApplication)
		b := mustCI(ctx, t, s, "b", graph.ClassApplication)
		c := mustCI(ctx, t, s, "c", graph.ClassApplication)
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		mustRelate(ctx, t, s, b, graph.RelDependsOn, c)
		mustRelate(ctx, t, s, c, graph.RelDependsOn, a)
		sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{a.ID}, MaxDepth: 32})
		if err != nil {
			t.Fatal(err)
		}
		if len(sub.Nodes) != 3 || len(sub.Edges) != 3 {
			t.Fatalf("cycle: %d nodes, %d edges; want 3 and 3", len(sub.Nodes), len(sub.Edges))
		}
		if sub.Nodes[c.ID].Depth != 1 || sub.Nodes[b.ID].Depth != 2 {
			t.Fatalf("depths c=%d b=%d, want 1 and 2", sub.Nodes[c.ID].Depth, sub.Nodes[b.ID].Depth)
		}
	}},
	{"DiamondsVisitEachNodeOnce", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Layers of 6 CIs, each depending on every CI of the next layer:
		// 6^8 paths from top to bottom, 48 nodes.
		var b graph.Batch
		const layers, width = 8, 6
		for l := 0; l < layers; l++ {
			for w := 0; w < width; w++ {
				b.Upserts = append(b.Upserts, Input(fmt.Sprintf("l%d-%d", l, w), graph.ClassApplication, Ident("test", fmt.Sprintf("l%d-%d", l, w))))
				if l == 0 {
					continue
				}
				for up := 0; up < width; up++ {
					b.Relate = append(b.Relate, graph.BatchRelation{
						From: byIdent("test", fmt.Sprintf("l%d-%d", l-1, up)), Type: graph.RelDependsOn,
						To: byIdent("test", fmt.Sprintf("l%d-%d", l, w)),
					})
				}
			}
		}
		res, err := s.Apply(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		bottom := res.CIs[len(res.CIs)-1]
		sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{bottom.ID}, MaxDepth: 32})
		if err != nil {
			t.Fatal(err)
		}
		if len(sub.Nodes) != 1+width*(layers-1) {
			t.Fatalf("%d nodes, want %d", len(sub.Nodes), 1+width*(layers-1))
		}
		if len(sub.Edges) != width+width*width*(layers-2) {
			t.Fatalf("%d edges, want %d (each once)", len(sub.Edges), width+width*width*(layers-2))
		}
	}},
	{"CyclesDepthsAndMixedDirections", func(ctx context.Context, t *testing.T, s graph.Store) {
		// rack -CONTAINS-> hv <-HOSTED_ON- vm <-RUNS_ON- app1 <-DEPENDS_ON- app2
		// plus a DEPENDS_ON cycle app1 -> app2 -> app1 and two paths to app3:
		// app3 -DEPENDS_ON-> vm, app3 -DEPENDS_ON-> app1.
		e := estate{}
		for name, class := range map[string]string{"rack": graph.ClassRack, "hv": graph.ClassHypervisor, "vm": graph.ClassVirtualMachine,
			"app1": graph.ClassApplication, "app2": graph.ClassApplication, "app3": graph.ClassApplication} {
			e[name] = mustCI(ctx, t, s, name, class)
		}
		for _, r := range [][3]string{{"rack", graph.RelContains, "hv"}, {"vm", graph.RelHostedOn, "hv"}, {"app1", graph.RelRunsOn, "vm"},
			{"app2", graph.RelDependsOn, "app1"}, {"app1", graph.RelDependsOn, "app2"}, {"app3", graph.RelDependsOn, "vm"}, {"app3", graph.RelDependsOn, "app1"}} {
			mustRelate(ctx, t, s, e[r[0]], r[1], e[r[2]])
		}
		tests := []struct {
			name      string
			q         graph.NeighbourhoodQuery
			depths    string
			edgeCount int
		}{
			{"downstream from the rack", graph.NeighbourhoodQuery{Seeds: e.ids("rack"), MaxDepth: 32},
				"map[app1:3 app2:4 app3:3 hv:1 rack:0 vm:2]", 7},
			{"depth limit keeps the frontier unexpanded", graph.NeighbourhoodQuery{Seeds: e.ids("rack"), MaxDepth: 2},
				"map[hv:1 rack:0 vm:2]", 2},
			{"upstream from app2 climbs to the rack", graph.NeighbourhoodQuery{Seeds: e.ids("app2"), Direction: graph.Upstream, MaxDepth: 32},
				"map[app1:1 app2:0 hv:3 rack:4 vm:2]", 5},
			{"types filter", graph.NeighbourhoodQuery{Seeds: e.ids("vm"), MaxDepth: 32, Types: []string{graph.RelDependsOn}},
				"map[app3:1 vm:0]", 1},
			{"two seeds, duplicate seed", graph.NeighbourhoodQuery{Seeds: e.ids("app1", "app2", "app1"), MaxDepth: 1},
				"map[app1:0 app2:0 app3:1]", 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sub, err := s.Neighbourhood(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				for id, n := range sub.Nodes {
					if n.CI.ID != id {
						t.Fatalf("node %s carries CI %s", id, n.CI.ID)
					}
				}
				if got := fmt.Sprint(depths(e, sub)); got != tt.depths {
					t.Fatalf("depths %v, want %s", got, tt.depths)
				}
				if len(sub.Edges) != tt.edgeCount {
					t.Fatalf("%d edges, want %d: %v", len(sub.Edges), tt.edgeCount, edgeNames(e, sub))
				}
				seen := map[graph.RelationKey]bool{}
				for _, r := range sub.Edges {
					if seen[r.Key()] {
						t.Fatalf("edge %v returned twice", r.Key())
					}
					seen[r.Key()] = true
					if r.CreatedAt.IsZero() {
						t.Fatalf("edge %v without createdAt", r.Key())
					}
				}
			})
		}
	}},
	{"AgainstReference", neighbourhoodAgainstReference},
	{"Errors", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		tests := []struct {
			name  string
			q     graph.NeighbourhoodQuery
			code  graph.Code
			field string
		}{
			{"no seeds", graph.NeighbourhoodQuery{}, graph.CodeInvalidInput, "ciIds"},
			{"malformed seed", graph.NeighbourhoodQuery{Seeds: []string{e["shop"].ID, "x"}}, graph.CodeInvalidInput, "ciIds[1]"},
			{"missing seed", graph.NeighbourhoodQuery{Seeds: []string{e["shop"].ID, graph.NewID()}}, graph.CodeNotFound, "ciIds[1]"},
			{"unknown type", graph.NeighbourhoodQuery{Seeds: e.ids("shop"), Types: []string{"USES"}}, graph.CodeInvalidInput, "types[0]"},
			{"depth too big", graph.NeighbourhoodQuery{Seeds: e.ids("shop"), MaxDepth: graph.MaxTraversal + 1}, graph.CodeInvalidInput, "maxDepth"},
			{"negative depth", graph.NeighbourhoodQuery{Seeds: e.ids("shop"), MaxDepth: -1}, graph.CodeInvalidInput, "maxDepth"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Neighbourhood(ctx, tt.q)
				WantErr(t, err, tt.code, tt.field)
			})
		}
	}},
}

var impactCases = []testCase{
	{"RedundancyGroup", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		tests := []struct {
			name string
			down []string
			want map[string]string // name → effect@distance
		}{
			{"one of three members down degrades", []string{"web-1"},
				map[string]string{"web-tier": "DEGRADED@1", "checkout": "DEGRADED@2", "shop": "DEGRADED@3"}},
			{"two of three members down is below minHealthy", []string{"web-1", "web-2"},
				map[string]string{"web-tier": "DOWN@1", "checkout": "DOWN@2", "shop": "DOWN@3"}},
			{"worse effect wins", []string{"web-3", "orders-db"},
				map[string]string{"web-tier": "DEGRADED@1", "checkout": "DOWN@1", "shop": "DOWN@2"}},
			{"containment propagates down the stack", []string{"rack-1"},
				map[string]string{"hv-1": "DOWN@1", "db-vm": "DOWN@2", "orders-db": "DOWN@3", "checkout": "DOWN@4", "shop": "DOWN@5"}},
			{"group itself down", []string{"web-tier"},
				map[string]string{"checkout": "DOWN@1", "shop": "DOWN@2"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				br, err := impact.ComputeBlastRadius(ctx, s, e.ids(tt.down...), 0, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := effects(e, br.Impacted); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("impacted %v, want %v", got, tt.want)
				}
				if len(br.Sources) != len(tt.down) {
					t.Fatalf("sources %d, want %d", len(br.Sources), len(tt.down))
				}
				for _, im := range br.Impacted {
					if len(im.Path) != im.Distance+1 || im.Path[len(im.Path)-1] != im.CI.ID {
						t.Fatalf("path to %s %v does not match distance %d", im.CI.Name, im.Path, im.Distance)
					}
				}
			})
		}
	}},
	{"ExplainingPathAndServices", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		br, err := impact.ComputeBlastRadius(ctx, s, e.ids("rack-1"), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := br.Impacted[len(br.Impacted)-1]
		var path []string
		for _, id := range last.Path {
			path = append(path, e.name(id))
		}
		if strings.Join(path, ">") != "rack-1>hv-1>db-vm>orders-db>checkout>shop" {
			t.Fatalf("path %v", path)
		}
		var services []string
		for _, im := range br.Services {
			services = append(services, e.name(im.CI.ID))
		}
		if fmt.Sprint(services) != "[checkout shop]" {
			t.Fatalf("services %v, want [checkout shop]", services)
		}
	}},
	{"PercentThresholdAndDefault", func(ctx context.Context, t *testing.T, s graph.Store) {
		pct := mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr("pct"), Class: Ptr(graph.ClassCluster),
			Attributes: map[string]any{"minHealthyPercent": float64(50)}})
		plain := mustCI(ctx, t, s, "plain", graph.ClassKubernetesCluster)
		var members, nodes []graph.CI
		for i := 0; i < 4; i++ {
			m := mustCI(ctx, t, s, fmt.Sprintf("m%d", i), graph.ClassServer)
			mustRelate(ctx, t, s, m, graph.RelMemberOf, pct)
			members = append(members, m)
			n := mustCI(ctx, t, s, fmt.Sprintf("node%d", i), graph.ClassKubernetesNode)
			mustRelate(ctx, t, s, n, graph.RelMemberOf, plain)
			nodes = append(nodes, n)
		}
		check := func(down []graph.CI, group graph.CI, want string) {
			t.Helper()
			var ids []string
			for _, d := range down {
				ids = append(ids, d.ID)
			}
			br, err := impact.ComputeBlastRadius(ctx, s, ids, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := "UP"
			for _, im := range br.Impacted {
				if im.CI.ID == group.ID {
					got = im.Effect.String()
				}
			}
			if got != want {
				t.Fatalf("%s with %d of 4 members down: %s, want %s", group.Name, len(down), got, want)
			}
		}
		check(members[:2], pct, "DEGRADED") // 2 of 4 up = 50 %
		check(members[:3], pct, "DOWN")
		check(nodes[:3], plain, "DEGRADED") // no threshold: down only when all are
		check(nodes, plain, "DOWN")
		// A changed threshold counts from the next traversal on: a store
		// that keeps groups' attributes between traversals must not
		// answer with the old one.
		mustUpsert(ctx, t, s, graph.CIInput{ID: pct.ID, Attributes: map[string]any{"minHealthyPercent": float64(25)}})
		check(members[:3], pct, "DEGRADED") // 1 of 4 up = 25 %
	}},
	{"CycleAndDepthLimit", func(ctx context.Context, t *testing.T, s graph.Store) {
		var cis []graph.CI
		for i := 0; i < 5; i++ {
			cis = append(cis, mustCI(ctx, t, s, fmt.Sprintf("svc%d", i), graph.ClassApplication))
		}
		for i := range cis {
			// svc(i+1) depends on svc(i), and svc0 on svc4: a ring.
			mustRelate(ctx, t, s, cis[(i+1)%5], graph.RelDependsOn, cis[i])
		}
		br, err := impact.ComputeBlastRadius(ctx, s, []string{cis[0].ID}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(br.Impacted) != 4 || br.Impacted[3].Distance != 4 {
			t.Fatalf("ring: %d impacted (last at %d), want 4 with the last at 4", len(br.Impacted), br.Impacted[len(br.Impacted)-1].Distance)
		}
		br, err = impact.ComputeBlastRadius(ctx, s, []string{cis[0].ID}, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(br.Impacted) != 2 {
			t.Fatalf("depth 2: %d impacted, want 2", len(br.Impacted))
		}
	}},
	{"Dependencies", func(ctx context.Context, t *testing.T, s graph.Store) {
		e := buildEstate(ctx, t, s)
		deps, err := impact.ComputeDependencies(ctx, s, e["shop"].ID, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, d := range deps {
			got[e.name(d.CI.ID)] = d.Distance
		}
		want := map[string]int{"checkout": 1, "web-tier": 2, "orders-db": 2, "web-1": 3, "web-2": 3, "web-3": 3,
			"db-vm": 3, "hv-1": 4, "rack-1": 5}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("dependencies %v, want %v", got, want)
		}
		if deps[0].Distance != 1 || deps[len(deps)-1].Distance != 5 {
			t.Fatalf("dependencies not ordered by distance")
		}
	}},
}

var concurrencyCases = []testCase{
	{"ConcurrentUpsertsOfOneIdentifierMakeOneCI", func(ctx context.Context, t *testing.T, s graph.Store) {
		const writers = 8
		var wg sync.WaitGroup
		ids := make([]string, writers)
		errs := make([]error, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res, err := s.UpsertCI(ctx, graph.CIInput{Name: Ptr("racy"), Class: Ptr(graph.ClassServer),
					Owner: Ptr(fmt.Sprintf("w%d", i)), Identifiers: []graph.Identifier{Ident("serial", "RACE")}})
				ids[i], errs[i] = res.CI.ID, err
			}(i)
		}
		wg.Wait()
		winner := ""
		for i := range ids {
			// A writer that loses the race to create the CI must find and
			// update the winner's, not fail and not duplicate it.
			if errs[i] != nil {
				t.Fatalf("writer %d: %v", i, errs[i])
			}
			if winner != "" && ids[i] != winner {
				t.Fatalf("two CIs for one identifier: %s and %s", winner, ids[i])
			}
			winner = ids[i]
		}
		if n := countCIs(ctx, t, s); n != 1 {
			t.Fatalf("%d CIs, want 1", n)
		}
	}},
}

// neighbourhoodAgainstReference compares the traversal on a random graph
// with a level-by-level expansion written against RelationsOf.
func neighbourhoodAgainstReference(ctx context.Context, t *testing.T, s graph.Store) {
	ids := BuildRandomGraph(t, s, 300, 1500, 7)
	for _, dir := range []graph.TraversalDirection{graph.Downstream, graph.Upstream} {
		for _, types := range [][]string{nil, {graph.RelContains, graph.RelMemberOf}, {graph.RelDependsOn, graph.RelConnectsTo}} {
			for _, depth := range []int{1, 3, 32} {
				q := graph.NeighbourhoodQuery{Seeds: []string{ids[0], ids[1], ids[0]}, Direction: dir, MaxDepth: depth, Types: types}
				t.Run(fmt.Sprintf("dir%d/%v/%d", dir, types, depth), func(t *testing.T) {
					sub, err := s.Neighbourhood(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					wantDepth, wantEdges := referenceBFS(ctx, t, s, q)
					gotDepth := map[string]int{}
					for id, n := range sub.Nodes {
						gotDepth[id] = n.Depth
						if n.CI.ID != id {
							t.Fatalf("node %s carries CI %s", id, n.CI.ID)
						}
					}
					if len(wantDepth) < 2 && depth > 1 && types == nil {
						t.Fatalf("the reference reached %d nodes: the random graph is too sparse to test anything", len(wantDepth))
					}
					if !reflect.DeepEqual(gotDepth, wantDepth) {
						t.Fatalf("got %d nodes, want %d (or depths differ)", len(gotDepth), len(wantDepth))
					}
					if gotEdges := EdgeKeys(sub.Edges); !reflect.DeepEqual(gotEdges, wantEdges) {
						t.Fatalf("got %d edges, want %d", len(gotEdges), len(wantEdges))
					}
				})
			}
		}
	}
}

// referenceBFS expands one level at a time through RelationsOf.
func referenceBFS(ctx context.Context, t *testing.T, s graph.Store, q graph.NeighbourhoodQuery) (map[string]int, []graph.RelationKey) {
	t.Helper()
	q, err := s.Catalogue().CheckNeighbourhoodQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	toSource, toTarget, _ := s.Catalogue().TraversalTypes(q.Types)
	inbound, outbound := toSource, toTarget // downstream
	if q.Direction == graph.Upstream {
		inbound, outbound = toTarget, toSource
	}
	depth := map[string]int{}
	var frontier []string
	for _, id := range q.Seeds {
		if _, ok := depth[id]; !ok {
			depth[id] = 0
			frontier = append(frontier, id)
		}
	}
	var edges []graph.RelationKey
	for d := 0; d < q.MaxDepth && len(frontier) > 0; d++ {
		var next []string
		expand := func(dir graph.Direction, types []string, peer func(graph.Relation) string) {
			if len(types) == 0 {
				return
			}
			rels, err := s.RelationsOf(ctx, frontier, dir, types)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range frontier {
				for _, r := range rels[id] {
					edges = append(edges, r.Key())
					if p := peer(r); !hasDepth(depth, p) {
						depth[p] = d + 1
						next = append(next, p)
					}
				}
			}
		}
		expand(graph.Incoming, inbound, func(r graph.Relation) string { return r.From })
		expand(graph.Outgoing, outbound, func(r graph.Relation) string { return r.To })
		frontier = next
	}
	return depth, sortedKeys(edges)
}

func hasDepth(depth map[string]int, id string) bool {
	_, ok := depth[id]
	return ok
}

// EdgeKeys returns the keys of rels sorted, repeats kept (a traversal must
// return each edge once), for comparing edge sets.
func EdgeKeys(rels []graph.Relation) []graph.RelationKey { return sortedKeys(keys(rels)) }

// sortedKeys sorts relation keys in place, keeping repeats.
func sortedKeys(ks []graph.RelationKey) []graph.RelationKey {
	sort.Slice(ks, func(i, j int) bool { return ks[i].Less(ks[j]) })
	return ks
}

func depths(e estate, sub graph.Subgraph) map[string]int {
	out := map[string]int{}
	for id, n := range sub.Nodes {
		out[e.name(id)] = n.Depth
	}
	return out
}

func edgeNames(e estate, sub graph.Subgraph) []string {
	var out []string
	for _, r := range sub.Edges {
		out = append(out, e.name(r.From)+"-"+r.Type+"->"+e.name(r.To))
	}
	sort.Strings(out)
	return out
}

func effects(e estate, list []impact.Impacted) map[string]string {
	out := map[string]string{}
	for _, im := range list {
		out[e.name(im.CI.ID)] = fmt.Sprintf("%s@%d", im.Effect, im.Distance)
	}
	return out
}

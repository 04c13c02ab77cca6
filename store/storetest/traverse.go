package storetest

import (
	"context"
	"fmt"
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
		e[name] = mustUpsert(ctx, t, s, graph.CIInput{Name: ptr(name), Class: ptr(class), Attributes: attrs})
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
				b.Upserts = append(b.Upserts, input(fmt.Sprintf("l%d-%d", l, w), graph.ClassApplication, ident("test", fmt.Sprintf("l%d-%d", l, w))))
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
				wantErr(t, err, tt.code, tt.field)
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
		pct := mustUpsert(ctx, t, s, graph.CIInput{Name: ptr("pct"), Class: ptr(graph.ClassCluster),
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
				res, err := s.UpsertCI(ctx, graph.CIInput{Name: ptr("racy"), Class: ptr(graph.ClassServer),
					Owner: ptr(fmt.Sprintf("w%d", i)), Identifiers: []graph.Identifier{ident("serial", "RACE")}})
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

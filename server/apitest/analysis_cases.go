package apitest

import (
	"strings"
	"testing"
)

// redundancy builds a three-member cluster that needs two healthy members,
// an application depending on it and a business service on the app:
//
//	web-1, web-2, web-3 -MEMBER_OF-> web-cluster (minHealthy 2)
//	shop-app -DEPENDS_ON-> web-cluster
//	shop -DEPENDS_ON-> shop-app
type redundancy struct{ web1, web2, web3, cluster, app, shop string }

func newRedundancy(t *testing.T, e *env) redundancy {
	t.Helper()
	r := redundancy{
		web1:    e.mk(t, "web-1", "VirtualMachine"),
		web2:    e.mk(t, "web-2", "VirtualMachine"),
		web3:    e.mk(t, "web-3", "VirtualMachine"),
		cluster: e.mk(t, "web-cluster", "Cluster", "attributes", map[string]any{"minHealthy": 2}),
		app:     e.mk(t, "shop-app", "Application"),
		shop:    e.mk(t, "shop", "BusinessService"),
	}
	for _, m := range []string{r.web1, r.web2, r.web3} {
		e.relate(t, m, "MEMBER_OF", r.cluster)
	}
	e.relate(t, r.app, "DEPENDS_ON", r.cluster)
	e.relate(t, r.shop, "DEPENDS_ON", r.app)
	return r
}

const blastRadiusQuery = `query($ids: [ID!]!, $d: Int) {
  blastRadius(ciIds: $ids, maxDepth: $d) {
    totalCount
    sources { id name class }
    impacted { ci { id name class } distance effect path { id name } }
    services { ci { name } effect distance path { name } }
  }
}`

type impactedJSON struct {
	CI       ciJSON
	Distance int
	Effect   string
	Path     []ciJSON
}

type blastJSON struct {
	BlastRadius struct {
		TotalCount int
		Sources    []ciJSON
		Impacted   []impactedJSON
		Services   []impactedJSON
	}
}

// summary renders impacted CIs as "name:EFFECT@distance[path]" in order.
func summary(list []impactedJSON) string {
	var parts []string
	for _, im := range list {
		parts = append(parts, im.CI.Name+":"+im.Effect+"@"+string(rune('0'+im.Distance))+"["+names(im.Path)+"]")
	}
	return strings.Join(parts, " ")
}

var analysisCases = []testCase{
	{"blast radius through a redundancy group", func(t *testing.T, e *env) {
		r := newRedundancy(t, e)
		for _, tc := range []struct {
			name     string
			ids      []string
			depth    any
			impacted string
			services string
		}{
			{"one member down degrades", []string{r.web1}, nil,
				"web-cluster:DEGRADED@1[web-1,web-cluster] shop-app:DEGRADED@2[web-1,web-cluster,shop-app] shop:DEGRADED@3[web-1,web-cluster,shop-app,shop]",
				"shop:DEGRADED@3[web-1,web-cluster,shop-app,shop]"},
			{"two members down is an outage", []string{r.web1, r.web2}, nil,
				"web-cluster:DOWN@1[web-1,web-cluster] shop-app:DOWN@2[web-1,web-cluster,shop-app] shop:DOWN@3[web-1,web-cluster,shop-app,shop]",
				"shop:DOWN@3[web-1,web-cluster,shop-app,shop]"},
			{"maxDepth bounds the walk", []string{r.web1, r.web2}, 1,
				"web-cluster:DOWN@1[web-1,web-cluster]", ""},
			{"the service itself failing impacts nothing", []string{r.shop}, nil, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var out blastJSON
				e.query(t, blastRadiusQuery, map[string]any{"ids": tc.ids, "d": tc.depth}, &out)
				br := out.BlastRadius
				if got := summary(br.Impacted); got != tc.impacted {
					t.Errorf("impacted:\n got %s\nwant %s", got, tc.impacted)
				}
				if got := summary(br.Services); got != tc.services {
					t.Errorf("services:\n got %s\nwant %s", got, tc.services)
				}
				if br.TotalCount != len(br.Impacted) || len(br.Sources) != len(tc.ids) {
					t.Errorf("totalCount %d, %d sources", br.TotalCount, len(br.Sources))
				}
			})
		}
	}},
	{"blast radius CIs and paths cost no store call per CI", func(t *testing.T, e *env) {
		// The traversal returns CI heads; each list (sources, impacted,
		// services) reads the CIs it shows in one batch.
		r := newRedundancy(t, e)
		e.store.Reset()
		var out blastJSON
		e.query(t, blastRadiusQuery, map[string]any{"ids": []string{r.web1}}, &out)
		c := e.store.Counts()
		if len(out.BlastRadius.Impacted) != 3 || c["Neighbourhood"] != 1 || c["CIsByIDs"] > 3 || c["GetCI"] != 0 ||
			e.store.Total() != 1+c["CIsByIDs"] {
			t.Errorf("store calls for one blast radius of %d impacted: %v", len(out.BlastRadius.Impacted), c)
		}
		// Asking no CI field reads no CI.
		e.store.Reset()
		e.query(t, `query($ids: [ID!]!) { blastRadius(ciIds: $ids) { totalCount impacted { effect distance } } }`,
			map[string]any{"ids": []string{r.web1}}, nil)
		if c := e.store.Counts(); c["Neighbourhood"] != 1 || e.store.Total() != 1 {
			t.Errorf("store calls for a blast radius without CI fields: %v", c)
		}
	}},
	{"blast radius impacted a page at a time", func(t *testing.T, e *env) {
		r := newRedundancy(t, e)
		const q = `query($ids: [ID!]!, $first: Int, $after: String) { blastRadius(ciIds: $ids) {
  impacted { ci { name } }
  impactedConnection(first: $first, after: $after) {
    totalCount byEffect { effect count } byClass { class count }
    edges { cursor node { ci { name class } effect distance path { name } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }`
		type connJSON struct {
			TotalCount int
			ByEffect   []struct {
				Effect string
				Count  int
			}
			ByClass []struct {
				Class string
				Count int
			}
			Edges []struct {
				Cursor string
				Node   impactedJSON
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				EndCursor                    string
			}
		}
		var out struct {
			BlastRadius struct {
				Impacted           []impactedJSON
				ImpactedConnection connJSON
			}
		}
		var pages []string
		after := any(nil)
		for range 4 {
			e.query(t, q, map[string]any{"ids": []string{r.web1, r.web2}, "first": 2, "after": after}, &out)
			c := out.BlastRadius.ImpactedConnection
			if c.TotalCount != 3 || len(c.Edges) == 0 {
				t.Fatalf("page after %v: %+v", after, c)
			}
			var list []impactedJSON
			for _, edge := range c.Edges {
				list = append(list, edge.Node)
			}
			pages = append(pages, summary(list))
			if be := c.ByEffect; len(be) != 1 || be[0].Effect != "DOWN" || be[0].Count != 3 {
				t.Errorf("byEffect %+v, want 3 DOWN", c.ByEffect)
			}
			if len(c.ByClass) != 3 || c.ByClass[0].Count != 1 {
				t.Errorf("byClass %+v, want three classes once each", c.ByClass)
			}
			if c.PageInfo.HasPreviousPage != (after != nil) {
				t.Errorf("hasPreviousPage %v after %v", c.PageInfo.HasPreviousPage, after)
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			after = c.PageInfo.EndCursor
		}
		want := []string{
			"web-cluster:DOWN@1[web-1,web-cluster] shop-app:DOWN@2[web-1,web-cluster,shop-app]",
			"shop:DOWN@3[web-1,web-cluster,shop-app,shop]",
		}
		if strings.Join(pages, " | ") != strings.Join(want, " | ") {
			t.Errorf("pages:\n got %q\nwant %q", pages, want)
		}
		e.fail(t, q, map[string]any{"ids": []string{r.web1}, "after": "not-a-cursor"}, "INVALID_INPUT", "after")
		e.fail(t, q, map[string]any{"ids": []string{r.web1}, "first": 501}, "INVALID_INPUT", "first")
	}},
	{"dependencies", func(t *testing.T, e *env) {
		r := newRedundancy(t, e)
		var out struct {
			Dependencies []struct {
				CI       ciJSON
				Distance int
				Path     []ciJSON
			}
		}
		e.store.Reset()
		e.query(t, `query($id: ID!) { dependencies(ciId: $id) { ci { name } distance path { name } } }`, map[string]any{"id": r.shop}, &out)
		var got []string
		for _, d := range out.Dependencies {
			got = append(got, d.CI.Name+"@"+string(rune('0'+d.Distance))+"["+names(d.Path)+"]")
		}
		want := "shop-app@1[shop,shop-app] web-cluster@2[shop,shop-app,web-cluster] " +
			"web-1@3[shop,shop-app,web-cluster,web-1] web-2@3[shop,shop-app,web-cluster,web-2] web-3@3[shop,shop-app,web-cluster,web-3]"
		if strings.Join(got, " ") != want {
			t.Errorf("dependencies:\n got %s\nwant %s", strings.Join(got, " "), want)
		}
		// The asking CI is fetched once for every path, not once per path.
		if c := e.store.Counts(); c["CIsByIDs"] > 1 || c["GetCI"] != 0 {
			t.Errorf("store calls: %v", c)
		}
		var shallow struct{ Dependencies []struct{ Distance int } }
		e.query(t, `query($id: ID!) { dependencies(ciId: $id, maxDepth: 1) { distance } }`, map[string]any{"id": r.shop}, &shallow)
		if len(shallow.Dependencies) != 1 {
			t.Errorf("maxDepth 1 gave %d dependencies", len(shallow.Dependencies))
		}
	}},
}

package apitest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
)

const listQuery = `query($f: CIFilter, $first: Int, $after: String) {
  cis(filter: $f, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}`

type pageJSON struct {
	Cis struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage     bool
			HasPreviousPage bool
			StartCursor     *string
			EndCursor       *string
		}
		Edges []struct {
			Cursor string
			Node   ciJSON
		}
	}
}

func (e *env) page(t *testing.T, filter map[string]any, first int, after string) pageJSON {
	t.Helper()
	vars := map[string]any{"f": filter, "first": first}
	if after != "" {
		vars["after"] = after
	}
	var p pageJSON
	e.query(t, listQuery, vars, &p)
	return p
}

var listCases = []testCase{
	{"pages in name order without duplicates while others insert", func(t *testing.T, e *env) {
		const n = 30
		want := map[string]bool{}
		for i := range n {
			want[e.mk(t, fmt.Sprintf("ci-%02d", i), "Server")] = true
		}
		seen := map[string]bool{}
		var order []string
		after := ""
		for pageNo := 0; ; pageNo++ {
			p := e.page(t, nil, 7, after)
			if pageNo == 0 && (p.Cis.PageInfo.HasPreviousPage || p.Cis.TotalCount != n) {
				t.Errorf("first page: %+v", p.Cis.PageInfo)
			}
			for _, ed := range p.Cis.Edges {
				if seen[ed.Node.ID] {
					t.Fatalf("%s (%s) listed twice", ed.Node.Name, ed.Node.ID)
				}
				seen[ed.Node.ID] = true
				order = append(order, ed.Node.Name)
			}
			if len(p.Cis.Edges) > 0 && *p.Cis.PageInfo.EndCursor != p.Cis.Edges[len(p.Cis.Edges)-1].Cursor {
				t.Errorf("endCursor is not the last edge's cursor")
			}
			if !p.Cis.PageInfo.HasNextPage {
				break
			}
			after = *p.Cis.PageInfo.EndCursor
			// Between pages, other clients insert CIs sorting before and
			// after the cursor, concurrently.
			var wg sync.WaitGroup
			for _, name := range []string{"ci-" + fmt.Sprint(pageNo) + "a", "zz-" + fmt.Sprint(pageNo), "aa-" + fmt.Sprint(pageNo)} {
				wg.Go(func() {
					res, err := e.tryPost(upsertMutation, map[string]any{"in": map[string]any{"name": name, "class": "Server"}})
					if err != nil || len(res.Errors) > 0 {
						t.Errorf("concurrent insert %s: %v %+v", name, err, res.Errors)
					}
				})
			}
			wg.Wait()
			if pageNo > 20 {
				t.Fatal("paging does not end")
			}
		}
		for id := range want {
			if !seen[id] {
				t.Errorf("CI %s that existed before paging was skipped", id)
			}
		}
		if !sort.StringsAreSorted(order) {
			t.Errorf("not in name order: %v", order)
		}
	}},
	{"filters", func(t *testing.T, e *env) {
		e.mk(t, "Web-Frontend", "Application", "environment", "prod", "owner", "web", "status", "IN_SERVICE",
			"identifiers", []any{map[string]any{"kind": "fqdn", "value": "www.example.com"}})
		e.mk(t, "web-backend", "Application", "environment", "test", "owner", "web", "status", "PLANNED")
		e.mk(t, "orders-db", "Database", "environment", "prod", "owner", "dba",
			"identifiers", []any{map[string]any{"kind": "serial", "value": "www.example.com"}})
		for _, tc := range []struct {
			filter map[string]any
			want   string
		}{
			{nil, "Web-Frontend,orders-db,web-backend"},
			{map[string]any{"class": "Application"}, "Web-Frontend,web-backend"},
			{map[string]any{"status": "PLANNED"}, "web-backend"},
			{map[string]any{"environment": "prod"}, "Web-Frontend,orders-db"},
			{map[string]any{"owner": "web"}, "Web-Frontend,web-backend"},
			{map[string]any{"search": "WEB"}, "Web-Frontend,web-backend"},
			{map[string]any{"search": "end", "environment": "test"}, "web-backend"},
			{map[string]any{"identifier": "www.example.com"}, "Web-Frontend,orders-db"},
			{map[string]any{"identifier": "WWW.example.com"}, ""},
			{map[string]any{"class": "Server"}, ""},
		} {
			p := e.page(t, tc.filter, 50, "")
			var got []ciJSON
			for _, ed := range p.Cis.Edges {
				got = append(got, ed.Node)
			}
			if names(got) != tc.want || p.Cis.TotalCount != len(got) {
				t.Errorf("filter %v: got %q (totalCount %d), want %q", tc.filter, names(got), p.Cis.TotalCount, tc.want)
			}
		}
	}},
	{"first 0 only counts", func(t *testing.T, e *env) {
		e.mk(t, "a", "Server")
		e.mk(t, "b", "Server")
		p := e.page(t, nil, 0, "")
		if len(p.Cis.Edges) != 0 || p.Cis.TotalCount != 2 || !p.Cis.PageInfo.HasNextPage || p.Cis.PageInfo.EndCursor != nil {
			t.Errorf("first: 0 gave %+v", p.Cis)
		}
		var def pageJSON
		e.query(t, `{ cis { totalCount edges { node { name } } } }`, nil, &def)
		if len(def.Cis.Edges) != 2 {
			t.Errorf("default page has %d edges", len(def.Cis.Edges))
		}
	}},
}

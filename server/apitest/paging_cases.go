package apitest

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// connJSON is any connection queried under the alias "list".
type connJSON struct {
	List struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
		Edges []struct {
			Cursor string
			Node   struct {
				ID, Name, OpenedAt, PlannedStart string
			}
		}
	}
}

// listQ queries a connection field with orderBy (when order is not "")
// and every paging argument, under the alias "list".
func listQ(field, orderType, nodeFields string) string {
	order, orderArg := "", ""
	if orderType != "" {
		order, orderArg = ", $order: "+orderType, ", orderBy: $order"
	}
	return fmt.Sprintf(`query($first: Int, $after: String, $last: Int, $before: String%s) {
  list: %s(first: $first, after: $after, last: $last, before: $before%s) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { %s } }
  }
}`, order, field, orderArg, nodeFields)
}

// pageAll pages through a connection forward (first/after) or back
// (last/before) and returns the node ids in list order.
func (e *env) pageAll(t *testing.T, query string, vars map[string]any, size int, backward bool) []string {
	t.Helper()
	var pages [][]string
	cursor := ""
	for n := 0; ; n++ {
		if n > 100 {
			t.Fatalf("paging does not terminate")
		}
		v := map[string]any{}
		for k, val := range vars {
			v[k] = val
		}
		if backward {
			v["last"] = size
			if cursor != "" {
				v["before"] = cursor
			}
		} else {
			v["first"] = size
			if cursor != "" {
				v["after"] = cursor
			}
		}
		var c connJSON
		e.query(t, query, v, &c)
		info := c.List.PageInfo
		var ids []string
		for _, ed := range c.List.Edges {
			ids = append(ids, ed.Node.ID)
		}
		pages = append(pages, ids)
		// Relay: paging forward tells whether a cursor came in as
		// hasPreviousPage, paging back as hasNextPage.
		if backward && info.HasNextPage != (cursor != "") || !backward && info.HasPreviousPage != (cursor != "") {
			t.Fatalf("page %d (backward %v): %+v", n, backward, info)
		}
		more := info.HasNextPage
		cursor = deref(info.EndCursor)
		if backward {
			more, cursor = info.HasPreviousPage, deref(info.StartCursor)
		}
		if !more {
			break
		}
		if len(ids) == 0 || cursor == "" {
			t.Fatalf("an empty page claims more: %+v", info)
		}
	}
	if backward {
		slices.Reverse(pages)
	}
	return slices.Concat(pages...)
}

var pagingCases = []testCase{
	{"incidents sort by openedAt and page back to the start", func(t *testing.T, e *env) {
		app := e.mk(t, "app", "Application")
		now := time.Now().UTC().Truncate(time.Second)
		opened := map[string]time.Time{}
		var created []string
		for i := range 7 {
			at := now.Add(-time.Duration((i*3)%7+1) * time.Hour)
			inc := e.incident(t, "", in("title", fmt.Sprint("inc ", i), "affectedCiIds", []string{app}, "openedAt", ts(at)))
			opened[inc.ID] = at
			created = append(created, inc.ID)
		}
		q := listQ("incidents", "IncidentOrder", "id openedAt")
		for _, tc := range []struct {
			dir  string
			less func(a, b time.Time) bool
		}{{"ASC", time.Time.Before}, {"DESC", time.Time.After}} {
			t.Run(tc.dir, func(t *testing.T) {
				vars := map[string]any{"order": in("field", "OPENED_AT", "direction", tc.dir)}
				forward := e.pageAll(t, q, vars, 3, false)
				if len(forward) != len(created) {
					t.Fatalf("listed %d incidents, want %d", len(forward), len(created))
				}
				for i := 1; i < len(forward); i++ {
					if !tc.less(opened[forward[i-1]], opened[forward[i]]) {
						t.Fatalf("not by openedAt %s at %d: %v then %v", tc.dir, i, opened[forward[i-1]], opened[forward[i]])
					}
				}
				if back := e.pageAll(t, q, vars, 3, true); fmt.Sprint(back) != fmt.Sprint(forward) {
					t.Fatalf("paging back gave %v, forward %v", back, forward)
				}
			})
		}
		// Without orderBy: newest created first, as before.
		byDefault := e.pageAll(t, listQ("incidents", "", "id"), nil, 4, true)
		slices.Reverse(created)
		if fmt.Sprint(byDefault) != fmt.Sprint(created) {
			t.Fatalf("default order %v, want newest created first %v", byDefault, created)
		}
	}},
	{"the README's dashboard query", func(t *testing.T, e *env) {
		app := e.mk(t, "app", "Application")
		now := time.Now().UTC().Truncate(time.Second)
		var want []string // by openedAt, oldest first
		for i := range 25 {
			want = append(want, e.incident(t, "", in("title", fmt.Sprint("inc ", i), "affectedCiIds", []string{app},
				"openedAt", ts(now.Add(-time.Duration(30-i)*time.Minute)))).ID)
		}
		const q = `query($before: String) {
  list: incidents(filter: { open: true }, orderBy: { field: OPENED_AT, direction: ASC },
            last: 20, before: $before) {
    totalCount
    pageInfo { hasPreviousPage startCursor }
    edges { node { id } }
  }
}`
		var last, before connJSON
		e.query(t, q, nil, &last)
		e.query(t, q, map[string]any{"before": deref(last.List.PageInfo.StartCursor)}, &before)
		var got []string
		for _, c := range []connJSON{before, last} {
			for _, ed := range c.List.Edges {
				got = append(got, ed.Node.ID)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || !last.List.PageInfo.HasPreviousPage || before.List.PageInfo.HasPreviousPage {
			t.Fatalf("got %v (%+v, %+v), want %v", got, last.List.PageInfo, before.List.PageInfo, want)
		}
	}},
	{"changes sort by planned start", func(t *testing.T, e *env) {
		db := e.mk(t, "db", "Database")
		start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
		var want []string
		ids := map[int]string{}
		for _, h := range []int{5, 1, 3, 2, 4} {
			ids[h] = e.change(t, "NORMAL", []string{db}, start.Add(time.Duration(h)*time.Hour), start.Add(time.Duration(h+1)*time.Hour))
		}
		for h := 1; h <= 5; h++ {
			want = append(want, ids[h])
		}
		q := listQ("changes", "ChangeOrder", "id plannedStart")
		vars := map[string]any{"order": in("field", "PLANNED_START", "direction", "ASC")}
		if got := e.pageAll(t, q, vars, 2, false); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("forward %v, want %v", got, want)
		}
		if got := e.pageAll(t, q, vars, 2, true); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("back %v, want %v", got, want)
		}
	}},
	{"cis page back to the start", func(t *testing.T, e *env) {
		for i := range 9 {
			e.mk(t, fmt.Sprintf("host-%d", (i*4)%9), "Server")
		}
		q := listQ("cis", "", "id name")
		forward := e.pageAll(t, q, nil, 4, false)
		if len(forward) != 9 {
			t.Fatalf("listed %d CIs", len(forward))
		}
		if back := e.pageAll(t, q, nil, 4, true); fmt.Sprint(back) != fmt.Sprint(forward) {
			t.Fatalf("paging back gave %v, forward %v", back, forward)
		}
		// last: 0 asks only whether there are items, like first: 0.
		var c connJSON
		e.query(t, q, map[string]any{"last": 0}, &c)
		if len(c.List.Edges) != 0 || !c.List.PageInfo.HasPreviousPage || c.List.TotalCount != 9 {
			t.Fatalf("last: 0 gave %+v", c.List)
		}
	}},
	{"bad paging and cursors from another order are INVALID_INPUT", func(t *testing.T, e *env) {
		app := e.mk(t, "app", "Application")
		for range 2 {
			e.incident(t, "", in("title", "x", "affectedCiIds", []string{app}))
		}
		q := listQ("incidents", "IncidentOrder", "id")
		asc := in("field", "OPENED_AT", "direction", "ASC")
		var c connJSON
		e.query(t, q, map[string]any{"order": asc, "first": 1}, &c)
		cursor := deref(c.List.PageInfo.EndCursor)
		if cursor == "" {
			t.Fatalf("no cursor: %+v", c.List)
		}
		tests := []struct {
			name  string
			query string
			vars  map[string]any
			field string
		}{
			{"another direction", q, map[string]any{"order": in("field", "OPENED_AT", "direction", "DESC"), "after": cursor}, "after"},
			{"another field", q, map[string]any{"order": in("field", "UPDATED_AT", "direction", "ASC"), "before": cursor}, "before"},
			{"the default order", q, map[string]any{"after": cursor}, "after"},
			{"first and last", q, map[string]any{"first": 1, "last": 1}, "last"},
			{"first: 0 and last", q, map[string]any{"first": 0, "last": 2}, "last"},
			{"after and before", q, map[string]any{"order": asc, "after": cursor, "before": cursor}, "before"},
			{"negative last", q, map[string]any{"last": -1}, "last"},
			{"a CI cursor", listQ("cis", "", "id"), map[string]any{"before": cursor}, "before"},
			{"cis first and last", listQ("cis", "", "id"), map[string]any{"first": 2, "last": 2}, "last"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.fail(t, tt.query, tt.vars, "INVALID_INPUT", tt.field)
			})
		}
	}},
}

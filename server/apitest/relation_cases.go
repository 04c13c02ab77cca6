package apitest

import (
	"testing"
)

type relationJSON struct {
	Type      string
	FromID    string `json:"fromId"`
	ToID      string `json:"toId"`
	From      ciJSON
	To        ciJSON
	CreatedAt string
}

var relationCases = []testCase{
	{"relate, read both ways, unrelate", func(t *testing.T, e *env) {
		app := e.mk(t, "app", "Application")
		db := e.mk(t, "db", "Database")
		vm := e.mk(t, "vm", "VirtualMachine")
		const relate = `mutation($f: ID!, $t: String!, $to: ID!) { relate(from: $f, type: $t, to: $to) { type fromId toId from { name } to { name } createdAt } }`
		var r1, r2 struct{ Relate relationJSON }
		e.query(t, relate, map[string]any{"f": app, "t": "DEPENDS_ON", "to": db}, &r1)
		if r1.Relate.From.Name != "app" || r1.Relate.To.Name != "db" || r1.Relate.FromID != app || r1.Relate.ToID != db || r1.Relate.CreatedAt == "" {
			t.Errorf("relate returned %+v", r1.Relate)
		}
		e.query(t, relate, map[string]any{"f": app, "t": "DEPENDS_ON", "to": db}, &r2)
		if r2.Relate.CreatedAt != r1.Relate.CreatedAt {
			t.Errorf("relating again should return the existing relation: %s vs %s", r2.Relate.CreatedAt, r1.Relate.CreatedAt)
		}
		e.relate(t, app, "RUNS_ON", vm)

		var read struct {
			App struct {
				All        []relationJSON `json:"all"`
				Out        []relationJSON `json:"out"`
				In         []relationJSON `json:"in"`
				RunsOn     []relationJSON `json:"runsOn"`
				Neighbours []ciJSON       `json:"neighbours"`
				DependsOn  []ciJSON       `json:"dependsOn"`
			} `json:"app"`
			DB struct {
				Dependants []ciJSON `json:"dependants"`
				In         []ciJSON `json:"in"`
			} `json:"db"`
		}
		e.query(t, `query($app: ID!, $db: ID!) {
			app: ci(id: $app) {
				all: relations { type fromId toId }
				out: relations(direction: OUTGOING) { type toId }
				in: relations(direction: INCOMING) { type }
				runsOn: relations(types: ["RUNS_ON", "RUNS_ON"]) { type to { name } }
				neighbours { name }
				dependsOn { name }
			}
			db: ci(id: $db) { dependants { name } in: neighbours(direction: INCOMING) { name } }
		}`, map[string]any{"app": app, "db": db}, &read)
		a := read.App
		if len(a.All) != 2 || a.All[0].Type != "DEPENDS_ON" || a.All[1].Type != "RUNS_ON" {
			t.Errorf("relations sorted by type: %+v", a.All)
		}
		if len(a.Out) != 2 || len(a.In) != 0 || len(a.RunsOn) != 1 || a.RunsOn[0].To.Name != "vm" {
			t.Errorf("direction/type selection: out %v in %v runsOn %v", a.Out, a.In, a.RunsOn)
		}
		if names(a.Neighbours) != "db,vm" || names(a.DependsOn) != "db" {
			t.Errorf("neighbours %q dependsOn %q", names(a.Neighbours), names(a.DependsOn))
		}
		if names(read.DB.Dependants) != "app" || names(read.DB.In) != "app" {
			t.Errorf("db dependants %q incoming neighbours %q", names(read.DB.Dependants), names(read.DB.In))
		}

		const unrelate = `mutation($f: ID!, $t: String!, $to: ID!) { unrelate(from: $f, type: $t, to: $to) }`
		for i, want := range []bool{true, false} {
			var u struct{ Unrelate bool }
			e.query(t, unrelate, map[string]any{"f": app, "t": "DEPENDS_ON", "to": db}, &u)
			if u.Unrelate != want {
				t.Errorf("unrelate #%d = %v, want %v", i+1, u.Unrelate, want)
			}
		}
		var after struct{ CI struct{ DependsOn []ciJSON } }
		e.query(t, `query($id: ID!) { ci(id: $id) { dependsOn { name } } }`, map[string]any{"id": app}, &after)
		if len(after.CI.DependsOn) != 0 {
			t.Errorf("after unrelate dependsOn = %q", names(after.CI.DependsOn))
		}
	}},
	{"a mutation sees its own writes in later fields", func(t *testing.T, e *env) {
		app := e.mk(t, "app", "Application")
		db := e.mk(t, "db", "Database")
		// The relations of app are loaded (and cached) by the first field;
		// the loaders must forget them once the second mutation runs.
		var out struct {
			A struct {
				From struct{ Relations []relationJSON }
			} `json:"a"`
			B struct {
				From struct{ Relations []relationJSON }
			} `json:"b"`
		}
		e.query(t, `mutation($app: ID!, $db: ID!) {
			a: relate(from: $app, type: "DEPENDS_ON", to: $db) { from { relations { type } } }
			b: relate(from: $app, type: "CONNECTS_TO", to: $db) { from { relations { type } } }
		}`, map[string]any{"app": app, "db": db}, &out)
		if len(out.A.From.Relations) != 1 || len(out.B.From.Relations) != 2 {
			t.Errorf("relations after each mutation: %d then %d, want 1 then 2", len(out.A.From.Relations), len(out.B.From.Relations))
		}
	}},
}

package apitest

import (
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

var ciCases = []testCase{
	{"an identifier match of another class is a conflict; reclassifyCI is the way", func(t *testing.T, e *env) {
		web := e.mk(t, "web-04", "VirtualMachine", "identifiers", []any{ident("fqdn", "web-04.example.com")})
		cluster := e.mk(t, "web-cluster", "Cluster")
		e.relate(t, web, "MEMBER_OF", cluster)
		got := e.fail(t, upsertMutation, in("in", in("name", "dup", "class", "Server", "identifiers", []any{ident("fqdn", "web-04.example.com")})),
			"CONFLICT", "identifiers[0]")
		named, _ := got.Extensions["ci"].(map[string]any)
		if named["id"] != web || named["name"] != "web-04" || named["class"] != "VirtualMachine" {
			t.Errorf("the conflict does not name web-04: %+v", got)
		}
		// The cluster's members point at it: as an Application it could not
		// be a MEMBER_OF target, and the error says which relation breaks.
		got = e.fail(t, reclassifyQ, in("id", cluster, "c", "Application"), "INVALID_INPUT", "class")
		if !strings.Contains(got.Message, "MEMBER_OF") {
			t.Errorf("the refusal does not name the relation: %q", got.Message)
		}
		var out struct{ ReclassifyCI struct{ ID, Class string } }
		e.query(t, reclassifyQ, in("id", web, "c", "Server"), &out)
		if out.ReclassifyCI.ID != web || out.ReclassifyCI.Class != "Server" {
			t.Errorf("reclassified: %+v", out.ReclassifyCI)
		}
		res := e.post(t, `query($id: ID!) { ci(id: $id) { name class history(first: 1) { edges { node { action actor before after } } } } }`,
			in("id", web), "X-Ripple-Actor", "cab")
		data := string(res.Data)
		if len(res.Errors) != 0 || !strings.Contains(data, `"name":"web-04"`) || !strings.Contains(data, `"class":"Server"`) ||
			!strings.Contains(data, `"action":"UPDATE"`) || !strings.Contains(data, `"VirtualMachine"`) {
			t.Errorf("web-04 after reclassifyCI, with its last audit entry: %s %+v", data, res.Errors)
		}
	}},
	{"create with every field and read back", func(t *testing.T, e *env) {
		got := e.upsert(t, map[string]any{
			"name": "  web-1  ", "class": "VirtualMachine", "status": "MAINTENANCE", "criticality": "HIGH",
			"environment": "prod", "owner": "team-web",
			"attributes":  map[string]any{"cpu": 4, "tags": []any{"a", "b"}, "nested": map[string]any{"ok": true}},
			"identifiers": []any{map[string]any{"kind": "fqdn", "value": "Web-1.Example.COM"}, map[string]any{"kind": "serial", "value": "SN1"}},
		})
		if got.Name != "web-1" || got.Class != "VirtualMachine" || got.Status != "MAINTENANCE" || got.Criticality != "HIGH" {
			t.Errorf("fields not stored as given: %+v", got)
		}
		if deref(got.Environment) != "prod" || deref(got.Owner) != "team-web" {
			t.Errorf("environment/owner = %v/%v", deref(got.Environment), deref(got.Owner))
		}
		if got.Attributes["cpu"] != float64(4) || len(got.Attributes["tags"].([]any)) != 2 {
			t.Errorf("attributes = %v", got.Attributes)
		}
		wantIDs := []graph.Identifier{{Kind: "fqdn", Value: "web-1.example.com"}, {Kind: "serial", Value: "SN1"}}
		if len(got.Identifiers) != 2 || got.Identifiers[0] != wantIDs[0] || got.Identifiers[1] != wantIDs[1] {
			t.Errorf("identifiers = %v, want %v (normalised, in order)", got.Identifiers, wantIDs)
		}
		// Times are RFC 3339 and equal to what the store holds.
		stored, err := e.store.Store.GetCI(e.ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		created, err := time.Parse(time.RFC3339Nano, got.CreatedAt)
		if err != nil || !created.Equal(stored.CreatedAt) || got.CreatedAt != got.UpdatedAt {
			t.Errorf("createdAt %q (%v) vs stored %v, updatedAt %q", got.CreatedAt, err, stored.CreatedAt, got.UpdatedAt)
		}
		var read struct{ CI *ciJSON }
		e.query(t, `query($id: ID!) { ci(id: $id) { `+ciFields+` } }`, map[string]any{"id": got.ID}, &read)
		if read.CI == nil || read.CI.ID != got.ID || read.CI.UpdatedAt != got.UpdatedAt || read.CI.Attributes["nested"] == nil {
			t.Errorf("ci(id) = %+v, want %+v", read.CI, got)
		}
	}},
	{"defaults and nulls", func(t *testing.T, e *env) {
		got := e.upsert(t, map[string]any{"name": "db", "class": "Database"})
		if got.Status != "IN_SERVICE" || got.Criticality != "MEDIUM" {
			t.Errorf("defaults: status %s criticality %s", got.Status, got.Criticality)
		}
		if got.Environment != nil || got.Owner != nil || got.Attributes != nil || got.Identifiers == nil || len(got.Identifiers) != 0 {
			t.Errorf("want null environment/owner/attributes and [] identifiers: %+v", got)
		}
	}},
	{"update by id changes only given fields", func(t *testing.T, e *env) {
		first := e.upsert(t, map[string]any{"name": "app", "class": "Application", "owner": "team-a", "attributes": map[string]any{"v": 1}})
		same := e.upsert(t, map[string]any{"id": first.ID, "name": "app"})
		if same.UpdatedAt != first.UpdatedAt {
			t.Errorf("an unchanged upsert moved updatedAt from %s to %s", first.UpdatedAt, same.UpdatedAt)
		}
		upd := e.upsert(t, map[string]any{"id": first.ID, "status": "RETIRED"})
		if upd.Status != "RETIRED" || upd.Name != "app" || deref(upd.Owner) != "team-a" || upd.Attributes["v"] != float64(1) {
			t.Errorf("update lost fields: %+v", upd)
		}
		if upd.UpdatedAt == first.UpdatedAt || upd.CreatedAt != first.CreatedAt {
			t.Errorf("updatedAt should move and createdAt stay: %+v vs %+v", upd, first)
		}
		cleared := e.upsert(t, map[string]any{"id": first.ID, "attributes": map[string]any{}})
		if cleared.Attributes != nil {
			t.Errorf("{} should clear attributes, got %v", cleared.Attributes)
		}
	}},
	{"match by identifier updates the owner", func(t *testing.T, e *env) {
		a := e.upsert(t, map[string]any{"name": "host", "class": "Server", "identifiers": []any{map[string]any{"kind": "serial", "value": "X1"}}})
		b := e.upsert(t, map[string]any{"name": "host renamed", "identifiers": []any{
			map[string]any{"kind": "serial", "value": "X1"}, map[string]any{"kind": "mac", "value": "AA:BB"}}})
		if b.ID != a.ID || b.Name != "host renamed" || len(b.Identifiers) != 2 || b.Identifiers[1].Value != "aa:bb" {
			t.Errorf("want update of %s merging identifiers, got %+v", a.ID, b)
		}
		if n := e.count(t); n != 1 {
			t.Errorf("store holds %d CIs, want 1", n)
		}
	}},
	{"attributes given as a JSON string", func(t *testing.T, e *env) {
		got := e.upsert(t, map[string]any{"name": "c", "class": "Container", "attributes": `{"image": "nginx", "port": 80}`})
		if got.Attributes["image"] != "nginx" || got.Attributes["port"] != float64(80) {
			t.Errorf("attributes = %v", got.Attributes)
		}
		// And inline in the query text rather than as a variable.
		var out struct{ UpsertCI ciJSON }
		e.query(t, `mutation { upsertCI(input: {name: "d", class: "Container", attributes: {a: [1, 2], b: {c: null}}}) { attributes } }`, nil, &out)
		if len(out.UpsertCI.Attributes["a"].([]any)) != 2 {
			t.Errorf("inline attributes = %v", out.UpsertCI.Attributes)
		}
	}},
	{"delete removes the CI and its relations", func(t *testing.T, e *env) {
		a := e.mk(t, "a", "Application")
		b := e.mk(t, "b", "Database")
		e.relate(t, a, "DEPENDS_ON", b)
		var del struct{ DeleteCI bool }
		e.query(t, `mutation($id: ID!) { deleteCI(id: $id) }`, map[string]any{"id": b}, &del)
		if !del.DeleteCI {
			t.Fatal("deleteCI returned false")
		}
		var read struct {
			Gone *ciJSON `json:"gone"`
			Left struct {
				Relations []any `json:"relations"`
			} `json:"left"`
		}
		e.query(t, `query($a: ID!, $b: ID!) { gone: ci(id: $b) { id } left: ci(id: $a) { relations { type } } }`,
			map[string]any{"a": a, "b": b}, &read)
		if read.Gone != nil || len(read.Left.Relations) != 0 {
			t.Errorf("after delete: ci = %+v, relations of a = %v", read.Gone, read.Left.Relations)
		}
	}},
	{"unknown id reads as null", func(t *testing.T, e *env) {
		res := e.post(t, `{ ci(id: "0190a5b4-7c3e-7000-8000-000000000000") { id } }`, nil)
		if len(res.Errors) != 0 || strings.TrimSpace(string(res.Data)) != `{"ci":null}` {
			t.Errorf("got %s %+v", res.Data, res.Errors)
		}
	}},
	{"catalogue", func(t *testing.T, e *env) {
		var out struct {
			Catalogue struct {
				Classes []struct {
					Name            string
					Service         bool
					RedundancyGroup bool
				}
				RelationTypes []struct {
					Name        string
					Propagation string
					Grouping    bool
					ToClasses   []string
				}
			}
		}
		e.query(t, `{ catalogue { classes { name description service redundancyGroup }
			relationTypes { name description propagation grouping fromClasses toClasses forbiddenFrom forbiddenTo } } }`, nil, &out)
		cat := graph.DefaultCatalogue()
		if len(out.Catalogue.Classes) != len(cat.Classes()) || len(out.Catalogue.RelationTypes) != len(cat.RelationTypes()) {
			t.Fatalf("catalogue sizes %d/%d", len(out.Catalogue.Classes), len(out.Catalogue.RelationTypes))
		}
		for _, rt := range out.Catalogue.RelationTypes {
			want, _ := cat.RelationType(rt.Name)
			if rt.Grouping != want.Grouping || rt.Propagation != string(want.Propagation) || len(rt.ToClasses) != len(want.ToClasses) {
				t.Errorf("%s = %+v, want %+v", rt.Name, rt, want)
			}
		}
	}},
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

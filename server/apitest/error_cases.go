package apitest

import (
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// fixture is the small estate the error cases run against.
type fixture struct{ app, db, other string }

const (
	malformedID = "not-a-uuid"
	unknownID   = "0190a5b4-7c3e-7000-8000-000000000000"
)

func in(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func ident(kind, value string) map[string]any { return map[string]any{"kind": kind, "value": value} }

const (
	relateQ   = `mutation($f: ID!, $t: String!, $to: ID!) { relate(from: $f, type: $t, to: $to) { type } }`
	unrelateQ = `mutation($f: ID!, $t: String!, $to: ID!) { unrelate(from: $f, type: $t, to: $to) }`
	deleteQ   = `mutation($id: ID!) { deleteCI(id: $id) }`
	getQ      = `query($id: ID!) { ci(id: $id) { id } }`
	blastQ    = `query($ids: [ID!]!, $d: Int, $types: [String!]) { blastRadius(ciIds: $ids, maxDepth: $d, types: $types) { totalCount } }`
	depsQ     = `query($id: ID!, $d: Int) { dependencies(ciId: $id, maxDepth: $d) { distance } }`
)

const reclassifyQ = `mutation($id: ID!, $c: String!) { reclassifyCI(id: $id, class: $c) { id class } }`

const changeQ = `mutation($in: CreateChangeInput!) { createChange(input: $in) { id } }`

// changeIn is a valid change request but for its planned start.
func changeIn(f fixture, start any) map[string]any {
	return in("title", "t", "type", "NORMAL", "targetCiIds", []any{f.app}, "plannedStart", start, "plannedEnd", "2026-12-08T10:00:00Z")
}

// errorTable lists requests that must fail with one error of the given code
// naming the given field, and change nothing.
var errorTable = []struct {
	name, query string
	vars        func(f fixture) map[string]any
	code, field string
}{
	{"relate unknown relation type", relateQ, func(f fixture) map[string]any { return in("f", f.app, "t", "USES", "to", f.db) }, "INVALID_INPUT", "type"},
	{"relate class pair the catalogue forbids", relateQ, func(f fixture) map[string]any { return in("f", f.app, "t", "MEMBER_OF", "to", f.db) }, "INVALID_INPUT", "type"},
	{"relate to itself", relateQ, func(f fixture) map[string]any { return in("f", f.app, "t", "DEPENDS_ON", "to", f.app) }, "INVALID_INPUT", "to"},
	{"relate malformed from", relateQ, func(f fixture) map[string]any { return in("f", malformedID, "t", "DEPENDS_ON", "to", f.db) }, "INVALID_INPUT", "from"},
	{"relate unknown to", relateQ, func(f fixture) map[string]any { return in("f", f.app, "t", "DEPENDS_ON", "to", unknownID) }, "NOT_FOUND", "to"},
	{"unrelate unknown type", unrelateQ, func(f fixture) map[string]any { return in("f", f.app, "t", "USES", "to", f.db) }, "INVALID_INPUT", "type"},
	{"get malformed id", getQ, func(f fixture) map[string]any { return in("id", malformedID) }, "INVALID_INPUT", "id"},
	{"delete malformed id", deleteQ, func(f fixture) map[string]any { return in("id", "ABC") }, "INVALID_INPUT", "id"},
	{"delete unknown id", deleteQ, func(f fixture) map[string]any { return in("id", unknownID) }, "NOT_FOUND", "id"},
	{"upsert malformed id", upsertMutation, func(f fixture) map[string]any { return in("in", in("id", malformedID, "name", "x")) }, "INVALID_INPUT", "id"},
	{"upsert unknown id", upsertMutation, func(f fixture) map[string]any { return in("in", in("id", unknownID, "name", "x")) }, "NOT_FOUND", "id"},
	{"empty name", upsertMutation, func(f fixture) map[string]any { return in("in", in("name", "   ", "class", "Server")) }, "INVALID_INPUT", "name"},
	{"create without name", upsertMutation, func(f fixture) map[string]any { return in("in", in("class", "Server")) }, "INVALID_INPUT", "name"},
	{"unknown class", upsertMutation, func(f fixture) map[string]any { return in("in", in("name", "x", "class", "Toaster")) }, "INVALID_INPUT", "class"},
	{"name too long", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", strings.Repeat("n", graph.MaxNameLen+1), "class", "Server"))
	}, "INVALID_INPUT", "name"},
	{"oversize attributes", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "x", "class", "Server", "attributes", in("blob", strings.Repeat("a", graph.MaxAttributesBytes))))
	}, "INVALID_INPUT", "attributes"},
	{"attributes an array", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "x", "class", "Server", "attributes", []any{1}))
	}, "INVALID_INPUT", "input.attributes"},
	{"attributes a number", upsertMutation, func(f fixture) map[string]any { return in("in", in("name", "x", "class", "Server", "attributes", 3)) }, "INVALID_INPUT", "input.attributes"},
	{"attributes invalid JSON text", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "x", "class", "Server", "attributes", `{"a":`))
	}, "INVALID_INPUT", "input.attributes"},
	{"identifier kind", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "x", "class", "Server", "identifiers", []any{ident("Bad Kind", "v")}))
	}, "INVALID_INPUT", "identifiers[0].kind"},
	{"identifier owned by another CI", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("id", f.db, "identifiers", []any{ident("serial", "APP-1")}))
	}, "CONFLICT", "identifiers[0]"},
	{"identifier of a CI of another class", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "dup", "class", "Server", "identifiers", []any{ident("serial", "APP-1")}))
	}, "CONFLICT", "identifiers[0]"},
	{"reclassify to an unknown class", reclassifyQ, func(f fixture) map[string]any { return in("id", f.app, "c", "Toaster") }, "INVALID_INPUT", "class"},
	{"reclassify malformed id", reclassifyQ, func(f fixture) map[string]any { return in("id", "", "c", "Server") }, "INVALID_INPUT", "id"},
	{"reclassify unknown id", reclassifyQ, func(f fixture) map[string]any { return in("id", unknownID, "c", "Server") }, "NOT_FOUND", "id"},
	{"identifiers of two CIs", upsertMutation, func(f fixture) map[string]any {
		return in("in", in("name", "x", "identifiers", []any{ident("serial", "APP-1"), ident("serial", "DB-1")}))
	}, "CONFLICT", "identifiers"},
	{"invalid cursor", listQuery, func(f fixture) map[string]any { return in("after", "bm90IGEgY3Vyc29y") }, "INVALID_INPUT", "after"},
	{"page too large", listQuery, func(f fixture) map[string]any { return in("first", graph.MaxPageSize+1) }, "INVALID_INPUT", "first"},
	{"negative page size", listQuery, func(f fixture) map[string]any { return in("first", -1) }, "INVALID_INPUT", "first"},
	{"filter by unknown class", listQuery, func(f fixture) map[string]any { return in("f", in("class", "Toaster")) }, "INVALID_INPUT", "filter.class"},
	{"relations of unknown type", `query($id: ID!) { ci(id: $id) { relations(types: ["DEPENDS_ON", "USES"]) { type } } }`,
		func(f fixture) map[string]any { return in("id", f.app) }, "INVALID_INPUT", "types[1]"},
	{"blast radius malformed id", blastQ, func(f fixture) map[string]any { return in("ids", []any{f.app, "x"}) }, "INVALID_INPUT", "ciIds[1]"},
	{"blast radius unknown id", blastQ, func(f fixture) map[string]any { return in("ids", []any{unknownID}) }, "NOT_FOUND", "ciIds[0]"},
	{"blast radius no ids", blastQ, func(f fixture) map[string]any { return in("ids", []any{}) }, "INVALID_INPUT", "ciIds"},
	{"blast radius depth", blastQ, func(f fixture) map[string]any { return in("ids", []any{f.app}, "d", graph.MaxTraversal+1) }, "INVALID_INPUT", "maxDepth"},
	{"blast radius unknown type", blastQ, func(f fixture) map[string]any { return in("ids", []any{f.app}, "types", []any{"USES"}) }, "INVALID_INPUT", "types[0]"},
	{"dependencies malformed id", depsQ, func(f fixture) map[string]any { return in("id", malformedID) }, "INVALID_INPUT", "ciId"},
	{"dependencies unknown id", depsQ, func(f fixture) map[string]any { return in("id", unknownID) }, "NOT_FOUND", "ciId"},
	{"blast radius depth 0", blastQ, func(f fixture) map[string]any { return in("ids", []any{f.app}, "d", 0) }, "INVALID_INPUT", "maxDepth"},
	{"dependencies depth 0 literal", `query($id: ID!) { dependencies(ciId: $id, maxDepth: 0) { distance } }`,
		func(f fixture) map[string]any { return in("id", f.app) }, "INVALID_INPUT", "maxDepth"},
	// Custom scalars sent in the wrong shape are the caller's fault, as
	// variables and as literals.
	{"time a word in variables", changeQ, func(f fixture) map[string]any { return in("in", changeIn(f, "tomorrow")) }, "INVALID_INPUT", "input.plannedStart"},
	{"time a bare date in variables", changeQ, func(f fixture) map[string]any { return in("in", changeIn(f, "2026-12-07")) }, "INVALID_INPUT", "input.plannedStart"},
	{"time a number in variables", changeQ, func(f fixture) map[string]any { return in("in", changeIn(f, 1765100000)) }, "INVALID_INPUT", "input.plannedStart"},
	{"time literal argument", `{ slaAtRisk(asOf: "yesterday") { status } }`, func(fixture) map[string]any { return nil }, "INVALID_INPUT", "asOf"},
	{"time variable argument", `query($t: Time) { slaAtRisk(asOf: $t) { status } }`, func(fixture) map[string]any { return in("t", "2026-12-07") }, "INVALID_INPUT", "asOf"},
	{"time literal in an input", `mutation($t: [ID!]!) { createChange(input: {title: "t", type: NORMAL, targetCiIds: $t, plannedStart: "soon", plannedEnd: "2026-12-08T10:00:00Z"}) { id } }`,
		func(f fixture) map[string]any { return in("t", []any{f.app}) }, "INVALID_INPUT", "input.plannedStart"},
	{"JSON literal a number", `mutation { upsertCI(input: {name: "x", class: "Server", attributes: 5}) { id } }`,
		func(fixture) map[string]any { return nil }, "INVALID_INPUT", "input.attributes"},
	{"dependencies negative depth", depsQ, func(f fixture) map[string]any { return in("id", f.app, "d", -1) }, "INVALID_INPUT", "maxDepth"},
	// gqlgen's own errors keep their codes.
	{"unknown field", `{ ci(id: "x") { colour } }`, func(fixture) map[string]any { return nil }, "GRAPHQL_VALIDATION_FAILED", ""},
	{"syntax error", `{ ci(id: `, func(fixture) map[string]any { return nil }, "GRAPHQL_PARSE_FAILED", ""},
	{"bad enum in variables", upsertMutation, func(fixture) map[string]any { return in("in", in("name", "x", "class", "Server", "status", "BROKEN")) }, "GRAPHQL_VALIDATION_FAILED", ""},
	{"missing variable", getQ, func(fixture) map[string]any { return nil }, "GRAPHQL_VALIDATION_FAILED", ""},
}

var errorCases = []testCase{
	{"table", func(t *testing.T, e *env) {
		f := fixture{
			app: e.mk(t, "app", "Application", "identifiers", []any{ident("serial", "APP-1")}),
			db:  e.mk(t, "db", "Database", "identifiers", []any{ident("serial", "DB-1")}),
		}
		snapshot := func() (int, int) {
			t.Helper()
			page, err := e.store.Store.ListCIs(e.ctx, graph.CIFilter{}, graph.Page{First: graph.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(page.CIs))
			for i, c := range page.CIs {
				ids[i] = c.ID
			}
			rels, err := e.store.Store.RelationsOf(e.ctx, ids, graph.Outgoing, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rels {
				n += len(r)
			}
			return len(page.CIs), n
		}
		cis, rels := snapshot()
		before, err := e.store.Store.GetCI(e.ctx, f.db)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range errorTable {
			t.Run(tc.name, func(t *testing.T) {
				got := e.fail(t, tc.query, tc.vars(f), tc.code, tc.field)
				if tc.code == "INTERNAL" || strings.Contains(got.Message, "graph.Error") {
					t.Errorf("message leaks internals: %q", got.Message)
				}
				if strings.HasPrefix(tc.name, "time ") && !strings.Contains(got.Message, "RFC 3339") {
					t.Errorf("message does not give the expected format: %q", got.Message)
				}
			})
		}
		if c, r := snapshot(); c != cis || r != rels {
			t.Errorf("failed requests changed the store: %d CIs %d relations, was %d and %d", c, r, cis, rels)
		}
		after, err := e.store.Store.GetCI(e.ctx, f.db)
		if err != nil || !after.UpdatedAt.Equal(before.UpdatedAt) || len(after.Identifiers) != 1 {
			t.Errorf("failed upserts changed db: %+v (%v)", after, err)
		}
	}},
}

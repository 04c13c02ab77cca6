package resolvers

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// TestComplexityBudget pins what the default limit lets through, so that a
// change to the per-field costs is a visible decision.
func TestComplexityBudget(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexityRoot()})
	for _, tc := range []struct {
		name, query string
		allowed     bool
	}{
		{"a page of 100 with relations and neighbours",
			`{ cis(first: 100) { edges { node { id name relations { type from { id } to { id } } neighbours { id name } } } } }`, true},
		{"the largest page with a few fields and outgoing relations",
			`{ cis(first: 500) { totalCount edges { cursor node { id name class status relations(direction: OUTGOING) { type toId } } } } }`, true},
		{"a dashboard blast radius",
			`query($ids: [ID!]!) { blastRadius(ciIds: $ids) { totalCount sources { id name class }
				impacted { ci { id name class } distance effect path { id name } }
				services { ci { id name class } effect distance path { id name } } } }`, true},
		{"dependencies with paths", `{ dependencies(ciId: "x") { ci { id name class } distance path { id name } } }`, true},
		{"two levels of neighbours on the largest page",
			`{ cis(first: 500) { edges { node { neighbours { neighbours { id } } } } } }`, false},
		{"neighbours of the neighbours of a blast radius",
			`query($ids: [ID!]!) { blastRadius(ciIds: $ids) { impacted { ci { neighbours { neighbours { id } } } } } }`, true},
		{"three levels of neighbours of a blast radius",
			`query($ids: [ID!]!) { blastRadius(ciIds: $ids) { impacted { ci { neighbours { neighbours { neighbours { id } } } } } } }`, false},
		{"four levels of relations of one CI",
			`{ ci(id: "x") { relations { from { relations { from { relations { from { relations { type } } } } } } } } }`, true},
		{"five levels of relations of one CI",
			`{ ci(id: "x") { relations { from { relations { from { relations { from { relations { from { relations { type } } } } } } } } } } }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(es.Schema(), tc.query)
			if errs != nil {
				t.Fatal(errs)
			}
			got := complexity.Calculate(context.Background(), es, doc.Operations[0], map[string]any{"ids": []any{"x"}})
			t.Logf("complexity %d", got)
			if allowed := got <= DefaultComplexityLimit; allowed != tc.allowed {
				t.Errorf("complexity %d vs limit %d: allowed=%v, want %v", got, DefaultComplexityLimit, allowed, tc.allowed)
			}
		})
	}
}

func TestDepth(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexityRoot()})
	nest := func(n int) string { return strings.Repeat("relations { from { ", n) + "id" + strings.Repeat(" } }", n) }
	for _, tc := range []struct {
		query string
		want  int
	}{
		{`{ ci(id: "x") { id } }`, 2},
		{`{ ci(id: "x") { ` + nest(5) + ` } }`, 12},
		{`{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } ci(id: "x") { id } }`, 2},
		{`{ ci(id: "x") { ...A } } fragment A on CI { relations { from { ...B } } } fragment B on CI { relations { to { id } } }`, 6},
		{`{ ci(id: "x") { ... on CI { relations { type } } } }`, 3},
	} {
		doc, errs := gqlparser.LoadQuery(es.Schema(), tc.query)
		if errs != nil {
			t.Fatal(errs)
		}
		w := depthWalker{memo: map[string]int{}, active: map[string]bool{}}
		if got := w.depth(doc.Operations[0].SelectionSet); got != tc.want {
			t.Errorf("depth %d, want %d: %s", got, tc.want, tc.query)
		}
		err := depthLimit{max: 11}.MutateOperationContext(context.Background(), &graphql.OperationContext{Operation: doc.Operations[0]})
		if (err != nil) != (tc.want > 11) {
			t.Errorf("limit 11 on depth %d: %v", tc.want, err)
		}
	}
}

package resolvers

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2"

	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// fullPlan selects every field of a plan, CIs included.
const fullPlan = `plan { source scope generation complete seen unchanged staleRelations
	creates { id name class at changes { field old new } }
	updates { id ci { id name class } name class at changes { field old new } }
	newRelations { from { id name class } type to { id name class } }
	removedRelations { from { id name class } type to { id name class } }
	stale { id name class missed lastSeen seenElsewhere }
	retired { id name class missed lastSeen seenElsewhere }
	problems { code at field message ciIds }
	impact { service { id name class } gained { id name class } lost { id name class } } }`

const runCounts = `id format source scope files dryRun actor started finished outcome error errorFile errorAt errorField
	counts { items links created updated unchanged stale retired relationsCreated relationsRemoved staleRelations problems }`

// TestImportComplexityBudget pins what the default limit lets through of
// the import API: a whole plan in a mutation's answer or of one run, and
// a page of runs without their plans, but not a page of whole plans.
func TestImportComplexityBudget(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexityRoot()})
	for _, tc := range []struct {
		name, query string
		allowed     bool
	}{
		{"importFile with the whole plan",
			`mutation { importFile(input: {format: NMAP, content: "x"}) { run { ` + runCounts + ` } ` + fullPlan + ` } }`, true},
		{"importBatch with the whole plan",
			`mutation { importBatch(input: {source: "a", scope: "b", items: []}) { run { id outcome } ` + fullPlan + ` } }`, true},
		{"one run with its whole plan", `{ importRun(id: "x") { ` + runCounts + ` ` + fullPlan + ` } }`, true},
		{"the largest page of runs with their counts",
			`{ importRuns(first: 500) { totalCount edges { cursor node { ` + runCounts + ` } } } }`, true},
		{"a page of 50 runs with their whole plans",
			`{ importRuns(first: 50) { edges { node { id ` + fullPlan + ` } } } }`, false},
		{"a page of 100 CIs with provenance and sightings",
			`{ cis(first: 100) { edges { node { id provenance { field source scope since lastSeen }
				sightings { source scope firstSeen lastSeen lastRunId missed stale } } } } }`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(es.Schema(), tc.query)
			if errs != nil {
				t.Fatal(errs)
			}
			got := complexity.Calculate(context.Background(), es, doc.Operations[0], nil)
			t.Logf("complexity %d", got)
			if allowed := got <= DefaultComplexityLimit; allowed != tc.allowed {
				t.Errorf("complexity %d vs limit %d: allowed=%v, want %v", got, DefaultComplexityLimit, allowed, tc.allowed)
			}
		})
	}
}

// TestImportFormatEnumIsTheRegistry holds the GraphQL ImportFormat enum to
// the format registry: a format added to one and not the other fails here.
func TestImportFormatEnumIsTheRegistry(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})
	enum := es.Schema().Types["ImportFormat"]
	if enum == nil || len(enum.EnumValues) == 0 {
		t.Fatal("schema has no ImportFormat enum values")
	}
	var got []string
	for _, v := range enum.EnumValues {
		got = append(got, strings.ToLower(v.Name))
	}
	want := formats.Names()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("GraphQL ImportFormat %v, registry %v", got, want)
	}
}

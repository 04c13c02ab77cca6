package resolvers

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2"

	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// TestITSMComplexity pins what the default limit lets through for the
// record lists, history and analyses.
func TestITSMComplexity(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexityRoot()})
	for _, tc := range []struct {
		name, query string
		allowed     bool
	}{
		{"an incident queue", `{ incidents(first: 100) { totalCount edges { cursor node { id title priority state openedAt
			affectedCis { id name } services { id name } responseDue resolutionDue problem { id } } } } }`, true},
		{"an incident with its history", `{ incident(id: "x") { id transitions { from to at actor } history(first: 100) { edges { node { id at actor action before after } } } } }`, true},
		{"the history of every incident on the largest page",
			`{ incidents(first: 500) { edges { node { history(first: 500) { edges { node { id } } } } } } }`, false},
		{"a change-impact dashboard", `{ changeImpact(changeId: "x") { riskScore reasons riskFactors { factor points detail }
			services { ci { id name } effect } impacted { ci { id name } effect distance path { id } }
			collisions { id sharedCis { id name } } freezeViolations { id name start end }
			slasAtRisk { sla { id name } service { id } expectedOutageMinutes budgetLeftMinutes atRisk } } }`, true},
		{"SLAs at risk with clocks", `{ slaAtRisk { service { id name } status reasons attainment budgetMinutes budgetLeftMinutes
			openIncidents { incident { id title } responseDue resolutionDue } changes { change { id } effect plannedDowntimeMinutes } } }`, true},
		{"root causes with evidence", `{ rootCauseCandidates(first: 20) { ci { id name } score explains { id } evidence evidenceItems { kind detail weight } } }`, true},
		{"neighbours of neighbours of every affected CI on the largest page",
			`{ incidents(first: 500) { edges { node { affectedCis { neighbours { neighbours { id } } } } } } }`, false},
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

package resolvers

import (
	"context"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// Default limits. Complexity is counted the gqlgen way (one per field)
// with list fields multiplied by how many items they are expected to return,
// so a page of 100 CIs with their relations and neighbours costs about
// 7,600, while two levels of neighbours on a page of 500 (56,000) or five
// nested levels of relations from one CI (10^5) are refused. limits_test.go
// pins these examples.
const (
	DefaultComplexityLimit = 20000
	DefaultDepthLimit      = 12
)

// Expected sizes of lists whose length the query does not fix.
const (
	fanOut         = 10  // relations or neighbours of one CI
	impactedSize   = 100 // CIs in a blast radius or a dependency list
	servicesSize   = 10  // services in a blast radius
	sourcesSize    = 10  // CIs a blast radius starts from
	pathLength     = 5   // CIs on an explaining path
	recordLinks    = 10  // CIs, incidents, transitions, notes... of one record
	slaCount       = 20  // SLAs or windows in a list
	analysisCost   = 100 // running one change-impact, root-cause or SLA analysis
	complexityCeil = 1 << 40
)

// Codes of operations refused by the limits, before any resolver runs.
const (
	ErrDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	ErrComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED" // set by gqlgen's extension
)

// Refused operations are answered like validation failures (422 for
// application/json), not like execution errors (200): the client must
// change the query, and retrying it as is can never succeed.
func init() {
	errcode.RegisterErrorType(ErrDepthLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(ErrComplexityLimit, errcode.KindProtocol)
}

func complexityRoot() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Cis = func(child int, _ *graph.CIFilter, first *int, _ *string, last *int, _ *string, _ *time.Time) int {
		return times(listSize(first, last), child)
	}
	perCI := func(child int, _ *graph.Direction, _ []string) int { return times(fanOut, child) }
	c.CI.Relations = perCI
	c.CI.Neighbours = perCI
	c.CI.DependsOn = func(child int) int { return times(fanOut, child) }
	c.CI.Dependants = c.CI.DependsOn
	c.Query.BlastRadius = func(child int, ciIDs []string, _ *int, _ []string, _ *time.Time) int { return child + len(ciIDs) }
	c.BlastRadius.Sources = func(child int) int { return times(sourcesSize, child) }
	c.BlastRadius.Impacted = func(child int) int { return times(impactedSize, child) }
	c.BlastRadius.ImpactedConnection = func(child int, first *int, _ *string) int { return times(pageSize(first), child) }
	c.BlastRadius.Services = func(child int) int { return times(servicesSize, child) }
	c.ImpactedCI.Path = func(child int) int { return times(pathLength, child) }
	c.Query.Dependencies = func(child int, _ string, _ *int, _ []string, _ *time.Time) int { return times(impactedSize, child) }
	c.Query.GraphDiff = func(child int, _ time.Time, _ time.Time, first *int, _ *string) int {
		return times(pageSize(first), child)
	}
	c.Dependency.Path = func(child int) int { return times(pathLength, child) }
	itsmComplexity(&c)
	importComplexity(&c)
	reportComplexity(&c)
	eventComplexity(&c)
	return c
}

// pageSize is the number of items a first argument asks for. Out-of-range
// values are rejected by the store with a clearer message than a
// complexity error would give.
func pageSize(first *int) int {
	if first == nil {
		return graph.DefaultPageSize
	}
	return min(max(*first, 1), graph.MaxPageSize)
}

// listSize is the number of items a list paging either way asks for.
func listSize(first, last *int) int {
	if first == nil && last != nil {
		return pageSize(last)
	}
	return pageSize(first)
}

// itsmComplexity prices the ITSM records, their history and the analyses.
func itsmComplexity(c *generated.ComplexityRoot) {
	history := func(child int, first *int, _ *string) int { return times(pageSize(first), child) }
	c.CI.History = history
	c.Incident.History = history
	c.Problem.History = history
	c.Change.History = history
	c.SLA.History = history
	c.Query.History = func(child int, _ string, first *int, _ *string) int { return times(pageSize(first), child) }
	c.Query.Incidents = func(child int, _ *itsm.IncidentFilter, _ *model.IncidentOrder, first *int, _ *string, last *int, _ *string) int {
		return times(listSize(first, last), child)
	}
	c.Query.Problems = func(child int, _ *itsm.ProblemFilter, _ *model.ProblemOrder, first *int, _ *string, last *int, _ *string) int {
		return times(listSize(first, last), child)
	}
	c.Query.Changes = func(child int, _ *itsm.ChangeFilter, _ *model.ChangeOrder, first *int, _ *string, last *int, _ *string) int {
		return times(listSize(first, last), child)
	}
	c.Query.Slas = func(child int, _ *string) int { return times(slaCount, child) }
	c.Query.Windows = func(child int, _ *itsm.WindowKind, _, _ *time.Time) int { return times(slaCount, child) }

	perRecord := func(child int) int { return times(recordLinks, child) }
	c.Incident.AffectedCis = perRecord
	c.Incident.Services = perRecord
	c.Incident.Transitions = perRecord
	c.Problem.Incidents = perRecord
	c.Problem.Transitions = perRecord
	c.Change.Targets = perRecord
	c.Change.Approvals = perRecord
	c.Change.ImplementationNotes = perRecord
	c.Change.Transitions = perRecord
	c.SLA.Targets = perRecord
	c.Window.Scope = perRecord

	c.Query.ChangeImpact = func(child int, _ string) int { return analysisCost + child }
	c.Mutation.AssessChange = c.Query.ChangeImpact
	c.ChangeImpact.Impacted = func(child int) int { return times(impactedSize, child) }
	c.ChangeImpact.Services = func(child int) int { return times(servicesSize, child) }
	c.ChangeImpact.RiskFactors = perRecord
	c.ChangeImpact.Collided = perRecord
	c.ChangeImpact.Freezes = perRecord
	c.ChangeImpact.SLAs = perRecord
	c.ChangeCollision.SharedCis = func(child int) int { return times(impactedSize, child) }
	c.Query.RootCauseCandidates = func(child int, _ []string, _ *time.Time, first *int) int {
		n := 10
		if first != nil {
			n = min(max(*first, 1), maxCandidates)
		}
		return analysisCost + times(n, child)
	}
	c.RootCauseCandidate.Explains = perRecord
	c.RootCauseCandidate.EvidenceItems = perRecord
	c.Query.SLAAtRisk = func(child int, _ *time.Time) int { return analysisCost + times(slaCount, child) }
	c.ServiceSLAStatus.OpenIncidents = perRecord
	c.ServiceSLAStatus.Changes = perRecord
}

// times is 1 + n*child, saturating so nesting cannot overflow into a small
// (accepted) number.
func times(n, child int) int {
	if child > 0 && n > complexityCeil/child {
		return complexityCeil
	}
	return 1 + n*child
}

// depthLimit rejects operations whose selections nest deeper than max
// fields. Complexity bounds the work but not recursion through fields that
// return one object (relation.from.relations...), and deep nesting is
// never needed by a sensible client. Introspection fields are not counted:
// their depth is fixed by the schema, and GraphiQL's own query is deep.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                          { return "DepthLimit" }
func (depthLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	w := depthWalker{memo: map[string]int{}, active: map[string]bool{}}
	if depth := w.depth(opCtx.Operation.SelectionSet); depth > d.max {
		err := gqlerror.Errorf("operation nests %d levels deep, more than the limit of %d", depth, d.max)
		errcode.Set(err, ErrDepthLimit)
		return err
	}
	return nil
}

// depthWalker measures selection depth; fragment depths are memoised so a
// fragment spread many times is walked once (no exponential blow-up), and
// active guards against cycles that validation should already have refused.
type depthWalker struct {
	memo   map[string]int
	active map[string]bool
}

func (w depthWalker) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + w.depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = w.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w depthWalker) fragment(s *ast.FragmentSpread) int {
	if d, ok := w.memo[s.Name]; ok {
		return d
	}
	if s.Definition == nil || w.active[s.Name] {
		return 0
	}
	w.active[s.Name] = true
	d := w.depth(s.Definition.SelectionSet)
	delete(w.active, s.Name)
	w.memo[s.Name] = d
	return d
}

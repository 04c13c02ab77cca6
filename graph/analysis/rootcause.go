package analysis

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// RootCause is a CI that may explain a set of incidents.
type RootCause struct {
	CI graph.CI
	// Score is the candidate's share of belief among all candidates, 0..1.
	Score float64
	// LogOdds is the ranking's log posterior against "nothing failed":
	// unlike Score it does not depend on the other candidates.
	LogOdds  float64
	Explains []*itsm.Incident
	Evidence []rootcause.Evidence
}

// Root-cause search bounds: how far upstream of the incidents' CIs causes
// are looked for, how far back changes count, and the default look-back for
// "all open incidents".
const (
	rootCauseDepth    = 6
	changeLookback    = 7 * 24 * time.Hour
	defaultOpenWindow = 24 * time.Hour
)

// RootCauseCandidates ranks the CIs that best explain the incidents (or,
// with no ids, every open incident opened since since, by default the last
// day, leaving out major incidents, which group others rather than report
// a symptom): upstream CIs whose failure covers many of the incidents' CIs
// with the right severity, timed with a recent change on or near them, or
// with a known error.
func (a *Analyst) RootCauseCandidates(ctx context.Context, incidentIDs []string, since *time.Time, limit int) ([]RootCause, error) {
	from := a.ITSM.Now().Add(-defaultOpenWindow)
	if since != nil {
		from = *since
	}
	incs, err := a.selectIncidents(ctx, incidentIDs, from)
	if err != nil || len(incs) == 0 {
		return nil, err
	}
	m, err := a.CauseModel(ctx, incs, from)
	if err != nil || m == nil {
		return nil, err
	}
	return m.Rank(nil, limit), nil
}

// CauseModel is the evidence about the causes of a set of incidents, read
// from the store once — the graph upstream of their CIs, recent changes,
// known errors — so that the set and any subset of it can be ranked
// without reading the store again (correlation ranks what is left of a
// storm after each group it finds).
type CauseModel struct {
	cat     *graph.Catalogue
	sub     graph.Subgraph
	cis     map[string]graph.CI // the subgraph's CIs, whole
	in      rootcause.Input
	byID    map[string]*itsm.Incident
	deleted *rootcause.Evidence
}

// CauseModel gathers the evidence about incs, observed since since (or
// their earliest opening, if earlier). It is nil when no incident has a
// CI that still exists.
func (a *Analyst) CauseModel(ctx context.Context, incs []*itsm.Incident, since time.Time) (*CauseModel, error) {
	incs, affected, seeds, deleted, err := a.withLiveCIs(ctx, incs)
	if err != nil || len(incs) == 0 {
		return nil, err
	}
	m := &CauseModel{cat: a.store().Catalogue(), byID: map[string]*itsm.Incident{}, deleted: deleted,
		in: rootcause.Input{Since: since, Now: a.ITSM.Now()}}
	for _, inc := range incs {
		m.byID[inc.ID] = inc
		m.in.Incidents = append(m.in.Incidents, rankInput(inc, affected[inc.ID]))
		if inc.OpenedAt.Before(m.in.Since) {
			m.in.Since = inc.OpenedAt
		}
	}
	if m.sub, m.cis, err = a.causeSubgraph(ctx, seeds); err != nil {
		return nil, err
	}
	if m.in.Changes, err = a.recentChanges(ctx, m.sub, m.in.Since.Add(-changeLookback), m.in.Now); err != nil {
		return nil, err
	}
	if m.in.KnownErrors, err = a.knownErrors(ctx, m.sub); err != nil {
		return nil, err
	}
	if m.in.Coverage, err = a.learnedCoverage(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Subgraph is the graph the model ranks over: every CI whose failure could
// reach an incident's CI, and one hop downstream of those.
func (m *CauseModel) Subgraph() graph.Subgraph { return m.sub }

// Reach is what a failure of cause does in the model's subgraph: the
// effect on each CI it hits and a shortest explaining path to it.
func (m *CauseModel) Reach(cause string) impact.State {
	return impact.Propagate(m.cat, m.sub, []string{cause})
}

// Rank ranks the causes of the incidents among ids (all the model's when
// ids is nil; ids it does not hold are ignored), best first, at most limit.
func (m *CauseModel) Rank(ids []string, limit int) []RootCause {
	in := m.in
	if ids != nil {
		keep := make(map[string]bool, len(ids))
		for _, id := range ids {
			keep[id] = true
		}
		in.Incidents = nil
		for _, inc := range m.in.Incidents {
			if keep[inc.ID] {
				in.Incidents = append(in.Incidents, inc)
			}
		}
	}
	ranked := rootcause.Rank(m.cat, m.sub, in, rootcause.Options{Limit: limit})
	out := make([]RootCause, 0, len(ranked))
	for _, c := range ranked {
		rc := RootCause{CI: m.cis[c.CI], Score: c.Score, LogOdds: c.LogOdds, Evidence: c.Evidence}
		if m.deleted != nil {
			rc.Evidence = append(rc.Evidence, *m.deleted)
		}
		for _, id := range c.Explains {
			rc.Explains = append(rc.Explains, m.byID[id])
		}
		out = append(out, rc)
	}
	return out
}

func (a *Analyst) selectIncidents(ctx context.Context, ids []string, since time.Time) ([]*itsm.Incident, error) {
	if len(ids) == 0 {
		open, err := a.incidents(ctx, itsm.IncidentFilter{Open: true, From: &since})
		return slices.DeleteFunc(open, func(inc *itsm.Incident) bool { return inc.Major }), err
	}
	var out []*itsm.Incident
	for i, id := range ids {
		field := fmt.Sprintf("incidentIds[%d]", i)
		if err := graph.CheckID(field, id); err != nil {
			return nil, err
		}
		inc, err := a.ITSM.GetIncident(ctx, id)
		if err != nil {
			return nil, renameNotFound(err, field)
		}
		out = append(out, inc)
	}
	return out, nil
}

// readCauseSubgraph reads every CI whose failure could reach the seeds,
// plus one hop downstream of them: the silent dependants of a broad
// candidate are the best evidence against blaming it. It returns the CIs
// whole beside the subgraph's heads.
func (a *Analyst) readCauseSubgraph(ctx context.Context, seeds []string) (graph.Subgraph, map[string]graph.CI, error) {
	up, err := a.store().Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: seeds, Direction: graph.Upstream, MaxDepth: rootCauseDepth})
	if err != nil {
		return up, nil, fmt.Errorf("causes upstream of the incidents: %w", err)
	}
	ids := make([]string, 0, len(up.Nodes))
	for id := range up.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	down, err := a.store().Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: ids, Direction: graph.Downstream, MaxDepth: 1})
	if err != nil {
		return up, nil, fmt.Errorf("dependants of the candidates: %w", err)
	}
	for id, n := range down.Nodes {
		if up.Nodes[id] == nil {
			up.Nodes[id] = n
			ids = append(ids, id)
		}
	}
	// A traversal returns CI heads; ranking reads every CI's attributes
	// (its declared monitoring) and a root cause shows its CI whole.
	cis, err := a.store().CIsByIDs(ctx, ids)
	if err != nil {
		return up, nil, fmt.Errorf("CIs of the cause graph: %w", err)
	}
	for id, n := range up.Nodes {
		n.Attributes = cis[id].Attributes
	}
	edges := map[graph.RelationKey]bool{}
	for _, r := range up.Edges {
		edges[r.Key()] = true
	}
	for _, r := range down.Edges {
		if !edges[r.Key()] {
			edges[r.Key()] = true
			up.Edges = append(up.Edges, r)
		}
	}
	return up, cis, nil
}

// recentChanges are the changes on CIs of the subgraph whose window
// overlaps [from, to].
func (a *Analyst) recentChanges(ctx context.Context, sub graph.Subgraph, from, to time.Time) ([]rootcause.Change, error) {
	all, err := a.changesIn(ctx, from, to, []itsm.ChangeState{itsm.ChangeImplementing, itsm.ChangeReview, itsm.ChangeClosed, itsm.ChangeScheduled})
	if err != nil {
		return nil, err
	}
	var out []rootcause.Change
	for _, c := range all {
		in := false
		for _, id := range c.TargetCIs {
			in = in || sub.Nodes[id] != nil
		}
		if !in {
			continue
		}
		rc := rootcause.Change{ID: c.ID, TargetCIs: c.TargetCIs, Start: c.PlannedStart, End: c.PlannedEnd,
			Failed: c.Outcome == itsm.OutcomeFailed || c.Outcome == itsm.OutcomeRolledBack}
		if c.ActualStart != nil {
			rc.Start = *c.ActualStart
			rc.End = time.Time{} // still running until it ends
		}
		if c.ActualEnd != nil {
			rc.End = *c.ActualEnd
		}
		if c.State == itsm.ChangeScheduled && c.PlannedStart.After(to) {
			continue
		}
		out = append(out, rc)
	}
	return out, nil
}

// knownErrors are the open known-error problems rooted in the subgraph.
func (a *Analyst) knownErrors(ctx context.Context, sub graph.Subgraph) ([]rootcause.KnownError, error) {
	problems, err := EveryPage(func(p graph.Page) ([]*itsm.Problem, graph.RecordPage, error) {
		return a.ITSM.ListProblems(ctx, itsm.ProblemFilter{States: []itsm.ProblemState{itsm.ProblemKnownError}}, p)
	})
	if err != nil {
		return nil, err
	}
	var out []rootcause.KnownError
	for _, p := range problems {
		if p.RootCauseCI != "" && sub.Nodes[p.RootCauseCI] != nil {
			out = append(out, rootcause.KnownError{CI: p.RootCauseCI, ProblemID: p.ID})
		}
	}
	return out, nil
}

package analysis

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// RootCause is a CI that may explain a set of incidents.
type RootCause struct {
	CI graph.CI
	// Score is the candidate's share of belief among all candidates, 0..1.
	Score    float64
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
// day): upstream CIs whose failure covers many of the incidents' CIs with
// the right severity, timed with a recent change on or near them, or with a
// known error.
func (a *Analyst) RootCauseCandidates(ctx context.Context, incidentIDs []string, since *time.Time, limit int) ([]RootCause, error) {
	now := a.ITSM.Now()
	from := now.Add(-defaultOpenWindow)
	if since != nil {
		from = *since
	}
	incs, err := a.selectIncidents(ctx, incidentIDs, from)
	if err != nil || len(incs) == 0 {
		return nil, err
	}
	incs, affected, seeds, deleted, err := a.withLiveCIs(ctx, incs)
	if err != nil || len(incs) == 0 {
		return nil, err
	}
	byID := map[string]*itsm.Incident{}
	in := rootcause.Input{Since: from, Now: now}
	for _, inc := range incs {
		byID[inc.ID] = inc
		in.Incidents = append(in.Incidents, rankInput(inc, affected[inc.ID]))
		if inc.OpenedAt.Before(in.Since) {
			in.Since = inc.OpenedAt
		}
	}
	sub, err := a.causeSubgraph(ctx, seeds)
	if err != nil {
		return nil, err
	}
	if in.Changes, err = a.recentChanges(ctx, sub, in.Since.Add(-changeLookback), now); err != nil {
		return nil, err
	}
	if in.KnownErrors, err = a.knownErrors(ctx, sub); err != nil {
		return nil, err
	}
	if in.Coverage, err = a.learnedCoverage(ctx); err != nil {
		return nil, err
	}
	ranked := rootcause.Rank(a.store().Catalogue(), sub, in, rootcause.Options{Limit: limit})
	out := make([]RootCause, 0, len(ranked))
	for _, c := range ranked {
		rc := RootCause{CI: sub.Nodes[c.CI].CI, Score: c.Score, Evidence: c.Evidence}
		if deleted != nil {
			rc.Evidence = append(rc.Evidence, *deleted)
		}
		for _, id := range c.Explains {
			rc.Explains = append(rc.Explains, byID[id])
		}
		out = append(out, rc)
	}
	return out, nil
}

func (a *Analyst) selectIncidents(ctx context.Context, ids []string, since time.Time) ([]*itsm.Incident, error) {
	if len(ids) == 0 {
		return a.incidents(ctx, itsm.IncidentFilter{Open: true, From: &since})
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

// causeSubgraph is every CI whose failure could reach the seeds, plus one
// hop downstream of them: the silent dependants of a broad candidate are the
// best evidence against blaming it.
func (a *Analyst) causeSubgraph(ctx context.Context, seeds []string) (graph.Subgraph, error) {
	up, err := a.store().Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: seeds, Direction: graph.Upstream, MaxDepth: rootCauseDepth})
	if err != nil {
		return up, fmt.Errorf("causes upstream of the incidents: %w", err)
	}
	ids := make([]string, 0, len(up.Nodes))
	for id := range up.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	down, err := a.store().Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: ids, Direction: graph.Downstream, MaxDepth: 1})
	if err != nil {
		return up, fmt.Errorf("dependants of the candidates: %w", err)
	}
	for id, n := range down.Nodes {
		if up.Nodes[id] == nil {
			up.Nodes[id] = n
		}
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
	return up, nil
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

package analysis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Root-cause ranking weighs a silent CI by how likely it was to raise
// something; the store's incident history says which CIs do. These bound
// how much history is read and how often.
const (
	// coverageHistory is how far back resolved incidents are read.
	coverageHistory = 90 * 24 * time.Hour
	// maxCoverageIncidents bounds the incidents read, newest first.
	maxCoverageIncidents = 2000
	// maxCoverageEpisodes bounds the episodes learned from (two
	// neighbourhood reads each), newest first.
	maxCoverageEpisodes = 50
	// episodeGap splits the history into episodes: incidents opened within
	// it of the previous one belong to the same failure, as far as
	// learning goes.
	episodeGap = 30 * time.Minute
	// coverageTTL is how long learned coverage is reused: it changes as
	// slowly as the history, and learning costs a hundred store reads.
	coverageTTL = 10 * time.Minute
)

// coverageRefreshTimeout bounds a background relearning, which no request
// waits for and so no request's deadline bounds.
const coverageRefreshTimeout = 2 * time.Minute

// coverageCache holds the coverage learned from history, per analyst.
// Replicas each learn their own; they read the same store, so they agree
// within one TTL.
type coverageCache struct {
	mu      sync.Mutex
	learned rootcause.Coverage
	at      time.Time // when learned was learned; zero: never
	// learning is closed when the learning under way ends; nil when none
	// is under way. err is the last learning's error.
	learning chan struct{}
	err      error
}

// learnedCoverage returns the monitoring coverage learned from the
// resolved incidents of the last coverageHistory. Once learned, it is
// served at once: when older than coverageTTL, it is relearned in the
// background while the previous estimate is served, so a ranking never
// waits for a hundred store reads. Only the very first rankings, before
// anything was learned, wait for the first learning (one for all of them).
func (a *Analyst) learnedCoverage(ctx context.Context) (rootcause.Coverage, error) {
	c := &a.coverage
	now := a.ITSM.Now()
	c.mu.Lock()
	if !c.at.IsZero() {
		if (now.Sub(c.at) >= coverageTTL || now.Before(c.at)) && c.learning == nil {
			c.learning = make(chan struct{})
			go func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), coverageRefreshTimeout)
				defer cancel()
				a.relearn(ctx, now)
			}()
		}
		defer c.mu.Unlock()
		return c.learned, nil
	}
	wait, lead := c.learning, c.learning == nil
	if lead {
		c.learning = make(chan struct{})
	}
	c.mu.Unlock()
	if lead {
		a.relearn(ctx, now)
	} else {
		select {
		case <-wait:
		case <-ctx.Done():
			return rootcause.Coverage{}, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return rootcause.Coverage{}, c.err
	}
	return c.learned, nil
}

// relearn learns coverage as of now and publishes it (on success), ending
// the learning under way.
func (a *Analyst) relearn(ctx context.Context, now time.Time) {
	var learned rootcause.Coverage
	episodes, err := a.episodes(ctx, now)
	if err == nil {
		learned = rootcause.Learn(a.store().Catalogue(), episodes, rootcause.Options{})
	} else {
		err = fmt.Errorf("learning monitoring coverage from incident history: %w", err)
	}
	c := &a.coverage
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.learned, c.at = learned, now
	}
	c.err = err
	close(c.learning)
	c.learning = nil
}

// episodes groups the resolved incidents of the history into bursts, the
// newest maxCoverageEpisodes of them, each with the subgraph a ranking of
// it would see.
func (a *Analyst) episodes(ctx context.Context, now time.Time) ([]rootcause.Episode, error) {
	from := now.Add(-coverageHistory)
	incs, err := a.firstIncidents(ctx, itsm.IncidentFilter{States: []itsm.IncidentState{itsm.IncidentResolved, itsm.IncidentClosed}, From: &from, To: &now}, maxCoverageIncidents)
	if err != nil {
		return nil, err
	}
	// A major incident's CI is its group's likely cause, not a CI that
	// raised something: it says nothing about monitoring coverage.
	incs = slices.DeleteFunc(incs, func(inc *itsm.Incident) bool { return inc.Major })
	slices.SortFunc(incs, func(x, y *itsm.Incident) int { return x.OpenedAt.Compare(y.OpenedAt) })
	var bursts [][]*itsm.Incident
	for i, inc := range incs {
		if i == 0 || inc.OpenedAt.Sub(incs[i-1].OpenedAt) > episodeGap {
			bursts = append(bursts, nil)
		}
		bursts[len(bursts)-1] = append(bursts[len(bursts)-1], inc)
	}
	if len(bursts) > maxCoverageEpisodes {
		bursts = bursts[len(bursts)-maxCoverageEpisodes:]
	}
	out := make([]rootcause.Episode, 0, len(bursts))
	for _, burst := range bursts {
		live, affected, seeds, _, err := a.withLiveCIs(ctx, burst)
		if err != nil {
			return nil, err
		}
		if len(live) == 0 {
			continue
		}
		sub, _, err := a.causeSubgraph(ctx, seeds)
		if err != nil {
			return nil, err
		}
		in := rootcause.Input{Since: live[0].OpenedAt, Now: live[len(live)-1].OpenedAt.Add(time.Hour)}
		for _, inc := range live {
			in.Incidents = append(in.Incidents, rankInput(inc, affected[inc.ID]))
		}
		out = append(out, rootcause.Episode{Sub: sub, Input: in})
	}
	return out, nil
}

// firstIncidents lists at most limit incidents of f, newest first.
func (a *Analyst) firstIncidents(ctx context.Context, f itsm.IncidentFilter, limit int) ([]*itsm.Incident, error) {
	var out []*itsm.Incident
	p := graph.Page{First: min(limit, graph.MaxPageSize)}
	for len(out) < limit {
		page, rp, err := a.ITSM.ListIncidents(ctx, f, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if !rp.HasNextPage || len(rp.Records) == 0 {
			break
		}
		p.After = graph.RecordCursor(f.Order, rp.Records[len(rp.Records)-1])
	}
	return out[:min(len(out), limit)], nil
}

// rankInput is an incident as the ranking sees it.
func rankInput(inc *itsm.Incident, affected []string) rootcause.Incident {
	_, outage := inc.Outage()
	return rootcause.Incident{ID: inc.ID, AffectedCIs: affected, Impact: inc.Impact, Outage: outage, OpenedAt: inc.OpenedAt}
}

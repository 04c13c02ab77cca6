package analysis

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// cachedCIs bounds each of the analyst's graph caches by the CIs (and, for
// subgraphs, relations) its entries hold: a few hundred rack-sized blast
// radii at 100,000 CIs, tens of megabytes.
const cachedCIs = 250_000

// radius is what a change's targets do when they go down: the blast radius
// of those that still exist, the CIs it touches (targets included) and the
// tombstones of the targets that were deleted. It depends on the graph
// only, so it is computed once per distinct target list and graph version
// and shared by every change, call and analysis asking for it.
type radius struct {
	br   impact.BlastRadius
	hit  map[string]bool
	gone []graph.Tombstone
}

// computeRadius is the radius of targets, at the default depth.
func computeRadius(ctx context.Context, s graph.Store, targets []string) (*radius, error) {
	rs, err := computeRadii(ctx, s, [][]string{targets})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// computeRadii is the radius of each target list, at the default depth,
// from one read of the targets and, for several lists, one traversal from
// all of them (sharedReach), each list's propagation side by side with at
// most prefetchers others.
func computeRadii(ctx context.Context, s graph.Store, lists [][]string) ([]*radius, error) {
	var all []string
	for _, targets := range lists {
		all = append(all, targets...)
	}
	live, _, gone, err := splitLive(ctx, s, all)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	stones := make(map[string]graph.Tombstone, len(gone))
	for _, g := range gone {
		stones[g.ID] = g
	}
	var t graph.Traverser = s
	if len(lists) > 1 && len(live) > 0 {
		if t, err = newSharedReach(ctx, s, live); err != nil {
			return nil, fmt.Errorf("blast radius: %w", err)
		}
	}
	out := make([]*radius, len(lists))
	errs := make([]error, len(lists))
	slots := make(chan struct{}, prefetchers)
	var wg sync.WaitGroup
	for i, targets := range lists {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			out[i], errs[i] = radiusOf(ctx, t, targets, stones)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// radiusOf is the radius of targets over t, those with a tombstone in
// stones being gone.
func radiusOf(ctx context.Context, t graph.Traverser, targets []string, stones map[string]graph.Tombstone) (*radius, error) {
	r := &radius{hit: map[string]bool{}}
	var live []string
	seen := map[string]bool{}
	for _, id := range targets {
		if seen[id] {
			continue
		}
		seen[id] = true
		if g, ok := stones[id]; ok {
			r.gone = append(r.gone, g)
		} else {
			live = append(live, id)
		}
	}
	if len(live) > 0 {
		var err error
		if r.br, err = impact.ComputeBlastRadius(ctx, t, live, 0, nil); err != nil {
			return nil, err
		}
	}
	for _, id := range live {
		r.hit[id] = true
	}
	for _, im := range r.br.Impacted {
		r.hit[im.CI.ID] = true
	}
	return r, nil
}

// callCache is what one analysis call reads, read once within it: each
// change's radius, from the analyst's cache at the graph version read when
// the call began (one call sees one graph however many changes it looks
// at), and the record listings several steps share (fifty SLAs with the
// same period ask for the same live changes). Records are read fresh by
// every call, but once within one.
type callCache struct {
	a       *Analyst
	version string
	byID    map[string]*radius
	live    map[[2]time.Time][]*itsm.Change
	// slas holds every SLA by service once listed: a rack takes down
	// dozens of services, and one listing beats a query per service.
	slas map[string][]*itsm.SLA
	// open holds the open incidents by linked CI, once listed.
	open map[string][]*itsm.Incident
	// services are those whose SLAs the call measures, whose incidents
	// are read together (serviceIncidents), by period.
	services  []string
	incidents map[[2]time.Time]*servicesIncidents
}

// openIncidentsOn returns the open incidents linked to a CI in any role
// (as the store's CI filter matches them), newest first, listing every
// open incident once per analysis.
func (cc *callCache) openIncidentsOn(ctx context.Context, id string) ([]*itsm.Incident, error) {
	if cc.open == nil {
		all, err := cc.a.incidents(ctx, itsm.IncidentFilter{Open: true})
		if err != nil {
			return nil, err
		}
		cc.open = map[string][]*itsm.Incident{}
		for _, inc := range all {
			seen := map[string]bool{}
			for _, l := range inc.Links() {
				if !seen[l.CI] {
					seen[l.CI] = true
					cc.open[l.CI] = append(cc.open[l.CI], inc)
				}
			}
		}
	}
	return cc.open[id], nil
}

// slasOf returns the SLAs of a service, listing every SLA once per
// analysis.
func (cc *callCache) slasOf(ctx context.Context, serviceID string) ([]*itsm.SLA, error) {
	if cc.slas == nil {
		all, err := cc.a.ITSM.SLAs(ctx, "")
		if err != nil {
			return nil, err
		}
		cc.slas = map[string][]*itsm.SLA{}
		for _, s := range all { // in id order, as a listing by service
			cc.slas[s.ServiceID] = append(cc.slas[s.ServiceID], s)
		}
	}
	return cc.slas[serviceID], nil
}

// liveChanges lists the changes that may still happen (activeChangeStates)
// whose window overlaps [from, to], once per analysis and window.
func (cc *callCache) liveChanges(ctx context.Context, from, to time.Time) ([]*itsm.Change, error) {
	key := [2]time.Time{from.UTC(), to.UTC()}
	if cs, ok := cc.live[key]; ok {
		return cs, nil
	}
	cs, err := cc.a.changesIn(ctx, from, to, activeChangeStates)
	if err == nil {
		cc.live[key] = cs
	}
	return cs, err
}

func (a *Analyst) newCallCache(ctx context.Context) (*callCache, error) {
	v, err := a.store().GraphVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("graph version: %w", err)
	}
	return &callCache{a: a, version: v, byID: map[string]*radius{}, live: map[[2]time.Time][]*itsm.Change{},
		incidents: map[[2]time.Time]*servicesIncidents{}}, nil
}

// of returns the blast radius of c's targets. It is shared: read it only.
func (cc *callCache) of(ctx context.Context, c *itsm.Change) (impact.BlastRadius, error) {
	if r, ok := cc.byID[c.ID]; ok {
		return r.br, nil
	}
	r, err := cc.radius(ctx, c)
	if err != nil {
		return impact.BlastRadius{}, fmt.Errorf("blast radius of change %s: %w", c.ID, err)
	}
	cc.byID[c.ID] = r
	return r.br, nil
}

// radius gets c's radius from the analyst's cache: per distinct target
// list, the key keeping the targets' order (it orders the sources).
func (cc *callCache) radius(ctx context.Context, c *itsm.Change) (*radius, error) {
	return cc.a.radii.get(ctx, cc.version, radiusKey(c.TargetCIs), func(ctx context.Context) (*radius, error) {
		return computeRadius(ctx, cc.a.store(), c.TargetCIs)
	})
}

func radiusKey(targets []string) string { return "blast\x00" + strings.Join(targets, "\x00") }

// prefetchers bounds the radii one analysis propagates at once.
const prefetchers = 4

// prefetch computes the radii of changes an analysis is about to look at
// that the cache does not hold, all together (computeRadii: one traversal
// from all their targets), so that a cold cache costs about one traversal
// of what they reach rather than one per distinct target list. Errors are
// left for of, which asks again and reports them.
func (cc *callCache) prefetch(ctx context.Context, changes []*itsm.Change) {
	lists := map[string][]string{}
	var keys []string
	for _, c := range changes {
		k := radiusKey(c.TargetCIs)
		if _, dup := lists[k]; !dup && cc.byID[c.ID] == nil {
			lists[k] = c.TargetCIs
			keys = append(keys, k)
		}
	}
	cc.a.radii.fill(ctx, cc.version, keys, func(ctx context.Context, keys []string) (map[string]*radius, error) {
		targets := make([][]string, len(keys))
		for i, k := range keys {
			targets[i] = lists[k]
		}
		rs, err := computeRadii(ctx, cc.a.store(), targets)
		if err != nil {
			return nil, err
		}
		out := make(map[string]*radius, len(keys))
		for i, k := range keys {
			out[k] = rs[i]
		}
		return out, nil
	})
}

// prefetchPeriods prefetches the radii of the live changes from asOf to
// the end of the periods containing periodAt of the SLAs: those their
// budgets will look at.
func (a *Analyst) prefetchPeriods(ctx context.Context, cc *callCache, slas []*itsm.SLA, periodAt, asOf time.Time) error {
	var end time.Time
	for _, s := range slas {
		cal, err := s.Calendar()
		if err != nil {
			continue // the budget reports it
		}
		if _, e := sla.PeriodContaining(s.Period, cal.Location(), periodAt); e.After(end) {
			end = e
		}
	}
	if !end.After(asOf) {
		return nil
	}
	changes, err := cc.liveChanges(ctx, asOf, end)
	if err != nil {
		return err
	}
	cc.prefetch(ctx, changes)
	return nil
}

// hit is the set of CIs the change touches: targets and impacted (after of).
func (cc *callCache) hit(c *itsm.Change) map[string]bool { return cc.byID[c.ID].hit }

// gone lists the change's targets that were deleted (after of).
func (cc *callCache) gone(c *itsm.Change) []graph.Tombstone { return cc.byID[c.ID].gone }

// causeGraph is what root cause reads about the CIs that could explain a
// set of incidents: the subgraph and its CIs whole.
type causeGraph struct {
	sub graph.Subgraph
	cis map[string]graph.CI
}

// causeSubgraph is every CI whose failure could reach the seeds, plus one
// hop downstream of them, with the CIs whole, from the analyst's cache at
// the current graph version. It is shared: read it only.
func (a *Analyst) causeSubgraph(ctx context.Context, seeds []string) (graph.Subgraph, map[string]graph.CI, error) {
	v, err := a.store().GraphVersion(ctx)
	if err != nil {
		return graph.Subgraph{}, nil, fmt.Errorf("graph version: %w", err)
	}
	// The subgraph does not depend on the seeds' order.
	sorted := append([]string(nil), seeds...)
	sort.Strings(sorted)
	g, err := a.causes.get(ctx, v, "cause\x00"+strings.Join(sorted, "\x00"), func(ctx context.Context) (causeGraph, error) {
		sub, cis, err := a.readCauseSubgraph(ctx, seeds)
		return causeGraph{sub: sub, cis: cis}, err
	})
	return g.sub, g.cis, err
}

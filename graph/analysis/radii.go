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
	live, _, gone, err := splitLive(ctx, s, targets)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	r := &radius{gone: gone, hit: map[string]bool{}}
	if len(live) > 0 {
		if r.br, err = impact.ComputeBlastRadius(ctx, s, live, 0, nil); err != nil {
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

// blastCache gives each change's radius during one analysis, from the
// analyst's cache at the graph version read when the analysis began: one
// analysis sees one graph however many changes it looks at. It also keeps
// the live changes of each window the analysis lists (fifty SLAs with the
// same period ask for the same ones): records are read fresh by every
// analysis, but once within one.
type blastCache struct {
	a       *Analyst
	version string
	byID    map[string]*radius
	live    map[[2]time.Time][]*itsm.Change
	// slas holds every SLA by service once listed: a rack takes down
	// dozens of services, and one listing beats a query per service.
	slas map[string][]*itsm.SLA
}

// slasOf returns the SLAs of a service, listing every SLA once per
// analysis.
func (b *blastCache) slasOf(ctx context.Context, serviceID string) ([]*itsm.SLA, error) {
	if b.slas == nil {
		all, err := b.a.ITSM.SLAs(ctx, "")
		if err != nil {
			return nil, err
		}
		b.slas = map[string][]*itsm.SLA{}
		for _, s := range all { // in id order, as a listing by service
			b.slas[s.ServiceID] = append(b.slas[s.ServiceID], s)
		}
	}
	return b.slas[serviceID], nil
}

// liveChanges lists the changes that may still happen (activeChangeStates)
// whose window overlaps [from, to], once per analysis and window.
func (b *blastCache) liveChanges(ctx context.Context, from, to time.Time) ([]*itsm.Change, error) {
	key := [2]time.Time{from.UTC(), to.UTC()}
	if cs, ok := b.live[key]; ok {
		return cs, nil
	}
	cs, err := b.a.changesIn(ctx, from, to, activeChangeStates)
	if err == nil {
		b.live[key] = cs
	}
	return cs, err
}

func (a *Analyst) newBlastCache(ctx context.Context) (*blastCache, error) {
	v, err := a.store().GraphVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("graph version: %w", err)
	}
	return &blastCache{a: a, version: v, byID: map[string]*radius{}, live: map[[2]time.Time][]*itsm.Change{}}, nil
}

// of returns the blast radius of c's targets. It is shared: read it only.
func (b *blastCache) of(ctx context.Context, c *itsm.Change) (impact.BlastRadius, error) {
	if r, ok := b.byID[c.ID]; ok {
		return r.br, nil
	}
	r, err := b.radius(ctx, c)
	if err != nil {
		return impact.BlastRadius{}, fmt.Errorf("blast radius of change %s: %w", c.ID, err)
	}
	b.byID[c.ID] = r
	return r.br, nil
}

// radius gets c's radius from the analyst's cache: per distinct target
// list, the key keeping the targets' order (it orders the sources).
func (b *blastCache) radius(ctx context.Context, c *itsm.Change) (*radius, error) {
	key := "blast\x00" + strings.Join(c.TargetCIs, "\x00")
	return b.a.radii.get(ctx, b.version, key, func(ctx context.Context) (*radius, error) {
		return computeRadius(ctx, b.a.store(), c.TargetCIs)
	})
}

// prefetchers bounds the radii one analysis computes at once.
const prefetchers = 4

// prefetch computes the radii of changes an analysis is about to look at
// side by side, so that a cold cache costs about the largest of them
// rather than their sum (where the store and the cores allow). Errors are
// left for of, which asks again and reports them.
func (b *blastCache) prefetch(ctx context.Context, changes []*itsm.Change) {
	slots := make(chan struct{}, prefetchers)
	var wg sync.WaitGroup
	for _, c := range changes {
		if b.byID[c.ID] != nil {
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			_, _ = b.radius(ctx, c) // identical target lists meet in the cache's single flight
		}()
	}
	wg.Wait()
}

// prefetchPeriods prefetches the radii of the live changes from asOf to
// the end of the periods containing periodAt of the SLAs: those their
// budgets will look at.
func (a *Analyst) prefetchPeriods(ctx context.Context, b *blastCache, slas []*itsm.SLA, periodAt, asOf time.Time) error {
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
	changes, err := b.liveChanges(ctx, asOf, end)
	if err != nil {
		return err
	}
	b.prefetch(ctx, changes)
	return nil
}

// hit is the set of CIs the change touches: targets and impacted (after of).
func (b *blastCache) hit(c *itsm.Change) map[string]bool { return b.byID[c.ID].hit }

// gone lists the change's targets that were deleted (after of).
func (b *blastCache) gone(c *itsm.Change) []graph.Tombstone { return b.byID[c.ID].gone }

// causeSubgraph is every CI whose failure could reach the seeds, plus one
// hop downstream of them, from the analyst's cache at the current graph
// version. It is shared: read it only.
func (a *Analyst) causeSubgraph(ctx context.Context, seeds []string) (graph.Subgraph, error) {
	v, err := a.store().GraphVersion(ctx)
	if err != nil {
		return graph.Subgraph{}, fmt.Errorf("graph version: %w", err)
	}
	// The subgraph does not depend on the seeds' order.
	sorted := append([]string(nil), seeds...)
	sort.Strings(sorted)
	return a.causes.get(ctx, v, "cause\x00"+strings.Join(sorted, "\x00"), func(ctx context.Context) (graph.Subgraph, error) {
		return a.readCauseSubgraph(ctx, seeds)
	})
}

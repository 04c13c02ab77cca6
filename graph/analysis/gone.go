package analysis

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Records outlive the CIs they reference (a CI may be deleted, by force,
// while an incident, change or SLA still points at it). An analysis never
// fails for that: it leaves the deleted CIs out and says so in its reasons
// or evidence, naming them by their tombstones.

// FactorDeletedCI is the (zero-point) risk reason of a change whose targets
// include deleted CIs.
const FactorDeletedCI = "DELETED_CI"

// EvidenceDeletedCI is the (zero-weight) root-cause evidence naming
// incidents' affected CIs that no longer exist.
const EvidenceDeletedCI = "DELETED_CI"

// splitLive returns the ids that name existing CIs, in order and with
// those CIs, and the tombstones (by id) of the others. An id without a
// tombstone (never a CI) gets one with only its id.
func splitLive(ctx context.Context, s graph.Store, ids []string) ([]string, map[string]graph.CI, []graph.Tombstone, error) {
	if len(ids) == 0 {
		return nil, nil, nil, nil
	}
	cis, err := s.CIsByIDs(ctx, ids)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load CIs: %w", err)
	}
	var live, missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := cis[id]; ok {
			live = append(live, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return live, cis, nil, nil
	}
	stones, err := graph.Tombstones(ctx, s, missing)
	if err != nil {
		return nil, nil, nil, err
	}
	gone := make([]graph.Tombstone, len(missing))
	for i, id := range missing {
		gone[i] = stones[id]
		gone[i].ID = id
	}
	return live, cis, gone, nil
}

// describeGone names deleted CIs for a reason: `"orders-db-primary" (deleted
// 2026-11-23T09:00:00Z by alice)`, sorted by name, then id.
func describeGone(gone []graph.Tombstone) string {
	gs := append([]graph.Tombstone(nil), gone...)
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Name != gs[j].Name {
			return gs[i].Name < gs[j].Name
		}
		return gs[i].ID < gs[j].ID
	})
	parts := make([]string, len(gs))
	for i, g := range gs {
		if g.Name == "" {
			parts[i] = fmt.Sprintf("CI %s (deleted)", g.ID)
			continue
		}
		parts[i] = fmt.Sprintf("%q (deleted %s by %s)", g.Name, g.DeletedAt.UTC().Format(time.RFC3339), g.DeletedBy)
	}
	return strings.Join(parts, ", ")
}

// noteDeletedService says, in the reasons of an SLA's status, that its
// service no longer exists (its Service is then the zero CI).
func (a *Analyst) noteDeletedService(ctx context.Context, st *ServiceSLAStatus) error {
	_, _, gone, err := splitLive(ctx, a.store(), []string{st.SLA.ServiceID})
	if err != nil {
		return fmt.Errorf("service of SLA %s: %w", st.SLA.ID, err)
	}
	st.Reasons = append(st.Reasons, fmt.Sprintf(
		"its service %s no longer exists: no incident or change on it can be counted", describeGone(gone)))
	return nil
}

// withLiveCIs keeps, of each incident, the affected CIs that still exist
// (by incident id), and drops incidents left with none: there is nothing
// to locate them by. It returns the incidents kept, their live CIs, all of
// those once each in order (the seeds of the search), and, when any CI was
// deleted, the evidence saying which and what it did to which incidents.
func (a *Analyst) withLiveCIs(ctx context.Context, incs []*itsm.Incident) ([]*itsm.Incident, map[string][]string, []string, *rootcause.Evidence, error) {
	var all []string
	for _, inc := range incs {
		all = append(all, inc.AffectedCIs...)
	}
	live, cis, gone, err := splitLive(ctx, a.store(), all)
	affected := make(map[string][]string, len(incs))
	if err != nil || len(gone) == 0 {
		for _, inc := range incs {
			affected[inc.ID] = inc.AffectedCIs
		}
		return incs, affected, live, nil, err
	}
	ev := &rootcause.Evidence{Kind: EvidenceDeletedCI, IncidentIDs: []string{}}
	for _, g := range gone {
		ev.CIs = append(ev.CIs, g.ID)
	}
	out := make([]*itsm.Incident, 0, len(incs))
	var dropped []string
	for _, inc := range incs {
		var keep []string
		for _, id := range inc.AffectedCIs {
			if _, ok := cis[id]; ok {
				keep = append(keep, id)
			}
		}
		if len(keep) < len(inc.AffectedCIs) {
			ev.IncidentIDs = append(ev.IncidentIDs, inc.ID)
		}
		if len(keep) == 0 {
			dropped = append(dropped, fmt.Sprintf("%q", inc.Title))
			continue
		}
		out = append(out, inc)
		affected[inc.ID] = keep
	}
	ev.Detail = fmt.Sprintf("affected CIs no longer exist and were left out: %s", describeGone(gone))
	if len(dropped) > 0 {
		ev.Detail += fmt.Sprintf("; incident(s) %s had no other CI and were not ranked", strings.Join(dropped, ", "))
	}
	return out, affected, live, ev, nil
}

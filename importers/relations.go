package importers

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ripple-cmdb/ripple/graph"
)

// endRef is one end of a link, resolved.
type endRef struct {
	ref   graph.CIRef
	id    string // "" for a CI the plan creates
	item  int    // index of the run's item, -1 for a CI only the store has
	name  string
	class string
}

// addedRelation is a relation the plan creates, with both ends described.
type addedRelation struct {
	from, to endRef
	typ      string
}

type relationsResult struct {
	// seen are the sightings of the relations the plan creates, in the
	// order of batch.Relate; existing those of the relations the store
	// has, keyed by existingKeys.
	seen         []graph.BatchRelation
	existing     []graph.BatchRelation
	existingKeys []graph.RelationKey
	added        []addedRelation
}

// relations resolves the run's links, plans the new ones and remembers
// which existing relations the run saw.
func (p *planner) relations(ctx context.Context) (relationsResult, error) {
	var res relationsResult
	outside, err := p.outsideEnds(ctx)
	if err != nil {
		return res, err
	}
	// An end names an item of the run or a CI of the store; the run's
	// items come first, so a fallback the run reports beats a CI the store
	// still has from an older run (a ReplicaSet an earlier dump held).
	resolve := func(l Link, ids []graph.Identifier, field string) (endRef, bool) {
		for _, id := range ids {
			i, ok := p.col.owner[id]
			if !ok {
				continue
			}
			if p.skip[i] {
				p.problem(ProblemUnresolved, l.At, field, "%s link: %s:%s names an item that was not reconciled (see its problem)",
					l.Type, id.Kind, id.Value)
				return endRef{}, false
			}
			it := p.col.items[i]
			e := endRef{ref: p.refs[i], id: p.match[i], item: i, name: it.Name, class: it.Class}
			if c, ok := p.existing[e.id]; ok {
				e.name, e.class = c.Name, c.Class
			}
			return e, true
		}
		for _, id := range ids {
			if c, ok := outside[id]; ok {
				return endRef{ref: graph.CIRef{ID: c.ID}, id: c.ID, item: -1, name: c.Name, class: c.Class}, true
			}
		}
		// A reference to something the input does not hold and no CI
		// has (a Pod's claim in a dump of Pods only) is not an item the
		// run failed to reconcile: it is recorded, and resolves in a
		// later run that reports its CI.
		u := UnresolvedLink{At: l.At, From: l.From, Type: l.Type, To: l.To, End: field}
		if l.Fallback != (graph.Identifier{}) {
			u.Fallback = &l.Fallback
		}
		p.plan.Unresolved = append(p.plan.Unresolved, u)
		return endRef{}, false
	}
	type resolved struct {
		from, to endRef
		typ      string
	}
	var links []resolved
	var fromIDs []string
	for _, l := range p.col.links {
		from, ok1 := resolve(l, []graph.Identifier{l.From}, "from")
		if !ok1 {
			continue
		}
		to, ok2 := resolve(l, targets(l), "to")
		if !ok2 {
			continue
		}
		if err := p.cat.CheckRelation(l.Type, from.class, to.class); err != nil {
			p.problem(ProblemInvalid, l.At, "type", "%s", graph.ErrorMessage(err))
			continue
		}
		if from.id != "" && from.id == to.id {
			p.problem(ProblemInvalid, l.At, "to", "%s link from %s %q to itself", l.Type, from.class, from.name)
			continue
		}
		links = append(links, resolved{from, to, l.Type})
		if from.id != "" {
			fromIDs = append(fromIDs, from.id)
		}
	}
	existing, err := p.existingRelations(ctx, fromIDs)
	if err != nil {
		return res, err
	}
	p.seenRels = map[graph.RelationKey]bool{}
	dedup := map[string]bool{}
	for _, l := range links {
		k := refKey(l.from.ref) + "|" + l.typ + "|" + refKey(l.to.ref)
		if dedup[k] {
			continue
		}
		dedup[k] = true
		seen := graph.BatchRelation{From: l.from.ref, Type: l.typ, To: l.to.ref}
		if l.from.id != "" && l.to.id != "" {
			key := graph.RelationKey{From: l.from.id, Type: l.typ, To: l.to.id}
			p.seenRels[key] = true
			if existing[key] {
				res.existing = append(res.existing, seen)
				res.existingKeys = append(res.existingKeys, key)
				continue
			}
		}
		res.seen = append(res.seen, seen) // in the order of batch.Relate
		res.added = append(res.added, addedRelation{from: l.from, to: l.to, typ: l.typ})
		p.plan.batch.Relate = append(p.plan.batch.Relate, graph.BatchRelation{From: l.from.ref, Type: l.typ, To: l.to.ref})
		p.plan.NewRelations = append(p.plan.NewRelations, RelationChange{From: l.from.end(), Type: l.typ, To: l.to.end()})
	}
	return res, nil
}

func refKey(r graph.CIRef) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Identifier.Kind + ":" + r.Identifier.Value
}

// targets lists the identifiers a link's To end may resolve through.
func targets(l Link) []graph.Identifier {
	if l.Fallback == (graph.Identifier{}) {
		return []graph.Identifier{l.To}
	}
	return []graph.Identifier{l.To, l.Fallback}
}

// linkEnds lists every identifier a link may resolve through.
func linkEnds(l Link) []graph.Identifier {
	return append([]graph.Identifier{l.From}, targets(l)...)
}

func (e endRef) end() CIEnd { return CIEnd{ID: e.id, Name: e.name, Class: e.class} }

// outsideEnds reads the CIs that links name but the run does not report.
func (p *planner) outsideEnds(ctx context.Context) (map[graph.Identifier]graph.CI, error) {
	want := map[graph.Identifier]string{}
	for _, l := range p.col.links {
		for _, id := range linkEnds(l) {
			if _, ok := p.col.owner[id]; ok {
				continue
			}
			if ci, ok := p.owners[id]; ok {
				want[id] = ci
			}
		}
	}
	cis, err := p.cisByIDs(ctx, slices.Collect(maps.Values(want)))
	if err != nil {
		return nil, err
	}
	out := make(map[graph.Identifier]graph.CI, len(want))
	for id, ci := range want {
		if c, ok := cis[ci]; ok {
			out[id] = c
		}
	}
	return out, nil
}

func (p *planner) existingRelations(ctx context.Context, ids []string) (map[graph.RelationKey]bool, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[graph.RelationKey]bool{}
	for start := 0; start < len(ids); start += lookupChunk {
		got, err := p.store.RelationsOf(ctx, ids[start:min(start+lookupChunk, len(ids))], graph.Outgoing, nil)
		if err != nil {
			return nil, fmt.Errorf("read relations: %w", err)
		}
		for _, list := range got {
			for _, r := range list {
				out[r.Key()] = true
			}
		}
	}
	return out, nil
}

// staleness compares the run with what the scope reported before: CIs and
// relations missing now are stale; at the policy's limit CIs are retired
// (unless another scope still reports them) and relations removed.
func (p *planner) staleness(ctx context.Context, w *graph.LedgerWrite) error {
	got := <-p.prev
	prev, err := got.list, got.err
	if err != nil {
		return fmt.Errorf("read sightings: %w", err)
	}
	seen := map[string]bool{}
	for i := range p.col.items {
		if !p.skip[i] && p.match[i] != "" {
			seen[p.match[i]] = true
		}
	}
	var missedCIs []graph.Sighting
	var missedRels []graph.Sighting
	p.currentCIs, p.currentRels = map[string]bool{}, map[graph.RelationKey]bool{}
	for _, s := range prev {
		switch {
		case s.Stale():
		case s.Relation != nil:
			p.currentRels[*s.Relation] = true
		default:
			p.currentCIs[s.CI] = true
		}
		switch {
		case s.Relation != nil && !p.seenRels[*s.Relation]:
			missedRels = append(missedRels, s)
		case s.Relation == nil && !seen[s.CI]:
			missedCIs = append(missedCIs, s)
		}
	}
	if frac, newly, total := newlyStale(prev, missedCIs); p.policy.MaxStaleFraction > 0 && frac > p.policy.MaxStaleFraction {
		p.problem(ProblemTooStale, "", "", "this run would newly mark %d of the scope's %d CIs stale (%.0f%%, above maxStaleFraction %.0f%%): "+
			"nothing is marked stale; check the input, or raise maxStaleFraction in the policy", newly, total, frac*100, p.policy.MaxStaleFraction*100)
		return nil
	}
	ids := make([]string, len(missedCIs))
	for i, s := range missedCIs {
		ids[i] = s.CI
	}
	cis, err := p.cisByIDs(ctx, ids)
	if err != nil {
		return err
	}
	elsewhere, err := p.seenElsewhere(ctx, ids)
	if err != nil {
		return err
	}
	for _, s := range missedCIs {
		ci, ok := cis[s.CI]
		if !ok {
			continue
		}
		missed := s.Missed + 1
		st := StaleCI{CIEnd: CIEnd{ID: ci.ID, Name: ci.Name, Class: ci.Class}, Missed: missed, LastSeen: s.LastSeen,
			SeenElsewhere: elsewhere[s.CI]}
		// Retiring writes the status: a status someone with higher
		// precedence set (a person's MAINTENANCE) stays, and the CI stays
		// stale instead.
		if owner := ci.Provenance[graph.FieldStatus].Source; ci.Status != graph.StatusRetired &&
			!p.policy.Precedence.MayOverwrite(graph.FieldStatus, p.key.Source, owner) {
			st.StatusOwnedBy = owner
		}
		if p.due(s, missed) && !st.SeenElsewhere && st.StatusOwnedBy == "" {
			w.ForgetCIs = append(w.ForgetCIs, s.CI)
			p.plan.Retired = append(p.plan.Retired, st)
			if ci.Status != graph.StatusRetired {
				p.plan.retire = append(p.plan.retire, graph.CIInput{ID: ci.ID, Status: ptr(graph.StatusRetired),
					Source: p.key.Source, Scope: p.key.Scope})
			}
			continue
		}
		w.MissedCIs = append(w.MissedCIs, graph.MissedCI{CI: s.CI, Missed: missed})
		p.plan.Stale = append(p.plan.Stale, st)
	}
	var due []graph.RelationKey
	for _, s := range missedRels {
		missed := s.Missed + 1
		if !p.due(s, missed) {
			w.MissedRelations = append(w.MissedRelations, graph.MissedRelation{Relation: *s.Relation, Missed: missed})
			p.plan.StaleRelations++
			continue
		}
		due = append(due, *s.Relation)
	}
	// A relation another scope still reports stays; this scope only
	// forgets it.
	others, err := p.relationsSeenElsewhere(ctx, due)
	if err != nil {
		return err
	}
	for _, r := range due {
		w.ForgetRelations = append(w.ForgetRelations, r)
		if !others[r] {
			p.plan.batch.Unrelate = append(p.plan.batch.Unrelate, graph.BatchRelation{From: graph.CIRef{ID: r.From}, Type: r.Type, To: graph.CIRef{ID: r.To}})
		}
	}
	if err := p.describeRemoved(ctx); err != nil {
		return err
	}
	p.judged = true
	return nil
}

// relationsSeenElsewhere reports which relations another scope saw in its
// last run.
func (p *planner) relationsSeenElsewhere(ctx context.Context, keys []graph.RelationKey) (map[graph.RelationKey]bool, error) {
	out := map[graph.RelationKey]bool{}
	for start := 0; start < len(keys); start += lookupChunk {
		got, err := p.store.RelationSightings(ctx, keys[start:min(start+lookupChunk, len(keys))])
		if err != nil {
			return nil, fmt.Errorf("read relation sightings: %w", err)
		}
		for k, list := range got {
			for _, s := range list {
				if s.ScopeKey != p.key && !s.Stale() {
					out[k] = true
				}
			}
		}
	}
	return out, nil
}

// due reports whether a missed subject has reached the retirement limit.
func (p *planner) due(s graph.Sighting, missed int) bool {
	if missed >= p.policy.RetireAfterRuns {
		return true
	}
	return p.policy.RetireAfter > 0 && p.now.Sub(s.LastSeen) >= p.policy.RetireAfter.Std()
}

// seenElsewhere reports which CIs another scope saw in its last run.
func (p *planner) seenElsewhere(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += lookupChunk {
		got, err := p.store.SightingsOf(ctx, ids[start:min(start+lookupChunk, len(ids))])
		if err != nil {
			return nil, fmt.Errorf("read sightings: %w", err)
		}
		for ci, list := range got {
			for _, s := range list {
				if s.ScopeKey != p.key && !s.Stale() {
					out[ci] = true
				}
			}
		}
	}
	return out, nil
}

// describeRemoved fills the plan's list of removed relations with names.
func (p *planner) describeRemoved(ctx context.Context) error {
	var ids []string
	for _, r := range p.plan.batch.Unrelate {
		ids = append(ids, r.From.ID, r.To.ID)
	}
	cis, err := p.cisByIDs(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range p.plan.batch.Unrelate {
		from, to := cis[r.From.ID], cis[r.To.ID]
		p.plan.RemovedRelations = append(p.plan.RemovedRelations, RelationChange{
			From: CIEnd{ID: from.ID, Name: from.Name, Class: from.Class}, Type: r.Type,
			To: CIEnd{ID: to.ID, Name: to.Name, Class: to.Class}})
	}
	return nil
}

// newlyStale returns the fraction of the scope's CIs a run would mark stale
// for the first time.
func newlyStale(prev, missed []graph.Sighting) (frac float64, newly, total int) {
	for _, s := range prev {
		if s.Relation == nil {
			total++
		}
	}
	for _, s := range missed {
		if !s.Stale() {
			newly++
		}
	}
	if total == 0 {
		return 0, 0, 0
	}
	return float64(newly) / float64(total), newly, total
}

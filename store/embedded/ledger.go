package embedded

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// The import ledger (graph.LedgerStore) lives like the graph: on disk in
// the scopes and sightings buckets, in memory whole. Per scope, memory
// holds the header and the sightings by subject; two reverse indexes, from
// a CI id and from a relation key to the scopes holding a sighting of it,
// make SightingsOf a lookup and let DeleteCI and Unrelate drop sightings
// without scanning scopes. A relation's sightings are found through the
// relation itself, which DeleteCI enumerates from the adjacency lists
// anyway, so the CI index holds CI sightings only.
//
// Every sighting names a CI or relation that exists (the writes that
// remove one drop its sightings in the same transaction) and sits in a
// scope that has a header; load checks both.

// sighting is a graph.Sighting without its key.
type sighting struct {
	first, last time.Time
	run         string
	missed      int
}

// scopeLedger is one scope: its header and its sightings, by subject.
type scopeLedger struct {
	state graph.ScopeState
	cis   map[string]sighting
	rels  map[graph.RelationKey]sighting
}

// Staging keys: one subject in one scope.
type ciSight struct {
	scope graph.ScopeKey
	ci    string
}

type relSight struct {
	scope graph.ScopeKey
	rel   graph.RelationKey
}

// scopeOf returns the scope's ledger, creating it if new.
func (m *memState) scopeOf(k graph.ScopeKey) *scopeLedger {
	sl := m.scopes[k]
	if sl == nil {
		sl = &scopeLedger{state: graph.ScopeState{ScopeKey: k}, cis: map[string]sighting{}, rels: map[graph.RelationKey]sighting{}}
		m.scopes[k] = sl
	}
	return sl
}

func (m *memState) ciSighting(k ciSight) (sighting, bool) {
	if sl := m.scopes[k.scope]; sl != nil {
		s, ok := sl.cis[k.ci]
		return s, ok
	}
	return sighting{}, false
}

func (m *memState) relSighting(k relSight) (sighting, bool) {
	if sl := m.scopes[k.scope]; sl != nil {
		s, ok := sl.rels[k.rel]
		return s, ok
	}
	return sighting{}, false
}

// addScope inserts k into a sorted list of scopes unless present.
func addScope(list []graph.ScopeKey, k graph.ScopeKey) []graph.ScopeKey {
	i, found := slices.BinarySearchFunc(list, k, graph.ScopeKey.Compare)
	if found {
		return list
	}
	return slices.Insert(list, i, k)
}

func removeScope(list []graph.ScopeKey, k graph.ScopeKey) []graph.ScopeKey {
	if i, found := slices.BinarySearchFunc(list, k, graph.ScopeKey.Compare); found {
		return slices.Delete(list, i, i+1)
	}
	return list
}

func (m *memState) putCISighting(k ciSight, s sighting) {
	putSighting(m.scopeOf(k.scope).cis, m.ciScopes, k.scope, k.ci, s)
}

func (m *memState) dropCISighting(k ciSight) {
	if sl := m.scopes[k.scope]; sl != nil {
		dropSighting(sl.cis, m.ciScopes, k.scope, k.ci)
	}
}

func (m *memState) putRelSighting(k relSight, s sighting) {
	putSighting(m.scopeOf(k.scope).rels, m.relScopes, k.scope, k.rel, s)
}

func (m *memState) dropRelSighting(k relSight) {
	if sl := m.scopes[k.scope]; sl != nil {
		dropSighting(sl.rels, m.relScopes, k.scope, k.rel)
	}
}

// putSighting records a scope's sighting of a subject (a CI id or a
// relation key) and keeps the subject's sorted list of scopes in step.
func putSighting[K comparable](sightings map[K]sighting, scopes map[K][]graph.ScopeKey, scope graph.ScopeKey, subject K, s sighting) {
	if _, had := sightings[subject]; !had {
		scopes[subject] = addScope(scopes[subject], scope)
	}
	sightings[subject] = s
}

// dropSighting undoes putSighting; unknown subjects are ignored.
func dropSighting[K comparable](sightings map[K]sighting, scopes map[K][]graph.ScopeKey, scope graph.ScopeKey, subject K) {
	if _, had := sightings[subject]; !had {
		return
	}
	delete(sightings, subject)
	if list := removeScope(scopes[subject], scope); len(list) > 0 {
		scopes[subject] = list
	} else {
		delete(scopes, subject)
	}
}

// hasRelation reports whether the committed image holds k.
func (m *memState) hasRelation(k graph.RelationKey) bool {
	from, ok1 := m.lookup(k.From)
	to, ok2 := m.lookup(k.To)
	ti, ok3 := m.typeIdx[k.Type]
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	_, ok := m.findEdge(from, ti, to)
	return ok
}

// --- staging ---

// scopeState returns a scope's header as this transaction sees it.
func (t *txn) scopeState(k graph.ScopeKey) graph.ScopeState {
	if st, ok := t.ledgerScopes[k]; ok {
		return st
	}
	if sl := t.m.scopes[k]; sl != nil {
		return sl.state
	}
	return graph.ScopeState{ScopeKey: k}
}

func (t *txn) ciSighting(k ciSight) (sighting, bool) {
	if s, ok := t.ledgerCIs[k]; ok {
		if s == nil {
			return sighting{}, false
		}
		return *s, true
	}
	return t.m.ciSighting(k)
}

func (t *txn) relSighting(k relSight) (sighting, bool) {
	if s, ok := t.ledgerRels[k]; ok {
		if s == nil {
			return sighting{}, false
		}
		return *s, true
	}
	return t.m.relSighting(k)
}

// stageCI stages a CI sighting; nil stages its removal.
func (t *txn) stageCI(k ciSight, s *sighting) {
	if t.ledgerCIs == nil {
		t.ledgerCIs = map[ciSight]*sighting{}
	}
	t.ledgerCIs[k] = s
}

func (t *txn) stageRel(k relSight, s *sighting) {
	if t.ledgerRels == nil {
		t.ledgerRels = map[relSight]*sighting{}
	}
	t.ledgerRels[k] = s
}

// dropCISightings stages the removal of every sighting of a CI (not of its
// relations: removeRelation drops those).
func (t *txn) dropCISightings(id string) {
	for _, scope := range t.m.ciScopes[id] {
		t.stageCI(ciSight{scope, id}, nil)
	}
	// Sightings are staged last in a batch, after every removal, so there
	// is nothing more to drop unless a ledger write was staged before.
	if t.ledgerApplied {
		for k := range t.ledgerCIs {
			if k.ci == id {
				t.ledgerCIs[k] = nil
			}
		}
	}
}

// dropRelSightings stages the removal of every sighting of a relation.
func (t *txn) dropRelSightings(r graph.RelationKey) {
	for _, scope := range t.m.relScopes[r] {
		t.stageRel(relSight{scope, r}, nil)
	}
	if t.ledgerApplied {
		for k := range t.ledgerRels {
			if k.rel == r {
				t.ledgerRels[k] = nil
			}
		}
	}
}

// checkFence fails unless the scope is still at the generation the run
// read. Only a ledger write moves a generation, so checking before the
// batch's upserts spares a doomed import their cost.
func (t *txn) checkFence(w *graph.LedgerWrite) error {
	if st := t.scopeState(w.ScopeKey); st.Generation != w.ExpectGeneration {
		return graph.Errorf(graph.CodeConflict, "ledger.generation",
			"scope %s %q is at generation %d, not %d: another run was applied since this one read it",
			w.Source, graph.Truncate(w.Scope, 80), st.Generation, w.ExpectGeneration)
	}
	return nil
}

// applyLedger stages a ledger write, after the rest of the batch so that
// its refs see the CIs and relations the batch made. The write was
// validated and the fence checked before the batch began.
func (t *txn) applyLedger(w *graph.LedgerWrite) error {
	key, at := w.ScopeKey, w.At.UTC()
	t.ledgerApplied = true
	if t.ledgerCIs == nil {
		t.ledgerCIs = make(map[ciSight]*sighting, len(w.SeenCIs)+len(w.MissedCIs)+len(w.ForgetCIs))
	}
	seen := func(old sighting, had bool) sighting {
		s := sighting{first: at, last: at, run: w.RunID}
		if had {
			s.first = old.first
		}
		return s
	}
	// One slab for the seen CIs' sightings rather than one allocation each.
	slab := make([]sighting, 0, len(w.SeenCIs))
	for i, ref := range w.SeenCIs {
		field := fmt.Sprintf("ledger.seenCIs[%d]", i)
		if err := checkRef(field, ref); err != nil {
			return err
		}
		id, err := t.resolve(field, ref)
		if err != nil {
			return err
		}
		k := ciSight{key, id}
		slab = append(slab, seen(t.ciSighting(k)))
		t.stageCI(k, &slab[len(slab)-1])
	}
	for i, br := range w.SeenRelations {
		field := fmt.Sprintf("ledger.seenRelations[%d]", i)
		r, err := t.batchKey(br)
		if err != nil {
			return prefixField(field, err)
		}
		if _, ok := t.relation(r); !ok {
			return graph.Errorf(graph.CodeNotFound, field, "relation %s -%s-> %s does not exist", r.From, r.Type, r.To)
		}
		k := relSight{key, r}
		s := seen(t.relSighting(k))
		t.stageRel(k, &s)
	}
	for _, m := range w.MissedCIs {
		k := ciSight{key, m.CI}
		if s, ok := t.ciSighting(k); ok && s.missed != m.Missed {
			s.missed = m.Missed
			t.stageCI(k, &s)
		}
	}
	for _, m := range w.MissedRelations {
		k := relSight{key, m.Relation}
		if s, ok := t.relSighting(k); ok && s.missed != m.Missed {
			s.missed = m.Missed
			t.stageRel(k, &s)
		}
	}
	for _, id := range w.ForgetCIs {
		if k := (ciSight{key, id}); t.hasCISighting(k) {
			t.stageCI(k, nil)
		}
	}
	for _, r := range w.ForgetRelations {
		if k := (relSight{key, r}); t.hasRelSighting(k) {
			t.stageRel(k, nil)
		}
	}
	if w.SeenCurrent {
		t.seeCurrent(key, at, w.RunID)
	}
	if t.ledgerScopes == nil {
		t.ledgerScopes = map[graph.ScopeKey]graph.ScopeState{}
	}
	t.ledgerScopes[key] = graph.ScopeState{ScopeKey: key, Generation: w.ExpectGeneration + 1, LastRun: w.RunID, LastApplied: at}
	return nil
}

// seeCurrent applies LedgerWrite.SeenCurrent: every sighting of the scope
// that is current once the write's misses and forgets are staged is seen
// at at by run. Sightings new in this transaction come from the write's own
// seen lists, so the committed ones are all there is to visit.
func (t *txn) seeCurrent(key graph.ScopeKey, at time.Time, run string) {
	sl := t.m.scopes[key]
	if sl == nil {
		return
	}
	refresh := func(s sighting, ok bool) (*sighting, bool) {
		if !ok || s.missed != 0 || (s.last.Equal(at) && s.run == run) {
			return nil, false
		}
		s.last, s.run = at, run
		return &s, true
	}
	for id := range sl.cis {
		k := ciSight{key, id}
		if s, ok := refresh(t.ciSighting(k)); ok {
			t.stageCI(k, s)
		}
	}
	for r := range sl.rels {
		k := relSight{key, r}
		if s, ok := refresh(t.relSighting(k)); ok {
			t.stageRel(k, s)
		}
	}
}

func (t *txn) hasCISighting(k ciSight) bool {
	_, ok := t.ciSighting(k)
	return ok
}

func (t *txn) hasRelSighting(k relSight) bool {
	_, ok := t.relSighting(k)
	return ok
}

// ledgerStaged reports whether the transaction changes the ledger.
func (t *txn) ledgerStaged() bool {
	return len(t.ledgerScopes) > 0 || len(t.ledgerCIs) > 0 || len(t.ledgerRels) > 0
}

// publishLedger applies the committed ledger changes to memory.
func (t *txn) publishLedger(m *memState) {
	for k, st := range t.ledgerScopes {
		m.scopeOf(k).state = st
	}
	for k, s := range t.ledgerCIs {
		if s == nil {
			m.dropCISighting(k)
		} else {
			m.putCISighting(k, *s)
		}
	}
	for k, s := range t.ledgerRels {
		if s == nil {
			m.dropRelSighting(k)
		} else {
			m.putRelSighting(k, *s)
		}
	}
}

// --- reads ---

func (s sighting) out(k graph.ScopeKey) graph.Sighting {
	return graph.Sighting{ScopeKey: k, FirstSeen: s.first, LastSeen: s.last, LastRun: s.run, Missed: s.missed}
}

// Scope returns a scope's header; an unknown scope has generation 0.
func (s *Store) Scope(ctx context.Context, key graph.ScopeKey) (graph.ScopeState, error) {
	if err := graph.CheckScopeKey("", key); err != nil {
		return graph.ScopeState{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.ScopeState{}, err
	}
	defer unlock()
	if sl := s.mem.scopes[key]; sl != nil {
		return sl.state, nil
	}
	return graph.ScopeState{ScopeKey: key}, nil
}

// Sightings returns a scope's sightings: CIs by id, then relations in
// graph.RelationKey order.
func (s *Store) Sightings(ctx context.Context, key graph.ScopeKey) ([]graph.Sighting, error) {
	if err := graph.CheckScopeKey("", key); err != nil {
		return nil, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	sl := s.mem.scopes[key]
	if sl == nil || len(sl.cis)+len(sl.rels) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(sl.cis))
	for id := range sl.cis {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rels := make([]graph.RelationKey, 0, len(sl.rels))
	for r := range sl.rels {
		rels = append(rels, r)
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Less(rels[j]) })
	out := make([]graph.Sighting, 0, len(ids)+len(rels))
	for _, id := range ids {
		sg := sl.cis[id].out(key)
		sg.CI = id
		out = append(out, sg)
	}
	for i := range rels {
		sg := sl.rels[rels[i]].out(key)
		sg.Relation = &rels[i]
		out = append(out, sg)
	}
	return out, nil
}

// SightingsOf returns the CI sightings of each id across scopes, ordered
// by (source, scope); ids never reported are absent.
func (s *Store) SightingsOf(ctx context.Context, ids []string) (map[string][]graph.Sighting, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := map[string][]graph.Sighting{}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		scopes := s.mem.ciScopes[id]
		if len(scopes) == 0 {
			continue
		}
		list := make([]graph.Sighting, len(scopes))
		for i, k := range scopes {
			list[i] = s.mem.scopes[k].cis[id].out(k)
			list[i].CI = id
		}
		out[id] = list
	}
	return out, nil
}

// RelationSightings returns each relation's sightings, ordered by scope.
func (s *Store) RelationSightings(ctx context.Context, keys []graph.RelationKey) (map[graph.RelationKey][]graph.Sighting, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := map[graph.RelationKey][]graph.Sighting{}
	for _, key := range keys {
		if _, done := out[key]; done {
			continue
		}
		scopes := s.mem.relScopes[key]
		if len(scopes) == 0 {
			continue
		}
		list := make([]graph.Sighting, len(scopes))
		for i, k := range scopes {
			list[i] = s.mem.scopes[k].rels[key].out(k)
			rk := key
			list[i].Relation = &rk
		}
		out[key] = list
	}
	return out, nil
}

// LookupIdentifiers returns the owner of each identifier that has one,
// keyed by the identifier as given.
func (s *Store) LookupIdentifiers(ctx context.Context, ids []graph.Identifier) (map[graph.Identifier]string, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[graph.Identifier]string, len(ids))
	for _, id := range ids {
		if owner, ok := s.mem.idents[graph.NormalizeIdentifier(id)]; ok {
			out[id] = owner
		}
	}
	return out, nil
}

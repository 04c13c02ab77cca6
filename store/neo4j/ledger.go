package neo4j

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// The import ledger (see graph.LedgerStore and cypher_ledger.go for the
// model). A batch's ledger write runs in the batch's transaction: the scope
// header is locked first, the batch is replayed, the fence is checked, the
// sighting refs are resolved against the replay and the database, and the
// sightings are written after the batch's own writes. Ledger writes are
// bookkeeping, not changes to the CMDB: they are not audited.

// checkLedgerWrite validates a ledger write's shape before any query: the
// contract's checks plus the form of every ref, which resolution assumes.
func checkLedgerWrite(cat *graph.Catalogue, w *graph.LedgerWrite) error {
	if err := graph.ValidateLedgerWrite(w); err != nil {
		return err
	}
	for i, ref := range w.SeenCIs {
		if err := checkRef(graph.FieldIndex("ledger.seenCIs", i), ref); err != nil {
			return err
		}
	}
	for i, r := range w.SeenRelations {
		prefix := graph.FieldIndex("ledger.seenRelations", i)
		if err := checkRef(prefix+".from", r.From); err != nil {
			return err
		}
		if err := checkRef(prefix+".to", r.To); err != nil {
			return err
		}
		if _, err := checkRelType(cat, prefix+".type", r.Type); err != nil {
			return err
		}
	}
	return nil
}

// lockScope write-locks a scope's header, creating it at generation 0, and
// returns its generation.
func lockScope(ctx context.Context, tx neo4j.ManagedTransaction, k graph.ScopeKey) (int64, error) {
	var gen int64
	err := collect(ctx, tx, cypherLockScope, scopeParams(k), func(rec *neo4j.Record) error {
		var err error
		gen, err = recordValue[int64](rec, "generation")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("lock import scope: %w", err)
	}
	return gen, nil
}

func scopeParams(k graph.ScopeKey) map[string]any {
	return map[string]any{"source": k.Source, "scope": k.Scope}
}

// checkFence fails a run that planned from an older generation.
func checkFence(w *graph.LedgerWrite, gen int64) error {
	if gen == w.ExpectGeneration {
		return nil
	}
	return graph.Errorf(graph.CodeConflict, "ledger.generation",
		"scope %s/%s is at generation %d but the run read %d: another run was applied since",
		w.Source, w.Scope, gen, w.ExpectGeneration)
}

// ledgerRows is a resolved ledger write: the rows of its statements.
type ledgerRows struct {
	seenCIs  []map[string]any // {ci}
	seenRels []map[string]any // {subject, from, type, to}
	missed   []map[string]any // {subject, missed}
	forget   []map[string]any // {subject}
}

// planLedger resolves a ledger write against the replayed batch and, for
// what the batch did not load, the database (in its transaction, so it sees
// the batch's own writes to be). Every seen ref must name a CI and every
// seen relation must exist once the batch is applied; the first one that
// does not, in input order, fails the batch with NOT_FOUND.
//
// Optimistic, it reads nothing it need not: a ref by id that the batch
// did not load is taken at its word, and a relation the batch cannot vouch
// for is marked for checking. The sighting writes check both (they match
// the CI, or the relation, and count what they wrote): writeLedger returns
// errLedgerUnverified if anything was missing, and apply then plans again,
// not optimistic, for the exact error. That spares a re-import, whose
// sightings name only stored CIs and relations, one read statement per
// chunk of ids and one per relation type and chunk in every batch.
func planLedger(ctx context.Context, tx neo4j.ManagedTransaction, p *batchPlan, w *graph.LedgerWrite, optimistic bool) (ledgerRows, error) {
	r := refResolver{p: p, trustIDs: optimistic, found: map[string]bool{}, owners: map[string]string{}, seenID: map[string]bool{}, seenKey: map[string]bool{}}
	for _, ref := range w.SeenCIs {
		r.want(ref)
	}
	for _, rel := range w.SeenRelations {
		r.want(rel.From)
		r.want(rel.To)
	}
	if err := r.lookup(ctx, tx); err != nil {
		return ledgerRows{}, err
	}

	var out ledgerRows
	seenCI := make(map[string]bool, len(w.SeenCIs))
	for i, ref := range w.SeenCIs {
		id, err := r.resolve(graph.FieldIndex("ledger.seenCIs", i), ref)
		if err != nil {
			return ledgerRows{}, err
		}
		if !seenCI[id] {
			seenCI[id] = true
			out.seenCIs = append(out.seenCIs, map[string]any{"ci": id})
		}
	}

	// Resolve relation ends, then ask the database about the relations the
	// batch cannot vouch for, then report in input order.
	keys := make([]graph.RelationKey, len(w.SeenRelations))
	endErr := make([]error, len(w.SeenRelations))
	var ask []graph.RelationKey
	asked := map[graph.RelationKey]bool{}
	for i, rel := range w.SeenRelations {
		prefix := graph.FieldIndex("ledger.seenRelations", i)
		from, err := r.resolve(prefix+".from", rel.From)
		if err == nil {
			var to string
			to, err = r.resolve(prefix+".to", rel.To)
			keys[i] = graph.RelationKey{From: from, Type: rel.Type, To: to}
		}
		if err != nil {
			endErr[i] = err
			continue
		}
		if _, known := p.relationAfterBatch(keys[i]); !known && !asked[keys[i]] {
			asked[keys[i]] = true
			ask = append(ask, keys[i])
		}
	}
	var inDB map[graph.RelationKey]bool
	if !optimistic {
		var err error
		if inDB, err = existingRelations(ctx, tx, ask); err != nil {
			return ledgerRows{}, err
		}
	}
	seenRel := map[graph.RelationKey]bool{}
	for i, k := range keys {
		if endErr[i] != nil {
			// An earlier relation left to the write's check may be
			// missing too, and its error comes first: plan exactly.
			if optimistic {
				return ledgerRows{}, errLedgerUnverified
			}
			return ledgerRows{}, endErr[i]
		}
		exists, known := p.relationAfterBatch(k)
		if !known {
			exists = optimistic || inDB[k]
		}
		if !exists {
			return ledgerRows{}, graph.Errorf(graph.CodeNotFound, graph.FieldIndex("ledger.seenRelations", i),
				"relation %s -%s-> %s does not exist", k.From, k.Type, k.To)
		}
		if !seenRel[k] {
			seenRel[k] = true
			out.seenRels = append(out.seenRels, map[string]any{
				"subject": graph.RelationSubjectID(k), "from": k.From, "type": k.Type, "to": k.To, "check": !known,
			})
		}
	}

	// Missed and forgotten subjects need no resolving: unknown ones match
	// no sighting. A malformed CI id cannot name a CI sighting (and must
	// not reach a relation's subject, which contains '|').
	for _, m := range w.MissedCIs {
		out.missed = append(out.missed, map[string]any{"subject": m.CI, "missed": int64(m.Missed)})
	}
	for _, m := range w.MissedRelations {
		out.missed = append(out.missed, map[string]any{"subject": graph.RelationSubjectID(m.Relation), "missed": int64(m.Missed)})
	}
	for _, id := range w.ForgetCIs {
		if graph.CheckID("id", id) == nil {
			out.forget = append(out.forget, map[string]any{"subject": id})
		}
	}
	for _, k := range w.ForgetRelations {
		out.forget = append(out.forget, map[string]any{"subject": graph.RelationSubjectID(k)})
	}
	return out, nil
}

// relationAfterBatch says whether a relation exists once the batch is
// applied, when the batch knows (known=false: ask the database). The batch
// knows the relations it created, removed or looked up, and that none can
// touch a CI it creates except those it created.
func (p *batchPlan) relationAfterBatch(k graph.RelationKey) (exists, known bool) {
	if i, ok := p.addIndex[k]; ok {
		return i >= 0, true
	}
	if _, ok := p.dbRels[k]; ok {
		return !p.removed[k], true
	}
	for _, end := range []string{k.From, k.To} {
		if c := p.cis[end]; c != nil && !c.inDB {
			return false, true
		}
	}
	return false, false
}

// refResolver resolves ledger refs: first against the batch plan (CIs and
// identifiers the batch loaded or created), then against what lookup read
// from the database for the others.
type refResolver struct {
	p *batchPlan
	// trustIDs takes refs by id at their word, for the sighting write
	// to check (see planLedger).
	trustIDs bool
	ids      []string // ids to look up in the database
	keys     []string // identifier keys to look up in the database
	seenID   map[string]bool
	seenKey  map[string]bool
	found    map[string]bool   // ids found in the database
	owners   map[string]string // identifier key -> owner, from the database
}

// want notes a ref the plan cannot resolve, for lookup.
func (r *refResolver) want(ref graph.CIRef) {
	if ref.ID != "" {
		if r.p.cis[ref.ID] == nil && !r.trustIDs && !r.seenID[ref.ID] {
			r.seenID[ref.ID] = true
			r.ids = append(r.ids, ref.ID)
		}
		return
	}
	k := identifierKey(graph.NormalizeIdentifier(*ref.Identifier))
	if _, ok := r.p.owners[k]; !ok && !r.seenKey[k] {
		r.seenKey[k] = true
		r.keys = append(r.keys, k)
	}
}

// lookup reads, in chunks, which wanted ids exist and who owns the wanted
// identifiers.
func (r *refResolver) lookup(ctx context.Context, tx neo4j.ManagedTransaction) error {
	for start := 0; start < len(r.ids); start += maxRowsPerStatement {
		chunk := r.ids[start:min(start+maxRowsPerStatement, len(r.ids))]
		err := collect(ctx, tx, cypherCIsExist, map[string]any{"ids": chunk}, func(rec *neo4j.Record) error {
			id, err := recordValue[string](rec, "id")
			r.found[id] = true
			return err
		})
		if err != nil {
			return fmt.Errorf("look up sighted CIs: %w", err)
		}
	}
	if len(r.keys) > 0 {
		owners, err := identifierOwners(ctx, tx, r.keys)
		if err != nil {
			return fmt.Errorf("look up sighted identifiers: %w", err)
		}
		r.owners = owners
	}
	return nil
}

// identifierOwners returns the owner of each identifier key that has one,
// reading in chunks.
func identifierOwners(ctx context.Context, tx neo4j.ManagedTransaction, keys []string) (map[string]string, error) {
	owners := make(map[string]string, len(keys))
	for start := 0; start < len(keys); start += maxRowsPerStatement {
		chunk := keys[start:min(start+maxRowsPerStatement, len(keys))]
		err := collect(ctx, tx, cypherIdentifierOwners, map[string]any{"keys": chunk}, func(rec *neo4j.Record) error {
			key, err := recordValue[string](rec, "key")
			if err != nil {
				return err
			}
			owners[key], err = recordValue[string](rec, "id")
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return owners, nil
}

// resolve returns the id of the CI a ref names, or NOT_FOUND on field.
func (r *refResolver) resolve(field string, ref graph.CIRef) (string, error) {
	if ref.ID != "" {
		if r.p.cis[ref.ID] == nil && !r.trustIDs && !r.found[ref.ID] {
			return "", graph.NotFound(field, "CI", ref.ID)
		}
		return ref.ID, nil
	}
	id := graph.NormalizeIdentifier(*ref.Identifier)
	k := identifierKey(id)
	if owner, ok := r.p.owners[k]; ok {
		return owner, nil
	}
	if owner, ok := r.owners[k]; ok {
		return owner, nil
	}
	return "", graph.Errorf(graph.CodeNotFound, field, "no CI has identifier %s=%s", id.Kind, id.Value)
}

// existingRelations reads which of keys exist, in chunks.
func existingRelations(ctx context.Context, tx neo4j.ManagedTransaction, keys []graph.RelationKey) (map[graph.RelationKey]bool, error) {
	found, err := relationsExist(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[graph.RelationKey]bool, len(found))
	for k := range found {
		out[k] = true
	}
	return out, nil
}

// errLedgerUnverified says that a ledger write planned on trust sighted
// something that does not exist; apply plans it again, exactly, for the
// error to report.
var errLedgerUnverified = errors.New("a sighted CI or relation does not exist")

// writeLedger writes a resolved ledger write and moves the scope to the
// next generation. It runs after the batch's writes, in their transaction.
func writeLedger(ctx context.Context, tx neo4j.ManagedTransaction, w *graph.LedgerWrite, rows ledgerRows) error {
	params := map[string]any{
		"source": w.Source, "scope": w.Scope,
		"at": w.At.UnixMicro(), "run": w.RunID,
		"generation": w.ExpectGeneration + 1,
	}
	// The sightings of CIs and relations match what they sight and count
	// what they wrote: fewer than asked means a ref planLedger took on
	// trust names nothing.
	seen := []struct {
		what, cypher string
		rows         []map[string]any
	}{
		{"record sighted CIs", cypherSeeCIs, rows.seenCIs},
		{"record sighted relations", cypherSeeRelations, rows.seenRels},
	}
	for _, st := range seen {
		n, err := countRowsWith(ctx, tx, st.what, st.cypher, st.rows, params)
		if err != nil {
			return err
		}
		if n != len(st.rows) {
			return errLedgerUnverified
		}
	}
	if err := execRowsWith(ctx, tx, "record missed sightings", cypherMissSightings, rows.missed, params); err != nil {
		return err
	}
	if err := execRowsWith(ctx, tx, "forget sightings", cypherForgetSightings, rows.forget, params); err != nil {
		return err
	}
	params["sweep"] = w.SeenCurrent
	if err := exec(ctx, tx, cypherBumpScope, params); err != nil {
		return fmt.Errorf("bump import scope: %w", err)
	}
	return nil
}

// dropRelationSightings deletes the sightings, in every scope, of removed
// relations.
func dropRelationSightings(ctx context.Context, tx neo4j.ManagedTransaction, keys []graph.RelationKey) error {
	rows := make([]map[string]any, len(keys))
	for i, k := range keys {
		rows[i] = map[string]any{"subject": graph.RelationSubjectID(k)}
	}
	return execRows(ctx, tx, "drop sightings of removed relations", cypherDropRelationSightings, rows)
}

// Scope returns a scope's header; an unknown scope is at generation 0.
func (s *Store) Scope(ctx context.Context, key graph.ScopeKey) (graph.ScopeState, error) {
	if err := graph.CheckScopeKey("", key); err != nil {
		return graph.ScopeState{}, err
	}
	return readTx(ctx, s, "read import scope", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.ScopeState, error) {
		st := graph.ScopeState{ScopeKey: key}
		err := collect(ctx, tx, cypherScope, scopeParams(key), func(rec *neo4j.Record) error {
			var err error
			if st.Generation, err = recordValue[int64](rec, "generation"); err != nil {
				return err
			}
			if st.LastRun, err = recordValue[string](rec, "lastRun"); err != nil {
				return err
			}
			at, isNil, err := neo4j.GetRecordValue[int64](rec, "lastApplied")
			if err != nil {
				return fmt.Errorf("read lastApplied: %w", err)
			}
			if !isNil {
				st.LastApplied = fromMicros(at)
			}
			return nil
		})
		if err != nil {
			return graph.ScopeState{}, err
		}
		return st, nil
	})
}

// Sightings returns every sighting of a scope: CIs by id, then relations
// in graph.RelationKey order.
func (s *Store) Sightings(ctx context.Context, key graph.ScopeKey) ([]graph.Sighting, error) {
	if err := graph.CheckScopeKey("", key); err != nil {
		return nil, err
	}
	return readTx(ctx, s, "read sightings", func(ctx context.Context, tx neo4j.ManagedTransaction) ([]graph.Sighting, error) {
		out := []graph.Sighting{}
		err := collect(ctx, tx, cypherSightings, scopeParams(key), func(rec *neo4j.Record) error {
			sg, err := decodeSighting(rec)
			out = append(out, sg)
			return err
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(out, graph.CompareSightings)
		return out, nil
	})
}

// SightingsOf returns the sightings of each CI across scopes, ordered by
// (source, scope); CIs never sighted are absent.
func (s *Store) SightingsOf(ctx context.Context, ids []string) (map[string][]graph.Sighting, error) {
	valid := validIDs(ids)
	if len(valid) == 0 {
		return map[string][]graph.Sighting{}, nil
	}
	return readTx(ctx, s, "read sightings of CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string][]graph.Sighting, error) {
		return sightingsBySubject(ctx, tx, cypherSightingsOf, "ids", valid, func(sg graph.Sighting) (string, bool) { return sg.CI, true })
	})
}

// RelationSightings returns each relation's sightings, ordered by scope.
func (s *Store) RelationSightings(ctx context.Context, keys []graph.RelationKey) (map[graph.RelationKey][]graph.Sighting, error) {
	subjects := make([]string, 0, len(keys))
	for _, k := range keys {
		subjects = append(subjects, graph.RelationSubjectID(k))
	}
	if len(subjects) == 0 {
		return map[graph.RelationKey][]graph.Sighting{}, nil
	}
	return readTx(ctx, s, "read sightings of relations", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[graph.RelationKey][]graph.Sighting, error) {
		return sightingsBySubject(ctx, tx, cypherSightingsBySubject, "subjects", subjects, func(sg graph.Sighting) (graph.RelationKey, bool) {
			if sg.Relation == nil {
				return graph.RelationKey{}, false
			}
			return *sg.Relation, true
		})
	})
}

// sightingsBySubject runs a sightings query over values (bound to param)
// in chunks of maxRowsPerStatement and groups the sightings by the key
// keyOf gives them (dropping those it refuses), each group ordered by
// scope.
func sightingsBySubject[K comparable](ctx context.Context, tx neo4j.ManagedTransaction, cypher, param string, values []string,
	keyOf func(graph.Sighting) (K, bool)) (map[K][]graph.Sighting, error) {
	out := map[K][]graph.Sighting{}
	for start := 0; start < len(values); start += maxRowsPerStatement {
		chunk := values[start:min(start+maxRowsPerStatement, len(values))]
		err := collect(ctx, tx, cypher, map[string]any{param: chunk}, func(rec *neo4j.Record) error {
			sg, err := decodeSighting(rec)
			if err != nil {
				return err
			}
			if k, ok := keyOf(sg); ok {
				out[k] = append(out[k], sg)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, list := range out {
		slices.SortFunc(list, func(a, b graph.Sighting) int { return a.ScopeKey.Compare(b.ScopeKey) })
	}
	return out, nil
}

// decodeSighting reads a row of sightingColumns.
func decodeSighting(rec *neo4j.Record) (graph.Sighting, error) {
	f := rowFields(rec)
	sg := graph.Sighting{
		ScopeKey:  graph.ScopeKey{Source: f.str("source"), Scope: f.str("scope")},
		FirstSeen: f.micros("firstSeen"),
		LastSeen:  f.micros("lastSeen"),
		LastRun:   f.str("lastRun"),
		Missed:    int(f.int("missed")),
	}
	subject := f.str("subject")
	if f.err != nil {
		return graph.Sighting{}, fmt.Errorf("decode sighting: %w", f.err)
	}
	if !isRelationSubject(subject) {
		sg.CI = subject
		return sg, nil
	}
	parts := strings.Split(subject, relationSubjectSep)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return graph.Sighting{}, fmt.Errorf("decode sighting %s of %s/%s: incomplete relation", subject, sg.Source, sg.Scope)
	}
	sg.Relation = &graph.RelationKey{From: parts[0], Type: parts[1], To: parts[2]}
	return sg, nil
}

// LookupIdentifiers returns the owner of each identifier that has one,
// keyed by the identifiers as given; values are normalized first.
func (s *Store) LookupIdentifiers(ctx context.Context, ids []graph.Identifier) (map[graph.Identifier]string, error) {
	out := map[graph.Identifier]string{}
	if len(ids) == 0 {
		return out, nil
	}
	keyOf := make([]string, len(ids))
	seen := map[string]bool{}
	var keys []string
	for i, id := range ids {
		k := identifierKey(graph.NormalizeIdentifier(id))
		keyOf[i] = k
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	owners, err := readTx(ctx, s, "look up identifiers", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string]string, error) {
		return identifierOwners(ctx, tx, keys)
	})
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if owner, ok := owners[keyOf[i]]; ok {
			out[id] = owner
		}
	}
	return out, nil
}

package neo4j

import (
	"context"
	"errors"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// raceRetries is how many times apply re-runs a batch that lost a race for
// an identifier to a concurrent writer.
const raceRetries = 3

// apply runs a batch in one write transaction: read what the batch touches,
// replay it in Go, write the result and its audit entries with UNWIND
// statements, then the batch's ledger write if it has one (ledger.go). Any
// error, from the replay or from Neo4j, rolls the whole transaction back,
// audit and ledger included.
//
// Two writers importing the same new identifier both see it unowned, and
// the identifier_key constraint fails the later commit. That is not a
// transient error to the driver, but re-running the batch is exactly right:
// it now sees the winner's CI and updates it instead of failing with a
// CONFLICT the caller could do nothing about.
func (s *Store) apply(ctx context.Context, b graph.Batch, prefixed bool) (batchOutcome, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.applyOnce(ctx, b, prefixed)
		if err == nil || attempt > raceRetries || !isConstraintViolation(err) {
			return out, err
		}
		s.log.Debug().Err(err).Int("attempt", attempt).Msg("batch lost an identifier race; retrying")
	}
}

func (s *Store) applyOnce(ctx context.Context, b graph.Batch, prefixed bool) (batchOutcome, error) {
	by := authorOf(ctx)
	return writeTx(ctx, s, "apply batch", func(ctx context.Context, tx neo4j.ManagedTransaction) (batchOutcome, error) {
		// Everything is rebuilt inside the function: the driver may call it
		// again after a transient error, and a retry must start clean.
		p := newBatchPlan(s.cat, b, prefixed, graph.Now())
		// A run locks its scope before it reads anything, so two runs of
		// one scope serialise on the header instead of deadlocking on CIs,
		// and the second sees the generation the first committed. Checking
		// the fence at once spares a doomed import its replay.
		if b.Ledger != nil {
			generation, err := lockScope(ctx, tx, b.Ledger.ScopeKey)
			if err != nil {
				return batchOutcome{}, err
			}
			if err := checkFence(b.Ledger, generation); err != nil {
				return batchOutcome{}, err
			}
		}
		if err := lookupBatch(ctx, tx, p); err != nil {
			return batchOutcome{}, err
		}
		if err := p.upserts(); err != nil {
			return batchOutcome{}, err
		}
		if len(b.Relate)+len(b.Unrelate) > 0 {
			if err := lookupRelations(ctx, tx, p); err != nil {
				return batchOutcome{}, err
			}
			if err := p.relations(); err != nil {
				return batchOutcome{}, err
			}
		}
		// The ledger's refs resolve after the batch, so they see what the
		// batch creates and not what it removes.
		var ledger ledgerRows
		optimistic := true
		if b.Ledger != nil {
			var err error
			ledger, err = planLedger(ctx, tx, p, b.Ledger, optimistic)
			if errors.Is(err, errLedgerUnverified) {
				optimistic = false
				ledger, err = planLedger(ctx, tx, p, b.Ledger, optimistic)
			}
			if err != nil {
				return batchOutcome{}, err
			}
		}
		if err := writeBatch(ctx, tx, p); err != nil {
			return batchOutcome{}, err
		}
		if err := writeAudit(ctx, tx, by, p.now, p.audit); err != nil {
			return batchOutcome{}, err
		}
		if b.Ledger != nil {
			err := writeLedger(ctx, tx, b.Ledger, ledger)
			if errors.Is(err, errLedgerUnverified) {
				// Something taken on trust is missing: the exact plan,
				// in this transaction, names the first culprit in input
				// order. The transaction fails either way.
				if optimistic {
					if _, perr := planLedger(ctx, tx, p, b.Ledger, false); perr != nil {
						return batchOutcome{}, perr
					}
				}
				return batchOutcome{}, graph.Internal(err, "ledger write of scope %s/%s", b.Ledger.Source, b.Ledger.Scope)
			}
			if err != nil {
				return batchOutcome{}, err
			}
		}
		return p.out, nil
	})
}

// lookupBatch loads identifier owners and CIs, then the relations of CIs
// that may change class.
func lookupBatch(ctx context.Context, tx neo4j.ManagedTransaction, p *batchPlan) error {
	ids, keys := p.lookupKeys()
	if len(keys) > 0 {
		owners, err := identifierOwners(ctx, tx, keys)
		if err != nil {
			return fmt.Errorf("look up batch identifiers: %w", err)
		}
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			seen[id] = true
		}
		for _, key := range keys { // in key order, so ids stay deterministic
			if id, ok := owners[key]; ok {
				p.owners[key] = id
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	// A batch without upserts writes no CI: it needs to know which exist
	// and their classes (to check relations), not whole CIs, whose
	// attributes and provenance are most of what a CI weighs.
	read, decode := cypherCIsByIDs, recordCI
	if len(p.batch.Upserts) == 0 {
		read, decode = cypherCIClassesByIDs, recordCIClass
	}
	for start := 0; start < len(ids); start += maxRowsPerStatement {
		chunk := ids[start:min(start+maxRowsPerStatement, len(ids))]
		err := collect(ctx, tx, read, map[string]any{"ids": chunk}, func(rec *neo4j.Record) error {
			ci, err := decode(rec)
			if err != nil {
				return err
			}
			p.load(ci)
			return nil
		})
		if err != nil {
			return fmt.Errorf("look up batch CIs: %w", err)
		}
	}
	candidates := p.classChangeCandidates()
	if len(candidates) == 0 {
		return nil
	}
	err := collect(ctx, tx, cypherRelationsTouching, map[string]any{"ids": candidates}, func(rec *neo4j.Record) error {
		var (
			r   touchingRel
			id  string
			err error
		)
		if id, err = recordValue[string](rec, "id"); err != nil {
			return err
		}
		if r.typ, err = recordValue[string](rec, "type"); err != nil {
			return err
		}
		if r.outgoing, err = recordValue[bool](rec, "outgoing"); err != nil {
			return err
		}
		if r.other, err = recordValue[string](rec, "other"); err != nil {
			return err
		}
		if r.otherClass, err = recordValue[string](rec, "otherClass"); err != nil {
			return err
		}
		p.relsOf[id] = append(p.relsOf[id], r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up relations of CIs changing class: %w", err)
	}
	return nil
}

// lookupRelations reads which of the relations the batch names exist.
func lookupRelations(ctx context.Context, tx neo4j.ManagedTransaction, p *batchPlan) error {
	keys := p.existenceQueries()
	if len(keys) == 0 {
		return nil
	}
	found, err := relationsExist(ctx, tx, keys)
	if err != nil {
		return fmt.Errorf("look up existing relations: %w", err)
	}
	for k, micros := range found {
		p.dbRels[k] = fromMicros(micros)
	}
	return nil
}

// writeBatch writes what the replay decided: new CIs, changed CIs, new
// identifier ownership, then relations grouped by type (one statement per
// type, because the type must be spliced).
func writeBatch(ctx context.Context, tx neo4j.ManagedTransaction, p *batchPlan) error {
	var creates, updates []map[string]any
	for _, id := range p.dirty {
		c := p.cis[id]
		row, err := ciRow(c.ci)
		if err != nil {
			return err
		}
		if c.inDB {
			updates = append(updates, row)
		} else {
			creates = append(creates, row)
		}
	}
	if err := execRows(ctx, tx, "create CIs", cypherCreateCIs, creates); err != nil {
		return err
	}
	if err := execRows(ctx, tx, "update CIs", cypherUpdateCIs, updates); err != nil {
		return err
	}
	idents := make([]map[string]any, len(p.newIdents))
	for i, r := range p.newIdents {
		idents[i] = map[string]any{"ci": r.ci, "key": r.key, "kind": r.id.Kind, "value": r.id.Value}
	}
	if err := execRows(ctx, tx, "create identifiers", cypherCreateIdentifiers, idents); err != nil {
		return err
	}
	adds, addTypes := groupRelRows(p.relAdds, func(r relRow) bool { return p.addIndex[r.key] >= 0 }, true)
	existed := map[graph.RelationKey]bool{}
	for _, t := range addTypes {
		err := collectRows(ctx, tx, "create "+string(t)+" relations", cypherMergeRelations(t), adds[t], func(rec *neo4j.Record) error {
			k := graph.RelationKey{Type: string(t)}
			var err error
			if k.From, err = recordValue[string](rec, "from"); err != nil {
				return err
			}
			k.To, err = recordValue[string](rec, "to")
			existed[k] = true
			return err
		})
		if err != nil {
			return err
		}
	}
	p.settleRelates(existed)
	dels, delTypes := groupRelRows(p.relDels, func(relRow) bool { return true }, false)
	for _, t := range delTypes {
		if err := execRows(ctx, tx, "delete "+string(t)+" relations", cypherDeleteRelations(t), dels[t]); err != nil {
			return err
		}
	}
	removed := make([]graph.RelationKey, len(p.relDels))
	for i, r := range p.relDels {
		removed[i] = r.key
	}
	return dropRelationSightings(ctx, tx, removed)
}

// groupRelRows splits relation rows by type, keeping first-seen type order
// so statements run in a deterministic order.
func groupRelRows(rows []relRow, keep func(relRow) bool, withTime bool) (map[relType][]map[string]any, []relType) {
	byType := map[relType][]map[string]any{}
	var order []relType
	for _, r := range rows {
		if !keep(r) {
			continue
		}
		if _, ok := byType[r.typ]; !ok {
			order = append(order, r.typ)
		}
		row := map[string]any{"from": r.key.From, "to": r.key.To}
		if withTime {
			row["createdAt"] = r.createdAt.UnixMicro()
		}
		byType[r.typ] = append(byType[r.typ], row)
	}
	return byType, order
}

// maxRowsPerStatement bounds one UNWIND statement's parameter list: large
// enough to amortise the round trip, small enough to keep each Bolt message
// and the planner's working set modest.
const maxRowsPerStatement = 5000

// execRows runs an UNWIND $rows statement in chunks; nothing to do is free.
func execRows(ctx context.Context, tx neo4j.ManagedTransaction, what, cypher string, rows []map[string]any) error {
	return execRowsWith(ctx, tx, what, cypher, rows, nil)
}

// collectRows runs an UNWIND $rows statement in chunks, passing every
// record it returns to f.
func collectRows(ctx context.Context, tx neo4j.ManagedTransaction, what, cypher string, rows []map[string]any, f func(*neo4j.Record) error) error {
	return eachChunk(what, rows, nil, func(params map[string]any) error {
		return collect(ctx, tx, cypher, params, f)
	})
}

// execRowsWith is execRows with parameters shared by every chunk.
func execRowsWith(ctx context.Context, tx neo4j.ManagedTransaction, what, cypher string, rows []map[string]any, shared map[string]any) error {
	return eachChunk(what, rows, shared, func(params map[string]any) error {
		return exec(ctx, tx, cypher, params)
	})
}

// countRowsWith is execRowsWith for a statement returning one count, n:
// it returns the sum over the chunks.
func countRowsWith(ctx context.Context, tx neo4j.ManagedTransaction, what, cypher string, rows []map[string]any, shared map[string]any) (int, error) {
	total := 0
	err := eachChunk(what, rows, shared, func(params map[string]any) error {
		return collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
			n, err := recordValue[int64](rec, "n")
			total += int(n)
			return err
		})
	})
	return total, err
}

// eachChunk calls run with the shared parameters and each chunk of rows
// as $rows; nothing to do is free.
func eachChunk(what string, rows []map[string]any, shared map[string]any, run func(params map[string]any) error) error {
	for start := 0; start < len(rows); start += maxRowsPerStatement {
		end := min(start+maxRowsPerStatement, len(rows))
		params := make(map[string]any, len(shared)+1)
		for k, v := range shared {
			params[k] = v
		}
		params["rows"] = rows[start:end]
		if err := run(params); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// recordCIClass reads a row of cypherCIClassesByIDs: a CI with only its id
// and class, for batches that relate CIs but write none.
func recordCIClass(rec *neo4j.Record) (graph.CI, error) {
	var ci graph.CI
	var err error
	if ci.ID, err = recordValue[string](rec, "id"); err != nil {
		return graph.CI{}, err
	}
	ci.Class, err = recordValue[string](rec, "class")
	return ci, err
}

package importers

import (
	"context"
	"fmt"

	"github.com/ripple-cmdb/ripple/graph"
)

// BatchSizer is implemented by stores whose transactions have a practical
// size limit (Neo4j keeps a transaction's state in a bounded memory pool;
// the embedded store holds a transaction's dirty pages and staging until
// it commits). Stores without it take a whole run in one transaction.
type BatchSizer interface {
	PreferredBatchSize() int
}

// apply writes the plan. In one transaction when the store allows it.
// Otherwise in batches, ordered so that a failure part-way leaves the
// graph correct and the ledger consistent:
//
//  1. creates and updates, each batch with the ledger's sightings of its
//     CIs (whole CIs: a batch never holds half a CI);
//  2. new relations, with their sightings;
//  3. last, staleness: missed counts, retirements, removed relations.
//
// Every batch's ledger write is fenced on the scope's generation, so a
// concurrent run of the scope fails at its next batch. A run that fails in
// step 1 or 2 has written some of what the source reports, correctly, and
// marked nothing stale; running it again completes it.
//
// Before the first transaction the run's record says what each will write
// (Progress, lease.go), so the counts of a run whose process dies can be
// recovered; apply returns what was written.
func (e *Engine) apply(ctx context.Context, plan *Plan, rec *record) (Counts, error) {
	size := e.batchSize()
	var batches []graph.Batch
	if size <= 0 || writes(plan) <= size {
		full := plan.batch
		full.Upserts = append(append([]graph.CIInput(nil), full.Upserts...), plan.retire...)
		batches = []graph.Batch{full}
	} else {
		batches = splitPlan(plan, size)
	}
	retired := make(map[string]bool, len(plan.retire))
	for _, in := range plan.retire {
		retired[in.ID] = true
	}
	counts := make([]Counts, len(batches))
	for i, b := range batches {
		counts[i] = batchCounts(b, retired, plan)
	}
	if err := rec.update(ctx, func(run *Run) {
		run.Progress = &Progress{FirstGeneration: batches[0].Ledger.ExpectGeneration, Batches: counts}
	}); err != nil {
		return Counts{}, fmt.Errorf("apply the plan: %w", err)
	}
	var written Counts
	for i, b := range batches {
		if _, err := e.Store.Apply(ctx, b); err != nil {
			if i == 0 {
				return written, fmt.Errorf("apply the plan: %w", err)
			}
			return written, &InterruptedError{Written: i, Batches: len(batches), Err: err}
		}
		written.add(counts[i])
	}
	return written, nil
}

// InterruptedError says a batched apply failed after some batches were
// written: what they hold is whole and correct, nothing was marked stale,
// and running the import again finishes it.
type InterruptedError struct {
	Written, Batches int
	Err              error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("apply the plan: batch %d of %d failed after %d were written (they hold whole, correct CIs and relations; nothing was marked stale; run the import again to finish): %v",
		e.Written+1, e.Batches, e.Written, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// writes counts what a plan writes, sightings included (a complete
// re-import that changes nothing names none: see planner.seen).
func writes(plan *Plan) int {
	b, led := plan.batch, plan.batch.Ledger
	return len(b.Upserts) + len(plan.retire) + len(b.Relate) + len(b.Unrelate) +
		len(led.SeenCIs) + len(led.SeenRelations) + len(led.MissedCIs) + len(led.MissedRelations) +
		len(led.ForgetCIs) + len(led.ForgetRelations)
}

func (e *Engine) batchSize() int {
	if e.BatchSize != 0 {
		return e.BatchSize
	}
	if s, ok := e.Store.(BatchSizer); ok {
		return s.PreferredBatchSize()
	}
	return -1
}

// splitPlan cuts the plan into batches of at most size writes; see apply.
// The planner orders the ledger's sightings like the writes they follow
// (Plan.batch): the sightings of the i-th upsert and of the i-th new
// relation come first, then those of unchanged CIs and existing relations,
// which resolve by id in any batch. So each batch carries the sightings of
// what it writes, and a ref to a CI or relation made in the same batch
// resolves, as the ledger is applied after the batch's writes.
func splitPlan(plan *Plan, size int) []graph.Batch {
	led := plan.batch.Ledger
	gen := led.ExpectGeneration
	ledger := func() *graph.LedgerWrite {
		w := &graph.LedgerWrite{ScopeKey: led.ScopeKey, ExpectGeneration: gen, RunID: led.RunID, At: led.At}
		gen++
		return w
	}
	// Half a batch of writes, then their sightings (and, once the writes
	// run out, other sightings) up to the batch size.
	half := max(size/2, 1)
	var out []graph.Batch
	upserts, seen := plan.batch.Upserts, led.SeenCIs
	for len(seen) > 0 || len(upserts) > 0 {
		b := graph.Batch{Ledger: ledger()}
		n := min(half, len(upserts))
		b.Upserts, upserts = upserts[:n], upserts[n:]
		m := min(max(size-n, n), len(seen))
		b.Ledger.SeenCIs, seen = seen[:m], seen[m:]
		out = append(out, b)
	}
	relate, seenRels := plan.batch.Relate, led.SeenRelations
	for len(seenRels) > 0 || len(relate) > 0 {
		b := graph.Batch{Ledger: ledger()}
		n := min(half, len(relate))
		b.Relate, relate = relate[:n], relate[n:]
		m := min(max(size-n, n), len(seenRels))
		b.Ledger.SeenRelations, seenRels = seenRels[:m], seenRels[m:]
		out = append(out, b)
	}
	// Staleness last: retirements and removals, each in the same batch as
	// the forgetting of its sighting (forgotten but not retired, a CI
	// would never be retired), then the missed counts in the final batch,
	// so that a run interrupted here and run again counts no miss twice.
	retire := map[string]graph.CIInput{}
	for _, in := range plan.retire {
		retire[in.ID] = in
	}
	unrelate := map[graph.RelationKey]graph.BatchRelation{}
	for _, r := range plan.batch.Unrelate {
		unrelate[graph.RelationKey{From: r.From.ID, Type: r.Type, To: r.To.ID}] = r
	}
	for ids := led.ForgetCIs; len(ids) > 0; {
		b := graph.Batch{Ledger: ledger()}
		n := min(half, len(ids))
		b.Ledger.ForgetCIs, ids = ids[:n], ids[n:]
		for _, id := range b.Ledger.ForgetCIs {
			if in, ok := retire[id]; ok {
				b.Upserts = append(b.Upserts, in)
			}
		}
		out = append(out, b)
	}
	for keys := led.ForgetRelations; len(keys) > 0; {
		b := graph.Batch{Ledger: ledger()}
		n := min(half, len(keys))
		b.Ledger.ForgetRelations, keys = keys[:n], keys[n:]
		for _, k := range b.Ledger.ForgetRelations {
			if r, ok := unrelate[k]; ok {
				b.Unrelate = append(b.Unrelate, r)
			}
		}
		out = append(out, b)
	}
	final := graph.Batch{Ledger: ledger()}
	final.Ledger.MissedCIs, final.Ledger.MissedRelations = led.MissedCIs, led.MissedRelations
	// The stamp on what is still current goes with the misses: it speaks
	// for every sighting the run did not name, which is only true once
	// the misses are counted.
	final.Ledger.SeenCurrent = led.SeenCurrent
	return append(out, final)
}

package importers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// A run's record tells the truth even when the process running it dies:
//
//   - it is recorded RUNNING only once its input has been read and parsed
//     (a failed or abandoned upload leaves nothing RUNNING behind);
//   - while RUNNING it holds a lease, renewed by a heartbeat; a RUNNING run
//     whose lease has expired belongs to a process that is gone, and is
//     reclaimed as INTERRUPTED — at start-up (Engine.Reclaim) and by the
//     next run of its scope;
//   - before the first batch is applied the record says what each batch
//     will write (Progress) and the scope generation the first expects:
//     the ledger's generation then tells a reclaimer how many batches were
//     committed, so the recovered counts are what was written, not what
//     was planned.

// Defaults of the lease.
const (
	DefaultHeartbeat = 10 * time.Second
	// leaseBeats is how many heartbeats a run may miss (a slow store, a
	// long pause) before it counts as abandoned.
	leaseBeats = 6
)

// Progress is what a RUNNING run's batches write, kept in its record so
// that a run whose process died can be recovered with true counts: every
// batch bumps the scope's generation by one (graph.LedgerWrite), and runs
// of a scope are fenced on it, so the generation says how many of them
// were committed.
type Progress struct {
	// FirstGeneration is the generation the first batch expects.
	FirstGeneration int64 `json:"firstGeneration"`
	// Batches are what each batch writes, in order.
	Batches []Counts `json:"batches"`
}

func (e *Engine) heartbeat() time.Duration {
	if e.Heartbeat > 0 {
		return e.Heartbeat
	}
	return DefaultHeartbeat
}

// Lease is how long a RUNNING run stays claimed without a heartbeat.
func (e *Engine) Lease() time.Duration { return leaseBeats * e.heartbeat() }

// record is a run's record while it runs: the heartbeat and the run's own
// progress write it from two goroutines.
type record struct {
	e       *Engine
	mu      sync.Mutex
	run     *Run
	version int64
	stop    chan struct{}
	done    chan struct{}
}

// claim records the run as RUNNING, with a lease kept alive until release.
func (e *Engine) claim(ctx context.Context, run *Run) (*record, error) {
	now := e.now()
	run.Heartbeat = &now
	rec := &record{e: e, run: run, stop: make(chan struct{}), done: make(chan struct{})}
	v, err := e.save(ctx, run, 0)
	if err != nil {
		return nil, err
	}
	rec.version = v
	go rec.beat(context.WithoutCancel(ctx))
	return rec, nil
}

func (r *record) beat(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.e.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			// A failed beat is retried at the next; the lease allows for
			// several.
			_ = r.update(ctx, func(run *Run) {
				now := r.e.now()
				run.Heartbeat = &now
			})
		}
	}
}

// update changes the run and writes its record.
func (r *record) update(ctx context.Context, change func(*Run)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(r.run)
	doc := *r.run
	if doc.Outcome == OutcomeRunning {
		// The plan is recorded once, when the run ends: heartbeats and
		// progress are small writes.
		doc.Plan = nil
	}
	v, err := r.e.save(ctx, &doc, r.version)
	if graph.ErrorCode(err) == graph.CodeConflict {
		// Reclaimed while this process was still at it (the store was
		// unreachable for longer than the lease): this process knows
		// better, so its record wins.
		var cur graph.Record
		if cur, err = r.e.Store.GetRecord(ctx, graph.KindImportRun, r.run.ID); err == nil {
			v, err = r.e.save(ctx, &doc, cur.Version)
		}
	}
	if err != nil {
		return err
	}
	r.version = v
	return nil
}

// release stops the heartbeat and writes the finished run, retrying a
// little: a store that failed the run may be back by now.
func (r *record) release(ctx context.Context) error {
	close(r.stop)
	<-r.done
	var err error
	for attempt, wait := 0, 500*time.Millisecond; attempt < 4; attempt, wait = attempt+1, wait*2 {
		if err = r.update(ctx, func(run *Run) { run.Heartbeat, run.Progress = nil, nil }); err == nil {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			attempt = 4
		}
	}
	return fmt.Errorf("the run record could not be updated: it stays RUNNING until its lease expires (%s), "+
		"then it is recovered as INTERRUPTED with the counts written: %w", r.e.Lease(), err)
}

// Reclaim recovers the RUNNING runs matched by f whose lease has expired —
// their process died — as INTERRUPTED, with the counts they wrote. It
// returns how many it recovered. A run another process recovers at the same
// time is left to it.
func (e *Engine) Reclaim(ctx context.Context, f RunFilter) (int, error) {
	f.Outcomes = []string{OutcomeRunning}
	now := e.now()
	recovered := 0
	after := ""
	for {
		runs, more, _, err := ListRuns(ctx, e.Store, f, graph.Page{First: 100, After: after})
		if err != nil {
			return recovered, fmt.Errorf("list running imports: %w", err)
		}
		for _, run := range runs {
			ok, err := e.reclaim(ctx, run, now)
			if err != nil {
				return recovered, err
			}
			if ok {
				recovered++
			}
		}
		if !more || len(runs) == 0 {
			return recovered, nil
		}
		after = graph.IDCursor(runs[len(runs)-1].ID)
	}
}

func (e *Engine) reclaim(ctx context.Context, run Run, now time.Time) (bool, error) {
	beat := run.Started
	if run.Heartbeat != nil {
		beat = *run.Heartbeat
	}
	if now.Sub(beat) < e.Lease() {
		return false, nil
	}
	rec, err := e.Store.GetRecord(ctx, graph.KindImportRun, run.ID)
	if err != nil {
		return false, fmt.Errorf("reclaim import run %s: %w", run.ID, err)
	}
	if run, err = decodeRun(rec); err != nil || run.Outcome != OutcomeRunning {
		return false, err
	}
	var written Counts
	committed, batches := 0, 0
	if p := run.Progress; p != nil {
		state, err := e.Store.Scope(ctx, graph.ScopeKey{Source: run.Source, Scope: run.Scope})
		if err != nil {
			return false, fmt.Errorf("reclaim import run %s: %w", run.ID, err)
		}
		batches = len(p.Batches)
		committed = int(min(max(state.Generation-p.FirstGeneration, 0), int64(batches)))
		for _, c := range p.Batches[:committed] {
			written.add(c)
		}
	}
	run.Counts.setWritten(written)
	run.Outcome = OutcomeInterrupted
	what := "nothing was written"
	if batches > 0 {
		what = fmt.Sprintf("%d of %d batches were written (they hold whole, correct CIs and relations; nothing was marked stale)", committed, batches)
	}
	run.Error = fmt.Sprintf("the process running this import stopped before it finished (no heartbeat since %s): %s; run the import again to finish",
		beat.Format(time.RFC3339), what)
	run.Heartbeat = nil
	finished := now
	run.Finished = &finished
	if _, err := e.save(ctx, &run, rec.Version); err != nil {
		if graph.ErrorCode(err) == graph.CodeConflict {
			return false, nil // someone else got there first, or it woke up
		}
		return false, fmt.Errorf("reclaim import run %s: %w", run.ID, err)
	}
	return true, nil
}

// batchCounts is what one batch of a plan writes, counted like the plan.
func batchCounts(b graph.Batch, retired map[string]bool, plan *Plan) Counts {
	var c Counts
	for _, in := range b.Upserts {
		switch {
		case in.ID == "":
			c.Created++
		case retired[in.ID]:
			c.Retired++
		default:
			c.Updated++
		}
	}
	c.RelationsCreated, c.RelationsRemoved = len(b.Relate), len(b.Unrelate)
	if l := b.Ledger; l != nil && (len(l.MissedCIs) > 0 || len(l.MissedRelations) > 0) {
		c.Stale, c.StaleRelations = len(plan.Stale), plan.StaleRelations
	}
	return c
}

func (c *Counts) add(o Counts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Retired += o.Retired
	c.Stale += o.Stale
	c.StaleRelations += o.StaleRelations
	c.RelationsCreated += o.RelationsCreated
	c.RelationsRemoved += o.RelationsRemoved
}

// setWritten replaces the counts of writes with w, keeping what describes
// the input and the plan (items, links, unchanged, problems, unresolved).
func (c *Counts) setWritten(w Counts) {
	c.Created, c.Updated, c.Retired = w.Created, w.Updated, w.Retired
	c.Stale, c.StaleRelations = w.Stale, w.StaleRelations
	c.RelationsCreated, c.RelationsRemoved = w.RelationsCreated, w.RelationsRemoved
}

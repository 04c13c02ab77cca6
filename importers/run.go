package importers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Engine runs imports against a store.
type Engine struct {
	Store  graph.Store
	Policy Policy
	// Now returns the current time; nil means graph.Now.
	Now func() time.Time
	// Stage, when set, is told when a run moves on ("planning",
	// "applying"), for progress displays.
	Stage func(stage string)
	// BatchSize caps the writes per transaction; 0 means the store's
	// preference (see apply.go), and a negative value one transaction.
	BatchSize int
	// Heartbeat is how often a RUNNING run renews its lease (0:
	// DefaultHeartbeat); a run silent for Lease() is reclaimed (lease.go).
	Heartbeat time.Duration
	// Finished, when set, is told of every run Run records, once its
	// record is final (the metrics count runs by outcome this way, without
	// the engine knowing of them).
	Finished func(Run)
}

func (e *Engine) stage(s string) {
	if e.Stage != nil {
		e.Stage(s)
	}
}

// Request describes one run.
type Request struct {
	// Format names the parser ("nmap", "kubernetes"...), for the record.
	Format string
	// Source names who reports (default: Format); precedence rules and
	// provenance use it.
	Source string
	// Scope overrides the scope the source declares; one of them is
	// required.
	Scope string
	// Files are the inputs' names, for the record.
	Files []string
	// DryRun plans without writing anything but the run record.
	DryRun bool
	// Strict refuses to apply a plan that has problems or unresolved
	// links.
	Strict bool
	// Policy, when set, returns the policy of this run, replacing the
	// engine's (nil: the engine's): an upload may bring its own. It is
	// called once, when planning starts — after the input is read — so a
	// reader may learn the policy from the input itself (a policy part
	// after an upload's files).
	Policy func() *Policy
}

// Read feeds a run: it parses every input into emit.
type Read func(ctx context.Context, emit Emitter) error

// Outcomes of a run.
const (
	OutcomeRunning   = "RUNNING"
	OutcomePlanned   = "PLANNED"   // dry run finished
	OutcomeSucceeded = "SUCCEEDED" // applied, complete: staleness applied
	OutcomePartial   = "PARTIAL"   // applied without the items in Problems; nothing marked stale (unresolved links do not make a run PARTIAL)
	OutcomeFailed    = "FAILED"    // nothing written
	// OutcomeInterrupted: a batched apply failed part-way, or the process
	// running the import died (lease.go); the batches written hold whole,
	// correct CIs and relations, nothing was marked stale, the counts are
	// what was written, and running the import again finishes it.
	OutcomeInterrupted = "INTERRUPTED"
)

// Run is the record of one import run, kept as a graph.Record of kind
// IMPORT_RUN.
type Run struct {
	ID       string     `json:"id"`
	Format   string     `json:"format"`
	Source   string     `json:"source"`
	Scope    string     `json:"scope"`
	Files    []string   `json:"files,omitempty"`
	DryRun   bool       `json:"dryRun"`
	Actor    string     `json:"actor,omitempty"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	Outcome  string     `json:"outcome"`
	// Error says why a FAILED run failed; ErrorAt and ErrorField locate it
	// in the input when the input was at fault.
	Error      string `json:"error,omitempty"`
	ErrorFile  string `json:"errorFile,omitempty"`
	ErrorAt    string `json:"errorAt,omitempty"`
	ErrorField string `json:"errorField,omitempty"`
	Counts     Counts `json:"counts"`
	// Heartbeat is when the process running a RUNNING run last said it
	// was alive; Progress is what it has written (lease.go).
	Heartbeat *time.Time `json:"heartbeat,omitempty"`
	Progress  *Progress  `json:"progress,omitempty"`
	// Plan is the plan, with its lists cut to MaxListed entries each.
	Plan *Plan `json:"plan,omitempty"`
}

// Counts sums up a run.
type Counts struct {
	Items            int `json:"items"`
	Links            int `json:"links"`
	Created          int `json:"created"`
	Updated          int `json:"updated"`
	Unchanged        int `json:"unchanged"`
	Stale            int `json:"stale"`
	Retired          int `json:"retired"`
	RelationsCreated int `json:"relationsCreated"`
	RelationsRemoved int `json:"relationsRemoved"`
	StaleRelations   int `json:"staleRelations"`
	Problems         int `json:"problems"`
	// UnresolvedLinks counts links whose end names no CI (Plan.Unresolved).
	UnresolvedLinks int `json:"unresolvedLinks"`
}

// maxMessageBytes bounds each message and location a run records.
const maxMessageBytes = 1024

func clip(s string) string { return feed.Excerpt(s, maxMessageBytes) }

// MaxListed bounds each list of a plan kept in a run record.
const MaxListed = 200

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return graph.Now()
}

// ErrUnread marks a read that failed because the input could not be read
// to its end (an upload cut short, a client gone): Run records nothing for
// it, as there is no input to speak of.
var ErrUnread = errors.New("the input could not be read to its end")

// Run parses the input, plans, and (unless DryRun) applies the plan: in
// batches fenced on the scope where the store bounds a transaction (both
// stores do; see apply.go), else in one transaction. It records the run once the input is read
// (a read cut short, ErrUnread or a cancelled context, records nothing;
// bad input records a FAILED run), as RUNNING under a lease while it plans
// and applies (lease.go), and returns it with the full plan; the error is
// non-nil when the run FAILED or was INTERRUPTED (an *InputError for bad
// input, a *graph.Error otherwise), or when its record could not be
// written.
func (e *Engine) Run(ctx context.Context, req Request, read Read) (Run, *Plan, error) {
	if req.Source == "" {
		req.Source = req.Format
	}
	run := Run{ID: graph.NewID(), Format: req.Format, Source: req.Source, Scope: req.Scope, Files: req.Files,
		DryRun: req.DryRun, Actor: graph.ActorFrom(ctx), Started: e.now(), Outcome: OutcomeRunning}
	if err := graph.CheckSource("source", req.Source); err != nil {
		return run, nil, err
	}
	col, key, err := e.readInput(ctx, req, &run, read)
	if err != nil && (errors.Is(err, ErrUnread) || ctx.Err() != nil) {
		return run, nil, err
	}
	var (
		rec  *record
		plan *Plan
	)
	if err == nil {
		// The scope's runs whose process died are recovered before this
		// one plans on the ledger they left.
		if _, err := e.Reclaim(ctx, RunFilter{Source: key.Source, Scope: key.Scope}); err != nil {
			return run, nil, err
		}
		if rec, err = e.claim(ctx, &run); err != nil {
			return run, nil, err
		}
		plan, err = e.runPlanned(ctx, req, &run, col, key, rec)
	}
	if err != nil {
		e.failed(&run, err)
	}
	finished := e.now()
	run.Finished = &finished
	ctx = context.WithoutCancel(ctx)
	if rec == nil {
		// Failed on its input: recorded once, finished.
		if _, serr := e.save(ctx, &run, 0); serr != nil && err == nil {
			err = serr
		}
	} else if serr := rec.release(ctx); serr != nil {
		err = errors.Join(err, serr)
	}
	if e.Finished != nil {
		e.Finished(run)
	}
	return run, plan, err
}

// failed sets the outcome and the error of a run that did not finish.
func (e *Engine) failed(run *Run, err error) {
	run.Outcome = OutcomeFailed
	var intr *InterruptedError
	if errors.As(err, &intr) {
		run.Outcome = OutcomeInterrupted
	}
	run.Error = clip(publicMessage(err))
	var ie *InputError
	if errors.As(err, &ie) {
		// Bounded here, once for every way in: the error is recorded,
		// answered and printed, and must not carry the input back.
		ie.Message, ie.File, ie.At, ie.Field = clip(ie.Message), clip(ie.File), clip(ie.At), clip(ie.Field)
		run.Error, run.ErrorFile, run.ErrorAt, run.ErrorField = ie.Message, ie.File, ie.At, ie.Field
	} else if f := graph.ErrorField(err); f != "" && graph.ErrorCode(err) != graph.CodeInternal {
		run.ErrorField = clip(f)
	}
}

// readInput parses the input and settles the run's scope.
func (e *Engine) readInput(ctx context.Context, req Request, run *Run, read Read) (*collector, graph.ScopeKey, error) {
	col := newCollector(e.Store.Catalogue())
	col.overridden = req.Scope != ""
	err := read(ctx, col)
	if len(run.Files) == 0 {
		// Inputs named only as they are read (uploads).
		run.Files = col.files
	}
	if err != nil {
		return nil, graph.ScopeKey{}, err
	}
	run.Counts.Items, run.Counts.Links = len(col.items), len(col.links)
	scope := req.Scope
	if scope == "" {
		scope = col.scope
	}
	if scope == "" {
		return nil, graph.ScopeKey{}, graph.Invalid("scope", "the %s input declares no scope: name one (--scope)", req.Format)
	}
	run.Scope = scope
	key := graph.ScopeKey{Source: req.Source, Scope: scope}
	if err := graph.CheckScopeKey("", key); err != nil {
		return nil, graph.ScopeKey{}, err
	}
	return col, key, nil
}

func (e *Engine) runPlanned(ctx context.Context, req Request, run *Run, col *collector, key graph.ScopeKey, rec *record) (*Plan, error) {
	e.stage("planning")
	policy := e.Policy
	if req.Policy != nil {
		if own := req.Policy(); own != nil {
			policy = *own
		}
	}
	p := &planner{store: e.Store, cat: e.Store.Catalogue(), policy: policy, key: key, now: e.now(), col: col}
	plan, err := p.run(ctx)
	if err != nil {
		return nil, err
	}
	plan.batch.Ledger.RunID = run.ID
	run.Counts.fill(plan)
	run.Plan = plan.trimmed(MaxListed)
	switch {
	case req.DryRun:
		run.Outcome = OutcomePlanned
		return plan, nil
	case req.Strict && len(plan.Problems) > 0:
		pr := plan.Problems[0]
		return plan, &InputError{At: pr.At, Field: pr.Field,
			Message: fmt.Sprintf("%d problem(s) and --strict: %s", len(plan.Problems), pr.Message)}
	case req.Strict && len(plan.Unresolved) > 0:
		u := plan.Unresolved[0]
		missing := u.To
		if u.End == "from" {
			missing = u.From
		}
		return plan, &InputError{At: u.At, Field: u.End,
			Message: fmt.Sprintf("%d unresolved link(s) and --strict: %s link: no CI has identifier %s:%s",
				len(plan.Unresolved), u.Type, missing.Kind, missing.Value)}
	}
	e.stage("applying")
	written, err := e.apply(graph.WithImportRun(ctx, req.Source, run.ID), plan, rec)
	if err != nil {
		// What the committed batches wrote, not what was planned.
		run.Counts.setWritten(written)
		return plan, err
	}
	run.Outcome = OutcomeSucceeded
	if !plan.Complete {
		run.Outcome = OutcomePartial
	}
	return plan, nil
}

func (c *Counts) fill(p *Plan) {
	c.Created, c.Updated, c.Unchanged = len(p.Creates), len(p.Updates), p.Unchanged
	c.Stale, c.Retired, c.StaleRelations = len(p.Stale), len(p.Retired), p.StaleRelations
	c.RelationsCreated, c.RelationsRemoved = len(p.NewRelations), len(p.RemovedRelations)
	c.Problems, c.UnresolvedLinks = len(p.Problems), len(p.Unresolved)
}

// trimmed returns a copy of the plan with every list cut to n entries.
func (p *Plan) trimmed(n int) *Plan {
	cp := *p
	cp.batch = graph.Batch{}
	cp.Creates = cut(p.Creates, n)
	cp.Updates = cut(p.Updates, n)
	cp.NewRelations = cut(p.NewRelations, n)
	cp.RemovedRelations = cut(p.RemovedRelations, n)
	cp.Stale = cut(p.Stale, n)
	cp.Retired = cut(p.Retired, n)
	cp.Problems = cut(p.Problems, n)
	cp.Unresolved = cut(p.Unresolved, n)
	cp.Impact = cut(p.Impact, n)
	return &cp
}

func cut[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// save writes the run record: version 0 creates it.
func (e *Engine) save(ctx context.Context, run *Run, version int64) (int64, error) {
	doc, err := json.Marshal(run)
	if err != nil {
		return 0, graph.Internal(err, "encode import run")
	}
	rec := graph.Record{Kind: graph.KindImportRun, ID: run.ID, State: run.Outcome, Start: &run.Started,
		End: run.Finished, Refs: runRefs(run.Source, run.Scope), Doc: doc}
	saved, err := e.Store.PutRecord(ctx, rec, version)
	if err != nil {
		return 0, fmt.Errorf("record import run: %w", err)
	}
	return saved.Version, nil
}

// GetRun returns one run record.
func GetRun(ctx context.Context, s graph.RecordStore, id string) (Run, error) {
	rec, err := s.GetRecord(ctx, graph.KindImportRun, id)
	if err != nil {
		return Run{}, err
	}
	return decodeRun(rec)
}

func decodeRun(rec graph.Record) (Run, error) {
	var r Run
	if err := json.Unmarshal(rec.Doc, &r); err != nil {
		return Run{}, graph.Internal(err, "decode import run %s", rec.ID)
	}
	return r, nil
}

// RunFilter selects runs; empty fields match everything.
type RunFilter struct {
	Source   string
	Scope    string
	Outcomes []string
}

// ListRuns returns one page of runs, newest first.
func ListRuns(ctx context.Context, s graph.RecordStore, f RunFilter, p graph.Page) ([]Run, bool, int, error) {
	rf := graph.RecordFilter{States: f.Outcomes}
	switch {
	case f.Source != "" && f.Scope != "":
		rf.Ref = "run:" + f.Source + "\x00" + f.Scope
	case f.Source != "":
		rf.Ref = "source:" + f.Source
	case f.Scope != "":
		rf.Ref = "scope:" + f.Scope
	}
	page, err := s.ListRecords(ctx, graph.KindImportRun, rf, p)
	if err != nil {
		return nil, false, 0, err
	}
	runs := make([]Run, 0, len(page.Records))
	for _, rec := range page.Records {
		r, err := decodeRun(rec)
		if err != nil {
			return nil, false, 0, err
		}
		runs = append(runs, r)
	}
	return runs, page.HasNextPage, page.TotalCount, nil
}

// runRefs index a run by source, by scope and by both.
func runRefs(source, scope string) []string {
	return []string{"source:" + source, "scope:" + scope, "run:" + source + "\x00" + scope}
}

// publicMessage is what a run record says about a failure: domain errors
// as they are, anything else (a driver's socket error) without detail,
// which stays in the returned error for the caller's logs.
func publicMessage(err error) string {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Message
	}
	prefix := ""
	var intr *InterruptedError
	if errors.As(err, &intr) {
		prefix = fmt.Sprintf("batch %d of %d failed after %d were written (they hold whole, correct CIs and relations; nothing was marked stale; run the import again to finish): ",
			intr.Written+1, intr.Batches, intr.Written)
	}
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return prefix + "the run was cut short (cancelled or timed out)"
	case graph.ErrorCode(err) == graph.CodeInternal:
		return prefix + "internal error (details in the server log)"
	case graph.ErrorCode(err) == graph.CodeUnavailable:
		return prefix + "the store is unavailable: " + graph.ErrorMessage(err)
	}
	return prefix + graph.ErrorMessage(err)
}

package resolvers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// BatchFormat is the format an importBatch run is recorded under.
const BatchFormat = "batch"

// defaultFileName names importFile's content when the client gives no name.
const defaultFileName = "input"

// runImport runs one import and turns its outcome into the mutation's
// answer. A run the engine recorded is always returned, FAILED ones too, so
// the client sees where its input is wrong; a run that failed for a reason
// other than its input (the store, a concurrent run of the scope) also adds
// that error, code and all, so clients can tell "fix the file" from "retry".
// Only a run that was never recorded is a plain error.
func (r *Resolver) runImport(ctx context.Context, req importers.Request, read importers.Read) (*model.ImportResult, error) {
	run, _, err := r.Imports.Run(ctx, req, read)
	// The run may have changed any CI the operation has cached.
	r.loadersFor(ctx).forget()
	if run.Finished == nil {
		if err == nil {
			err = graph.Internal(nil, "import run %s did not finish", run.ID)
		}
		return nil, err
	}
	if err != nil && !formats.InputFault(err) {
		graphql.AddError(ctx, err)
	}
	return &model.ImportResult{Run: &run, Plan: run.Plan}, nil
}

// batchRead feeds an importBatch input to the engine, naming every item
// items[i] and every link links[i] so that errors point into the input.
func batchRead(in model.ImportBatchInput) importers.Read {
	return func(ctx context.Context, emit importers.Emitter) error {
		for i, it := range in.Items {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := importers.Item{Class: it.Class, Name: it.Name, Identifiers: slices.Clone(it.Identifiers),
				Attributes: it.Attributes, Owner: deref(it.Owner), Environment: deref(it.Environment),
				At: graph.FieldIndex("items", i)}
			if err := emit.Item(item); err != nil {
				return err
			}
		}
		for i, l := range in.Links {
			link := importers.Link{From: deref(l.From), Type: l.Type, To: deref(l.To), At: graph.FieldIndex("links", i)}
			if err := emit.Link(link); err != nil {
				return err
			}
		}
		return nil
	}
}

// mappingReader re-encodes the mapping argument for formats.Options.
func mappingReader(m map[string]any) (io.Reader, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, graph.Invalid("mapping", "mapping must be a JSON object: %v", err)
	}
	return bytes.NewReader(b), nil
}

// provenance lists a CI's field origins sorted by field.
func provenance(ci *graph.CI) []model.FieldOrigin {
	out := make([]model.FieldOrigin, 0, len(ci.Provenance))
	for _, field := range slices.Sorted(maps.Keys(ci.Provenance)) {
		o := ci.Provenance[field]
		out = append(out, model.FieldOrigin{Field: field, Source: o.Source, Scope: nonEmpty(o.Scope), Since: o.Since, CIID: ci.ID})
	}
	return out
}

// sightingsOf returns the import sightings of one CI, batched.
func (r *Resolver) sightingsOf(ctx context.Context, id string) ([]graph.Sighting, error) {
	s, err := r.loadersFor(ctx).sightings.Load(ctx, id)()
	if err != nil {
		return nil, err
	}
	if s == nil {
		return []graph.Sighting{}, nil
	}
	return s, nil
}

// lastSeen is when the (source, scope) of an origin last reported the CI;
// nil for manual edits and when the scope holds no sighting of it.
func (r *Resolver) lastSeen(ctx context.Context, o *model.FieldOrigin) (*time.Time, error) {
	if o.Scope == nil || o.Source == graph.SourceManual {
		return nil, nil
	}
	sightings, err := r.sightingsOf(ctx, o.CIID)
	if err != nil {
		return nil, err
	}
	for _, s := range sightings {
		if s.Source == o.Source && s.Scope == *o.Scope {
			t := s.LastSeen
			return &t, nil
		}
	}
	return nil, nil
}

// sightingsBatch loads the sightings of a page of CIs with one
// SightingsOf call.
func sightingsBatch(s batchReader) dataloader.BatchFunc[string, []graph.Sighting] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[[]graph.Sighting] {
		found, err := s.SightingsOf(ctx, ids)
		out := make([]*dataloader.Result[[]graph.Sighting], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]graph.Sighting]{Data: found[id], Error: err}
		}
		return out
	}
}

// relationSightingsBatch loads relations' sightings with one store call.
func relationSightingsBatch(s batchReader) dataloader.BatchFunc[graph.RelationKey, []graph.Sighting] {
	return func(ctx context.Context, keys []graph.RelationKey) []*dataloader.Result[[]graph.Sighting] {
		found, err := s.RelationSightings(ctx, keys)
		out := make([]*dataloader.Result[[]graph.Sighting], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[[]graph.Sighting]{Data: found[k], Error: err}
		}
		return out
	}
}

// plannedCI returns the CI a plan entry names, or nil for a CI the plan
// creates or one deleted since.
func (r *Resolver) plannedCI(ctx context.Context, id string) (*graph.CI, error) {
	if id == "" {
		return nil, nil
	}
	return r.loadersFor(ctx).cis.Load(ctx, id)()
}

// runsConnection builds a page of import runs.
func runsConnection(runs []importers.Run, hasNext bool, total int, req pageRequest) *model.ImportRunConnection {
	conn := &model.ImportRunConnection{TotalCount: total}
	conn.Edges, conn.PageInfo = connection(len(runs), hasNext, req.After != "", req, func(i int) (model.ImportRunEdge, string) {
		c := graph.RecordCursor(graph.RecordOrder{}, graph.Record{ID: runs[i].ID}) // runs list in the default order
		return model.ImportRunEdge{Cursor: c, Node: &runs[i]}, c
	})
	return conn
}

// Expected sizes of the lists of an import plan. A plan keeps up to
// importers.MaxListed entries per list, but most runs change far fewer
// things; pricing every list at its maximum would refuse a client asking
// for one whole plan.
const (
	planListSize   = 50 // entries of one plan list
	fieldChanges   = 10 // changed fields of one planned CI
	provenanceSize = 10 // fields with an origin, per CI
	sightingsSize  = 5  // scopes reporting one CI
	importCost     = 100
)

// importComplexity prices the import runs, plans and mutations.
func importComplexity(c *generated.ComplexityRoot) {
	c.Query.ImportRuns = func(child int, _, _ *string, _ []string, first *int, _ *string) int {
		return times(pageSize(first), child)
	}
	c.Mutation.ImportFile = func(child int, _ model.ImportFileInput) int { return importCost + child }
	c.Mutation.ImportBatch = func(child int, _ model.ImportBatchInput) int { return importCost + child }
	perPlan := func(child int) int { return times(planListSize, child) }
	c.ImportPlan.Creates = perPlan
	c.ImportPlan.Updates = perPlan
	c.ImportPlan.NewRelations = perPlan
	c.ImportPlan.RemovedRelations = perPlan
	c.ImportPlan.Stale = perPlan
	c.ImportPlan.Retired = perPlan
	c.ImportPlan.Problems = perPlan
	c.ImportPlan.Impact = perPlan
	c.PlannedCI.Changes = func(child int) int { return times(fieldChanges, child) }
	c.ServiceImpact.Gained = func(child int) int { return times(fanOut, child) }
	c.ServiceImpact.Lost = c.ServiceImpact.Gained
	c.ImportProblem.CIs = func(child int) int { return times(fanOut, child) }
	c.ImportRun.Files = func(child int) int { return times(fanOut, child) }
	c.CI.Provenance = func(child int) int { return times(provenanceSize, child) }
	c.CI.Sightings = func(child int) int { return times(sightingsSize, child) }
	c.Relation.Sightings = func(child int) int { return times(sightingsSize, child) }
}

package resolvers

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/ripple-cmdb/ripple/graph"
)

// loaderWait is how long a loader collects keys before it calls the store.
// gqlgen resolves the items of a list concurrently, so every CI of a page
// asks within a millisecond or two of the others; 5ms batches a page of 100
// into one call per question on this 2-core class of machine (2ms often
// split it in two or three) while keeping the latency tax per nesting level
// small next to the libraries' 16ms default.
const loaderWait = 5 * time.Millisecond

// loaders batch the per-CI lookups of one GraphQL operation so that a page
// of N CIs costs a bounded number of store calls instead of N. They cache
// for the life of the operation only, so no request sees another's data.
type loaders struct {
	// reader is what the loaders read, for preload.
	reader    batchReader
	cis       *dataloader.Loader[string, *graph.CI]
	relations *dataloader.Loader[relationsKey, []graph.Relation]
	// sightings holds each CI's import sightings (see import.go).
	sightings *dataloader.Loader[string, []graph.Sighting]
	// relSightings holds each relation's sightings (its provenance).
	relSightings *dataloader.Loader[graph.RelationKey, []graph.Sighting]
	// past holds the operation's views of the graph as it was, with
	// their own loaders (see asof.go).
	past *pastViews
}

// relationsKey is one RelationsOf question. Types are validated against the
// catalogue before they get here, so joining them with a separator that no
// relation type name can contain is unambiguous.
type relationsKey struct {
	id    string
	dir   graph.Direction
	types string
}

const typeSep = ","

// batchReader is what the loaders read: the store's batch lookups only.
type batchReader interface {
	CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error)
	RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error)
	SightingsOf(ctx context.Context, ids []string) (map[string][]graph.Sighting, error)
	RelationSightings(ctx context.Context, keys []graph.RelationKey) (map[graph.RelationKey][]graph.Sighting, error)
}

func newLoaders(s batchReader) *loaders {
	return &loaders{
		reader: s,
		cis: dataloader.NewBatchedLoader(inWindow(ciBatch(s)),
			dataloader.WithWait[string, *graph.CI](loaderWait)),
		relations: dataloader.NewBatchedLoader(inWindow(relationsBatch(s)),
			dataloader.WithWait[relationsKey, []graph.Relation](loaderWait)),
		sightings: dataloader.NewBatchedLoader(inWindow(sightingsBatch(s)),
			dataloader.WithWait[string, []graph.Sighting](loaderWait)),
		relSightings: dataloader.NewBatchedLoader(inWindow(relationSightingsBatch(s)),
			dataloader.WithWait[graph.RelationKey, []graph.Sighting](loaderWait)),
		past: &pastViews{byInstant: map[time.Time]*pastView{}},
	}
}

// batchWindows numbers the loaders' batch windows process-wide.
var batchWindows atomic.Uint64

type batchWindowKey struct{}

// inWindow marks the store calls of one batch with the window's number, so
// that a caller counting store calls can tell what the loader promises --
// one call per distinct question per window -- from how many windows the
// scheduler happened to cut: on a loaded machine gqlgen's concurrent list
// items can straddle the wait and split a page's keys over two or three
// windows, which is timing, not an N+1.
func inWindow[K comparable, V any](fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		return fn(context.WithValue(ctx, batchWindowKey{}, batchWindows.Add(1)), keys)
	}
}

// BatchWindowOf reports which loader batch window a store call was made
// in; ok is false for a call made outside any loader, which is how a
// per-item store call (an N+1) shows itself to instrumentation.
func BatchWindowOf(ctx context.Context) (window uint64, ok bool) {
	window, ok = ctx.Value(batchWindowKey{}).(uint64)
	return window, ok
}

// ciBatch loads CIs by id with one CIsByIDs call; a missing CI is a nil
// value rather than an error because CIsByIDs does not tell unknown ids
// from malformed ones and callers decide what absence means.
func ciBatch(s batchReader) dataloader.BatchFunc[string, *graph.CI] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[*graph.CI] {
		out := make([]*dataloader.Result[*graph.CI], len(ids))
		found, err := s.CIsByIDs(ctx, ids)
		for i, id := range ids {
			if err != nil {
				out[i] = &dataloader.Result[*graph.CI]{Error: err}
				continue
			}
			if ci, ok := found[id]; ok {
				out[i] = &dataloader.Result[*graph.CI]{Data: &ci}
			} else {
				out[i] = &dataloader.Result[*graph.CI]{}
			}
		}
		return out
	}
}

// relationsBatch makes one RelationsOf call per distinct (direction, types)
// among the keys: a page asking relations(direction: OUTGOING) on every CI
// costs one call.
func relationsBatch(s batchReader) dataloader.BatchFunc[relationsKey, []graph.Relation] {
	return func(ctx context.Context, keys []relationsKey) []*dataloader.Result[[]graph.Relation] {
		type group struct {
			dir   graph.Direction
			types string
		}
		byGroup := map[group][]int{}
		var order []group
		for i, k := range keys {
			g := group{k.dir, k.types}
			if _, ok := byGroup[g]; !ok {
				order = append(order, g)
			}
			byGroup[g] = append(byGroup[g], i)
		}
		out := make([]*dataloader.Result[[]graph.Relation], len(keys))
		for _, g := range order {
			idx := byGroup[g]
			ids := make([]string, len(idx))
			for j, i := range idx {
				ids[j] = keys[i].id
			}
			var types []string
			if g.types != "" {
				types = strings.Split(g.types, typeSep)
			}
			rels, err := s.RelationsOf(ctx, ids, g.dir, types)
			for _, i := range idx {
				out[i] = &dataloader.Result[[]graph.Relation]{Data: rels[keys[i].id], Error: err}
			}
		}
		return out
	}
}

type loadersKey struct{}

func withLoaders(ctx context.Context, l *loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

// loadersFor returns the operation's loaders. Resolvers called outside an
// operation set up by NewHandler (there are none today) get a fresh set
// rather than a nil pointer.
// Under a field asked asOf an instant, they are that instant's loaders,
// so nested CIs, relations and paths read the graph as it was.
func (r *Resolver) loadersFor(ctx context.Context) *loaders {
	l, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		l = newLoaders(r.Store)
	}
	if at := asOfOf(ctx); at != nil {
		return l.past.at(r.Store, *at).loaders
	}
	return l
}

// prime records CIs the operation already holds (a listed page, a blast
// radius) so that nested fields asking for them cost no store call.
func (l *loaders) prime(ctx context.Context, cis ...graph.CI) {
	for i := range cis {
		ci := cis[i]
		l.cis.Prime(ctx, ci.ID, &ci)
	}
}

// preload reads the CIs with these ids in one store call, without waiting
// for a batch window (a batch resolver already holds every id of its
// list), and primes the CI loader with them for the fields that follow.
func (l *loaders) preload(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := l.reader.CIsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, ci := range found {
		l.cis.Prime(ctx, id, &ci)
	}
	return found, nil
}

// forget drops everything cached: a mutation may have changed any of it.
func (l *loaders) forget() {
	l.cis.ClearAll()
	l.relations.ClearAll()
	l.sightings.ClearAll()
	l.relSightings.ClearAll()
}

// loadCIs returns the CIs with these ids in the same order, skipping those
// that no longer exist (deleted since the ids were read).
func (l *loaders) loadCIs(ctx context.Context, ids []string) ([]graph.CI, error) {
	if len(ids) == 0 {
		return []graph.CI{}, nil
	}
	found, errs := l.cis.LoadMany(ctx, ids)()
	out := make([]graph.CI, 0, len(ids))
	for i, ci := range found {
		if len(errs) > 0 && errs[i] != nil {
			return nil, errs[i]
		}
		if ci != nil {
			out = append(out, *ci)
		}
	}
	return out, nil
}

// loadCI returns one CI, NOT_FOUND naming field when it does not exist.
func (l *loaders) loadCI(ctx context.Context, field, id string) (*graph.CI, error) {
	ci, err := l.cis.Load(ctx, id)()
	if err != nil {
		return nil, err
	}
	if ci == nil {
		return nil, graph.NotFound(field, "CI", id)
	}
	return ci, nil
}

// loadRelations returns the relations of one CI. Types are checked here so
// that a bad name is reported against the caller's argument and never
// reaches a batch shared with other fields.
func (r *Resolver) loadRelations(ctx context.Context, id string, dir *graph.Direction, types []string) ([]graph.Relation, error) {
	d := graph.Both
	if dir != nil {
		d = *dir
	}
	cat := r.Store.Catalogue()
	for i, t := range types {
		if err := cat.CheckRelationType(graph.FieldIndex("types", i), t); err != nil {
			return nil, err
		}
	}
	// Order and duplicates do not change the answer; normalising them lets
	// more fields share a batch.
	types = slices.Compact(slices.Sorted(slices.Values(types)))
	rels, err := r.loadersFor(ctx).relations.Load(ctx, relationsKey{id: id, dir: d, types: strings.Join(types, typeSep)})()
	if err != nil {
		return nil, err
	}
	if rels == nil {
		return []graph.Relation{}, nil
	}
	return rels, nil
}

// neighbours returns the CIs at the other end of id's relations, each once,
// in the order of the relations.
func (r *Resolver) neighbours(ctx context.Context, id string, dir *graph.Direction, types []string) ([]graph.CI, error) {
	rels, err := r.loadRelations(ctx, id, dir, types)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, rel := range rels {
		other := rel.To
		if other == id {
			other = rel.From
		}
		if !seen[other] {
			seen[other] = true
			ids = append(ids, other)
		}
	}
	return r.loadersFor(ctx).loadCIs(ctx, ids)
}

// Package observed wraps a graph.Store so that every call is reported to
// an Observer: its latency and error go to the metrics, its span to the
// traces. It changes nothing about what the store does; it is wired in one
// place (app.NewObserved), so every way in is observed alike.
//
// Store does not embed graph.Store: each method is written out, and the
// assertion below fails to compile when the contract gains a method this
// file does not observe, instead of letting the new call pass unseen.
package observed

import (
	"context"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Observer is told of each store call as it starts. The context it
// returns is the one the call runs with (a tracer puts its span there);
// done is called once with the call's error when it returns.
type Observer interface {
	StoreCall(ctx context.Context, store, method string) (context.Context, func(err error))
}

// Observers tells each of its observers of every call, in order.
type Observers []Observer

// StoreCall implements Observer.
func (os Observers) StoreCall(ctx context.Context, store, method string) (context.Context, func(error)) {
	dones := make([]func(error), 0, len(os))
	for _, o := range os {
		var done func(error)
		ctx, done = o.StoreCall(ctx, store, method)
		dones = append(dones, done)
	}
	return ctx, func(err error) {
		// Innermost first, as the calls nest.
		for i := len(dones) - 1; i >= 0; i-- {
			dones[i](err)
		}
	}
}

// Store is a graph.Store whose calls are observed.
type Store struct {
	inner graph.Store
	name  string
	obs   Observer
}

var _ graph.Store = (*Store)(nil)

// batchSizer is importers.BatchSizer, which Store passes on (the import
// engine sizes its transactions by it); restated here so that a store
// package does not import the import engine.
type batchSizer interface{ PreferredBatchSize() int }

// Wrap returns st observed by obs; name says which store it is ("embedded",
// "neo4j") in what obs records.
func Wrap(st graph.Store, name string, obs Observer) *Store {
	return &Store{inner: st, name: name, obs: obs}
}

// Unwrap returns the store Wrap was given.
func (s *Store) Unwrap() graph.Store { return s.inner }

// PreferredBatchSize passes on the wrapped store's preference; -1 (one
// transaction per run) when it has none, which is what the import engine
// assumes of a store without one.
func (s *Store) PreferredBatchSize() int {
	if b, ok := s.inner.(batchSizer); ok {
		return b.PreferredBatchSize()
	}
	return -1
}

// call runs one store call under the observer.
func call[T any](ctx context.Context, s *Store, method string, f func(context.Context) (T, error)) (T, error) {
	ctx, done := s.obs.StoreCall(ctx, s.name, method)
	out, err := f(ctx)
	done(err)
	return out, err
}

// call0 is call for methods that return only an error.
func call0(ctx context.Context, s *Store, method string, f func(context.Context) error) error {
	ctx, done := s.obs.StoreCall(ctx, s.name, method)
	err := f(ctx)
	done(err)
	return err
}

// Catalogue is not observed: it reads memory, no I/O.
func (s *Store) Catalogue() *graph.Catalogue { return s.inner.Catalogue() }

func (s *Store) UpsertCI(ctx context.Context, in graph.CIInput) (graph.UpsertResult, error) {
	return call(ctx, s, "UpsertCI", func(ctx context.Context) (graph.UpsertResult, error) { return s.inner.UpsertCI(ctx, in) })
}

func (s *Store) Apply(ctx context.Context, b graph.Batch) (graph.BatchResult, error) {
	return call(ctx, s, "Apply", func(ctx context.Context) (graph.BatchResult, error) { return s.inner.Apply(ctx, b) })
}

func (s *Store) GetCI(ctx context.Context, id string) (graph.CI, error) {
	return call(ctx, s, "GetCI", func(ctx context.Context) (graph.CI, error) { return s.inner.GetCI(ctx, id) })
}

func (s *Store) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	return call(ctx, s, "CIsByIDs", func(ctx context.Context) (map[string]graph.CI, error) { return s.inner.CIsByIDs(ctx, ids) })
}

func (s *Store) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	return call(ctx, s, "ListCIs", func(ctx context.Context) (graph.CIPage, error) { return s.inner.ListCIs(ctx, f, p) })
}

func (s *Store) DeleteCI(ctx context.Context, id string) error {
	return call0(ctx, s, "DeleteCI", func(ctx context.Context) error { return s.inner.DeleteCI(ctx, id) })
}

func (s *Store) ForceDeleteCI(ctx context.Context, id string) ([]graph.Holder, error) {
	return call(ctx, s, "ForceDeleteCI", func(ctx context.Context) ([]graph.Holder, error) { return s.inner.ForceDeleteCI(ctx, id) })
}

func (s *Store) Relate(ctx context.Context, from, typ, to string) (graph.Relation, error) {
	return call(ctx, s, "Relate", func(ctx context.Context) (graph.Relation, error) { return s.inner.Relate(ctx, from, typ, to) })
}

func (s *Store) Unrelate(ctx context.Context, from, typ, to string) (bool, error) {
	return call(ctx, s, "Unrelate", func(ctx context.Context) (bool, error) { return s.inner.Unrelate(ctx, from, typ, to) })
}

func (s *Store) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	return call(ctx, s, "RelationsOf", func(ctx context.Context) (map[string][]graph.Relation, error) {
		return s.inner.RelationsOf(ctx, ids, dir, types)
	})
}

func (s *Store) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	return call(ctx, s, "Neighbourhood", func(ctx context.Context) (graph.Subgraph, error) { return s.inner.Neighbourhood(ctx, q) })
}

func (s *Store) GraphVersion(ctx context.Context) (string, error) {
	return call(ctx, s, "GraphVersion", s.inner.GraphVersion)
}

func (s *Store) Ping(ctx context.Context) error {
	return call0(ctx, s, "Ping", s.inner.Ping)
}

func (s *Store) Close(ctx context.Context) error {
	return call0(ctx, s, "Close", s.inner.Close)
}

func (s *Store) PutRecord(ctx context.Context, rec graph.Record, expectVersion int64) (graph.Record, error) {
	return call(ctx, s, "PutRecord", func(ctx context.Context) (graph.Record, error) { return s.inner.PutRecord(ctx, rec, expectVersion) })
}

func (s *Store) GetRecord(ctx context.Context, kind graph.RecordKind, id string) (graph.Record, error) {
	return call(ctx, s, "GetRecord", func(ctx context.Context) (graph.Record, error) { return s.inner.GetRecord(ctx, kind, id) })
}

func (s *Store) RecordsByIDs(ctx context.Context, kind graph.RecordKind, ids []string) (map[string]graph.Record, error) {
	return call(ctx, s, "RecordsByIDs", func(ctx context.Context) (map[string]graph.Record, error) {
		return s.inner.RecordsByIDs(ctx, kind, ids)
	})
}

func (s *Store) ListRecords(ctx context.Context, kind graph.RecordKind, f graph.RecordFilter, p graph.Page) (graph.RecordPage, error) {
	return call(ctx, s, "ListRecords", func(ctx context.Context) (graph.RecordPage, error) { return s.inner.ListRecords(ctx, kind, f, p) })
}

func (s *Store) RecordsOnCIs(ctx context.Context, kind graph.RecordKind, cis []string, f graph.RecordFilter) (map[string][]graph.Record, error) {
	return call(ctx, s, "RecordsOnCIs", func(ctx context.Context) (map[string][]graph.Record, error) {
		return s.inner.RecordsOnCIs(ctx, kind, cis, f)
	})
}

func (s *Store) DeleteRecord(ctx context.Context, kind graph.RecordKind, id string, expectVersion int64) error {
	return call0(ctx, s, "DeleteRecord", func(ctx context.Context) error { return s.inner.DeleteRecord(ctx, kind, id, expectVersion) })
}

func (s *Store) History(ctx context.Context, about string, p graph.Page) (graph.AuditPage, error) {
	return call(ctx, s, "History", func(ctx context.Context) (graph.AuditPage, error) { return s.inner.History(ctx, about, p) })
}

func (s *Store) Timelines(ctx context.Context, ids []string, since time.Time) (map[string]graph.Timeline, error) {
	return call(ctx, s, "Timelines", func(ctx context.Context) (map[string]graph.Timeline, error) {
		return s.inner.Timelines(ctx, ids, since)
	})
}

func (s *Store) GraphChanges(ctx context.Context, from, to time.Time, p graph.Page) (graph.AuditPage, error) {
	return call(ctx, s, "GraphChanges", func(ctx context.Context) (graph.AuditPage, error) { return s.inner.GraphChanges(ctx, from, to, p) })
}

func (s *Store) Scope(ctx context.Context, key graph.ScopeKey) (graph.ScopeState, error) {
	return call(ctx, s, "Scope", func(ctx context.Context) (graph.ScopeState, error) { return s.inner.Scope(ctx, key) })
}

func (s *Store) Sightings(ctx context.Context, key graph.ScopeKey) ([]graph.Sighting, error) {
	return call(ctx, s, "Sightings", func(ctx context.Context) ([]graph.Sighting, error) { return s.inner.Sightings(ctx, key) })
}

func (s *Store) SightingsOf(ctx context.Context, ids []string) (map[string][]graph.Sighting, error) {
	return call(ctx, s, "SightingsOf", func(ctx context.Context) (map[string][]graph.Sighting, error) { return s.inner.SightingsOf(ctx, ids) })
}

func (s *Store) RelationSightings(ctx context.Context, keys []graph.RelationKey) (map[graph.RelationKey][]graph.Sighting, error) {
	return call(ctx, s, "RelationSightings", func(ctx context.Context) (map[graph.RelationKey][]graph.Sighting, error) {
		return s.inner.RelationSightings(ctx, keys)
	})
}

func (s *Store) LookupIdentifiers(ctx context.Context, ids []graph.Identifier) (map[graph.Identifier]string, error) {
	return call(ctx, s, "LookupIdentifiers", func(ctx context.Context) (map[graph.Identifier]string, error) {
		return s.inner.LookupIdentifiers(ctx, ids)
	})
}

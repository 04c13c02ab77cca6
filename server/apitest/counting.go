package apitest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers"
)

// CountingStore is a pass-through graph.Store that counts the calls made
// to it: instrumentation for the N+1 checks, not a fake. Every call reaches
// the real store.
type CountingStore struct {
	graph.Store
	upsertCI, apply, getCI, cisByIDs, listCIs, deleteCI atomic.Int64
	relate, unrelate, relationsOf, neighbourhood, ping  atomic.Int64

	mu      sync.Mutex
	batches map[string]*Batches // by method: the batch lookups only
}

// Batches is how one batch lookup was called: the dataloaders promise one
// call per distinct question per batch window, so these figures let a test
// check that promise exactly instead of guessing how many windows a loaded
// scheduler cuts a page into.
type Batches struct {
	Calls   int
	Outside int            // calls made outside any loader window: per-item calls
	Windows map[uint64]int // calls per loader batch window
	IDs     int            // ids asked, summed over the calls
}

func (c *CountingStore) logBatch(ctx context.Context, method string, ids int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batches == nil {
		c.batches = map[string]*Batches{}
	}
	b := c.batches[method]
	if b == nil {
		b = &Batches{Windows: map[uint64]int{}}
		c.batches[method] = b
	}
	b.Calls++
	b.IDs += ids
	if w, ok := resolvers.BatchWindowOf(ctx); ok {
		b.Windows[w]++
	} else {
		b.Outside++
	}
}

// BatchesOf returns how method (CIsByIDs or RelationsOf) was called since
// the last Reset.
func (c *CountingStore) BatchesOf(method string) Batches {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.batches[method]
	if b == nil {
		return Batches{Windows: map[uint64]int{}}
	}
	out := *b
	out.Windows = make(map[uint64]int, len(b.Windows))
	for w, n := range b.Windows {
		out.Windows[w] = n
	}
	return out
}

// Counts returns the calls made so far by method name.
func (c *CountingStore) Counts() map[string]int64 {
	return map[string]int64{
		"UpsertCI": c.upsertCI.Load(), "Apply": c.apply.Load(), "GetCI": c.getCI.Load(),
		"CIsByIDs": c.cisByIDs.Load(), "ListCIs": c.listCIs.Load(), "DeleteCI": c.deleteCI.Load(),
		"Relate": c.relate.Load(), "Unrelate": c.unrelate.Load(), "RelationsOf": c.relationsOf.Load(),
		"Neighbourhood": c.neighbourhood.Load(), "Ping": c.ping.Load(),
	}
}

// Total is the number of calls made so far.
func (c *CountingStore) Total() int64 {
	var n int64
	for _, v := range c.Counts() {
		n += v
	}
	return n
}

// Reset zeroes the counters.
func (c *CountingStore) Reset() {
	for _, v := range []*atomic.Int64{&c.upsertCI, &c.apply, &c.getCI, &c.cisByIDs, &c.listCIs,
		&c.deleteCI, &c.relate, &c.unrelate, &c.relationsOf, &c.neighbourhood, &c.ping} {
		v.Store(0)
	}
	c.mu.Lock()
	c.batches = nil
	c.mu.Unlock()
}

func (c *CountingStore) UpsertCI(ctx context.Context, in graph.CIInput) (graph.UpsertResult, error) {
	c.upsertCI.Add(1)
	return c.Store.UpsertCI(ctx, in)
}

func (c *CountingStore) Apply(ctx context.Context, b graph.Batch) (graph.BatchResult, error) {
	c.apply.Add(1)
	return c.Store.Apply(ctx, b)
}

func (c *CountingStore) GetCI(ctx context.Context, id string) (graph.CI, error) {
	c.getCI.Add(1)
	return c.Store.GetCI(ctx, id)
}

func (c *CountingStore) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	c.cisByIDs.Add(1)
	c.logBatch(ctx, "CIsByIDs", len(ids))
	return c.Store.CIsByIDs(ctx, ids)
}

func (c *CountingStore) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	c.listCIs.Add(1)
	return c.Store.ListCIs(ctx, f, p)
}

func (c *CountingStore) DeleteCI(ctx context.Context, id string) error {
	c.deleteCI.Add(1)
	return c.Store.DeleteCI(ctx, id)
}

func (c *CountingStore) ForceDeleteCI(ctx context.Context, id string) ([]graph.Holder, error) {
	c.deleteCI.Add(1)
	return c.Store.ForceDeleteCI(ctx, id)
}

func (c *CountingStore) Relate(ctx context.Context, from, typ, to string) (graph.Relation, error) {
	c.relate.Add(1)
	return c.Store.Relate(ctx, from, typ, to)
}

func (c *CountingStore) Unrelate(ctx context.Context, from, typ, to string) (bool, error) {
	c.unrelate.Add(1)
	return c.Store.Unrelate(ctx, from, typ, to)
}

func (c *CountingStore) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	c.relationsOf.Add(1)
	c.logBatch(ctx, "RelationsOf", len(ids))
	return c.Store.RelationsOf(ctx, ids, dir, types)
}

func (c *CountingStore) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	c.neighbourhood.Add(1)
	return c.Store.Neighbourhood(ctx, q)
}

func (c *CountingStore) Ping(ctx context.Context) error {
	c.ping.Add(1)
	return c.Store.Ping(ctx)
}

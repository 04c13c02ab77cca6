package analysis

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// graphCache keeps results derived from the graph alone (blast radii, the
// subgraph upstream of some CIs), keyed by what was asked and valid for one
// graph version (graph.Store.GraphVersion): a write that changes the graph
// moves the version, and nothing computed before it is served after. Records
// (incidents, changes, SLAs) are never cached: analyses read them fresh.
//
// It is bounded by the total weight of its entries (CIs held), evicting
// the least recently used. The lock guards only the maps: computations run
// outside it, and identical ones asked for at the same time run once
// (single flight), the others waiting for that result.
type graphCache[V any] struct {
	limit int
	weigh func(V) int

	mu sync.Mutex
	// version is the newest version asked for; entries of others are
	// dropped when it moves.
	version string
	entries map[string]*list.Element // of *cacheEntry[V], by key
	lru     *list.List               // front: most recently used
	weight  int
	flights map[string]*flight[V]
}

type cacheEntry[V any] struct {
	key    string
	value  V
	weight int
}

// flight is a computation under way; done closes when it ends.
type flight[V any] struct {
	done  chan struct{}
	value V
	err   error
	// batch: computed with others by fill, whose error may be another
	// key's.
	batch bool
}

func newGraphCache[V any](limit int, weigh func(V) int) *graphCache[V] {
	return &graphCache[V]{limit: limit, weigh: weigh, entries: map[string]*list.Element{}, lru: list.New(),
		flights: map[string]*flight[V]{}}
}

// get returns the value for key at version, computing it once if needed.
// The value is shared with other callers and must not be changed.
func (c *graphCache[V]) get(ctx context.Context, version, key string, compute func(context.Context) (V, error)) (V, error) {
	for {
		v, f, leader := c.lookup(version, key)
		if f == nil {
			return v, nil
		}
		if leader {
			f.value, f.err = compute(ctx)
			c.land(version, key, f)
			return f.value, f.err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		// The leader's request was cancelled or timed out, or the value
		// was one of a batch that failed (fill): that says nothing about
		// this one, which computes it itself.
		if f.err != nil && (f.batch || errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue
		}
		return f.value, f.err
	}
}

// fill makes sure the values of keys at version are cached, computing
// those neither cached nor under way together, in one call of compute
// (which returns them by key): several values that share most of their
// work (blast radii read from one traversal) cost that work once. Keys
// another caller is computing are left to it. It reports nothing: a value
// it could not compute is computed again, on its own, by the get that
// asks for it, which reports the error.
func (c *graphCache[V]) fill(ctx context.Context, version string, keys []string, compute func(context.Context, []string) (map[string]V, error)) {
	led := map[string]*flight[V]{}
	var lead []string
	for _, key := range keys {
		if led[key] != nil {
			continue
		}
		if _, f, leader := c.lookup(version, key); leader {
			f.batch = true
			led[key] = f
			lead = append(lead, key)
		}
	}
	if len(lead) == 0 {
		return
	}
	values, err := compute(ctx, lead)
	for _, key := range lead {
		f := led[key]
		v, ok := values[key]
		switch {
		case err != nil:
			f.err = err
		case !ok:
			f.err = errNotComputed // asked again on its own
		default:
			f.value = v
		}
		c.land(version, key, f)
	}
}

// errNotComputed ends the flight of a key fill's compute left out.
var errNotComputed = errors.New("not computed")

// lookup returns the cached value (nil flight), or the flight to wait for,
// or a new flight this caller leads.
func (c *graphCache[V]) lookup(version, key string) (V, *flight[V], bool) {
	full := version + "\x00" + key
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		c.version = version
		c.purge()
	}
	if el, ok := c.entries[full]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry[V]).value, nil, false
	}
	if f, ok := c.flights[full]; ok {
		var zero V
		return zero, f, false
	}
	f := &flight[V]{done: make(chan struct{})}
	c.flights[full] = f
	var zero V
	return zero, f, true
}

// land ends a flight, keeping its value if it succeeded and its version is
// still the newest.
func (c *graphCache[V]) land(version, key string, f *flight[V]) {
	full := version + "\x00" + key
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, full)
	close(f.done)
	if f.err != nil || version != c.version {
		return
	}
	e := &cacheEntry[V]{key: full, value: f.value, weight: max(1, c.weigh(f.value))}
	c.entries[full] = c.lru.PushFront(e)
	c.weight += e.weight
	for c.weight > c.limit && c.lru.Len() > 1 {
		c.remove(c.lru.Back())
	}
}

// purge drops every entry (they belong to an older version).
func (c *graphCache[V]) purge() {
	c.entries = map[string]*list.Element{}
	c.lru.Init()
	c.weight = 0
}

func (c *graphCache[V]) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry[V])
	delete(c.entries, e.key)
	c.weight -= e.weight
}

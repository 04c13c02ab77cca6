package embedded

import (
	"slices"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/tidwall/btree"
)

// recKey identifies a record: kinds are separate namespaces.
type recKey struct {
	kind graph.RecordKind
	id   string
}

type recTree = btree.BTreeG[*graph.Record]

// kindIndex holds one kind's records in the orders listings need. Every
// tree holds the same immutable *graph.Record values as memState.records:
// an update stores a new pointer, so readers never see a record change.
//
// A listing takes its candidates from the smallest of the id-ordered sets
// its filter names (the whole kind, one state or several, one CI, one ref)
// and checks the rest of the filter on each; a time filter may instead
// take them from the start-ordered index when that is smaller.
type kindIndex struct {
	byID    *recTree            // every record, by id
	byState map[string]*recTree // by id, per state
	byCI    map[string]*recTree // by id, per linked CI (any role)
	byRef   map[string]*recTree // by id, per entry of Refs
	// Records bounded at both ends, by (Start, id). maxSpan bounds End -
	// Start over them (it never shrinks until the next load), so records
	// ending at or after From start at or after From - maxSpan.
	byStart *recTree
	maxSpan time.Duration
	// Records with no Start or no End, by id: they overlap any window on
	// their open side, so a time query always checks them.
	open *recTree
}

func idLess(a, b *graph.Record) bool { return a.ID < b.ID }

func startLess(a, b *graph.Record) bool {
	if !a.Start.Equal(*b.Start) {
		return a.Start.Before(*b.Start)
	}
	return a.ID < b.ID
}

// Store.mu already guards the trees, so their own locks would be waste.
func newRecTree() *recTree { return btree.NewBTreeGOptions(idLess, btree.Options{NoLocks: true}) }

func newKindIndex() *kindIndex {
	return &kindIndex{
		byID:    newRecTree(),
		byState: map[string]*recTree{},
		byCI:    map[string]*recTree{},
		byRef:   map[string]*recTree{},
		byStart: btree.NewBTreeGOptions(startLess, btree.Options{NoLocks: true}),
		open:    newRecTree(),
	}
}

func bounded(r *graph.Record) bool { return r.Start != nil && r.End != nil }

func setIn(m map[string]*recTree, key string, r *graph.Record) {
	t := m[key]
	if t == nil {
		t = newRecTree()
		m[key] = t
	}
	t.Set(r)
}

// deleteIn drops r from m[key], and the tree itself once empty, so that
// CIs and refs no record mentions any more cost nothing.
func deleteIn(m map[string]*recTree, key string, r *graph.Record) {
	if t := m[key]; t != nil {
		t.Delete(r)
		if t.Len() == 0 {
			delete(m, key)
		}
	}
}

func (ix *kindIndex) add(r *graph.Record) {
	ix.byID.Set(r)
	setIn(ix.byState, r.State, r)
	for _, l := range r.Links {
		setIn(ix.byCI, l.CI, r)
	}
	for _, ref := range r.Refs {
		setIn(ix.byRef, ref, r)
	}
	if bounded(r) {
		ix.byStart.Set(r)
		if span := r.End.Sub(*r.Start); span > ix.maxSpan {
			ix.maxSpan = span
		}
	} else {
		ix.open.Set(r)
	}
}

// remove drops r, which must be the stored pointer (byStart finds it by
// its Start).
func (ix *kindIndex) remove(r *graph.Record) {
	ix.byID.Delete(r)
	deleteIn(ix.byState, r.State, r)
	for _, l := range r.Links {
		deleteIn(ix.byCI, l.CI, r)
	}
	for _, ref := range r.Refs {
		deleteIn(ix.byRef, ref, r)
	}
	if bounded(r) {
		ix.byStart.Delete(r)
	} else {
		ix.open.Delete(r)
	}
}

func (m *memState) record(kind graph.RecordKind, id string) (*graph.Record, bool) {
	r, ok := m.records[recKey{kind, id}]
	return r, ok
}

// putRecord inserts a record or replaces the stored version of it.
func (m *memState) putRecord(r *graph.Record) {
	k := recKey{r.Kind, r.ID}
	ix := m.kindIndex(r.Kind)
	if old, ok := m.records[k]; ok {
		ix.remove(old)
	}
	m.records[k] = r
	ix.add(r)
}

func (m *memState) removeRecord(k recKey) {
	if old, ok := m.records[k]; ok {
		m.kindIndex(k.kind).remove(old)
		delete(m.records, k)
	}
}

func (m *memState) kindIndex(kind graph.RecordKind) *kindIndex {
	ix := m.recIdx[kind]
	if ix == nil {
		ix = newKindIndex()
		m.recIdx[kind] = ix
	}
	return ix
}

// recQuery is a checked RecordFilter.
type recQuery struct {
	f      graph.RecordFilter
	states map[string]bool // nil: any state
	timed  bool
}

func newRecQuery(f graph.RecordFilter) recQuery {
	q := recQuery{f: f, timed: f.From != nil || f.To != nil}
	if len(f.States) > 0 {
		q.states = make(map[string]bool, len(f.States))
		for _, s := range f.States {
			q.states[s] = true
		}
	}
	return q
}

func (q *recQuery) match(r *graph.Record) bool {
	if q.states != nil && !q.states[r.State] {
		return false
	}
	if q.f.CI != "" && !linksTo(r, q.f.CI) {
		return false
	}
	if q.f.Ref != "" && !containsString(r.Refs, q.f.Ref) {
		return false
	}
	return !q.timed || q.f.Overlaps(r.Start, r.End)
}

func linksTo(r *graph.Record, ci string) bool {
	for _, l := range r.Links {
		if l.CI == ci {
			return true
		}
	}
	return false
}

// timeScanMin is the candidate count below which a listing does not bother
// trying the time index.
const timeScanMin = 64

// list returns the page ks asks for of the records matching q, whether
// items follow and precede it, and the number of matches.
func (ix *kindIndex) list(q recQuery, ks graph.RecordKeyset) (hits []*graph.Record, hasNext, hasPrev bool, total int) {
	// The candidate sets the filter names, all ordered by id; the
	// smallest wins. exact means the set is the answer, with no other
	// condition to check.
	trees, size := []*recTree{ix.byID}, ix.byID.Len()
	exact := !q.timed && q.states == nil && q.f.CI == "" && q.f.Ref == ""
	consider := func(ts []*recTree, onlyCondition bool) {
		n := 0
		for _, t := range ts {
			n += t.Len()
		}
		if n < size {
			trees, size, exact = ts, n, onlyCondition && !q.timed
		}
	}
	if q.f.CI != "" {
		consider(treesOf(ix.byCI, q.f.CI), q.states == nil && q.f.Ref == "")
	}
	if q.f.Ref != "" {
		consider(treesOf(ix.byRef, q.f.Ref), q.states == nil && q.f.CI == "")
	}
	if q.states != nil {
		var ts []*recTree
		for s := range q.states {
			ts = append(ts, treesOf(ix.byState, s)...)
		}
		consider(ts, q.f.CI == "" && q.f.Ref == "")
	}
	p := ks.Page
	if exact && ks.Order == (graph.RecordOrder{By: graph.SortCreated}) && !p.Backward() {
		// The default listing reads the id-ordered trees from the cursor
		// on, one extra hit telling whether there is a next page.
		hits = descendMerged(trees, ks.ID, p.First+1)
		if len(hits) > p.First {
			return hits[:p.First], true, ks.Cursor, size
		}
		return hits, false, ks.Cursor, size
	}

	var matches []*graph.Record
	collected := false
	if q.timed && size > timeScanMin {
		if cands, ok := ix.timeCandidates(q.f, size); ok {
			for _, r := range cands {
				if q.match(r) {
					matches = append(matches, r)
				}
			}
			collected = true
		}
	}
	if !collected {
		for _, t := range trees {
			t.Scan(func(r *graph.Record) bool {
				if exact || q.match(r) {
					matches = append(matches, r)
				}
				return true
			})
		}
	}
	o := ks.Order
	keyed := make([]keyedRecord, len(matches))
	for i, r := range matches {
		keyed[i] = keyedRecord{r, o.Key(r)}
	}
	switch {
	case !collected && len(trees) == 1 && o.By == graph.SortCreated:
		// One id-ordered tree scanned: already in creation order.
		if !o.Ascending {
			slices.Reverse(keyed)
		}
	default:
		// Other orders sort the matches: an embedded store holds few
		// enough records that this costs less than an index per order.
		sort.Slice(keyed, func(i, j int) bool {
			return o.Compare(keyed[i].key, keyed[i].r.ID, keyed[j].key, keyed[j].r.ID) < 0
		})
	}
	lo, hi, hasNext, hasPrev := graph.PageWindow(len(keyed), p, func(i int) int {
		return o.Compare(keyed[i].key, keyed[i].r.ID, ks.Key, ks.ID)
	})
	for _, k := range keyed[lo:hi] {
		hits = append(hits, k.r)
	}
	return hits, hasNext, hasPrev, len(keyed)
}

// keyedRecord is a record with its sort key, computed once per listing.
type keyedRecord struct {
	r   *graph.Record
	key int64
}

func treesOf(m map[string]*recTree, key string) []*recTree {
	if t := m[key]; t != nil {
		return []*recTree{t}
	}
	return nil
}

// descendMerged returns up to limit records below after (all when after is
// ""), newest first, from id-ordered trees with no record in common.
func descendMerged(trees []*recTree, after string, limit int) []*graph.Record {
	var out []*graph.Record
	for _, t := range trees {
		n := 0
		iter := func(r *graph.Record) bool {
			if r.ID == after {
				return true
			}
			out = append(out, r)
			n++
			return n < limit
		}
		if after != "" {
			t.Descend(&graph.Record{ID: after}, iter)
		} else {
			t.Reverse(iter)
		}
	}
	if len(trees) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// timeCandidates returns the records that may overlap the filter's window
// (a superset of the matches), or false when there would be more than
// limit of them, in which case the caller's id-ordered set is cheaper.
func (ix *kindIndex) timeCandidates(f graph.RecordFilter, limit int) ([]*graph.Record, bool) {
	n := ix.open.Len()
	if n > limit {
		return nil, false
	}
	out := make([]*graph.Record, 0, min(limit, 256))
	ix.open.Scan(func(r *graph.Record) bool {
		out = append(out, r)
		return true
	})
	over := false
	iter := func(r *graph.Record) bool {
		if f.To != nil && r.Start.After(*f.To) {
			return false
		}
		if n++; n > limit {
			over = true
			return false
		}
		if f.From == nil || !r.End.Before(*f.From) {
			out = append(out, r)
		}
		return true
	}
	if f.From != nil && ix.maxSpan < time.Duration(1<<63-1) {
		lo := f.From.Add(-ix.maxSpan)
		ix.byStart.Ascend(&graph.Record{Start: &lo}, iter)
	} else {
		ix.byStart.Scan(iter)
	}
	return out, !over
}

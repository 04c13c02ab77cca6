package embedded

import (
	"errors"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
)

// txn stages one write method's changes on top of the committed image. Every
// read goes through it, so later steps of a batch see earlier ones, while
// the committed image stays untouched until bbolt has committed: a write
// that fails validation halfway is simply dropped.
//
// Only one txn exists at a time (Store.wmu); it reads memState without
// Store.mu because the only goroutine that could change memState is the one
// running it.
type txn struct {
	m   *memState
	cat *graph.Catalogue
	now time.Time

	cis    map[string]*graph.CI        // staged CIs; nil marks a deletion
	idents map[graph.Identifier]string // staged owners; "" marks a release
	// relDel holds committed relations to delete and relAdd relations to
	// write. A committed relation removed and re-created in one batch sits
	// in both, so that publishing can delete before it adds and never has
	// to look for an existing edge.
	relAdd map[graph.RelationKey]graph.Relation
	relDel map[graph.RelationKey]struct{}
}

func newTxn(m *memState, cat *graph.Catalogue, now time.Time) *txn {
	return &txn{
		m: m, cat: cat, now: now,
		cis:    map[string]*graph.CI{},
		idents: map[graph.Identifier]string{},
		relAdd: map[graph.RelationKey]graph.Relation{},
		relDel: map[graph.RelationKey]struct{}{},
	}
}

func (t *txn) empty() bool {
	return len(t.cis) == 0 && len(t.idents) == 0 && len(t.relAdd) == 0 && len(t.relDel) == 0
}

// get returns the CI as this transaction sees it. The pointer must not be
// modified: it may be the committed value.
func (t *txn) get(id string) (*graph.CI, bool) {
	if ci, ok := t.cis[id]; ok {
		return ci, ci != nil
	}
	ci, _, ok := t.m.lookup(id)
	return ci, ok
}

// identOwner returns the id of the CI holding a normalised identifier, or "".
func (t *txn) identOwner(id graph.Identifier) string {
	if owner, ok := t.idents[id]; ok {
		return owner
	}
	return t.m.idents[id]
}

// putCI stages a CI and claims its identifiers.
func (t *txn) putCI(ci *graph.CI) {
	t.cis[ci.ID] = ci
	for _, id := range ci.Identifiers {
		if t.identOwner(id) != ci.ID {
			t.idents[id] = ci.ID
		}
	}
}

func (t *txn) committedRelation(k graph.RelationKey) (graph.Relation, bool) {
	_, from, ok1 := t.m.lookup(k.From)
	_, to, ok2 := t.m.lookup(k.To)
	ti, ok3 := t.m.typeIdx[k.Type]
	if !ok1 || !ok2 || !ok3 {
		return graph.Relation{}, false
	}
	at, ok := t.m.findEdge(from, ti, to)
	if !ok {
		return graph.Relation{}, false
	}
	return graph.Relation{From: k.From, Type: k.Type, To: k.To, CreatedAt: microTime(at)}, true
}

// relation returns the relation with key k as this transaction sees it.
func (t *txn) relation(k graph.RelationKey) (graph.Relation, bool) {
	if r, ok := t.relAdd[k]; ok {
		return r, true
	}
	if _, gone := t.relDel[k]; gone {
		return graph.Relation{}, false
	}
	return t.committedRelation(k)
}

// addRelation stages a relation the caller has checked does not exist.
func (t *txn) addRelation(r graph.Relation) { t.relAdd[r.Key()] = r }

// removeRelation stages the removal of k and reports whether it existed.
func (t *txn) removeRelation(k graph.RelationKey) bool {
	if _, ok := t.relAdd[k]; ok {
		delete(t.relAdd, k)
		return true
	}
	if _, gone := t.relDel[k]; gone {
		return false
	}
	if _, ok := t.committedRelation(k); ok {
		t.relDel[k] = struct{}{}
		return true
	}
	return false
}

// relationsOf lists every relation touching id, in both directions.
func (t *txn) relationsOf(id string) []graph.Relation {
	var out []graph.Relation
	if _, slot, ok := t.m.lookup(id); ok {
		for _, r := range t.m.relationsOf(nil, slot, graph.Both, nil) {
			if _, gone := t.relDel[r.Key()]; !gone {
				out = append(out, r)
			}
		}
	}
	// relAdd is empty while a batch runs its upserts and DeleteCI never adds
	// relations, so this scan costs nothing in practice.
	for k, r := range t.relAdd {
		if k.From == id || k.To == id {
			out = append(out, r)
		}
	}
	return out
}

// write puts the staged changes into one bbolt transaction.
func (t *txn) write(tx *bolt.Tx) error {
	cis, idents, rels := tx.Bucket(bucketCIs), tx.Bucket(bucketIdents), tx.Bucket(bucketRels)
	if cis == nil || idents == nil || rels == nil {
		return errors.New("a bucket is missing")
	}
	for id, ci := range t.cis {
		if ci == nil {
			if err := cis.Delete([]byte(id)); err != nil {
				return err
			}
			continue
		}
		b, err := encodeCI(ci)
		if err != nil {
			return graph.Internal(err, "cannot encode CI %s", id)
		}
		if err := cis.Put([]byte(id), b); err != nil {
			return err
		}
	}
	for id, owner := range t.idents {
		var err error
		if owner == "" {
			err = idents.Delete(identKey(id))
		} else {
			err = idents.Put(identKey(id), []byte(owner))
		}
		if err != nil {
			return err
		}
	}
	for k := range t.relDel {
		if err := rels.Delete(relKey(k)); err != nil {
			return err
		}
	}
	for k, r := range t.relAdd {
		b, err := encodeRel(r)
		if err != nil {
			return graph.Internal(err, "cannot encode relation")
		}
		if err := rels.Put(relKey(k), b); err != nil {
			return err
		}
	}
	return nil
}

// applyTo publishes the committed changes to the in-memory image. The order
// matters: edges go before the CIs they hang off, and new CIs get their
// slots before new edges point at them.
func (t *txn) applyTo(m *memState) {
	for k := range t.relDel {
		m.removeEdge(m.slots[k.From], m.typeIndex(k.Type), m.slots[k.To])
	}
	for id, ci := range t.cis {
		if ci == nil {
			m.removeCI(id)
		} else {
			m.putCI(ci)
		}
	}
	for id, owner := range t.idents {
		if owner == "" {
			m.dropIdent(id)
		} else {
			m.setIdent(id, owner)
		}
	}
	for k, r := range t.relAdd {
		m.addEdge(m.slots[k.From], m.typeIndex(k.Type), m.slots[k.To], r.CreatedAt.UnixMicro())
	}
}

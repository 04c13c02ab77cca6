package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
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
// running it. It runs inside the bbolt write transaction tx, from which it
// reads whole CIs (memory holds their heads only).
type txn struct {
	m     *memState
	tx    *bolt.Tx
	txid  int
	cat   *graph.Catalogue
	now   time.Time
	actor string
	// importRun is the import run the writes belong to, or "".
	importRun string

	cis map[string]*graph.CI // staged CIs; nil marks a deletion
	// enc holds the JSON of staged CIs, made once for the audit entry and
	// written as is to the CIs bucket.
	enc    map[string][]byte
	idents map[graph.Identifier]string // staged owners; "" marks a release
	// relDel holds committed relations to delete and relAdd relations to
	// write. A committed relation removed and re-created in one batch sits
	// in both, so that publishing can delete before it adds and never has
	// to look for an existing edge.
	relAdd map[graph.RelationKey]graph.Relation
	relDel map[graph.RelationKey]struct{}

	recs map[recKey]*graph.Record // staged records; nil marks a deletion

	// The ledger's staged headers and sightings (nil marks a deletion),
	// made on first use; ledgerApplied is set once a ledger write stages
	// sightings, which only the end of a batch does.
	ledgerScopes  map[graph.ScopeKey]graph.ScopeState
	ledgerCIs     map[ciSight]*sighting
	ledgerRels    map[relSight]*sighting
	ledgerApplied bool

	// audit lists the changes in the order they were staged. Entry ids are
	// assigned in write, inside the bbolt transaction, and lastAudit is
	// the greatest of them once written.
	audit     []auditOp
	lastAudit string
}

// auditOp is an audit entry before it gets its id.
type auditOp struct {
	action        graph.AuditAction
	kind          graph.AuditSubject
	subject       string
	about         []string
	before, after []byte
}

func newTxn(m *memState, tx *bolt.Tx, cat *graph.Catalogue, now time.Time, actor, importRun string) *txn {
	return &txn{
		m: m, tx: tx, txid: tx.ID(), cat: cat, now: now, actor: actor, importRun: importRun,
		cis:    map[string]*graph.CI{},
		enc:    map[string][]byte{},
		idents: map[graph.Identifier]string{},
		relAdd: map[graph.RelationKey]graph.Relation{},
		relDel: map[graph.RelationKey]struct{}{},
		recs:   map[recKey]*graph.Record{},
	}
}

func (t *txn) empty() bool {
	return len(t.cis) == 0 && len(t.idents) == 0 && len(t.relAdd) == 0 && len(t.relDel) == 0 &&
		len(t.recs) == 0 && len(t.audit) == 0 && !t.ledgerStaged()
}

// reserve sizes the staging for a batch of upserts and relation changes,
// sparing the rehashing and regrowth of a large import.
func (t *txn) reserve(upserts, relations int) {
	if upserts > 8 {
		t.cis = make(map[string]*graph.CI, upserts)
		t.enc = make(map[string][]byte, upserts)
	}
	t.audit = make([]auditOp, 0, upserts+relations)
}

// record returns the record as this transaction sees it; like get, the
// pointer must not be modified.
func (t *txn) record(kind graph.RecordKind, id string) (*graph.Record, bool) {
	if r, ok := t.recs[recKey{kind, id}]; ok {
		return r, r != nil
	}
	return t.m.record(kind, id)
}

// logChange stages an audit entry.
func (t *txn) logChange(action graph.AuditAction, kind graph.AuditSubject, subject string, about []string, before, after []byte) {
	t.audit = append(t.audit, auditOp{action: action, kind: kind, subject: subject, about: about, before: before, after: after})
}

// get returns the CI as this transaction sees it, with its JSON: staged,
// or read from the file. The pointer must not be modified: it may be the
// staged value.
func (t *txn) get(id string) (*graph.CI, []byte, error) {
	if ci, ok := t.cis[id]; ok {
		if ci == nil {
			return nil, nil, nil
		}
		return ci, t.enc[id], nil
	}
	if _, ok := t.m.lookup(id); !ok {
		return nil, nil, nil
	}
	v := t.tx.Bucket(bucketCIs).Get([]byte(id))
	if v == nil {
		return nil, nil, graph.Internal(fmt.Errorf("ci %s has a head but no record", id), "the store file is inconsistent")
	}
	ci, err := decodeCI(v)
	if err != nil {
		return nil, nil, graph.Internal(err, "cannot read CI %s", id)
	}
	if v[0] == '{' {
		// A copy: the value lives in bbolt's pages, which this
		// transaction's own writes may move before the audit entry is
		// written.
		return ci, bytes.Clone(v), nil
	}
	enc, err := encodeCI(ci)
	if err != nil {
		return nil, nil, graph.Internal(err, "cannot encode CI %s", id)
	}
	return ci, enc, nil
}

// exists reports whether this transaction sees a CI with id.
func (t *txn) exists(id string) bool {
	if ci, ok := t.cis[id]; ok {
		return ci != nil
	}
	_, ok := t.m.lookup(id)
	return ok
}

// classOf returns the class of a CI this transaction sees, or "".
func (t *txn) classOf(id string) string {
	if ci, ok := t.cis[id]; ok {
		if ci == nil {
			return ""
		}
		return ci.Class
	}
	if slot, ok := t.m.lookup(id); ok {
		return t.m.classOf(slot)
	}
	return ""
}

// identOwner returns the id of the CI holding a normalised identifier, or "".
func (t *txn) identOwner(id graph.Identifier) string {
	if owner, ok := t.idents[id]; ok {
		return owner
	}
	return t.m.idents[id]
}

// putCI stages a CI, given as a value and as JSON, and claims its
// identifiers.
func (t *txn) putCI(ci *graph.CI, enc []byte) {
	t.cis[ci.ID] = ci
	t.enc[ci.ID] = enc
	for _, id := range ci.Identifiers {
		if t.identOwner(id) != ci.ID {
			t.idents[id] = ci.ID
		}
	}
}

func (t *txn) committedRelation(k graph.RelationKey) (graph.Relation, bool) {
	from, ok1 := t.m.lookup(k.From)
	to, ok2 := t.m.lookup(k.To)
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

// removeRelation stages the removal of k, with its sightings, and reports
// whether it existed.
func (t *txn) removeRelation(k graph.RelationKey) bool {
	if _, ok := t.relAdd[k]; ok {
		delete(t.relAdd, k)
		t.dropRelSightings(k)
		return true
	}
	if _, gone := t.relDel[k]; gone {
		return false
	}
	if _, ok := t.committedRelation(k); ok {
		t.relDel[k] = struct{}{}
		t.dropRelSightings(k)
		return true
	}
	return false
}

// relationsOf lists every relation touching id, in both directions.
func (t *txn) relationsOf(id string) []graph.Relation {
	var out []graph.Relation
	if slot, ok := t.m.lookup(id); ok {
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

// write puts the staged changes, audit entries included, into one bbolt
// transaction.
func (t *txn) write(tx *bolt.Tx) error {
	cis, heads, idents, rels := tx.Bucket(bucketCIs), tx.Bucket(bucketHeads), tx.Bucket(bucketIdents), tx.Bucket(bucketRels)
	recs, audit, meta := tx.Bucket(bucketRecords), tx.Bucket(bucketAudit), tx.Bucket(bucketMeta)
	scopes, sightings := tx.Bucket(bucketScopes), tx.Bucket(bucketSightings)
	if cis == nil || heads == nil || idents == nil || rels == nil || recs == nil || audit == nil || meta == nil || scopes == nil || sightings == nil {
		return errors.New("a bucket is missing")
	}
	cis.FillPercent, heads.FillPercent, recs.FillPercent = appendFill, appendFill, appendFill
	ops := make([]kv, 0, len(t.cis))
	for id, ci := range t.cis {
		var b []byte
		if ci != nil {
			b = encodeCIValue(ci, t.enc[id])
		}
		ops = append(ops, kv{[]byte(id), b})
	}
	if err := writeSorted(cis, ops); err != nil {
		return err
	}
	for i := range ops {
		if ci := t.cis[string(ops[i].key)]; ci != nil {
			ops[i].val = encodeHead(headOf(ci))
		}
	}
	if err := writeSorted(heads, ops); err != nil {
		return err
	}
	ops = ops[:0]
	for id, owner := range t.idents {
		var b []byte
		if owner != "" {
			b = []byte(owner)
		}
		ops = append(ops, kv{identKey(id), b})
	}
	if err := writeSorted(idents, ops); err != nil {
		return err
	}
	// Deletions first: a relation removed and re-created is in both sets.
	ops = ops[:0]
	for k := range t.relDel {
		ops = append(ops, kv{relKey(k), nil})
	}
	if err := writeSorted(rels, ops); err != nil {
		return err
	}
	ops = ops[:0]
	for k, r := range t.relAdd {
		ops = append(ops, kv{relKey(k), encodeRelValue(r)})
	}
	if err := writeSorted(rels, ops); err != nil {
		return err
	}
	ops = ops[:0]
	for k, r := range t.recs {
		var b []byte
		if r != nil {
			var err error
			if b, err = encodeRecord(r); err != nil {
				return graph.Internal(err, "cannot encode record %s %s", k.kind, k.id)
			}
		}
		ops = append(ops, kv{recordKey(k.kind, k.id), b})
	}
	if err := writeSorted(recs, ops); err != nil {
		return err
	}
	if err := t.writeLedger(scopes, sightings); err != nil {
		return err
	}
	return t.writeAudit(audit, tx.Bucket(bucketAuditTime), meta)
}

// kv is one key's change; a nil value deletes the key (no stored value is
// empty).
type kv struct{ key, val []byte }

// writeSorted applies changes in key order. bbolt keeps a transaction's
// inserts into a leaf in one sorted slice until the commit splits it, so
// a large batch put in map order moves that slice on almost every insert
// (quadratic in the batch), while in key order each insert appends.
func writeSorted(b *bolt.Bucket, ops []kv) error {
	slices.SortFunc(ops, func(x, y kv) int { return bytes.Compare(x.key, y.key) })
	for _, o := range ops {
		var err error
		if o.val == nil {
			err = b.Delete(o.key)
		} else {
			err = b.Put(o.key, o.val)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeLedger writes the staged scope headers and sightings. The ledger is
// not audited.
func (t *txn) writeLedger(scopes, sightings *bolt.Bucket) error {
	ops := make([]kv, 0, len(t.ledgerScopes))
	for k, st := range t.ledgerScopes {
		b, err := encodeScope(&st)
		if err != nil {
			return graph.Internal(err, "cannot encode scope %s", k.Source)
		}
		ops = append(ops, kv{scopeKeyBytes(k), b})
	}
	if err := writeSorted(scopes, ops); err != nil {
		return err
	}
	ops = make([]kv, 0, len(t.ledgerCIs)+len(t.ledgerRels))
	encode := func(key []byte, s *sighting) error {
		var b []byte
		if s != nil {
			var err error
			if b, err = encodeSighting(s); err != nil {
				return graph.Internal(err, "cannot encode sighting")
			}
		}
		ops = append(ops, kv{key, b})
		return nil
	}
	for k, s := range t.ledgerCIs {
		if err := encode(ciSightingKey(k.scope, k.ci), s); err != nil {
			return err
		}
	}
	for k, s := range t.ledgerRels {
		if err := encode(relSightingKey(k.scope, k.rel), s); err != nil {
			return err
		}
	}
	return writeSorted(sightings, ops)
}

// appendFill is the split threshold for buckets whose keys mostly grow
// (UUIDv7 ids).
const appendFill = 0.9

// writeAudit gives each staged entry an id, in staging order, and stores it
// once under every id it is about.
func (t *txn) writeAudit(audit, byTime, meta *bolt.Bucket) error {
	if len(t.audit) == 0 {
		return nil
	}
	// Most entries are about new ids, so keys are mostly appended; bbolt's
	// default split at 50% would leave those pages half empty and double
	// what each commit writes and fsyncs.
	audit.FillPercent = appendFill
	last := t.m.lastAudit
	ops := make([]kv, 0, len(t.audit))
	var timed []kv
	for i := range t.audit {
		op := &t.audit[i]
		last = nextAuditID(last)
		e := graph.AuditEntry{ID: last, At: t.now, Actor: t.actor, ImportRun: t.importRun, Action: op.action, SubjectKind: op.kind,
			SubjectID: op.subject, About: op.about, Before: op.before, After: op.after}
		v := encodeAudit(&e)
		for _, about := range op.about {
			ops = append(ops, kv{key: auditKey(about, last), val: v})
		}
		if e.IsGraphEntry() {
			timed = append(timed, kv{key: []byte(last), val: encodeAuditTime(e.At, e.SubjectID)})
		}
	}
	// Keys start with the subject's id, in no particular order across a
	// batch: sorted, a large import's entries cost no quadratic copying.
	if err := writeSorted(audit, ops); err != nil {
		return err
	}
	if byTime == nil {
		return errors.New("the audit time index is missing")
	}
	byTime.FillPercent = appendFill
	if err := writeSorted(byTime, timed); err != nil {
		return err
	}
	if err := meta.Put(keyLastAudit, []byte(last)); err != nil {
		return err
	}
	t.lastAudit = last
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
			m.putCI(headOf(ci))
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
	for k, r := range t.recs {
		if r == nil {
			m.removeRecord(k)
		} else {
			m.putRecord(r)
		}
	}
	if t.lastAudit != "" {
		m.lastAudit = t.lastAudit
	}
	t.publishLedger(m)
	m.txid = t.txid
}

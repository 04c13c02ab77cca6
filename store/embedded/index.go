package embedded

import (
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/tidwall/btree"
)

// memState is the committed image of the whole store. Writers change it only
// while holding Store.mu exclusively, after the matching bbolt transaction
// has committed; readers share it under Store.mu.RLock.
//
// CIs live in numbered slots so that adjacency lists hold 4-byte slot
// numbers instead of 36-byte ids: a traversal then walks plain slices and
// marks visits in an array, with no map lookup per edge.
type memState struct {
	// types names relation types by index. It starts with the catalogue's
	// types and grows at load if the file holds types the catalogue has
	// since dropped, so that such relations are still listed and deleted.
	types   []string
	typeIdx map[string]int

	nodes []node
	free  []int32
	slots map[string]int32
	// strs interns the low-cardinality head fields; strIdx inverts it.
	strs   []string
	strIdx map[string]uint32
	// txid is the bbolt transaction the image reflects; a reader whose
	// bbolt view is newer waits for the write to be published.
	txid int

	idents map[graph.Identifier]string // normalised identifier → owner id
	// kinds counts identifiers per kind. A filter on a bare value probes
	// the identifier index once per kind instead of scanning every CI.
	kinds map[string]int

	byName *btree.BTreeG[nameKey] // (name, id) order for keyset paging

	// Records, whole (documents included: lists return them), and their
	// per-kind indexes; see recindex.go.
	records map[recKey]*graph.Record
	recIdx  map[graph.RecordKind]*kindIndex

	// lastAudit is the greatest audit entry id committed (the audit trail
	// itself stays on disk).
	lastAudit string

	// The import ledger, whole (see ledger.go): each scope's header and
	// sightings, and for each CI and relation the scopes, sorted, that
	// hold a sighting of it.
	scopes    map[graph.ScopeKey]*scopeLedger
	ciScopes  map[string][]graph.ScopeKey
	relScopes map[graph.RelationKey][]graph.ScopeKey
}

// node is one slot: the CI's head, the part of it that listing,
// filtering and traversal read, and its adjacency. The rest of the CI
// (attributes, identifiers, provenance, timestamps) stays in the file and
// is read from bbolt's memory map when asked for, so resident memory grows
// with the graph's shape rather than with what CIs carry.
type node struct {
	id   string // "" when the slot is free
	name string
	// Interned (memState.strs): few distinct values across many CIs.
	class, status, criticality, environment, owner uint32
	// idents is the number of identifiers the CI holds, so that load can
	// check the identifier index against the CIs without reading them.
	idents int32
	out    [][]halfEdge
	in     [][]halfEdge
}

// head is a node's CI fields in plain form.
type head struct {
	ID, Name, Class, Status, Criticality, Environment, Owner string
	Idents                                                   int
}

func headOf(ci *graph.CI) head {
	return head{ID: ci.ID, Name: ci.Name, Class: ci.Class, Status: string(ci.Status), Criticality: string(ci.Criticality),
		Environment: ci.Environment, Owner: ci.Owner, Idents: len(ci.Identifiers)}
}

// halfEdge is one end's view of a relation, stored in both endpoints' lists
// under the relation type's index.
type halfEdge struct {
	peer int32
	at   int64 // CreatedAt in Unix microseconds (graph.Now's precision)
}

type nameKey struct {
	name, id string
	slot     int32
}

func nameLess(a, b nameKey) bool { return graph.CursorLess(a.name, a.id, b.name, b.id) }

func newMemState(cat *graph.Catalogue) *memState {
	m := &memState{
		typeIdx: map[string]int{},
		slots:   map[string]int32{},
		strIdx:  map[string]uint32{},
		idents:  map[graph.Identifier]string{},
		kinds:   map[string]int{},
		// Store.mu already guards the tree, so its own lock would be waste.
		byName:  btree.NewBTreeGOptions(nameLess, btree.Options{NoLocks: true}),
		records: map[recKey]*graph.Record{},
		recIdx:  map[graph.RecordKind]*kindIndex{},

		scopes:    map[graph.ScopeKey]*scopeLedger{},
		ciScopes:  map[string][]graph.ScopeKey{},
		relScopes: map[graph.RelationKey][]graph.ScopeKey{},
	}
	for _, rt := range cat.RelationTypes() {
		m.typeIndex(rt.Name)
	}
	return m
}

// typeIndex returns the index of a relation type, assigning one if new.
func (m *memState) typeIndex(name string) int {
	if i, ok := m.typeIdx[name]; ok {
		return i
	}
	m.types = append(m.types, name)
	m.typeIdx[name] = len(m.types) - 1
	return len(m.types) - 1
}

// intern returns the index of a head string, assigning one if new.
func (m *memState) intern(v string) uint32 {
	if i, ok := m.strIdx[v]; ok {
		return i
	}
	m.strs = append(m.strs, v)
	m.strIdx[v] = uint32(len(m.strs) - 1)
	return uint32(len(m.strs) - 1)
}

// internBytes is intern for a value still in the file's memory map: the
// map lookup converts without allocating, so only new values are copied.
func (m *memState) internBytes(v []byte) uint32 {
	if i, ok := m.strIdx[string(v)]; ok {
		return i
	}
	return m.intern(string(v))
}

func (m *memState) str(i uint32) string { return m.strs[i] }

func (m *memState) lookup(id string) (int32, bool) {
	slot, ok := m.slots[id]
	return slot, ok
}

// head returns the head of the CI in slot.
func (m *memState) head(slot int32) head {
	n := &m.nodes[slot]
	return head{ID: n.id, Name: n.name, Class: m.str(n.class), Status: m.str(n.status), Criticality: m.str(n.criticality),
		Environment: m.str(n.environment), Owner: m.str(n.owner), Idents: int(n.idents)}
}

func (m *memState) classOf(slot int32) string { return m.str(m.nodes[slot].class) }

// setHead fills a node's head fields, keeping its adjacency.
func (m *memState) setHead(n *node, h head) {
	n.id, n.name = h.ID, h.Name
	n.class, n.status, n.criticality = m.intern(h.Class), m.intern(h.Status), m.intern(h.Criticality)
	n.environment, n.owner, n.idents = m.intern(h.Environment), m.intern(h.Owner), int32(h.Idents)
}

// putCI inserts a CI's head or replaces the stored version of it.
func (m *memState) putCI(h head) int32 {
	if slot, ok := m.slots[h.ID]; ok {
		n := &m.nodes[slot]
		if n.name != h.Name {
			m.byName.Delete(nameKey{name: n.name, id: h.ID})
			m.byName.Set(nameKey{name: h.Name, id: h.ID, slot: slot})
		}
		m.setHead(n, h)
		return slot
	}
	slot := m.newSlot(h)
	m.byName.Set(nameKey{name: h.Name, id: h.ID, slot: slot})
	return slot
}

// newSlot gives a head a slot, without indexing its name.
func (m *memState) newSlot(h head) int32 {
	var slot int32
	if k := len(m.free); k > 0 {
		slot, m.free = m.free[k-1], m.free[:k-1]
		m.nodes[slot] = node{}
	} else {
		m.nodes = append(m.nodes, node{})
		slot = int32(len(m.nodes) - 1)
	}
	m.setHead(&m.nodes[slot], h)
	m.slots[h.ID] = slot
	return slot
}

// loadHead appends a head read from the file; load indexes the names
// afterwards, all at once.
func (m *memState) loadHead(id []byte, h headFields) int32 {
	m.nodes = append(m.nodes, node{id: string(id), name: string(h.f[0]), class: m.internBytes(h.f[1]), status: m.internBytes(h.f[2]),
		criticality: m.internBytes(h.f[3]), environment: m.internBytes(h.f[4]), owner: m.internBytes(h.f[5]), idents: int32(h.idents)})
	slot := int32(len(m.nodes) - 1)
	m.slots[m.nodes[slot].id] = slot
	return slot
}

// removeCI frees a CI's slot. Its relations must already be gone.
func (m *memState) removeCI(id string) {
	slot, ok := m.slots[id]
	if !ok {
		return
	}
	m.byName.Delete(nameKey{name: m.nodes[slot].name, id: id})
	m.nodes[slot] = node{}
	delete(m.slots, id)
	m.free = append(m.free, slot)
}

func (m *memState) setIdent(id graph.Identifier, owner string) {
	if _, ok := m.idents[id]; !ok {
		m.kinds[id.Kind]++
	}
	m.idents[id] = owner
}

func (m *memState) dropIdent(id graph.Identifier) {
	if _, ok := m.idents[id]; !ok {
		return
	}
	delete(m.idents, id)
	if m.kinds[id.Kind]--; m.kinds[id.Kind] <= 0 {
		delete(m.kinds, id.Kind)
	}
}

// ownersOfValue returns the CIs holding an identifier with this exact value
// under any kind.
func (m *memState) ownersOfValue(value string) []string {
	var out []string
	for kind := range m.kinds {
		if owner, ok := m.idents[graph.Identifier{Kind: kind, Value: value}]; ok && !containsString(out, owner) {
			out = append(out, owner)
		}
	}
	return out
}

func edgesOf(lists [][]halfEdge, t int) []halfEdge {
	if t < len(lists) {
		return lists[t]
	}
	return nil
}

// findEdge reports whether from -t-> to exists, scanning the shorter of the
// two lists that hold it (hubs have long incoming lists, not long outgoing
// ones, so this is usually a handful of entries).
func (m *memState) findEdge(from int32, t int, to int32) (int64, bool) {
	out, in := edgesOf(m.nodes[from].out, t), edgesOf(m.nodes[to].in, t)
	list, peer := out, to
	if len(in) < len(out) {
		list, peer = in, from
	}
	for _, e := range list {
		if e.peer == peer {
			return e.at, true
		}
	}
	return 0, false
}

// addEdge records from -t-> to. The caller guarantees it is not already
// present (txn.applyTo removes re-created relations first), which spares a
// scan of a hub's long incoming list on every insert.
func (m *memState) addEdge(from int32, t int, to int32, at int64) {
	m.nodes[from].out = appendEdge(m.nodes[from].out, t, halfEdge{peer: to, at: at})
	m.nodes[to].in = appendEdge(m.nodes[to].in, t, halfEdge{peer: from, at: at})
}

func appendEdge(lists [][]halfEdge, t int, e halfEdge) [][]halfEdge {
	if t >= len(lists) {
		grown := make([][]halfEdge, t+1)
		copy(grown, lists)
		lists = grown
	}
	lists[t] = append(lists[t], e)
	return lists
}

func (m *memState) removeEdge(from int32, t int, to int32) {
	if t < len(m.nodes[from].out) {
		m.nodes[from].out[t] = dropPeer(m.nodes[from].out[t], to)
	}
	if t < len(m.nodes[to].in) {
		m.nodes[to].in[t] = dropPeer(m.nodes[to].in[t], from)
	}
}

// dropPeer removes peer by swapping in the last entry: list order carries no
// meaning (readers sort), and this keeps removal O(degree) without copying.
func dropPeer(list []halfEdge, peer int32) []halfEdge {
	for i := range list {
		if list[i].peer == peer {
			last := len(list) - 1
			list[i] = list[last]
			list[last] = halfEdge{}
			return list[:last]
		}
	}
	return list
}

// relation rebuilds a Relation from a half-edge seen from slot.
func (m *memState) relation(slot int32, t int, e halfEdge, outgoing bool) graph.Relation {
	from, to := m.nodes[slot].id, m.nodes[e.peer].id
	if !outgoing {
		from, to = to, from
	}
	return graph.Relation{From: from, Type: m.types[t], To: to, CreatedAt: microTime(e.at)}
}

// relationsOf appends the relations of slot in the given direction, limited
// to the type indices in only (all types when only is nil).
func (m *memState) relationsOf(dst []graph.Relation, slot int32, dir graph.Direction, only map[int]bool) []graph.Relation {
	n := &m.nodes[slot]
	if dir == graph.Outgoing || dir == graph.Both {
		for t, list := range n.out {
			if only == nil || only[t] {
				for _, e := range list {
					dst = append(dst, m.relation(slot, t, e, true))
				}
			}
		}
	}
	if dir == graph.Incoming || dir == graph.Both {
		for t, list := range n.in {
			if only == nil || only[t] {
				for _, e := range list {
					dst = append(dst, m.relation(slot, t, e, false))
				}
			}
		}
	}
	return dst
}

func microTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

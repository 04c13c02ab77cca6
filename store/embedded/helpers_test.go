package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// openStore opens a store in dir and closes it when the test ends.
func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, graph.DefaultCatalogue())
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, t.TempDir())
}

// checkConsistency verifies the in-memory indexes agree with each other
// and with the file: each head with its stored CI, the identifier index
// with the CIs, both ends of every edge, and the name index with the
// slots. It returns the first disagreement found.
func checkConsistency(s *Store) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil // nothing left in memory to check
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if tx.ID() != s.mem.txid {
		return fmt.Errorf("image reflects transaction %d, file is at %d", s.mem.txid, tx.ID())
	}
	for _, b := range [][]byte{bucketCIs, bucketHeads} {
		if n := tx.Bucket(b).Stats().KeyN; n != len(s.mem.slots) {
			return fmt.Errorf("file holds %d keys in %s, image %d CIs", n, b, len(s.mem.slots))
		}
	}
	m := s.mem
	held := 0
	for id, slot := range m.slots {
		n := &m.nodes[slot]
		if n.id != id {
			return fmt.Errorf("slot %d for %s holds %q", slot, id, n.id)
		}
		ci, err := readCI(tx, id)
		if err != nil {
			return err
		}
		if h := headOf(ci); m.head(slot) != h {
			return fmt.Errorf("head of %s is %+v, stored CI says %+v", id, m.head(slot), h)
		}
		for _, ident := range ci.Identifiers {
			held++
			if owner := m.idents[ident]; owner != id {
				return fmt.Errorf("identifier %v of %s is indexed to %q", ident, id, owner)
			}
		}
		for typ, list := range n.out {
			for _, e := range list {
				peer := &m.nodes[e.peer]
				if peer.id == "" {
					return fmt.Errorf("%s -%s-> free slot %d", id, m.types[typ], e.peer)
				}
				if !hasPeer(edgesOf(peer.in, typ), slot) {
					return fmt.Errorf("%s -%s-> %s has no incoming half", id, m.types[typ], peer.id)
				}
			}
		}
		for typ, list := range n.in {
			for _, e := range list {
				peer := &m.nodes[e.peer]
				if peer.id == "" || !hasPeer(edgesOf(peer.out, typ), slot) {
					return fmt.Errorf("incoming %s edge of %s has no outgoing half", m.types[typ], id)
				}
			}
		}
		if k, ok := m.byName.Get(nameKey{name: n.name, id: id}); !ok || k.slot != slot {
			return fmt.Errorf("name index lacks %s/%s", n.name, id)
		}
	}
	if held != len(m.idents) {
		return fmt.Errorf("CIs hold %d identifiers, index has %d", held, len(m.idents))
	}
	if m.byName.Len() != len(m.slots) {
		return fmt.Errorf("name index has %d entries for %d CIs", m.byName.Len(), len(m.slots))
	}
	if err := checkLedgerIndexes(m); err != nil {
		return err
	}
	return checkRecordIndexes(m)
}

// checkLedgerIndexes verifies that every sighting names something that
// exists and that the reverse indexes list exactly the scopes holding a
// sighting, sorted.
func checkLedgerIndexes(m *memState) error {
	nCI, nRel := 0, 0
	for key, sl := range m.scopes {
		if sl.state.ScopeKey != key || sl.state.Generation < 1 {
			return fmt.Errorf("scope %v has header %+v", key, sl.state)
		}
		for id := range sl.cis {
			nCI++
			if _, ok := m.lookup(id); !ok {
				return fmt.Errorf("scope %v sights missing CI %s", key, id)
			}
			if !slices.Contains(m.ciScopes[id], key) {
				return fmt.Errorf("CI index of %s lacks scope %v", id, key)
			}
		}
		for r := range sl.rels {
			nRel++
			if !m.hasRelation(r) {
				return fmt.Errorf("scope %v sights missing relation %v", key, r)
			}
			if !slices.Contains(m.relScopes[r], key) {
				return fmt.Errorf("relation index of %v lacks scope %v", r, key)
			}
		}
	}
	count := func(what string, lists int, sorted func() bool, n int) error {
		if lists != n || !sorted() {
			return fmt.Errorf("%s index lists %d sightings (sorted: %v), scopes hold %d", what, lists, sorted(), n)
		}
		return nil
	}
	listed := 0
	for _, list := range m.ciScopes {
		listed += len(list)
	}
	if err := count("CI", listed, func() bool {
		for _, list := range m.ciScopes {
			if len(list) == 0 || !slices.IsSortedFunc(list, graph.ScopeKey.Compare) {
				return false
			}
		}
		return true
	}, nCI); err != nil {
		return err
	}
	listed = 0
	for _, list := range m.relScopes {
		listed += len(list)
	}
	return count("relation", listed, func() bool {
		for _, list := range m.relScopes {
			if len(list) == 0 || !slices.IsSortedFunc(list, graph.ScopeKey.Compare) {
				return false
			}
		}
		return true
	}, nRel)
}

// checkRecordIndexes verifies that every record sits in exactly the index
// entries its fields call for, holding the stored pointer.
func checkRecordIndexes(m *memState) error {
	perKind := map[graph.RecordKind]int{}
	want := map[graph.RecordKind]map[string]int{} // "state/ci/ref:key" → members
	for k, r := range m.records {
		if r.Kind != k.kind || r.ID != k.id {
			return fmt.Errorf("record %v holds %s %s", k, r.Kind, r.ID)
		}
		perKind[k.kind]++
		ix := m.recIdx[k.kind]
		if ix == nil {
			return fmt.Errorf("no index for kind %s", k.kind)
		}
		if want[k.kind] == nil {
			want[k.kind] = map[string]int{}
		}
		has := func(t *recTree, what string) error {
			if t == nil {
				return fmt.Errorf("%s %s: no %s tree", k.kind, k.id, what)
			}
			if got, ok := t.Get(r); !ok || got != r {
				return fmt.Errorf("%s %s missing from %s", k.kind, k.id, what)
			}
			return nil
		}
		if err := has(ix.byID, "byID"); err != nil {
			return err
		}
		if err := has(ix.byState[r.State], "byState"); err != nil {
			return err
		}
		want[k.kind]["state:"+r.State]++
		cis := map[string]bool{}
		for _, l := range r.Links {
			cis[l.CI] = true
		}
		for ci := range cis {
			if err := has(ix.byCI[ci], "byCI"); err != nil {
				return err
			}
			want[k.kind]["ci:"+ci]++
		}
		refs := map[string]bool{}
		for _, ref := range r.Refs {
			refs[ref] = true
		}
		for ref := range refs {
			if err := has(ix.byRef[ref], "byRef"); err != nil {
				return err
			}
			want[k.kind]["ref:"+ref]++
		}
		if bounded(r) {
			if err := has(ix.byStart, "byStart"); err != nil {
				return err
			}
			if r.End.Sub(*r.Start) > ix.maxSpan {
				return fmt.Errorf("%s %s spans more than maxSpan", k.kind, k.id)
			}
		} else if err := has(ix.open, "open"); err != nil {
			return err
		}
	}
	for kind, ix := range m.recIdx {
		n := perKind[kind]
		if ix.byID.Len() != n || ix.byStart.Len()+ix.open.Len() != n {
			return fmt.Errorf("kind %s: %d records, byID %d, byStart+open %d", kind, n, ix.byID.Len(), ix.byStart.Len()+ix.open.Len())
		}
		for prefix, trees := range map[string]map[string]*recTree{"state:": ix.byState, "ci:": ix.byCI, "ref:": ix.byRef} {
			for key, t := range trees {
				if t.Len() != want[kind][prefix+key] {
					return fmt.Errorf("kind %s: index %s%s has %d entries, want %d", kind, prefix, key, t.Len(), want[kind][prefix+key])
				}
			}
		}
		for key, n := range want[kind] {
			var t *recTree
			switch {
			case strings.HasPrefix(key, "state:"):
				t = ix.byState[key[len("state:"):]]
			case strings.HasPrefix(key, "ci:"):
				t = ix.byCI[key[len("ci:"):]]
			default:
				t = ix.byRef[key[len("ref:"):]]
			}
			if t == nil || t.Len() != n {
				return fmt.Errorf("kind %s: index %s missing or short", kind, key)
			}
		}
	}
	return nil
}

func hasPeer(list []halfEdge, peer int32) bool {
	for _, e := range list {
		if e.peer == peer {
			return true
		}
	}
	return false
}

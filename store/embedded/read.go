package embedded

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// GetCI returns one CI.
func (s *Store) GetCI(ctx context.Context, id string) (graph.CI, error) {
	if err := graph.CheckID("id", id); err != nil {
		return graph.CI{}, err
	}
	tx, done, err := s.view(ctx)
	if err != nil {
		return graph.CI{}, err
	}
	defer done()
	if _, ok := s.mem.lookup(id); !ok {
		return graph.CI{}, graph.NotFound("id", "CI", id)
	}
	ci, err := readCI(tx, id)
	if err != nil {
		return graph.CI{}, graph.Internal(err, "cannot read CI %s", id)
	}
	return *ci, nil
}

// CIsByIDs returns the CIs that exist among ids; others are left out.
func (s *Store) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	tx, done, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	out := make(map[string]graph.CI, len(ids))
	for _, id := range ids {
		if _, seen := out[id]; seen {
			continue
		}
		if _, ok := s.mem.lookup(id); ok {
			ci, err := readCI(tx, id)
			if err != nil {
				return nil, graph.Internal(err, "cannot read CI %s", id)
			}
			out[id] = *ci
		}
	}
	return out, nil
}

// ListCIs returns one page of the CIs matching f in (name, id) order.
func (s *Store) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	p, keyName, keyID, err := s.cat.CheckListCIs(f, p)
	if err != nil {
		return graph.CIPage{}, err
	}
	var cursor *nameKey
	if keyID != "" {
		cursor = &nameKey{name: keyName, id: keyID}
	}
	tx, done, err := s.view(ctx)
	if err != nil {
		return graph.CIPage{}, err
	}
	defer done()

	m, match := s.mem, newMatcher(s.mem, f)
	var page graph.CIPage
	var hits []nameKey
	switch {
	case match.all:
		// Read the name index from the cursor on, one extra hit telling
		// whether the listing goes on that way.
		page.TotalCount = m.byName.Len()
		size := p.Size()
		iter := func(k nameKey) bool {
			if cursor == nil || k.id != cursor.id {
				hits = append(hits, k)
			}
			return len(hits) <= size
		}
		switch {
		case cursor == nil && p.Backward():
			m.byName.Reverse(iter)
		case cursor == nil:
			m.byName.Scan(iter)
		case p.Backward():
			m.byName.Descend(*cursor, iter)
		default:
			m.byName.Ascend(*cursor, iter)
		}
		more := len(hits) > size
		if more {
			hits = hits[:size]
		}
		if p.Backward() {
			slices.Reverse(hits)
			page.HasNextPage, page.HasPreviousPage = cursor != nil, more
		} else {
			page.HasNextPage, page.HasPreviousPage = more, cursor != nil
		}
	default:
		var keys []nameKey
		if f.Identifier != "" {
			// The identifier index narrows the listing to a handful of CIs.
			// Its owners hold the value by construction, so the
			// matcher checks the rest of the filter only.
			for _, id := range m.ownersOfValue(f.Identifier) {
				slot, _ := m.lookup(id)
				if match.ok(&m.nodes[slot]) {
					keys = append(keys, nameKey{name: m.nodes[slot].name, id: id, slot: slot})
				}
			}
			sort.Slice(keys, func(i, j int) bool { return nameLess(keys[i], keys[j]) })
		} else {
			// TotalCount needs every match, so this is one full pass.
			m.byName.Scan(func(k nameKey) bool {
				if match.ok(&m.nodes[k.slot]) {
					keys = append(keys, k)
				}
				return true
			})
		}
		page.TotalCount = len(keys)
		var lo, hi int
		lo, hi, page.HasNextPage, page.HasPreviousPage = graph.PageWindow(len(keys), p, func(i int) int {
			return cmp.Or(strings.Compare(keys[i].name, cursor.name), strings.Compare(keys[i].id, cursor.id))
		})
		hits = keys[lo:hi]
	}
	page.CIs = make([]graph.CI, len(hits))
	for i, k := range hits {
		ci, err := readCI(tx, k.id)
		if err != nil {
			return graph.CIPage{}, graph.Internal(err, "cannot read CI %s", k.id)
		}
		page.CIs[i] = *ci
	}
	return page, nil
}

// matcher applies a CIFilter, less its identifier (ListCIs takes the
// identifier's owners from the index), to heads. The filter's strings are
// resolved to interned indexes once, so a full pass compares integers.
type matcher struct {
	f                                 graph.CIFilter
	search                            string // lower-cased f.Search
	all                               bool   // the filter is empty
	none                              bool   // a field asks for a value no CI has
	class, status, environment, owner uint32
}

func newMatcher(m *memState, f graph.CIFilter) matcher {
	mt := matcher{f: f, search: strings.ToLower(f.Search), all: f == graph.CIFilter{}}
	resolve := func(v string, dst *uint32) {
		if v == "" {
			return
		}
		i, ok := m.strIdx[v]
		if !ok {
			mt.none = true
		}
		*dst = i
	}
	resolve(f.Class, &mt.class)
	resolve(string(f.Status), &mt.status)
	resolve(f.Environment, &mt.environment)
	resolve(f.Owner, &mt.owner)
	return mt
}

func (m matcher) ok(n *node) bool {
	f := m.f
	switch {
	case m.none,
		f.Class != "" && n.class != m.class,
		f.Status != "" && n.status != m.status,
		f.Environment != "" && n.environment != m.environment,
		f.Owner != "" && n.owner != m.owner,
		// ToLower returns an already lower-case ASCII name as it is.
		m.search != "" && !strings.Contains(strings.ToLower(n.name), m.search):
		return false
	}
	return true
}

// RelationsOf returns each id's relations in the direction, limited to
// types when non-empty, each list sorted by (type, from, to).
func (s *Store) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	if !dir.Valid() {
		return nil, graph.Invalid("direction", "unknown direction %q (want OUTGOING, INCOMING or BOTH)", dir)
	}
	for i, typ := range types {
		if err := s.cat.CheckRelationType(fmt.Sprintf("types[%d]", i), typ); err != nil {
			return nil, err
		}
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var only map[int]bool
	if len(types) > 0 {
		only = make(map[int]bool, len(types))
		for _, typ := range types {
			only[s.mem.typeIdx[typ]] = true
		}
	}
	out := map[string][]graph.Relation{}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		slot, ok := s.mem.lookup(id)
		if !ok {
			continue
		}
		rels := s.mem.relationsOf(nil, slot, dir, only)
		if len(rels) == 0 {
			continue
		}
		sort.Slice(rels, func(i, j int) bool { return rels[i].Key().Less(rels[j].Key()) })
		out[id] = rels
	}
	return out, nil
}

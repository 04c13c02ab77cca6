package embedded

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// GetCI returns one CI.
func (s *Store) GetCI(ctx context.Context, id string) (graph.CI, error) {
	if err := graph.CheckID("id", id); err != nil {
		return graph.CI{}, err
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.CI{}, err
	}
	defer unlock()
	ci, _, ok := s.mem.lookup(id)
	if !ok {
		return graph.CI{}, graph.NotFound("id", "CI", id)
	}
	return cloneCI(ci), nil
}

// CIsByIDs returns the CIs that exist among ids; others are left out.
func (s *Store) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[string]graph.CI, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		if ci, _, ok := s.mem.lookup(id); ok {
			out[id] = cloneCI(ci)
		}
	}
	return out, nil
}

// ListCIs returns one page of the CIs matching f in (name, id) order.
func (s *Store) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	p, afterName, afterID, err := s.cat.CheckListCIs(f, p)
	if err != nil {
		return graph.CIPage{}, err
	}
	var after *nameKey
	if afterID != "" {
		after = &nameKey{name: afterName, id: afterID}
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return graph.CIPage{}, err
	}
	defer unlock()

	m, match := s.mem, newMatcher(f)
	var page graph.CIPage
	// Collect one extra hit: its presence is what HasNextPage reports.
	hits := make([]*graph.CI, 0, min(p.First+1, 64))
	collect := func(k nameKey) {
		if len(hits) <= p.First && (after == nil || nameLess(*after, k)) {
			hits = append(hits, m.nodes[k.slot].ci)
		}
	}
	switch {
	case f.Identifier != "":
		// The identifier index narrows the listing to a handful of CIs.
		var keys []nameKey
		for _, id := range m.ownersOfValue(f.Identifier) {
			ci, slot, _ := m.lookup(id)
			if match.ok(&m.nodes[slot]) {
				keys = append(keys, nameKey{name: ci.Name, id: id, slot: slot})
			}
		}
		sort.Slice(keys, func(i, j int) bool { return nameLess(keys[i], keys[j]) })
		page.TotalCount = len(keys)
		for _, k := range keys {
			collect(k)
		}
	case match.all:
		page.TotalCount = m.byName.Len()
		iter := func(k nameKey) bool {
			collect(k)
			return len(hits) <= p.First
		}
		if after != nil {
			m.byName.Ascend(*after, iter)
		} else {
			m.byName.Scan(iter)
		}
	default:
		// TotalCount needs every match, so this is one full pass.
		m.byName.Scan(func(k nameKey) bool {
			if match.ok(&m.nodes[k.slot]) {
				page.TotalCount++
				collect(k)
			}
			return true
		})
	}
	if len(hits) > p.First {
		page.HasNextPage = true
		hits = hits[:p.First]
	}
	page.CIs = make([]graph.CI, len(hits))
	for i, ci := range hits {
		page.CIs[i] = cloneCI(ci)
	}
	return page, nil
}

// matcher applies a CIFilter to nodes.
type matcher struct {
	f      graph.CIFilter
	search string // lower-cased f.Search
	all    bool   // the filter is empty
}

func newMatcher(f graph.CIFilter) matcher {
	return matcher{f: f, search: strings.ToLower(f.Search), all: f == graph.CIFilter{}}
}

func (m matcher) ok(n *node) bool {
	ci, f := n.ci, m.f
	switch {
	case f.Class != "" && ci.Class != f.Class,
		f.Status != "" && ci.Status != f.Status,
		f.Environment != "" && ci.Environment != f.Environment,
		f.Owner != "" && ci.Owner != f.Owner,
		m.search != "" && !strings.Contains(n.lname, m.search):
		return false
	}
	if f.Identifier != "" {
		for _, id := range ci.Identifiers {
			if id.Value == f.Identifier {
				return true
			}
		}
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
		_, slot, ok := s.mem.lookup(id)
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

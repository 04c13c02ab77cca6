package neo4j

import (
	"context"
	"fmt"
	"sort"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Neighbourhood expands breadth-first inside Neo4j, one query per level, all
// in one read transaction so the levels see one consistent graph. Go keeps
// only the visited set and the next frontier; CI properties and member
// counts are fetched once, in bulk, for the nodes reached.
func (s *Store) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	q, err := s.cat.CheckNeighbourhoodQuery(q)
	if err != nil {
		return graph.Subgraph{}, err
	}
	arms, err := s.traversalArms(q)
	if err != nil {
		return graph.Subgraph{}, err
	}
	grouping, err := checkRelTypes(s.cat, "groupingTypes", s.cat.GroupingTypes())
	if err != nil {
		return graph.Subgraph{}, err
	}
	expand := ""
	if len(arms) > 0 {
		expand = cypherExpandLevel(arms)
	}
	fetch := cypherFetchNodes(grouping)
	groupClasses := s.groupClasses()
	return readTx(ctx, s, "neighbourhood", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Subgraph, error) {
		t := newTraversal(q.Seeds)
		for depth := 0; depth < q.MaxDepth && len(t.frontier) > 0 && expand != ""; depth++ {
			if err := t.expandLevel(ctx, tx, expand, depth); err != nil {
				return graph.Subgraph{}, fmt.Errorf("expand level %d: %w", depth, err)
			}
		}
		if err := t.fetchNodes(ctx, tx, fetch, groupClasses); err != nil {
			return graph.Subgraph{}, fmt.Errorf("load reached CIs: %w", err)
		}
		for i, id := range q.Seeds {
			if _, ok := t.sub.Nodes[id]; !ok {
				return graph.Subgraph{}, graph.NotFound(graph.FieldIndex("ciIds", i), "CI", id)
			}
		}
		sortRelations(t.sub.Edges)
		return t.sub, nil
	})
}

// traversalArms turns the query's types and direction into the patterns to
// walk. Downstream follows failure: toSource types against their arrow,
// toTarget types along it; Upstream is the reverse.
func (s *Store) traversalArms(q graph.NeighbourhoodQuery) ([]traversalArm, error) {
	toSource, toTarget, err := s.cat.TraversalTypes(q.Types)
	if err != nil {
		return nil, err
	}
	src, err := checkRelTypes(s.cat, "types", toSource)
	if err != nil {
		return nil, err
	}
	tgt, err := checkRelTypes(s.cat, "types", toTarget)
	if err != nil {
		return nil, err
	}
	down := q.Direction == graph.Downstream
	var arms []traversalArm
	if len(src) > 0 {
		arms = append(arms, traversalArm{types: src, out: !down})
	}
	if len(tgt) > 0 {
		arms = append(arms, traversalArm{types: tgt, out: down})
	}
	return arms, nil
}

// groupClasses lists the redundancy-group classes, whose nodes report their
// member count.
func (s *Store) groupClasses() []string {
	out := []string{}
	for _, c := range s.cat.Classes() {
		if c.RedundancyGroup {
			out = append(out, c.Name)
		}
	}
	return out
}

// traversal is the Go side of one Neighbourhood call: depths, the frontier
// and the edges met. It is created inside the transaction function so a
// driver retry starts from scratch.
type traversal struct {
	depth    map[string]int
	frontier []string
	edges    map[graph.RelationKey]bool
	sub      graph.Subgraph
}

func newTraversal(seeds []string) *traversal {
	t := &traversal{depth: map[string]int{}, edges: map[graph.RelationKey]bool{}}
	for _, id := range seeds {
		if _, ok := t.depth[id]; !ok {
			t.depth[id] = 0
			t.frontier = append(t.frontier, id)
		}
	}
	return t
}

// expandLevel runs one level query; nodes first reached here get depth+1
// and form the next frontier. Every edge is kept, including those leading
// back to nodes already seen.
func (t *traversal) expandLevel(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, depth int) error {
	var next []string
	err := collect(ctx, tx, cypher, map[string]any{"frontier": t.frontier}, func(rec *neo4j.Record) error {
		node, err := recordValue[string](rec, "node")
		if err != nil {
			return err
		}
		outgoing, err := recordValue[bool](rec, "outgoing")
		if err != nil {
			return err
		}
		others, types, created, err := levelLists(rec)
		if err != nil {
			return err
		}
		for i, other := range others {
			rel := graph.Relation{From: node, Type: types[i], To: other, CreatedAt: fromMicros(created[i])}
			if !outgoing {
				rel.From, rel.To = other, node
			}
			if !t.edges[rel.Key()] {
				t.edges[rel.Key()] = true
				t.sub.Edges = append(t.sub.Edges, rel)
			}
			if _, seen := t.depth[other]; !seen {
				t.depth[other] = depth + 1
				next = append(next, other)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(next)
	t.frontier = next
	return nil
}

// levelLists reads the three parallel lists of a level row.
func levelLists(rec *neo4j.Record) (others, types []string, created []int64, err error) {
	if others, err = recordList[string](rec, "others"); err != nil {
		return nil, nil, nil, err
	}
	if types, err = recordList[string](rec, "types"); err != nil {
		return nil, nil, nil, err
	}
	if created, err = recordList[int64](rec, "created"); err != nil {
		return nil, nil, nil, err
	}
	if len(types) != len(others) || len(created) != len(others) {
		return nil, nil, nil, fmt.Errorf("level row: lists of %d, %d and %d items", len(others), len(types), len(created))
	}
	return others, types, created, nil
}

// fetchNodes loads every reached CI and the member counts of groups.
func (t *traversal) fetchNodes(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, groupClasses []string) error {
	ids := make([]string, 0, len(t.depth))
	for id := range t.depth {
		ids = append(ids, id)
	}
	t.sub.Nodes = make(map[string]*graph.Node, len(ids))
	params := map[string]any{"ids": ids, "groupClasses": groupClasses}
	return collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
		ci, err := recordCI(rec)
		if err != nil {
			return err
		}
		members, err := recordValue[int64](rec, "members")
		if err != nil {
			return err
		}
		t.sub.Nodes[ci.ID] = &graph.Node{CI: ci, Depth: t.depth[ci.ID], Members: int(members)}
		return nil
	})
}

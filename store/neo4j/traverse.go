package neo4j

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Neighbourhood runs the whole breadth-first traversal as one statement
// in a read transaction (see cypherTraverse): Neo4j walks the levels over
// node references and returns each level as one row holding its CIs' heads
// and the relations they were expanded along. Go only decodes the lists.
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
	depth := q.MaxDepth
	if len(arms) == 0 {
		depth = 0 // nothing to walk: the seeds alone
	}
	cypher := cypherTraverse(arms, depth, grouping)
	params := map[string]any{"seeds": q.Seeds, "groupClasses": s.groupClasses()}
	outgoing := armDirections(arms)
	return readTx(ctx, s, "neighbourhood", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Subgraph, error) {
		sub := graph.Subgraph{Nodes: map[string]*graph.Node{}}
		err := collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
			return addTraversalLevel(rec, &sub, outgoing)
		})
		if err != nil {
			return graph.Subgraph{}, fmt.Errorf("traverse: %w", err)
		}
		for i, id := range q.Seeds {
			if _, ok := sub.Nodes[id]; !ok {
				return graph.Subgraph{}, graph.NotFound(graph.FieldIndex("ciIds", i), "CI", id)
			}
		}
		sortRelations(sub.Edges)
		return sub, nil
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

// armDirections maps each walked type to whether the node being expanded
// is the start of its relations: each type belongs to exactly one arm.
func armDirections(arms []traversalArm) map[string]bool {
	out := map[string]bool{}
	for _, a := range arms {
		for _, t := range a.types {
			out[string(t)] = a.out
		}
	}
	return out
}

// addTraversalLevel adds the CIs of one cypherTraverse row (a BFS level)
// and the relations they were expanded along. No relation is met twice:
// each node is expanded in one level only and each type is walked by one
// arm, from one end, so the edges need no de-duplication.
func addTraversalLevel(rec *neo4j.Record, sub *graph.Subgraph, outgoing map[string]bool) error {
	depth, err := recordValue[int64](rec, "depth")
	if err != nil {
		return err
	}
	rows, err := recordList[[]any](rec, "nodes")
	if err != nil {
		return err
	}
	// One backing array for the level's nodes: the map needs pointers,
	// not one allocation per node.
	nodes := make([]graph.Node, len(rows))
	for i, row := range rows {
		t := tuple{what: "traversal node", items: row}
		n := &nodes[i]
		n.Depth = int(depth)
		n.CI = graph.CIHead{ID: t.str(0), Name: t.str(1), Class: t.str(2), Criticality: graph.Criticality(t.str(3)), Owner: t.str(4)}
		others, types, created := t.list(5), t.list(6), t.list(7)
		if t.err == nil && (len(types) != len(others) || len(created) != len(others)) {
			t.err = fmt.Errorf("traversal node %s: hop lists of %d, %d and %d items", n.CI.ID, len(others), len(types), len(created))
		}
		if t.err != nil {
			return t.err
		}
		sub.Nodes[n.CI.ID] = n
		for j := range others {
			to, okTo := others[j].(string)
			typ, okType := types[j].(string)
			at, okAt := created[j].(int64)
			if !okTo || !okType || !okAt {
				return fmt.Errorf("traversal node %s, hop %d: expected a string, a string and an integer, got %T, %T and %T",
					n.CI.ID, j, others[j], types[j], created[j])
			}
			out, ok := outgoing[typ]
			if !ok {
				return fmt.Errorf("traversal hop of unwalked type %q", typ)
			}
			rel := graph.Relation{From: n.CI.ID, Type: typ, To: to, CreatedAt: fromMicros(at)}
			if !out {
				rel.From, rel.To = to, n.CI.ID
			}
			sub.Edges = append(sub.Edges, rel)
		}
	}
	groups, err := recordList[[]any](rec, "groups")
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := addGroup(sub, tuple{what: "traversal group", items: g}); err != nil {
			return err
		}
	}
	return nil
}

// addGroup sets a reached redundancy group's member count and attributes
// (the threshold of healthy members), the only attributes decoded.
func addGroup(sub *graph.Subgraph, t tuple) error {
	id, attrs, members := t.str(0), t.optStr(1), t.int(2)
	if t.err != nil {
		return t.err
	}
	n, ok := sub.Nodes[id]
	if !ok {
		return fmt.Errorf("traversal group %s is not among the level's nodes", id)
	}
	n.Members = int(members)
	if attrs != "" {
		if err := json.Unmarshal([]byte(attrs), &n.Attributes); err != nil {
			return fmt.Errorf("decode CI %s attributes: %w", id, err)
		}
	}
	return nil
}

// tuple reads the items of one list the statement returns, checking each
// item's type (the driver has no typed getters for list items) and
// keeping the first error, like fields does for a node or a row.
type tuple struct {
	what  string
	items []any
	err   error
}

func (t *tuple) str(i int) string    { return tupleItem[string](t, i, false) }
func (t *tuple) optStr(i int) string { return tupleItem[string](t, i, true) }
func (t *tuple) int(i int) int64     { return tupleItem[int64](t, i, false) }
func (t *tuple) list(i int) []any    { return tupleItem[[]any](t, i, false) }

// tupleItem reads item i of type T; optional allows null, read as zero.
func tupleItem[T any](t *tuple, i int, optional bool) T {
	var zero T
	if t.err != nil {
		return zero
	}
	if i >= len(t.items) {
		t.err = fmt.Errorf("%s: %d items, want more than %d", t.what, len(t.items), i)
		return zero
	}
	if optional && t.items[i] == nil {
		return zero
	}
	v, ok := t.items[i].(T)
	if !ok {
		t.err = fmt.Errorf("%s[%d]: expected %T, got %T", t.what, i, zero, t.items[i])
	}
	return v
}

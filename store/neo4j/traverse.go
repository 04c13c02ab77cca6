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
// node references and returns each reached CI once, with its depth, member
// count and the relations it was expanded along. Go only decodes the rows
// and keeps every edge once.
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
	return readTx(ctx, s, "neighbourhood", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Subgraph, error) {
		sub := graph.Subgraph{Nodes: map[string]*graph.Node{}}
		edges := map[graph.RelationKey]bool{}
		err := collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
			return addTraversalRow(rec, &sub, edges)
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

// addTraversalRow adds one reached CI of a cypherTraverse row and the
// relations it was expanded along, each relation once.
func addTraversalRow(rec *neo4j.Record, sub *graph.Subgraph, edges map[graph.RelationKey]bool) error {
	props, err := recordValue[map[string]any](rec, "c")
	if err != nil {
		return err
	}
	node, err := nodeFromHead(props)
	if err != nil {
		return err
	}
	depth, err := recordValue[int64](rec, "depth")
	if err != nil {
		return err
	}
	members, err := recordValue[int64](rec, "members")
	if err != nil {
		return err
	}
	node.Depth, node.Members = int(depth), int(members)
	ci := &node.CI
	sub.Nodes[ci.ID] = node
	others, types, created, outgoing, err := hopLists(rec)
	if err != nil {
		return err
	}
	for i, other := range others {
		rel := graph.Relation{From: ci.ID, Type: types[i], To: other, CreatedAt: fromMicros(created[i])}
		if !outgoing[i] {
			rel.From, rel.To = other, ci.ID
		}
		if k := rel.Key(); !edges[k] {
			edges[k] = true
			sub.Edges = append(sub.Edges, rel)
		}
	}
	return nil
}

// hopLists reads the four parallel lists of a traversal row.
func hopLists(rec *neo4j.Record) (others, types []string, created []int64, outgoing []bool, err error) {
	if others, err = recordList[string](rec, "others"); err != nil {
		return
	}
	if types, err = recordList[string](rec, "types"); err != nil {
		return
	}
	if created, err = recordList[int64](rec, "created"); err != nil {
		return
	}
	if outgoing, err = recordList[bool](rec, "outgoing"); err != nil {
		return
	}
	if len(types) != len(others) || len(created) != len(others) || len(outgoing) != len(others) {
		err = fmt.Errorf("traversal row: lists of %d, %d, %d and %d items", len(others), len(types), len(created), len(outgoing))
	}
	return
}

// nodeFromHead decodes the head projection of a traversal row (see
// cypherTraverse): the head fields, and the attributes of a redundancy
// group, the only ones decoded.
func nodeFromHead(props map[string]any) (*graph.Node, error) {
	f := nodeFields(neo4j.Node{Props: props})
	n := &graph.Node{CI: graph.CIHead{
		ID:          f.str(propID),
		Name:        f.str(propName),
		Class:       f.str(propClass),
		Criticality: graph.Criticality(f.str(propCriticality)),
		Owner:       f.str(propOwner),
	}}
	attrs := f.optRaw(propAttrs)
	if f.err != nil {
		return nil, fmt.Errorf("decode traversal row: %w", f.err)
	}
	if attrs != nil {
		if err := json.Unmarshal(attrs, &n.Attributes); err != nil {
			return nil, fmt.Errorf("decode CI %s attributes: %w", n.CI.ID, err)
		}
	}
	return n, nil
}

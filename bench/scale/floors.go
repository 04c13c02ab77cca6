package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
)

// The floors: what the same traversal costs with nothing of Ripple's in
// the way. Each returns the CIs reached downstream within the depth, seed
// included, so the store calls can be checked against them.

// adjacency is the estate's downstream walk as int indexes: from a CI to
// the CIs its failure reaches in one hop (RUNS_ON and DEPENDS_ON against
// their arrow, CONTAINS and MEMBER_OF along it).
type adjacency [][]int32

func newAdjacency(cat *graph.Catalogue, est *estate.Estate) adjacency {
	adj := make(adjacency, len(est.CIs))
	for _, r := range est.Rels {
		rt, _ := cat.RelationType(r.Type)
		// Flow on placeholder ends says which end is the cause.
		cause, _, ok := rt.Flow("from", "to")
		switch {
		case !ok:
		case cause == "from":
			adj[r.From] = append(adj[r.From], int32(r.To))
		default:
			adj[r.To] = append(adj[r.To], int32(r.From))
		}
	}
	return adj
}

// bfs is the bare Go breadth-first walk: a visited bitmap and a queue.
func (adj adjacency) bfs(seed int32, depth int) []int32 {
	seen := make([]bool, len(adj))
	seen[seed] = true
	frontier := []int32{seed}
	reached := []int32{seed}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []int32
		for _, n := range frontier {
			for _, m := range adj[n] {
				if !seen[m] {
					seen[m] = true
					next = append(next, m)
				}
			}
		}
		reached = append(reached, next...)
		frontier = next
	}
	return reached
}

func bfsNames(est *estate.Estate, reached []int32) []string {
	names := make([]string, len(reached))
	for i, n := range reached {
		names[i] = est.CIs[n].Name
	}
	sort.Strings(names)
	return names
}

// floorCypher is the best single statement found for the traversal, kept
// here as the floor the store is measured against: the BFS levels unrolled,
// each expanding the frontier along every arm with pattern comprehensions
// (one Expand per arm, no path enumeration), keeping the far ends not seen
// before with collect(DISTINCT ...) in a subquery with no grouping key (one
// row even when a level is empty). It returns one row: the reached CIs' ids
// per level (the level is the depth), and nothing else: no edges, no
// properties. One row and not one per CI: at 4,500 CIs, rows cost the
// server and the driver about three times the CPU of list items (and the
// driver's fetch size makes them five round trips).
func floorCypher(cat *graph.Catalogue, depth int) string {
	toSource, toTarget, _ := cat.TraversalTypes(nil)
	var arms []string
	if len(toSource) > 0 {
		arms = append(arms, "[(n)<-[:"+strings.Join(toSource, "|")+"]-(m:CI) | m]")
	}
	if len(toTarget) > 0 {
		arms = append(arms, "[(n)-[:"+strings.Join(toTarget, "|")+"]->(m:CI) | m]")
	}
	var b strings.Builder
	b.WriteString("MATCH (s:CI {id: $id})\nWITH [s] AS frontier, [s] AS seen, [[s]] AS levels\n")
	for d := 0; d < depth; d++ {
		fmt.Fprintf(&b, `CALL {
  WITH frontier, seen
  UNWIND frontier AS n
  UNWIND %s AS m
  WITH m WHERE NOT m IN seen
  RETURN collect(DISTINCT m) AS next
}
WITH next AS frontier, seen + next AS seen, levels + [next] AS levels
`, strings.Join(arms, " + "))
	}
	b.WriteString("RETURN [level IN levels | [n IN level | n.id]] AS levels")
	return b.String()
}

// readRecords runs one statement the way the store runs its reads (a
// session on the named database and a managed read transaction), so the
// floors pay the same driver overhead as the store and no more.
func readRecords(ctx context.Context, d neo4j.DriverWithContext, cypher string, params map[string]any) ([]*neo4j.Record, error) {
	session := d.NewSession(ctx, neo4j.SessionConfig{DatabaseName: "neo4j", AccessMode: neo4j.AccessModeRead})
	defer session.Close(ctx)
	return neo4j.ExecuteRead(ctx, session, func(tx neo4j.ManagedTransaction) ([]*neo4j.Record, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		return res.Collect(ctx)
	})
}

// cypherReach runs the floor statement through the driver and returns the
// names of the CIs reached.
func cypherReach(ctx context.Context, d neo4j.DriverWithContext, cypher string, s *side, id string) ([]string, error) {
	recs, err := readRecords(ctx, d, cypher, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	if len(recs) != 1 {
		return nil, fmt.Errorf("floor: %d rows, want 1", len(recs))
	}
	v, _ := recs[0].Get("levels")
	levels, _ := v.([]any)
	var names []string
	for _, l := range levels {
		ids, _ := l.([]any)
		for _, id := range ids {
			id, _ := id.(string)
			names = append(names, s.names[id])
		}
	}
	sort.Strings(names)
	return names, nil
}

// bolt1 is the overhead floor on Neo4j: one trivial statement.
func bolt1(ctx context.Context, d neo4j.DriverWithContext) error {
	_, err := readRecords(ctx, d, "RETURN 1 AS one", nil)
	return err
}

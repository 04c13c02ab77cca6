package neo4j

import (
	"fmt"
	"strings"
)

// traversalArm is one set of relation types walked the same way from the
// node being expanded: out means (n)-[r]->(m), otherwise (n)<-[r]-(m).
type traversalArm struct {
	types []relType
	out   bool
}

// cypherTraverse is a whole breadth-first traversal in one statement: the
// seeds ($seeds, CI ids) and maxDepth levels unrolled in the text, each
// level expanding the frontier along every arm and keeping as the next
// frontier the far ends never seen before. It walks node references, not
// ids: a CI's id and properties are read once, for the result.
//
// It returns one row per BFS level (depth ascending), each holding the
// level's CIs as parallel items, not one row per CI: a row costs the
// server, the wire and the driver far more than a list item (per-row
// records, and the driver's fetch size cut a 4,500-CI answer into five
// round trips):
//
//	depth     the level's BFS depth (0 for the seeds)
//	nodes     per CI of the level, one list:
//	          [id, name, class, criticality, owner, others, types, created]
//	          its head (graph.CIHead) and, below maxDepth, every
//	          traversable relation from it along the arms as three
//	          parallel lists: the far end's id, the type and the creation
//	          time (empty at maxDepth: the last frontier is not expanded).
//	          Whether the CI is the relation's start follows from the type,
//	          since each type belongs to one arm
//	groups    per redundancy group of the level (few): [id, attrs,
//	          members], its attributes (the threshold of healthy members)
//	          and the count of grouping relations into it, reached or not
//
// Nothing else of a CI is read or sent.
//
// Why unrolled levels and not a variable-length or quantified pattern: the
// result needs each node's depth and every edge met while expanding, and
// different types are walked in different directions (DEPENDS_ON against
// its arrow, CONTAINS along it). A variable-length pattern cannot mix
// directions per type, and a quantified path with ANY SHORTEST was planned
// as a stateful shortest path that was slower than the old level-by-level
// round trips. One fixed-length expansion per level with the frontier
// reduced to unseen nodes visits each node once whatever the number of
// paths to it: linear in the edges touched, no path enumeration.
//
// How the levels stay one row: pattern comprehensions expand each frontier
// node along every arm without multiplying rows, and the next frontier is
// aggregated in a CALL subquery with no grouping key, which yields exactly
// one row even when nothing new is reached. Carrying the seen list through
// an outer aggregation instead (head(collect(seen))) made Neo4j's memory
// tracker charge the whole list once per row and fail a rack's traversal
// at 10k CIs. The subquery imports with WITH, which every Neo4j 5 release
// and the 2025+ servers (Cypher 5) accept; CALL (level, seen) { } would need
// 5.23 or later.
func cypherTraverse(arms []traversalArm, maxDepth int, grouping []relType) string {
	var b strings.Builder
	b.WriteString(`MATCH (s:CI) WHERE s.id IN $seeds
WITH collect(s) AS frontier
WITH frontier, frontier AS seen, [] AS levels
`)
	for level := 0; level < maxDepth; level++ {
		// level: per frontier node, [node, hops], a hop being
		// [far end, type, created].
		fmt.Fprintf(&b, `WITH seen, levels, [n IN frontier | [n, %s]] AS level
CALL {
  WITH level, seen
  UNWIND level AS x
  UNWIND x[1] AS h
  WITH h[0] AS m WHERE NOT m IN seen
  RETURN collect(DISTINCT m) AS next
}
WITH next AS frontier, seen + next AS seen, levels + [level] AS levels
`, hopsComprehension(arms))
	}
	groups := "[]"
	if len(grouping) > 0 {
		groups = `[g IN [x IN level WHERE x[0].` + propClass + ` IN $groupClasses | x[0]] |
    [g.` + propID + `, g.` + propAttrs + `, COUNT { (g)<-[:` + typeAlternation(grouping) + `]-() }]]`
	}
	// One comprehension reads a CI's head fields together: separate ones
	// per field cost the server markedly more.
	b.WriteString(`WITH levels + [[n IN frontier | [n, []]]] AS levels
UNWIND range(0, size(levels) - 1) AS depth
WITH depth, levels[depth] AS level
RETURN depth,
  [x IN level | [x[0].` + propID + `, x[0].` + propName + `, x[0].` + propClass + `, x[0].` + propCriticality + `, x[0].` + propOwner + `,
    [h IN x[1] | h[0].` + propID + `], [h IN x[1] | h[1]], [h IN x[1] | h[2]]]] AS nodes,
  ` + groups + ` AS groups`)
	return b.String()
}

// hopsComprehension lists a frontier node n's relations along every arm,
// each as [far end, type, created].
func hopsComprehension(arms []traversalArm) string {
	if len(arms) == 0 {
		return "[]"
	}
	parts := make([]string, 0, len(arms))
	for _, a := range arms {
		left, right := "-", "->"
		if !a.out {
			left, right = "<-", "-"
		}
		parts = append(parts, `[(n)`+left+`[r:`+typeAlternation(a.types)+`]`+right+`(m:CI) | [m, type(r), r.createdAt]]`)
	}
	return strings.Join(parts, " + ")
}

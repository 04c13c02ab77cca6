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
// ids: a CI's id and properties are read once, for the rows returned.
//
// It returns one row per reached CI, in BFS order (depth ascending):
//
//	c         the CI's head (headProjection): id, name, class,
//	          criticality and owner, plus the attributes of a redundancy group (the
//	          threshold of healthy members); nothing else of the CI is read
//	          or sent
//	depth     its BFS depth (0 for seeds)
//	members   for redundancy groups, the count of grouping relations in
//	          (reached or not; 0 for other classes)
//	others, types, created, outgoing
//	          for a CI below maxDepth, every traversable relation from it
//	          along the arms, as four parallel lists: the far end's id, the
//	          type, the creation time and whether the CI is its start
//	          (empty at maxDepth: the last frontier is not expanded)
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
		// hops: per frontier node, its relations along the arms as
		// [far end, type, created, outgoing].
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
	members := "0"
	if len(grouping) > 0 {
		members = "CASE WHEN c.class IN $groupClasses THEN COUNT { (c)<-[:" + typeAlternation(grouping) + "]-() } ELSE 0 END"
	}
	b.WriteString(`WITH levels + [[n IN frontier | [n, []]]] AS levels
UNWIND range(0, size(levels) - 1) AS depth
UNWIND levels[depth] AS x
WITH x[0] AS c, depth, x[1] AS hops
RETURN c {` + headProjection + `} AS c, depth, ` + members + ` AS members,
       [h IN hops | h[0].id] AS others, [h IN hops | h[1]] AS types,
       [h IN hops | h[2]] AS created, [h IN hops | h[3]] AS outgoing`)
	return b.String()
}

// hopsComprehension lists a frontier node n's relations along every arm,
// each as [far end, type, created, outgoing].
func hopsComprehension(arms []traversalArm) string {
	if len(arms) == 0 {
		return "[]"
	}
	parts := make([]string, 0, len(arms))
	for _, a := range arms {
		left, right, out := "-", "->", "true"
		if !a.out {
			left, right, out = "<-", "-", "false"
		}
		parts = append(parts, `[(n)`+left+`[r:`+typeAlternation(a.types)+`]`+right+`(m:CI) | [m, type(r), r.createdAt, `+out+`]]`)
	}
	return strings.Join(parts, " + ")
}

// headProjection is the map projection of a CI's head (graph.CIHead) and,
// for redundancy groups only, its attributes.
var headProjection = "." + strings.Join([]string{propID, propName, propClass, propCriticality, propOwner}, ", .") +
	", " + propAttrs + ": CASE WHEN c.class IN $groupClasses THEN c." + propAttrs + " END"

package neo4j

import "strings"

// traversalArm is one set of relation types walked the same way from the
// node being expanded: out means (n)-[r]->(m), otherwise (n)<-[r]-(m).
type traversalArm struct {
	types []relType
	out   bool
}

// cypherExpandLevel expands one BFS level: every node in $frontier, along
// every arm. Each row is one frontier node and one arm, with the
// relationships found as three parallel lists (far end id, type, creation
// time); outgoing says whether the frontier node is their start.
//
// Why level by level instead of one variable-length MATCH: the result
// needs each node's BFS depth and every edge met while expanding, and
// different types are walked in different directions (DEPENDS_ON against
// its arrow, CONTAINS along it). A single fixed-length expansion per level,
// with the frontier reduced in Go to nodes never seen before, visits every
// node once whatever the number of paths to it: the cost is linear in the
// edges touched and there is no path enumeration to explode on dense,
// diamond-shaped graphs.
//
// Why collect per frontier node: the expansion itself is cheap for Neo4j
// (about 4 ms for a 900-node frontier with 7,000 edges); streaming one
// Bolt record per edge cost 70-200 ms of framing and decoding. Grouping cut
// that by 3-6x on the dense benchmark graph.
//
// The arms are combined with UNION ALL rather than CALL { WITH n ... } so
// the text runs unchanged on every Neo4j 5 release (importing WITH is
// deprecated from 5.23) and on 2025+ servers.
func cypherExpandLevel(arms []traversalArm) string {
	parts := make([]string, 0, len(arms))
	for _, a := range arms {
		left, right, out := "-", "->", "true"
		if !a.out {
			left, right, out = "<-", "-", "false"
		}
		parts = append(parts, `UNWIND $frontier AS id
MATCH (n:CI {id: id})`+left+`[r:`+typeAlternation(a.types)+`]`+right+`(m:CI)
RETURN id AS node, `+out+` AS outgoing, collect(m.id) AS others, collect(type(r)) AS types, collect(r.createdAt) AS created`)
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

// cypherFetchNodes loads the reached CIs in one statement and, for those of
// a redundancy-group class, counts incoming grouping relations of every
// grouping type (members reached by the traversal or not). COUNT over a
// typed single-hop pattern with an unlabelled far end is answered from the
// node's degree store, without touching the member nodes.
func cypherFetchNodes(grouping []relType) string {
	members := "0"
	if len(grouping) > 0 {
		members = "CASE WHEN c.class IN $groupClasses THEN COUNT { (c)<-[:" + typeAlternation(grouping) + "]-() } ELSE 0 END"
	}
	return `
UNWIND $ids AS id
MATCH (c:CI {id: id})
RETURN c, ` + members + ` AS members`
}

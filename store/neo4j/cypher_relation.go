package neo4j

// Queries on relations between CIs. Relationship types cannot be query
// parameters, so the builders below splice a relType, which can only be
// obtained from checkRelType (catalogue + name pattern).

// cypherRelationEnds loads the classes of both ends of a relation to be; a
// null class says which end is missing.
const cypherRelationEnds = `
OPTIONAL MATCH (a:CI {id: $from})
OPTIONAL MATCH (b:CI {id: $to})
RETURN a.class AS fromClass, b.class AS toClass`

// cypherMergeRelation creates from -T-> to unless it exists and returns its
// creation time. MERGE locks both end nodes before creating, so two
// concurrent Relates of the same triple still leave one relationship.
func cypherMergeRelation(t relType) string {
	return `
MATCH (a:CI {id: $from})
MATCH (b:CI {id: $to})
MERGE (a)-[r:` + string(t) + `]->(b)
ON CREATE SET r.createdAt = $createdAt
RETURN r.createdAt AS createdAt`
}

// cypherMergeRelations is the batch form of cypherMergeRelation, and the
// batch's existence check for relations it creates: it returns the rows
// whose relation already existed. MERGE has to look for the relationship
// anyway (Expand(Into) between the two locked ends), so asking first was
// a second search. The fresh marker tells a relationship this statement
// created from one it found; it is removed in the same statement, so it
// is never stored.
func cypherMergeRelations(t relType) string {
	return `
UNWIND $rows AS row
MATCH (a:CI {id: row.from})
MATCH (b:CI {id: row.to})
MERGE (a)-[r:` + string(t) + `]->(b)
ON CREATE SET r.createdAt = row.createdAt, r.fresh = true
WITH row, r, r.fresh IS NULL AS existed
REMOVE r.fresh
WITH row, existed WHERE existed
RETURN row.from AS from, row.to AS to`
}

// cypherDeleteRelation removes from -T-> to and returns one row per
// relationship removed (at most one: relations are MERGEd) with its
// creation time, which the audit entry records.
func cypherDeleteRelation(t relType) string {
	return `
MATCH (:CI {id: $from})-[r:` + string(t) + `]->(:CI {id: $to})
WITH r, r.createdAt AS createdAt
DELETE r
RETURN createdAt`
}

// cypherDeleteRelations is the batch form of cypherDeleteRelation.
func cypherDeleteRelations(t relType) string {
	return `
UNWIND $rows AS row
MATCH (:CI {id: row.from})-[r:` + string(t) + `]->(:CI {id: row.to})
DELETE r`
}

// cypherRelationsOf lists the relations of the CIs in $ids. With no types
// every relationship between CIs qualifies (including types no longer in
// the catalogue, which is what "all" means for stored data). The pattern is
// undirected for Both; outgoing tells which end the CI is on.
func cypherRelationsOf(arrowLeft, arrowRight string, types []relType) string {
	typ := ""
	if len(types) > 0 {
		typ = ":" + typeAlternation(types)
	}
	return `
UNWIND $ids AS id
MATCH (c:CI {id: id})` + arrowLeft + `-[r` + typ + `]-` + arrowRight + `(o:CI)
RETURN id, type(r) AS type, startNode(r) = c AS outgoing, o.id AS other, r.createdAt AS createdAt`
}

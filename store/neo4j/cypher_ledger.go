package neo4j

// Queries on the import ledger. The model:
//
//	(:ImportScope {source, scope, generation, lastRun, lastApplied,
//	               [sweepGen, sweepAt, sweepRun]})
//	(:Sighting {source, scope, subject, [relFrom, relType, relTo],
//	            firstSeen, lastSeen, lastRun, missed, [gen]})
//
// A run that sees again every current sighting of its scope
// (graph.LedgerWrite.SeenCurrent) does not rewrite them: it stamps the
// scope with its generation, time and id (sweep*). A sighting is written
// with the generation of the write that saw it (gen); one still current
// (missed 0) and written before the scope's last sweep was seen by that
// sweep, and reads resolve it so (sightingColumns). Setting a missed count
// first makes such a sighting's stamp its own (cypherMissSightings), so a
// sighting never loses the last run that saw it. Sightings written before
// sweeps existed have no gen and count as older than any sweep.
//
// A sighting's subject is the CI id, or graph.RelationSubjectID
// (from|TYPE|to) for a relation, whose ends and type are also kept apart
// (relFrom set means a relation). Ids never contain '|', so one indexed
// property seeks either kind and a CI id never matches a relation.
// (source, scope) is unique on scopes and (source, scope, subject) on
// sightings: both constraints are composite, so no separator has to be
// invented for a scope, which may hold any character. The sighting
// constraint's index also answers "every sighting of a scope" (equality on
// the prefix).
//
// Sightings are nodes with properties, not relationships to the CI: a
// relation cannot be the end of a relationship, deleting a CI finds its
// sightings through the subject, relFrom and relTo indexes anyway, and a
// run writing 100,000 sightings never takes a lock on a CI node, which
// would block every other writer of those CIs until the import commits.
// The price: a DeleteCI or Unrelate that commits while a run is between
// resolving its refs and committing can leave that run's sighting of the
// removed subject behind (cypherSeeCIs re-matches the CI, which narrows
// the window to the run's own writes and commit).

// cypherLockScope creates the scope's header if needed and write-locks it
// (the SET takes the node's exclusive lock even when it writes the value
// already there), then reads its generation: two runs of one scope
// serialise here, at the start of their transactions, and the second reads
// the generation the first committed.
const cypherLockScope = `
MERGE (sc:ImportScope {source: $source, scope: $scope})
ON CREATE SET sc.generation = 0
SET sc.source = $source
RETURN sc.generation AS generation`

// cypherBumpScope records an applied run on the (locked) scope header and,
// for a write that sees every current sighting again ($sweep), stamps the
// scope with it instead of rewriting them.
const cypherBumpScope = `
MATCH (sc:ImportScope {source: $source, scope: $scope})
SET sc.generation = $generation, sc.lastRun = $run, sc.lastApplied = $at
FOREACH (_ IN CASE WHEN $sweep THEN [1] ELSE [] END |
  SET sc.sweepGen = $generation, sc.sweepAt = $at, sc.sweepRun = $run)`

// sweptBy is the condition under which sighting s was last seen by the
// sweep of its scope sc (which may be null: no sweep).
func sweptBy(s, sc string) string {
	return s + ".missed = 0 AND coalesce(" + s + ".gen, -1) < coalesce(" + sc + ".sweepGen, -1)"
}

// cypherScope reads a scope's header.
const cypherScope = `
MATCH (sc:ImportScope {source: $source, scope: $scope})
RETURN sc.generation AS generation, sc.lastRun AS lastRun, sc.lastApplied AS lastApplied`

// cypherCIsExist returns the ids among $ids that name a CI.
const cypherCIsExist = `
UNWIND $ids AS id
MATCH (c:CI {id: id})
RETURN id`

// cypherSeeCIs records that a run saw CIs and counts the sightings
// written. MERGE seeks the composite unique index; firstSeen is set on
// creation only. The CI is matched, so a ref to no CI (taken on trust by
// planLedger, or deleted since the refs were resolved) gets no sighting
// and the count tells.
const cypherSeeCIs = `
UNWIND $rows AS row
MATCH (c:CI {id: row.ci})
MERGE (s:Sighting {source: $source, scope: $scope, subject: row.ci})
ON CREATE SET s.firstSeen = $at
SET s.lastSeen = $at, s.lastRun = $run, s.missed = 0, s.gen = $generation
RETURN count(*) AS n`

// cypherSeeRelations records that a run saw relations and counts the
// sightings written. Rows with check set name relations the batch cannot
// vouch for: the relation must exist, which is looked for from its From
// end (its outgoing relationships, the type compared as a string: a type
// cannot be a parameter), so this is the existence check and the write in
// one statement. The To end is left unlabelled (see cypherOutgoingOfType:
// no Expand(Into) on dense nodes); the price is an Eager before the MERGE,
// which holds one chunk's rows.
const cypherSeeRelations = `
UNWIND $rows AS row
WITH row
WHERE NOT row.check OR EXISTS { MATCH (:CI {id: row.from})-[r]->(b) WHERE type(r) = row.type AND b.id = row.to }
MERGE (s:Sighting {source: $source, scope: $scope, subject: row.subject})
ON CREATE SET s.relFrom = row.from, s.relType = row.type, s.relTo = row.to, s.firstSeen = $at
SET s.lastSeen = $at, s.lastRun = $run, s.missed = 0, s.gen = $generation
RETURN count(*) AS n`

// cypherMissSightings sets the missed count of existing sightings; unknown
// subjects match nothing. A sighting last seen by the scope's sweep takes
// the sweep's time and run as its own first: once missed, the sweep no
// longer speaks for it.
var cypherMissSightings = `
MATCH (sc:ImportScope {source: $source, scope: $scope})
UNWIND $rows AS row
MATCH (s:Sighting {source: $source, scope: $scope, subject: row.subject})
WITH s, row, ` + sweptBy("s", "sc") + ` AS swept, sc
SET s.missed = row.missed,
    s.lastSeen = CASE WHEN swept THEN sc.sweepAt ELSE s.lastSeen END,
    s.lastRun = CASE WHEN swept THEN sc.sweepRun ELSE s.lastRun END`

// cypherForgetSightings deletes sightings of a scope; unknown subjects
// match nothing.
const cypherForgetSightings = `
UNWIND $rows AS row
MATCH (s:Sighting {source: $source, scope: $scope, subject: row.subject})
DELETE s`

// cypherDropCISightings deletes, in every scope, the sightings of a CI and
// of every relation touching it: three index seeks.
const cypherDropCISightings = `
CALL {
  MATCH (s:Sighting {subject: $id}) RETURN s
  UNION
  MATCH (s:Sighting {relFrom: $id}) RETURN s
  UNION
  MATCH (s:Sighting {relTo: $id}) RETURN s
}
DELETE s`

// cypherDropRelationSightings deletes, in every scope, the sightings of
// removed relations; rows carry their subject ids.
const cypherDropRelationSightings = `
UNWIND $rows AS row
MATCH (s:Sighting {subject: row.subject})
DELETE s`

// sightingColumns returns what decodeSighting reads, for sighting s of
// scope header sc, resolving the scope's sweep. A relation's ends and type
// are not read: its subject spells them (a scope's sightings are read
// whole by every run's planner, so every column counts).
var sightingColumns = `s.source AS source, s.scope AS scope, s.subject AS subject, s.firstSeen AS firstSeen,
       CASE WHEN ` + sweptBy("s", "sc") + ` THEN sc.sweepAt ELSE s.lastSeen END AS lastSeen,
       CASE WHEN ` + sweptBy("s", "sc") + ` THEN sc.sweepRun ELSE s.lastRun END AS lastRun,
       s.missed AS missed`

// withScope finds the header of sighting s's scope, as sc.
const withScope = `
OPTIONAL MATCH (sc:ImportScope {source: s.source, scope: s.scope})
`

// cypherSightings lists every sighting of a scope. The IS NOT NULL on the
// last property of the composite unique index lets the planner seek it by
// the (source, scope) prefix; the caller sorts.
var cypherSightings = `
OPTIONAL MATCH (sc:ImportScope {source: $source, scope: $scope})
WITH sc
MATCH (s:Sighting)
WHERE s.source = $source AND s.scope = $scope AND s.subject IS NOT NULL
RETURN ` + sightingColumns

// cypherSightingsOf lists the CI sightings of the CIs in $ids; relation
// subjects contain '|' and never equal an id.
// cypherSightingsBySubject reads the sightings of relations by subject.
var cypherSightingsBySubject = `
UNWIND $subjects AS subject
MATCH (s:Sighting {subject: subject})` + withScope + `
RETURN ` + sightingColumns

var cypherSightingsOf = `
UNWIND $ids AS id
MATCH (s:Sighting {subject: id})` + withScope + `
RETURN ` + sightingColumns

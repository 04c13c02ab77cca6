package neo4j

// Queries that read and write (:CI) nodes and their (:Identifier) nodes.
// Everything is parameterised; nothing here is spliced.

// cypherCIsByIDs returns the CI nodes among $ids.
const cypherCIsByIDs = `
UNWIND $ids AS id
MATCH (c:CI {id: id})
RETURN c`

// cypherCIClassesByIDs returns the id and class of the CIs among $ids.
const cypherCIClassesByIDs = `
UNWIND $ids AS id
MATCH (c:CI {id: id})
RETURN c.id AS id, c.class AS class`

// cypherIdentifierOwners returns the CI owning each of the identifier
// $keys that has an owner. With cypherCIsByIDs it is how a batch loads what
// it touches: the owners of its identifiers, then the CIs named by id or
// owning one of them. Two streaming statements, one row per key or CI, run
// in chunks: a single statement collecting both into one row kept, per
// row of its DISTINCT, the whole list of wanted ids, and so used memory
// quadratic in the batch (700 MiB of transaction memory for 4,000 keys).
//
// The hint pins the plan to the key's index seek: plans are cached, and
// one made while the graph was nearly empty (the start of a bulk import)
// could otherwise scan :CI and expand to identifiers once it is large.
const cypherIdentifierOwners = `
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[:identifies]->(c:CI)
USING INDEX i:Identifier(key)
RETURN key, c.id AS id`

// cypherRelationsTouching lists every relation of the CIs in $ids with the
// class of the other end, to re-check relations when a CI changes class.
// Labelling both ends :CI keeps identifier ownership edges out.
const cypherRelationsTouching = `
UNWIND $ids AS id
MATCH (c:CI {id: id})-[r]-(o:CI)
RETURN id, type(r) AS type, startNode(r) = c AS outgoing, o.id AS other, o.class AS otherClass`

// cypherCreateCIs creates new CIs; rows are complete property maps.
const cypherCreateCIs = `
UNWIND $rows AS row
CREATE (c:CI)
SET c = row`

// cypherUpdateCIs replaces the properties of existing CIs. SET c = row
// drops properties whose new value is null (attributes cleared).
const cypherUpdateCIs = `
UNWIND $rows AS row
MATCH (c:CI {id: row.id})
SET c = row`

// cypherCreateIdentifiers records ownership of identifiers that had no
// owner. CREATE, not MERGE: if a concurrent writer claimed one since our
// read, the identifier_key constraint fails the transaction instead of
// letting two CIs share it.
const cypherCreateIdentifiers = `
UNWIND $rows AS row
MATCH (c:CI {id: row.ci})
CREATE (:Identifier {key: row.key, kind: row.kind, value: row.value})-[:identifies]->(c)`

// cypherGetCI loads one CI.
const cypherGetCI = `
MATCH (c:CI {id: $id})
RETURN c`

// cypherDeleteCI removes a CI, its relations, the identifiers it owns and
// the links of records to it, and returns what the audit needs: the CI's
// properties and the relations removed. The SET comes first so that the CI
// is write-locked before its relations are read: a concurrent Relate then
// waits for this transaction instead of adding a relation that DETACH
// DELETE would remove unaudited. FOREACH keeps it one statement that
// returns a row only if the CI existed.
const cypherDeleteCI = `
MATCH (c:CI {id: $id})
SET c._lock = true
WITH c, properties(c) AS props,
     COLLECT { MATCH (c)-[r]-(o:CI) RETURN {from: startNode(r).id, type: type(r), to: endNode(r).id, createdAt: r.createdAt} } AS rels
OPTIONAL MATCH (i:Identifier)-[:identifies]->(c)
WITH c, props, rels, collect(i) AS idents
FOREACH (i IN idents | DETACH DELETE i)
DETACH DELETE c
RETURN props, rels`

// cypherLockCIHolders write-locks a CI and returns its name and the records
// that hold it: those of a kind in $rule whose state is not one of the
// kind's released states there (graph.HoldingRule). The lock is what makes
// the check and the delete that follows one step: creating or deleting a
// :links relationship locks the CI too (shared on a dense node, which still
// excludes this write lock), so a record cannot start holding the CI, or
// stop being written, between this read and the commit. A missing CI
// returns no row.
const cypherLockCIHolders = `
MATCH (c:CI {id: $id})
SET c._lock = true
WITH c
OPTIONAL MATCH (c)<-[:links]-(r:Record)
WHERE r.kind IN keys($rule) AND NOT r.state IN $rule[r.kind]
WITH c, collect(DISTINCT r) AS held
RETURN properties(c) AS props,
       [r IN held | {kind: r.kind, id: r.id, state: r.state, doc: r.doc}] AS holders`

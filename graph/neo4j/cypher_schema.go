package neo4j

// Labels and the internal relationship type. The identifier relationship is
// deliberately lower-case: catalogue relation types must match
// ^[A-Z][A-Z0-9_]*$, so no catalogue type can ever collide with it and be
// mistaken for (or traverse through) identifier ownership.
const (
	labelCI         = "CI"
	labelIdentifier = "Identifier"
	relIdentifies   = "identifies"
	schemaAwaitSecs = 300
)

// schemaCypher creates everything the store relies on; every statement is
// idempotent so Open can run it on each start, from several processes.
//
//   - ci_id: CIs are found by id everywhere; uniqueness also gives MERGE and
//     the traversal's start-node lookups an index seek.
//   - identifier_key: an (:Identifier {key: "kind:value"}) node exists once
//     per identifier, and points at its single owning CI. This is the
//     database-level guarantee that an identifier belongs to at most one CI,
//     even when two writers race past the application's own check.
//   - ci_sortkey: keyset pagination is a range seek on sortKey (see
//     propSortKey), read in index order so a page costs O(first).
//   - class/status/environment/owner: the ListCIs filters.
//   - identifier_value: the Identifier filter matches a value of any kind.
var schemaCypher = []string{
	"CREATE CONSTRAINT ci_id IF NOT EXISTS FOR (c:CI) REQUIRE c.id IS UNIQUE",
	"CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE",
	"CREATE INDEX ci_sortkey IF NOT EXISTS FOR (c:CI) ON (c.sortKey)",
	"CREATE INDEX ci_class IF NOT EXISTS FOR (c:CI) ON (c.class)",
	"CREATE INDEX ci_status IF NOT EXISTS FOR (c:CI) ON (c.status)",
	"CREATE INDEX ci_environment IF NOT EXISTS FOR (c:CI) ON (c.environment)",
	"CREATE INDEX ci_owner IF NOT EXISTS FOR (c:CI) ON (c.owner)",
	"CREATE INDEX identifier_value IF NOT EXISTS FOR (i:Identifier) ON (i.value)",
}

// awaitIndexesCypher blocks until new indexes are populated, so the first
// queries after Open are planned with them instead of scanning.
const awaitIndexesCypher = "CALL db.awaitIndexes($seconds)"

package neo4j

// Labels and the internal relationship types. The internal relationships
// are deliberately lower-case: catalogue relation types must match
// ^[A-Z][A-Z0-9_]*$, so no catalogue type can ever collide with them and be
// mistaken for (or traverse through) identifier ownership or record links.
const (
	labelCI         = "CI"
	labelIdentifier = "Identifier"
	labelRecord     = "Record"
	labelAudit      = "Audit"
	labelAuditRef   = "AuditRef"
	labelScope      = "ImportScope"
	labelSighting   = "Sighting"
	relIdentifies   = "identifies"
	relLinks        = "links"
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
//   - record_kind_id: a record is (kind, id); kinds are separate namespaces.
//     The backing composite index also serves ListRecords: equality on kind,
//     range on id, read in (descending) index order.
//   - record_kind_state: the States filter.
//   - audit_id: History joins its AuditRef rows to the entries by id.
//   - graph_version_key: one (:GraphVersion) node (version.go); MERGE on
//     it is safe from several writers only with the constraint.
//   - auditref_about_entry: History is an equality seek on about and a
//     descending range on entryId, read in index order (see cypher_audit.go).
//   - importscope_key: one ledger header per (source, scope); MERGE on it
//     is what makes two first runs of a scope meet on one node.
//   - sighting_key: one sighting per (source, scope, subject); its index
//     also serves Sightings by the (source, scope) prefix.
//   - sighting_subject/relfrom/relto: SightingsOf, and dropping sightings
//     when a CI or a relation goes (see cypher_ledger.go).
var schemaCypher = []string{
	"CREATE CONSTRAINT ci_id IF NOT EXISTS FOR (c:CI) REQUIRE c.id IS UNIQUE",
	"CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE",
	"CREATE INDEX ci_sortkey IF NOT EXISTS FOR (c:CI) ON (c.sortKey)",
	"CREATE INDEX ci_class IF NOT EXISTS FOR (c:CI) ON (c.class)",
	"CREATE INDEX ci_status IF NOT EXISTS FOR (c:CI) ON (c.status)",
	"CREATE INDEX ci_environment IF NOT EXISTS FOR (c:CI) ON (c.environment)",
	"CREATE INDEX ci_owner IF NOT EXISTS FOR (c:CI) ON (c.owner)",
	"CREATE INDEX identifier_value IF NOT EXISTS FOR (i:Identifier) ON (i.value)",
	"CREATE CONSTRAINT record_kind_id IF NOT EXISTS FOR (r:Record) REQUIRE (r.kind, r.id) IS UNIQUE",
	"CREATE INDEX record_kind_state IF NOT EXISTS FOR (r:Record) ON (r.kind, r.state)",
	"CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (a:Audit) REQUIRE a.id IS UNIQUE",
	"CREATE CONSTRAINT graph_version_key IF NOT EXISTS FOR (v:GraphVersion) REQUIRE v.key IS UNIQUE",
	"CREATE INDEX auditref_about_entry IF NOT EXISTS FOR (x:AuditRef) ON (x.about, x.entryId)",
	"CREATE CONSTRAINT importscope_key IF NOT EXISTS FOR (s:ImportScope) REQUIRE (s.source, s.scope) IS UNIQUE",
	"CREATE CONSTRAINT sighting_key IF NOT EXISTS FOR (s:Sighting) REQUIRE (s.source, s.scope, s.subject) IS UNIQUE",
	"CREATE INDEX sighting_subject IF NOT EXISTS FOR (s:Sighting) ON (s.subject)",
	"CREATE INDEX sighting_relfrom IF NOT EXISTS FOR (s:Sighting) ON (s.relFrom)",
	"CREATE INDEX sighting_relto IF NOT EXISTS FOR (s:Sighting) ON (s.relTo)",
}

// awaitIndexesCypher blocks until new indexes are populated, so the first
// queries after Open are planned with them instead of scanning.
const awaitIndexesCypher = "CALL db.awaitIndexes($seconds)"

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
//   - audit_id: one entry per id; GraphChanges is a range seek on it.
//   - audit_subject_id/relfrom_id/relto_id: History and Timelines are
//     equality seeks on what an entry is about (its subject, a relation's
//     ends) with a range on id, read in index order (see cypher_audit.go).
//   - graph_version_key: one (:GraphVersion) node per key, the version's
//     shards (version.go); MERGE on them is safe from several writers
//     only with the constraint.
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
	"CREATE INDEX audit_subject_id IF NOT EXISTS FOR (a:Audit) ON (a.subjectId, a.id)",
	"CREATE INDEX audit_relfrom_id IF NOT EXISTS FOR (a:Audit) ON (a.relFrom, a.id)",
	"CREATE INDEX audit_relto_id IF NOT EXISTS FOR (a:Audit) ON (a.relTo, a.id)",
	"CREATE CONSTRAINT graph_version_key IF NOT EXISTS FOR (v:GraphVersion) REQUIRE v.key IS UNIQUE",
	"CREATE CONSTRAINT importscope_key IF NOT EXISTS FOR (s:ImportScope) REQUIRE (s.source, s.scope) IS UNIQUE",
	"CREATE CONSTRAINT sighting_key IF NOT EXISTS FOR (s:Sighting) REQUIRE (s.source, s.scope, s.subject) IS UNIQUE",
	"CREATE INDEX sighting_subject IF NOT EXISTS FOR (s:Sighting) ON (s.subject)",
	"CREATE INDEX sighting_relfrom IF NOT EXISTS FOR (s:Sighting) ON (s.relFrom)",
	"CREATE INDEX sighting_relto IF NOT EXISTS FOR (s:Sighting) ON (s.relTo)",
}

// The audit trail of a database written before issue 11 had one
// (:AuditRef {about, entryId}) node per id an entry was about, and a
// relation entry's ends only in its about list. migrateAuditCypher gives
// such relation entries relFrom and relTo (about is [subject, from, to]),
// then the refs go, then their index. Each step is idempotent and runs in
// transactions of bounded size (auto-commit: CALL IN TRANSACTIONS), and
// the refs go last, so an interrupted migration is finished by the next
// start: it runs while any AuditRef is left.
var migrateAuditCypher = []string{
	`MATCH (a:Audit) WHERE a.subjectKind = 'RELATION' AND a.relFrom IS NULL AND size(a.about) = 3
CALL { WITH a SET a.relFrom = a.about[1], a.relTo = a.about[2] } IN TRANSACTIONS OF 10000 ROWS`,
	"MATCH (x:AuditRef) CALL { WITH x DELETE x } IN TRANSACTIONS OF 10000 ROWS",
	"DROP INDEX auditref_about_entry IF EXISTS",
}

// oldAuditCypher finds an AuditRef, the mark of the shape before issue 11.
const oldAuditCypher = "MATCH (x:AuditRef) RETURN count(x) > 0 AS old LIMIT 1"

// awaitIndexesCypher blocks until new indexes are populated, so the first
// queries after Open are planned with them instead of scanning.
const awaitIndexesCypher = "CALL db.awaitIndexes($seconds)"

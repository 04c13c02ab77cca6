// Package neo4j is the production graph.Store, backed by a Neo4j server
// (5.6 or later: COUNT and COLLECT subqueries) reached over Bolt.
//
// The model:
//
//	(:CI {id, name, nameLower, sortKey, class, status, criticality,
//	      environment, owner, attrs, identifiers, createdAt, updatedAt})
//	(:CI)-[:DEPENDS_ON|RUNS_ON|... {createdAt}]->(:CI)
//	(:Identifier {key, kind, value})-[:identifies]->(:CI)
//	(:Record {kind, id, version, state, start, end, refs, links, doc,
//	          createdAt, updatedAt})-[:links {role}]->(:CI)
//	(:Audit {id, at, actor, importRun, action, subjectKind, subjectId,
//	         relFrom, relTo, before, after})
//	(:ImportScope {source, scope, generation, lastRun, lastApplied})
//	(:Sighting {source, scope, subject, ci | relFrom, relType, relTo,
//	            firstSeen, lastSeen, lastRun, missed})
//
// Relations are real typed relationships, so traversals run inside Neo4j.
// Attributes and the ordered identifier list are JSON strings; times are
// int64 Unix microseconds, which round-trip graph.Now() exactly. Identifier
// nodes exist so that a uniqueness constraint on their key makes "an
// identifier belongs to at most one CI" a property of the database, not
// only of this code.
//
// ITSM records sit beside the graph (cypher_record.go): their links to CIs
// are relationships of the lower-case type links, which no catalogue type
// can be, so "records on this CI" is a graph query that traversals and
// relation listings never see. Every changing write appends its audit
// entries in the transaction that makes the change (audit.go,
// cypher_audit.go), one node per entry; composite indexes on its subject
// and a relation's ends (each with the entry id) make History an index
// seek per id.
//
// The import ledger (ledger.go, cypher_ledger.go) keeps, per import scope,
// a header fencing concurrent runs and one Sighting node per CI or
// relation the scope's source reported. CI provenance is a JSON string
// property beside the attributes.
//
// Every query is parameterised. Relation type names, which Cypher cannot
// take as parameters, are spliced only as relType values produced by
// checkRelType (catalogue and name pattern). Queries live in one file per
// concern (cypher_*.go); the Go that runs them sits next to them. Driver
// errors are mapped to graph error codes in errors.go and nowhere else.
package neo4j

package neo4j

import "github.com/ripple-cmdb/ripple/graph"

// Queries on ITSM records. The model:
//
//	(:Record {kind, id, version, state, start, end, refs, links, doc,
//	          createdAt, updatedAt})
//	(:Record)-[:links {role}]->(:CI)
//
// start and end are int64 Unix microseconds, absent when open-ended; refs
// is a list of strings; links (the ordered [{role, ci}] list) and doc are
// JSON strings. The links property is what GetRecord returns, exactly as
// written; the :links relationships mirror it so that "records on this CI"
// is a graph query. DeleteCI removes a CI's :links relationships with it
// but leaves the records' links property alone: a record only changes
// through PutRecord, with a new version and an audit entry, so it still
// names the deleted CI (as its document does) and no longer matches that
// CI in ListRecords. Everything here is parameterised; nothing is spliced.

// cypherLockRecord finds a record and takes its write lock before reading
// it. Neo4j does not lock what a transaction reads: without the SET, two
// writers could both read version n, both pass the check and both write
// n+1, the later silently overwriting the earlier. With it the second
// blocks until the first commits, then reads n+1 and fails the check. The
// property never commits: the write that follows replaces every property
// (SET r = row) or deletes the node, and a failed check rolls back.
const cypherLockRecord = `
MATCH (r:Record {kind: $kind, id: $id})
SET r._lock = true
RETURN r.version AS version, r.doc AS doc, r.createdAt AS createdAt, r.links AS links`

// cypherFoundCIs returns which of $ids are CIs.
const cypherFoundCIs = `
UNWIND $ids AS id
MATCH (c:CI {id: id})
RETURN collect(id) AS found`

// cypherCreateRecord creates a record and its links, counting the links
// made: fewer than asked means a CI vanished since it was checked. With no
// links the UNWIND yields no rows and count(*) still returns one row (0).
const cypherCreateRecord = `
CREATE (r:Record)
SET r = $row
WITH r
UNWIND $links AS l
MATCH (c:CI {id: l.ci})
CREATE (r)-[:links {role: l.role}]->(c)
RETURN count(*) AS linked`

// cypherUpdateRecord replaces a record's properties and links.
const cypherUpdateRecord = `
MATCH (r:Record {kind: $kind, id: $id})
SET r = $row
WITH r
OPTIONAL MATCH (r)-[old:links]->()
DELETE old
WITH DISTINCT r
UNWIND $links AS l
MATCH (c:CI {id: l.ci})
CREATE (r)-[:links {role: l.role}]->(c)
RETURN count(*) AS linked`

// cypherDeleteRecord removes a record and its links.
const cypherDeleteRecord = `
MATCH (r:Record {kind: $kind, id: $id})
DETACH DELETE r`

// cypherGetRecord loads one record.
const cypherGetRecord = `
MATCH (r:Record {kind: $kind, id: $id})
RETURN r`

// cypherRecordsByIDs loads the records of a kind among $ids.
const cypherRecordsByIDs = `
UNWIND $ids AS id
MATCH (r:Record {kind: $kind, id: id})
RETURN r`

// recordListFilter says which ListRecords filters are set and how the page
// is read. The query text depends only on these; every value travels as a
// parameter.
type recordListFilter struct {
	states, ci, ref, from, to bool
	// sort is the listing's sort (SortCreated when empty).
	sort graph.RecordSort
	// desc reads the order descending: a descending listing paged
	// forward, or an ascending one paged back (the caller then puts the
	// page back in order).
	desc bool
	// cursor adds the keyset condition: after ($cursorKey, $cursorId) in
	// the reading order. Creation order always has it ($cursorId "" or
	// historyTop on the first page), which keeps its plan an index seek.
	cursor bool
}

// cypherListRecords builds the page and count queries for a filter.
//
// Creation order is id order (UUIDv7 ids are creation-ordered), and the
// keyset condition is r.id < $cursorId (> ascending). The planner answers
// it from the record_kind_id index: equality on kind, range on id, read in
// index order and stopped after $limit (page size + 1) rows. The ORDER BY
// names kind, though it is fixed, because only an order on the whole index
// key lets the planner use the index order instead of sorting every record
// of the kind (pinned by TestRecordListPlanReadsIndexOrder). With the CI
// filter the query starts at the CI and follows its :links relationships,
// so it costs the CI's degree, not the number of records.
//
// The other orders sort on (key, id), the key being updatedAt or start
// (records without one get $noStart, which puts them last): a top-k sort
// of the matching records, no index order. The keyset condition compares
// the pair.
//
// The time filter is RecordFilter.Overlaps on stored microseconds: a
// record is out when it starts after $to or ends before $from, and an
// absent start or end is unbounded. $to is rounded down and $from up to
// whole microseconds, which keeps the comparison exact for every stored
// value.
func cypherListRecords(f recordListFilter) (page, count string) {
	match := "MATCH (r:Record {kind: $kind})"
	if f.ci {
		// A record may link the same CI in several roles, hence DISTINCT.
		match = "MATCH (:CI {id: $ci})<-[:links]-(r:Record {kind: $kind})\nWITH DISTINCT r"
	}
	op, dir := ">", ""
	if f.desc {
		op, dir = "<", " DESC"
	}
	var keyset, order string
	switch f.sort {
	case graph.SortUpdated, graph.SortStart:
		key := "r." + propUpdatedAt
		if f.sort == graph.SortStart {
			key = "coalesce(r." + propRecStart + ", $noStart)"
		}
		if f.cursor {
			keyset = "(" + key + " " + op + " $cursorKey OR (" + key + " = $cursorKey AND r.id " + op + " $cursorId))"
		}
		order = key + dir + ", r.id" + dir
	default:
		keyset = "r.id " + op + " $cursorId"
		order = "r.kind" + dir + ", r.id" + dir
	}
	return listingQueries(match, "r", recordConditions(f), keyset, order)
}

// recordConditions are a record filter's conditions on r beyond its kind
// and CI, with the parameters recordFilterParams sets.
func recordConditions(f recordListFilter) []cypherFilter {
	return []cypherFilter{
		{f.states, "r.state IN $states"},
		{f.ref, "$ref IN r.refs"},
		{f.to, "(r.start IS NULL OR r.start <= $to)"},
		{f.from, "(r.end IS NULL OR r.end >= $from)"},
	}
}

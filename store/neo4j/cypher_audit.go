package neo4j

// Queries on the audit trail. The model:
//
//	(:Audit {id, at, actor, importRun, action, subjectKind, subjectId, about, before, after})
//	(:AuditRef {about, entryId})   one per id in the entry's about list
//
// An entry is written once, whole; its about list stays on it for the
// record. History cannot use that list (a list property cannot be indexed
// for membership), so each id the entry is about gets a two-property
// AuditRef row, and the composite index auditref_about_entry turns "the
// history of X, newest first, after this cursor" into an equality seek on
// about plus a descending range on entryId read in index order: a page
// costs O(first) whatever the length of the history. Entry ids come from
// graph.NewID (UUIDv7), so id order is creation order.
//
// AuditRef rows reference their entry by id rather than by a relationship:
// writing a row is then one node and one index entry, and the read joins
// at most first+1 rows through the audit_id unique index.

// cypherWriteAudit appends entries; rows are complete property maps with
// before/after null where absent (null properties are simply not stored).
const cypherWriteAudit = `
UNWIND $rows AS row
CREATE (a:Audit)
SET a = row
WITH row
UNWIND row.about AS about
CREATE (:AuditRef {about: about, entryId: row.id})`

// cypherHistoryPage selects the AuditRef rows of one page of an id's
// history, newest first. $before is the cursor's entry id, or historyTop
// (above every id) on the first page, so the query has one shape and one
// plan; $limit is first+1. Ordering by about as well as entryId, though
// about is fixed, is what lets the planner read the composite index in
// descending order and stop after $limit rows instead of sorting the whole
// history (pinned by TestHistoryPlanReadsIndexOrder).
const cypherHistoryPage = `
MATCH (x:AuditRef {about: $about})
WHERE x.entryId < $before
WITH x
ORDER BY x.about DESC, x.entryId DESC
LIMIT $limit`

// cypherHistory joins the page to its entries. The final sort is over at
// most $limit rows.
const cypherHistory = cypherHistoryPage + `
MATCH (a:Audit {id: x.entryId})
RETURN a
ORDER BY a.id DESC`

// historyTop sorts above every entry id: ids are lower-case UUIDs (hex
// digits and dashes), all below "~".
const historyTop = "~"

// cypherTimelineFirst returns each id's oldest entry: one seek on
// auditref_about_entry per id, read in ascending order and stopped after
// one row.
const cypherTimelineFirst = `
UNWIND $ids AS id
CALL {
  WITH id
  MATCH (x:AuditRef {about: id})
  WITH x
  ORDER BY x.about, x.entryId
  LIMIT 1
  RETURN x.entryId AS entryId
}
MATCH (a:Audit {id: entryId})
RETURN id, a`

// cypherTimelineSince returns the entries about each id after $since: a
// range seek on auditref_about_entry from $floor (graph.AuditIDFloor), so
// history older than the instant is never read.
const cypherTimelineSince = `
UNWIND $ids AS id
MATCH (x:AuditRef {about: id})
WHERE x.entryId >= $floor
MATCH (a:Audit {id: x.entryId})
WHERE a.at > $since AND a.subjectKind IN $kinds
RETURN id, a
ORDER BY a.id`

// cypherGraphChanges pages through CI and relation entries in (from, to]
// by id: a range seek on the audit_id index from $floor (the greater of
// the cursor and graph.AuditIDFloor(from)), read in index order.
const cypherGraphChanges = `
MATCH (a:Audit)
WHERE a.id > $floor AND a.at > $from AND a.at <= $to AND a.subjectKind IN $kinds
RETURN a
ORDER BY a.id
LIMIT $limit`

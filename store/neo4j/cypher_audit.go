package neo4j

// Queries on the audit trail. The model:
//
//	(:Audit {id, at, actor, action, subjectKind, subjectId, about, before, after})
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

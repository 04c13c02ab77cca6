package neo4j

// Queries on the audit trail. The model:
//
//	(:Audit {id, at, actor, importRun, action, subjectKind, subjectId,
//	         relFrom, relTo, before, after})
//
// One node per change, written once, whole, by one CREATE per batch
// (cypherWriteAudit), and nothing else: no row per id it is about. An
// entry is about its subject and, for a relation, its two ends, and each
// of the three has a composite index with the entry id (schema.go):
//
//	audit_subject_id (subjectId, id)   CI, record and relation histories
//	audit_relfrom_id (relFrom, id)     relations, under the CI they start at
//	audit_relto_id   (relTo, id)       relations, under the CI they end at
//
// so "the history of X after this cursor, newest first" is at most three
// equality seeks with a range on id, each read in index order and stopped
// after $limit rows, merged: a page costs O(first) whatever the length of
// the history. Entry ids come from graph.NewID (UUIDv7), so id order is
// creation order. relFrom and relTo are absent on CI and record entries,
// which are therefore not in those two indexes at all.
//
// Before issue 11 each entry also had one (:AuditRef {about, entryId})
// node per id it was about (three per relation entry): 16 refs and 6
// entries per CI for a bulk load of an estate with five relations per CI,
// most of the audit's cost. schema.go migrates such a database on start.

// cypherWriteAudit appends entries; rows are complete property maps with
// absent values null (null properties are simply not stored).
const cypherWriteAudit = `
UNWIND $rows AS row
CREATE (a:Audit)
SET a = row`

// auditIndexHint pins a read to a seek on the composite index of prop and
// id (not a scan of it in order, which it picks on a small trail). The
// planner would otherwise pick the audit_id range (few entries per id
// look cheap to filter on a young trail) or, in a subquery run per id, a
// label scan; the plan is then cached and kept as the trail grows.
func auditIndexHint(prop string) string {
	return "USING INDEX SEEK a:" + labelAudit + "(" + prop + ", " + propID + ")"
}

// auditSeek is one index-ordered page of the entries whose prop equals
// $about, newest first, below the cursor $before. Ordering by the
// equality property as well as id, though it is fixed, is what lets the
// planner read the composite index in descending order and stop after
// $limit rows instead of sorting the whole history (pinned by
// TestHistoryPlanReadsIndexOrder).
func auditSeek(prop string) string {
	return `
  MATCH (a:Audit) ` + auditIndexHint(prop) + `
  WHERE a.` + prop + ` = $about AND a.id < $before
  WITH a ORDER BY a.` + prop + ` DESC, a.id DESC LIMIT $limit
  RETURN a`
}

// cypherHistoryRelation is a page of a relation's history: one seek.
var cypherHistoryRelation = `
CALL {` + auditSeek(propAuditSubjectID) + `
}
RETURN a
ORDER BY a.id DESC`

// cypherHistory is a page of a CI's or record's history: the entries with
// it as subject, plus those of relations starting or ending at it. Each
// branch reads at most $limit rows; the final sort is over at most three
// times that. $before is the cursor's entry id, or historyTop (above every
// id) on the first page, so the query has one shape and one plan; $limit
// is first+1.
var cypherHistory = `
CALL {` + auditSeek(propAuditSubjectID) + `
  UNION` + auditSeek(propAuditRelFrom) + `
  UNION` + auditSeek(propAuditRelTo) + `
}
RETURN a
ORDER BY a.id DESC
LIMIT $limit`

// historyTop sorts above every entry id: ids are lower-case UUIDs (hex
// digits and dashes), all below "~".
const historyTop = "~"

// firstSeek returns the oldest entry whose prop equals id: the composite
// index read in ascending order, stopped after one row.
func firstSeek(prop string) string {
	return `
    WITH id
    MATCH (a:Audit) ` + auditIndexHint(prop) + `
    WHERE a.` + prop + ` = id AND a.id IS NOT NULL
    WITH a ORDER BY a.` + prop + `, a.id LIMIT 1
    RETURN a`
}

// firstWithoutValues returns an oldest entry as a map of its properties
// without its values: a timeline's first entry carries none, and a CI's
// is its creation, whose after is the whole CI.
const firstWithoutValues = `
RETURN id, a {.*, ` + propAuditBefore + `: null, ` + propAuditAfter + `: null} AS a`

// cypherTimelineFirstRelation returns each relation id's oldest entry.
var cypherTimelineFirstRelation = `
UNWIND $ids AS id
CALL {` + firstSeek(propAuditSubjectID) + `
}` + firstWithoutValues

// cypherTimelineFirst returns each CI id's oldest entry: the oldest of the
// three seeks' oldest.
var cypherTimelineFirst = `
UNWIND $ids AS id
CALL {
  WITH id
  CALL {` + firstSeek(propAuditSubjectID) + `
    UNION` + firstSeek(propAuditRelFrom) + `
    UNION` + firstSeek(propAuditRelTo) + `
  }
  WITH a ORDER BY a.id LIMIT 1
  RETURN a
}` + firstWithoutValues

// sinceSeek returns the entries whose prop equals id from $floor on (a
// range seek: graph.AuditIDFloor, so history older than the instant is
// never read).
func sinceSeek(prop string) string {
	return `
  WITH id
  MATCH (a:Audit) ` + auditIndexHint(prop) + `
  WHERE a.` + prop + ` = id AND a.id >= $floor
  RETURN a`
}

// oldestOfEachSubject keeps, of the graph entries (id, a) after $since,
// the oldest of each subject, in id order: only those cross the wire, so
// a CI updated daily sends one entry whatever the years since.
const oldestOfEachSubject = `
WITH id, a WHERE a.at > $since AND a.subjectKind IN $kinds
WITH id, a ORDER BY a.id
WITH id, a.subjectId AS subject, collect(a)[0] AS a
RETURN id, a
ORDER BY a.id`

// cypherTimelineSinceRelation returns, of the entries about each relation
// id after $since, the oldest.
var cypherTimelineSinceRelation = `
UNWIND $ids AS id
CALL {` + sinceSeek(propAuditSubjectID) + `
}` + oldestOfEachSubject

// cypherTimelineSince returns, of the entries about each CI id after
// $since, the oldest of each subject. The three seeks cannot meet on one
// entry (a relation's subject id never equals a CI id, and a relation
// never joins a CI to itself).
var cypherTimelineSince = `
UNWIND $ids AS id
CALL {` + sinceSeek(propAuditSubjectID) + `
  UNION ALL` + sinceSeek(propAuditRelFrom) + `
  UNION ALL` + sinceSeek(propAuditRelTo) + `
}` + oldestOfEachSubject

// cypherGraphChanges pages through CI and relation entries in (from, to]
// by id: a range seek on the audit_id index from $floor (the greater of
// the cursor and graph.AuditIDFloor(from)), read in index order.
const cypherGraphChanges = `
MATCH (a:Audit)
WHERE a.id > $floor AND a.at > $from AND a.at <= $to AND a.subjectKind IN $kinds
RETURN a
ORDER BY a.id
LIMIT $limit`

package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Property names of (:Audit) nodes.
const (
	propAuditAt          = "at"
	propAuditActor       = "actor"
	propAuditImportRun   = "importRun"
	propAuditAction      = "action"
	propAuditSubjectKind = "subjectKind"
	propAuditSubjectID   = "subjectId"
	propAuditRelFrom     = "relFrom"
	propAuditRelTo       = "relTo"
	propAuditRelCreated  = "relCreatedAt"
	propAuditBefore      = "before"
	propAuditAfter       = "after"
)

// auditChange is one audit entry to write: what changed, from what to
// what. The id, time and actor are assigned by writeAudit. An entry is
// about its subject and, for a relation, both ends (relFrom, relTo): the
// ids its History shows under, each found through its own index.
type auditChange struct {
	action      graph.AuditAction
	subjectKind graph.AuditSubject
	subjectID   string
	relFrom     string // relation entries only
	relTo       string
	// relCreated is a relation's creation time: with its subject, all of
	// the relation, so its entries store no JSON (relationValue rebuilds
	// it) and a bulk load writes a third less into the string store.
	relCreated time.Time
	before     []byte // nil for a create
	after      []byte // nil for a delete
}

// ciChange audits a CI: CREATE (before nil), UPDATE, or DELETE (after nil).
func ciChange(action graph.AuditAction, before, after *graph.CI) (auditChange, error) {
	c := auditChange{action: action, subjectKind: graph.SubjectCI}
	for _, ci := range []*graph.CI{before, after} {
		if ci != nil {
			c.subjectID = ci.ID
		}
	}
	var err error
	if c.before, err = marshalOrNil(before); err != nil {
		return auditChange{}, fmt.Errorf("audit CI %s: %w", c.subjectID, err)
	}
	if c.after, err = marshalOrNil(after); err != nil {
		return auditChange{}, fmt.Errorf("audit CI %s: %w", c.subjectID, err)
	}
	return c, nil
}

// relationChange audits a relation: RELATE (the relation is the after
// value) or UNRELATE (the before value). Its history shows under the
// relation's subject id and under both CIs.
func relationChange(action graph.AuditAction, rel graph.Relation) (auditChange, error) {
	return auditChange{action: action, subjectKind: graph.SubjectRelation, subjectID: graph.RelationSubjectID(rel.Key()),
		relFrom: rel.From, relTo: rel.To, relCreated: rel.CreatedAt}, nil
}

// relationValue rebuilds the before (UNRELATE) or after (RELATE) value of
// a relation entry stored without JSON: the bytes json.Marshal gave for
// the relation when entries still stored them.
func relationValue(e *graph.AuditEntry, createdMicros int64) error {
	parts := strings.Split(e.SubjectID, relationSubjectSep)
	if len(parts) != 3 {
		return fmt.Errorf("relation entry %s: subject %q is not from|TYPE|to", e.ID, e.SubjectID)
	}
	b, err := json.Marshal(graph.Relation{From: parts[0], Type: parts[1], To: parts[2], CreatedAt: fromMicros(createdMicros)})
	if err != nil {
		return fmt.Errorf("relation entry %s: %w", e.ID, err)
	}
	if e.Action == graph.ActionUnrelate {
		e.Before = b
	} else {
		e.After = b
	}
	return nil
}

// relationSubjectSep separates the parts of graph.RelationSubjectID.
var relationSubjectSep = graph.RelationSubjectID(graph.RelationKey{})[:1]

// recordChange audits a record; before and after are its documents, kept
// byte for byte.
func recordChange(action graph.AuditAction, kind graph.RecordKind, id string, before, after []byte) auditChange {
	return auditChange{action: action, subjectKind: graph.AuditSubject(kind), subjectID: id,
		before: before, after: after}
}

func marshalOrNil(ci *graph.CI) ([]byte, error) {
	if ci == nil {
		return nil, nil
	}
	return json.Marshal(ci)
}

// author is who the entries of a write are attributed to: the actor and,
// for an import's writes, its run. It is read from the caller's context
// before the transaction starts.
type author struct{ actor, importRun string }

func authorOf(ctx context.Context) author {
	return author{actor: graph.ActorFrom(ctx), importRun: graph.ImportRunFrom(ctx)}
}

// writeAudit appends the changes, in order, in the caller's transaction:
// the entries commit or roll back with the change they describe. Ids are
// drawn in order from graph.NewID, which is monotonic within the process,
// so a later change sorts newer in History. It must be called from inside
// the transaction function so that a retried transaction draws fresh ids.
func writeAudit(ctx context.Context, tx neo4j.ManagedTransaction, by author, at time.Time, changes []auditChange) error {
	if len(changes) == 0 {
		return nil
	}
	if err := bumpGraphVersion(ctx, tx, changes); err != nil {
		return fmt.Errorf("bump graph version: %w", err)
	}
	// The run is a property of the entry, written by the same statement:
	// null (not stored) outside imports.
	var importRun any
	if by.importRun != "" {
		importRun = by.importRun
	}
	rows := make([]map[string]any, len(changes))
	for i, c := range changes {
		rows[i] = map[string]any{
			propID:               graph.NewID(),
			propAuditAt:          at.UnixMicro(),
			propAuditActor:       by.actor,
			propAuditImportRun:   importRun,
			propAuditAction:      string(c.action),
			propAuditSubjectKind: string(c.subjectKind),
			propAuditSubjectID:   c.subjectID,
			propAuditRelFrom:     nilIfEmpty(c.relFrom),
			propAuditRelTo:       nilIfEmpty(c.relTo),
			propAuditRelCreated:  microsOrNil(c.relCreated),
			propAuditBefore:      stringOrNil(c.before),
			propAuditAfter:       stringOrNil(c.after),
		}
	}
	return execRows(ctx, tx, "write audit entries", cypherWriteAudit, rows)
}

func microsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// nilIfEmpty stores nothing for an empty string: an entry that is not
// about a relation has no relFrom or relTo, and so no entry in their
// indexes.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func stringOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// History returns the audit entries about an id, newest first.
func (s *Store) History(ctx context.Context, about string, p graph.Page) (graph.AuditPage, error) {
	p, before, err := graph.CheckHistory(about, p)
	if err != nil {
		return graph.AuditPage{}, err
	}
	if before == "" {
		before = historyTop
	}
	params := map[string]any{"about": about, "before": before, "limit": int64(p.First + 1)}
	cypher := cypherHistory
	if isRelationSubject(about) {
		cypher = cypherHistoryRelation
	}
	return readTx(ctx, s, "read history", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.AuditPage, error) {
		var out graph.AuditPage
		var err error
		out.Entries, out.HasNextPage, _, err = collectPage(ctx, tx, cypher, params, p, func(rec *neo4j.Record) (graph.AuditEntry, error) {
			return nodeColumn(rec, "a", auditFromNode)
		})
		return out, err
	})
}

// auditFromNode decodes an (:Audit) node written by writeAudit.
func auditFromNode(n neo4j.Node) (graph.AuditEntry, error) {
	f := nodeFields(n)
	e := graph.AuditEntry{
		ID:          f.str(propID),
		Actor:       f.str(propAuditActor),
		ImportRun:   f.optStr(propAuditImportRun),
		Action:      graph.AuditAction(f.str(propAuditAction)),
		SubjectKind: graph.AuditSubject(f.str(propAuditSubjectKind)),
		SubjectID:   f.str(propAuditSubjectID),
		Before:      f.optRaw(propAuditBefore),
		After:       f.optRaw(propAuditAfter),
		At:          f.micros(propAuditAt),
	}
	// The entry is about its subject and a relation's ends. Entries
	// written before issue 11 also hold that list as "about"; the
	// migration (schema.go) gave them relFrom and relTo.
	e.About = []string{e.SubjectID}
	if from := f.optStr(propAuditRelFrom); from != "" {
		e.About = append(e.About, from, f.optStr(propAuditRelTo))
	}
	created := f.optMicros(propAuditRelCreated)
	if f.err != nil {
		return graph.AuditEntry{}, fmt.Errorf("decode audit node %s: %w", n.ElementId, f.err)
	}
	// Relation entries written since issue 11 keep the creation time, not
	// the JSON; older ones keep the JSON.
	if created != nil && e.Before == nil && e.After == nil {
		if err := relationValue(&e, created.UnixMicro()); err != nil {
			return graph.AuditEntry{}, err
		}
	}
	return e, nil
}

// graphKinds are the subject kinds of graph (not record) entries.
var graphKinds = []string{string(graph.SubjectCI), string(graph.SubjectRelation)}

// Timelines returns each id's oldest entry (without its values) and, of
// each subject among its entries after since, the oldest; see
// graph.GraphHistory.
func (s *Store) Timelines(ctx context.Context, ids []string, since time.Time) (map[string]graph.Timeline, error) {
	if err := graph.CheckTimelines(ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return map[string]graph.Timeline{}, nil
	}
	var ciIDs, relIDs []string
	for _, id := range ids {
		if isRelationSubject(id) {
			relIDs = append(relIDs, id)
		} else {
			ciIDs = append(ciIDs, id)
		}
	}
	queries := []struct {
		ids          []string
		first, since string
	}{
		{ciIDs, cypherTimelineFirst, cypherTimelineSince},
		{relIDs, cypherTimelineFirstRelation, cypherTimelineSinceRelation},
	}
	return readTx(ctx, s, "read timelines", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string]graph.Timeline, error) {
		out := make(map[string]graph.Timeline, len(ids))
		for _, q := range queries {
			for start := 0; start < len(q.ids); start += maxRowsPerStatement {
				chunk := q.ids[start:min(start+maxRowsPerStatement, len(q.ids))]
				if err := readTimelines(ctx, tx, q.first, q.since, chunk, since, out); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	})
}

// readTimelines adds the timelines of ids to out: their oldest entries,
// then the graph entries after since of those that have one.
func readTimelines(ctx context.Context, tx neo4j.ManagedTransaction, first, sinceCypher string, ids []string, since time.Time, out map[string]graph.Timeline) error {
	err := collect(ctx, tx, first, map[string]any{"ids": ids}, func(rec *neo4j.Record) error {
		id, e, err := firstRow(rec)
		if err == nil && e.IsGraphEntry() {
			out[id] = graph.Timeline{First: e}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read oldest entries: %w", err)
	}
	params := map[string]any{"ids": ids, "floor": graph.AuditIDFloor(since), "since": since.UnixMicro(), "kinds": graphKinds}
	err = collect(ctx, tx, sinceCypher, params, func(rec *neo4j.Record) error {
		id, e, err := timelineRow(rec)
		if tl, ok := out[id]; ok && err == nil {
			tl.Since = append(tl.Since, e)
			out[id] = tl
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read entries since %s: %w", since.Format(time.RFC3339Nano), err)
	}
	return nil
}

// isRelationSubject tells a relation's subject id (from|TYPE|to) from a CI
// or record id: only the former contains the separator.
func isRelationSubject(about string) bool {
	return strings.Contains(about, relationSubjectSep)
}

// firstRow reads a row of the oldest-entry queries: the id and the entry's
// properties without its values (firstWithoutValues), decoded as the node.
func firstRow(rec *neo4j.Record) (string, graph.AuditEntry, error) {
	id, _, err := neo4j.GetRecordValue[string](rec, "id")
	if err != nil {
		return "", graph.AuditEntry{}, fmt.Errorf("read id: %w", err)
	}
	props, isNil, err := neo4j.GetRecordValue[map[string]any](rec, "a")
	if err == nil && isNil {
		err = fmt.Errorf("unexpected null")
	}
	if err != nil {
		return "", graph.AuditEntry{}, fmt.Errorf("read a: %w", err)
	}
	e, err := auditFromNode(neo4j.Node{Props: props})
	// A relation entry's value is rebuilt from its creation time; the
	// first entry carries none.
	e.Before, e.After = nil, nil
	return id, e, err
}

func timelineRow(rec *neo4j.Record) (string, graph.AuditEntry, error) {
	id, _, err := neo4j.GetRecordValue[string](rec, "id")
	if err != nil {
		return "", graph.AuditEntry{}, fmt.Errorf("read id: %w", err)
	}
	e, err := nodeColumn(rec, "a", auditFromNode)
	return id, e, err
}

// GraphChanges returns CI and relation entries in (from, to], oldest
// first; see graph.GraphHistory.
func (s *Store) GraphChanges(ctx context.Context, from, to time.Time, p graph.Page) (graph.AuditPage, error) {
	p, after, err := graph.CheckGraphChanges(from, to, p)
	if err != nil {
		return graph.AuditPage{}, err
	}
	// AuditIDFloor is a bare timestamp prefix, below every id of its
	// millisecond, so "a.id > floor" keeps them.
	floor := max(after, graph.AuditIDFloor(from))
	params := map[string]any{"floor": floor, "from": from.UnixMicro(), "to": to.UnixMicro(),
		"kinds": graphKinds, "limit": int64(p.First + 1)}
	return readTx(ctx, s, "read graph changes", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.AuditPage, error) {
		var out graph.AuditPage
		var err error
		out.Entries, out.HasNextPage, _, err = collectPage(ctx, tx, cypherGraphChanges, params, p, func(rec *neo4j.Record) (graph.AuditEntry, error) {
			return nodeColumn(rec, "a", auditFromNode)
		})
		return out, err
	})
}

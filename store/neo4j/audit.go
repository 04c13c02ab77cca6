package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Property names of (:Audit) nodes.
const (
	propAuditAt          = "at"
	propAuditActor       = "actor"
	propAuditAction      = "action"
	propAuditSubjectKind = "subjectKind"
	propAuditSubjectID   = "subjectId"
	propAuditAbout       = "about"
	propAuditBefore      = "before"
	propAuditAfter       = "after"
)

// auditChange is one audit entry to write: what changed, about which ids,
// from what to what. The id, time and actor are assigned by writeAudit.
type auditChange struct {
	action      graph.AuditAction
	subjectKind graph.AuditSubject
	subjectID   string
	about       []string
	before      []byte // nil for a create
	after       []byte // nil for a delete
}

// ciChange audits a CI: CREATE (before nil), UPDATE, or DELETE (after nil).
func ciChange(action graph.AuditAction, before, after *graph.CI) (auditChange, error) {
	c := auditChange{action: action, subjectKind: graph.SubjectCI}
	for _, ci := range []*graph.CI{before, after} {
		if ci != nil {
			c.subjectID = ci.ID
		}
	}
	c.about = []string{c.subjectID}
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
	subject := graph.RelationSubjectID(rel.Key())
	b, err := json.Marshal(rel)
	if err != nil {
		return auditChange{}, fmt.Errorf("audit relation %s: %w", subject, err)
	}
	c := auditChange{action: action, subjectKind: graph.SubjectRelation, subjectID: subject,
		about: []string{subject, rel.From, rel.To}}
	if action == graph.ActionUnrelate {
		c.before = b
	} else {
		c.after = b
	}
	return c, nil
}

// recordChange audits a record; before and after are its documents, kept
// byte for byte.
func recordChange(action graph.AuditAction, kind graph.RecordKind, id string, before, after []byte) auditChange {
	return auditChange{action: action, subjectKind: graph.AuditSubject(kind), subjectID: id,
		about: []string{id}, before: before, after: after}
}

func marshalOrNil(ci *graph.CI) ([]byte, error) {
	if ci == nil {
		return nil, nil
	}
	return json.Marshal(ci)
}

// writeAudit appends the changes, in order, in the caller's transaction:
// the entries commit or roll back with the change they describe. Ids are
// drawn in order from graph.NewID, which is monotonic within the process,
// so a later change sorts newer in History. It must be called from inside
// the transaction function so that a retried transaction draws fresh ids.
func writeAudit(ctx context.Context, tx neo4j.ManagedTransaction, actor string, at time.Time, changes []auditChange) error {
	if len(changes) == 0 {
		return nil
	}
	rows := make([]map[string]any, len(changes))
	for i, c := range changes {
		rows[i] = map[string]any{
			propID:               graph.NewID(),
			propAuditAt:          at.UnixMicro(),
			propAuditActor:       actor,
			propAuditAction:      string(c.action),
			propAuditSubjectKind: string(c.subjectKind),
			propAuditSubjectID:   c.subjectID,
			propAuditAbout:       c.about,
			propAuditBefore:      stringOrNil(c.before),
			propAuditAfter:       stringOrNil(c.after),
		}
	}
	return execRows(ctx, tx, "write audit entries", cypherWriteAudit, rows)
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
	return readTx(ctx, s, "read history", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.AuditPage, error) {
		var out graph.AuditPage
		var err error
		out.Entries, out.HasNextPage, _, err = collectPage(ctx, tx, cypherHistory, params, p, func(rec *neo4j.Record) (graph.AuditEntry, error) {
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
		Action:      graph.AuditAction(f.str(propAuditAction)),
		SubjectKind: graph.AuditSubject(f.str(propAuditSubjectKind)),
		SubjectID:   f.str(propAuditSubjectID),
		Before:      f.optRaw(propAuditBefore),
		After:       f.optRaw(propAuditAfter),
		At:          f.micros(propAuditAt),
		About:       f.strings(propAuditAbout),
	}
	if f.err != nil {
		return graph.AuditEntry{}, fmt.Errorf("decode audit node %s: %w", n.ElementId, f.err)
	}
	return e, nil
}

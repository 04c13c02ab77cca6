package itsm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
)

// Service applies the ITSM rules on top of a store. It is stateless: any
// number of Ripple instances can share one store.
type Service struct {
	Store graph.Store
	// Now is the clock; tests set it.
	Now func() time.Time
	// AllowSelfApproval turns separation of duties off: the actor who
	// requested a change may then approve or reject it. Off by default
	// (the rule holds); `ripple serve --allow-self-approval` sets it.
	AllowSelfApproval bool
	// IncidentChanged, when set, is told of every incident raised, moved
	// to another state or given other affected CIs, after the write (the
	// correlation of incidents into groups listens here). It must return
	// quickly and cannot fail the write.
	IncidentChanged func(ctx context.Context, inc *Incident)
}

// changed tells IncidentChanged about inc.
func (s *Service) changed(ctx context.Context, inc *Incident) {
	if s.IncidentChanged != nil {
		s.IncidentChanged(ctx, inc)
	}
}

// New returns a service over the store with the real clock and separation
// of duties on.
func New(s graph.Store) *Service { return &Service{Store: s, Now: graph.Now} }

// Limits on free text.
const (
	maxTitle       = 256
	maxDescription = 16 << 10
)

// Link roles used on records.
const (
	RoleAffects = "AFFECTS"
	RoleService = "SERVICE"
	RoleTargets = "TARGETS"
	RoleScope   = "SCOPE"
	RoleRoot    = "ROOT_CAUSE"
)

// maxAttempts bounds retries of read-modify-write cycles that lose a race to
// another writer (CONFLICT on the version): each retry re-reads and
// re-validates, so the rules always see the latest record.
const maxAttempts = 4

// load reads a record and decodes its document into doc.
func (s *Service) load(ctx context.Context, kind graph.RecordKind, id string, doc any) (graph.Record, error) {
	rec, err := s.Store.GetRecord(ctx, kind, id)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(rec.Doc, doc); err != nil {
		return rec, graph.Internal(err, "decode %s %s", kind, id)
	}
	return rec, nil
}

// modify runs a read-modify-write cycle on one record: apply receives the
// decoded document and returns the record to store (or an error, which
// aborts without writing).
func modify[T any](ctx context.Context, s *Service, kind graph.RecordKind, id string, apply func(doc *T, rec graph.Record) (graph.Record, error)) (graph.Record, *T, error) {
	return modifyAt(ctx, s, kind, id, 0, apply)
}

// modifyAt is modify for a client that read the record at version expect
// (0: any version). With a version the client's edit applies only to what
// it read: a record changed since is a CONFLICT on "version", not retried.
func modifyAt[T any](ctx context.Context, s *Service, kind graph.RecordKind, id string, expect int64, apply func(doc *T, rec graph.Record) (graph.Record, error)) (graph.Record, *T, error) {
	if expect < 0 {
		return graph.Record{}, nil, graph.Invalid("version", "version must be positive")
	}
	for attempt := 1; ; attempt++ {
		var doc T
		rec, err := s.load(ctx, kind, id, &doc)
		if err != nil {
			return rec, nil, err
		}
		if expect != 0 && rec.Version != expect {
			return rec, nil, staleVersion(kind, id, rec.Version, expect)
		}
		next, err := apply(&doc, rec)
		if err != nil {
			return rec, nil, err
		}
		stored, err := s.Store.PutRecord(ctx, next, rec.Version)
		if err == nil {
			return stored, &doc, nil
		}
		if expect != 0 || graph.ErrorCode(err) != graph.CodeConflict || graph.ErrorField(err) != "version" || attempt == maxAttempts {
			return rec, nil, err
		}
	}
}

// deleteRecord deletes a record, at version expect when it is not 0.
func (s *Service) deleteRecord(ctx context.Context, kind graph.RecordKind, id string, expect int64) error {
	if err := graph.CheckID("id", id); err != nil {
		return err
	}
	if expect < 0 {
		return graph.Invalid("version", "version must be positive")
	}
	return s.Store.DeleteRecord(ctx, kind, id, expect)
}

func staleVersion(kind graph.RecordKind, id string, at, expect int64) error {
	return graph.Errorf(graph.CodeConflict, "version", "%s %s is at version %d, not %d: it changed since it was read", kind.Noun(), id, at, expect)
}

// encode marshals a document for storage.
func encode(doc any) (json.RawMessage, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, graph.Internal(err, "encode record")
	}
	return b, nil
}

// checkText validates a required title and an optional description.
func checkText(titleField, title, description string) error {
	if strings.TrimSpace(title) == "" {
		return graph.Invalid(titleField, "%s must not be empty", titleField)
	}
	if utf8.RuneCountInString(title) > maxTitle {
		return graph.Invalid(titleField, "%s is longer than %d characters", titleField, maxTitle)
	}
	if len(description) > maxDescription {
		return graph.Invalid("description", "description is longer than %d bytes", maxDescription)
	}
	return nil
}

// checkCIs validates CI ids and that they exist, naming field[i] at fault,
// and returns those that exist. Ids in kept, which the record already
// referenced, may name CIs deleted since: an edit that leaves a reference
// alone must not fail because its CI is gone (the store keeps such links).
func (s *Service) checkCIs(ctx context.Context, field string, ids []string, required bool, kept []string) (map[string]graph.CI, error) {
	if required && len(ids) == 0 {
		return nil, graph.Invalid(field, "at least one CI is required")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if err := graph.CheckID(graph.FieldIndex(field, i), id); err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, graph.Invalid(graph.FieldIndex(field, i), "CI %s is listed twice", id)
		}
		seen[id] = true
	}
	found, err := s.Store.CIsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", field, err)
	}
	for i, id := range ids {
		if _, ok := found[id]; !ok && !slices.Contains(kept, id) {
			return nil, graph.NotFound(graph.FieldIndex(field, i), "CI", id)
		}
	}
	return found, nil
}

// linkFieldError renames a store error about "links[i]" to the input field
// the i-th link came from, so clients see the argument they sent.
func linkFieldError(err error, fields []string) error {
	for i, f := range fields {
		if graph.ErrorField(err) == graph.FieldIndex("links", i) {
			return graph.RenameField(err, graph.FieldIndex("links", i), f)
		}
	}
	return err
}

// links builds record links for ids with one role, and the input field name
// of each link for error messages.
func links(role, field string, ids []string) ([]graph.RecordLink, []string) {
	out := make([]graph.RecordLink, len(ids))
	fields := make([]string, len(ids))
	for i, id := range ids {
		out[i] = graph.RecordLink{Role: role, CI: id}
		fields[i] = graph.FieldIndex(field, i)
	}
	return out, fields
}

func timePtr(t time.Time) *time.Time { return &t }

func (s *Service) transition(ctx context.Context, from, to, note string) Transition {
	return Transition{From: from, To: to, At: s.Now(), Actor: graph.ActorFrom(ctx), Note: note}
}

// transitionAt is transition for a move that happened at at (zero: now).
// Events forwarded late carry their real time, so reports over imported
// history are right: a back-dated move is never in the future (a time up
// to clockSkew ahead, from a sender whose clock runs fast, is taken as now)
// and never before the record's previous transition, so its lifecycle
// stays in order.
func (s *Service) transitionAt(ctx context.Context, prev []Transition, from, to, note string, at time.Time) (Transition, error) {
	tr := s.transition(ctx, from, to, note)
	if at.IsZero() {
		return tr, nil
	}
	at = at.UTC().Truncate(time.Microsecond) // the store clock's precision
	if at.After(tr.At.Add(clockSkew)) {
		return tr, graph.Invalid("at", "at %s is in the future", at.Format(time.RFC3339))
	}
	if at.Before(tr.At) {
		tr.At = at
	}
	if n := len(prev); n > 0 && tr.At.Before(prev[n-1].At) {
		last := prev[n-1]
		return tr, graph.Invalid("at", "at %s is before the previous transition (to %s at %s): transitions stay in order",
			at.Format(time.RFC3339), last.To, last.At.Format(time.RFC3339))
	}
	return tr, nil
}

// openedAt checks a client's back-dated creation time (field names it):
// it defaults to now and may lie up to clockSkew ahead.
func (s *Service) openedAt(field string, at *time.Time, now time.Time) (time.Time, error) {
	if at == nil {
		return now, nil
	}
	if at.After(now.Add(clockSkew)) {
		return now, graph.Invalid(field, "%s %s is in the future", field, at.Format(time.RFC3339))
	}
	return at.UTC(), nil
}

// created is the first transition of a record created now that happened
// at opened: a back-dated record's lifecycle starts when it did, so later
// transitions can be back-dated after it. (An opened time ahead of the
// server's clock starts it now.)
func (s *Service) created(ctx context.Context, state string, opened time.Time) Transition {
	tr := s.transition(ctx, "", state, "")
	if opened.Before(tr.At) {
		tr.At = opened
	}
	return tr
}

// jsonUnmarshal decodes a record's document.
func jsonUnmarshal(rec graph.Record, doc any) error {
	if err := json.Unmarshal(rec.Doc, doc); err != nil {
		return graph.Internal(err, "decode %s %s", rec.Kind, rec.ID)
	}
	return nil
}

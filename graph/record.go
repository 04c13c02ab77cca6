package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// RecordKind names a kind of ITSM record kept beside the configuration graph.
type RecordKind string

// The record kinds.
const (
	KindIncident RecordKind = "INCIDENT"
	KindProblem  RecordKind = "PROBLEM"
	KindChange   RecordKind = "CHANGE"
	KindSLA      RecordKind = "SLA"
	KindWindow   RecordKind = "WINDOW"
	// KindImportRun records one run of a discovery import (package
	// importers owns its document).
	KindImportRun RecordKind = "IMPORT_RUN"
	// KindEvent records one monitoring event and its incident (package
	// events owns its document).
	KindEvent RecordKind = "EVENT"
	// KindAPIToken records one API token: its name, role and the hash of
	// its secret, never the secret (package auth owns its document).
	KindAPIToken RecordKind = "API_TOKEN"
)

// RecordKinds lists every record kind.
var RecordKinds = []RecordKind{KindIncident, KindProblem, KindChange, KindSLA, KindWindow, KindImportRun, KindEvent, KindAPIToken}

// Valid reports whether k is a known record kind.
func (k RecordKind) Valid() bool {
	for _, v := range RecordKinds {
		if k == v {
			return true
		}
	}
	return false
}

// CheckRecordKind rejects an unknown record kind, naming the field "kind".
func CheckRecordKind(kind RecordKind) error {
	if !kind.Valid() {
		return Invalid("kind", "unknown record kind %q", kind)
	}
	return nil
}

// CheckRecordKey validates the kind and id that address one record.
func CheckRecordKey(kind RecordKind, id string) error {
	if err := CheckRecordKind(kind); err != nil {
		return err
	}
	return CheckID("id", id)
}

// Record is the storage form of an ITSM record: an opaque JSON document (the
// domain object, owned by package itsm) plus the few fields stores index so
// that lists and analyses need not decode every document.
//
// Stores keep records beside the graph: a record's Links are edges to CIs
// (in Neo4j, relationships), so "incidents on this CI" is a graph query.
type Record struct {
	Kind RecordKind
	ID   string
	// Version starts at 1 and grows by one with every successful write;
	// writers pass the version they read (optimistic concurrency).
	Version int64
	// State is the record's lifecycle state, indexed for filtering.
	State string
	// Start and End bound the record in time (a change's planned window, a
	// maintenance window, an incident's opening and resolution), indexed
	// for overlap queries. Either may be nil (open-ended).
	Start, End *time.Time
	// Links are the CIs the record is about, each with a role such as
	// AFFECTS, TARGETS, SERVICE, SCOPE or ROOT_CAUSE. A live record holds
	// them against deletion (HoldsCIs); a link to a CI deleted since stays
	// and resolves to the CI's tombstone.
	Links []RecordLink
	// Refs point to other records ("PROBLEM:<id>"), indexed for filtering.
	Refs []string
	// Doc is the whole domain object as JSON: a JSON object whose "title"
	// or "name" names the record to people (RecordTitle).
	Doc       json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RecordLink ties a record to a CI.
type RecordLink struct {
	Role string
	CI   string
}

// RecordRef formats a reference to another record for Record.Refs.
func RecordRef(kind RecordKind, id string) string { return string(kind) + ":" + id }

// RecordFilter selects records of one kind; empty fields match everything.
type RecordFilter struct {
	// States matches any of the listed states.
	States []string
	// CI matches records linked to this CI in any role.
	CI string
	// Ref matches records whose Refs contain this reference.
	Ref string
	// From and To, when set, match records whose [Start, End] overlaps
	// [From, To]; a nil Start or End counts as unbounded.
	From, To *time.Time
	// Order is the listing's order (zero: newest created first). It is
	// not a condition, but cursors belong to one order.
	Order RecordOrder
}

// RecordPage is one page of records in the filter's Order, with Relay's
// page flags (see PageWindow).
type RecordPage struct {
	Records         []Record
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// AuditAction says what a write did.
type AuditAction string

// Audit actions.
const (
	ActionCreate   AuditAction = "CREATE"
	ActionUpdate   AuditAction = "UPDATE"
	ActionDelete   AuditAction = "DELETE"
	ActionRelate   AuditAction = "RELATE"
	ActionUnrelate AuditAction = "UNRELATE"
)

// AuditSubject is what an audit entry is about: a CI, a relation, or a
// record of some kind.
type AuditSubject string

// Audit subject kinds besides the record kinds.
const (
	SubjectCI       AuditSubject = "CI"
	SubjectRelation AuditSubject = "RELATION"
)

// AuditEntry records one change: who, when, what, and the value before and
// after (JSON; nil for a create's before and a delete's after).
type AuditEntry struct {
	ID          string
	At          time.Time
	Actor       string
	Action      AuditAction
	SubjectKind AuditSubject
	// SubjectID is the CI or record id; for a relation, RelationSubjectID.
	SubjectID string
	// ImportRun is the id of the import run whose write this is (see
	// WithImportRun); empty for every other write.
	ImportRun string
	// About lists every id whose history shows this entry: the subject and,
	// for relations, both CIs.
	About  []string
	Before json.RawMessage
	After  json.RawMessage
}

// RelationSubjectID is the audit subject id of a relation.
func RelationSubjectID(k RelationKey) string {
	return k.From + relationSubjectSep + k.Type + relationSubjectSep + k.To
}

// relationSubjectSep cannot occur in a CI id (a UUID) or a relation type
// name, so a RelationSubjectID splits back into its parts unambiguously.
const relationSubjectSep = "|"

// CheckHistory validates a History request: what it is about (a CI or
// record id, or a relation's RelationSubjectID), then the page (forward
// only, by id: see checkHistoryPage).
func CheckHistory(about string, p Page) (page Page, afterID string, err error) {
	if err := checkAbout(about); err != nil {
		return p, "", err
	}
	return checkHistoryPage(p)
}

func checkAbout(about string) error {
	if CheckID("about", about) == nil {
		return nil
	}
	parts := strings.Split(about, relationSubjectSep)
	if len(parts) == 3 && parts[1] != "" && CheckID("about", parts[0]) == nil && CheckID("about", parts[2]) == nil {
		return nil
	}
	return Invalid("about", "%q is neither an id nor a relation (from|TYPE|to)", Truncate(about, 100))
}

// AuditPage is one page of history, newest first.
type AuditPage struct {
	Entries     []AuditEntry
	HasNextPage bool
}

// RecordStore keeps ITSM records and the audit trail. Every write method of
// Store and RecordStore appends audit entries in the same transaction as the
// change itself (actor from ActorFrom(ctx)), so history can never disagree
// with the data.
type RecordStore interface {
	// PutRecord creates (expectVersion 0) or replaces (expectVersion = the
	// version read) a record and returns it as stored, with Version,
	// CreatedAt and UpdatedAt set by the store. It audits CREATE or UPDATE
	// with SubjectKind = the record kind, Before/After = the documents
	// (byte for byte) and About = [record id]; DeleteRecord audits DELETE.
	// Errors: INVALID_INPUT (bad kind, malformed id or CI id in
	// "links[i]"), NOT_FOUND ("id" when updating a missing record,
	// "links[i]" when a newly linked CI does not exist; links the record
	// already had may point to CIs deleted since, so a record outlives the
	// CIs it is about), CONFLICT ("id" when
	// creating an existing record, "version" when the record changed since
	// it was read).
	PutRecord(ctx context.Context, rec Record, expectVersion int64) (Record, error)

	// GetRecord returns one record. Errors: INVALID_INPUT, NOT_FOUND ("id").
	GetRecord(ctx context.Context, kind RecordKind, id string) (Record, error)

	// RecordsByIDs returns the records of a kind that exist among ids.
	RecordsByIDs(ctx context.Context, kind RecordKind, ids []string) (map[string]Record, error)

	// ListRecords returns one page of records of a kind in f.Order,
	// forward (first/after) or back (last/before), by keyset: records
	// inserted while a client pages never cause duplicates or skips.
	// Cursors are opaque (RecordCursor) and good for one order only.
	// Errors: INVALID_INPUT ("after" or "before": a bad cursor or one from
	// another order; "first", "last", "orderBy.field", "kind"). A CI
	// filter matches only CIs that exist.
	ListRecords(ctx context.Context, kind RecordKind, f RecordFilter, p Page) (RecordPage, error)

	// RecordsOnCIs is ListRecords with a CI filter for many CIs at once,
	// every page: for each CI among cis, the records of the kind linked to
	// it (in any role) that match f's other conditions (States, Ref, From,
	// To; f.CI and f.Order are not used), newest created first. A record
	// linked to several of the CIs is under each. As with ListRecords, only
	// CIs that exist match; they and unknown or malformed ids with no match
	// map to nothing. An analysis that needs the records of dozens of CIs
	// (the incidents of every SLA's service) reads them in one call.
	// Errors: INVALID_INPUT ("kind").
	RecordsOnCIs(ctx context.Context, kind RecordKind, cis []string, f RecordFilter) (map[string][]Record, error)

	// DeleteRecord removes a record. Errors: NOT_FOUND ("id"), CONFLICT
	// ("version") when expectVersion is non-zero and differs.
	DeleteRecord(ctx context.Context, kind RecordKind, id string, expectVersion int64) error

	// History returns the audit entries about an id (a CI, a record, or a
	// relation's RelationSubjectID), newest first.
	History(ctx context.Context, about string, p Page) (AuditPage, error)
}

type actorKey struct{}

// Anonymous is the actor of writes made without a known principal.
const Anonymous = "anonymous"

// WithActor returns a context whose writes are attributed to actor.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

type importRunKey struct{}

// ImportActorPrefix starts the actor of an import run's writes:
// "import:<source>".
const ImportActorPrefix = "import:"

// WithImportRun returns a context whose writes are an import run's: the
// actor is ImportActorPrefix+source and every audit entry carries runID,
// so history says which run made a change, not only which source.
func WithImportRun(ctx context.Context, source, runID string) context.Context {
	return context.WithValue(WithActor(ctx, ImportActorPrefix+source), importRunKey{}, runID)
}

// ImportRunFrom returns the import run of ctx (WithImportRun), or "".
func ImportRunFrom(ctx context.Context) string {
	id, _ := ctx.Value(importRunKey{}).(string)
	return id
}

// ActorFrom returns the actor of ctx, or Anonymous.
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && strings.TrimSpace(a) != "" {
		return a
	}
	return Anonymous
}

// IDCursor encodes a cursor for newest-first listings keyed by id alone.
func IDCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i1\x00" + id))
}

// DecodeIDCursor returns the id an IDCursor points after.
func DecodeIDCursor(cursor string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	id, ok := strings.CutPrefix(string(b), "i1\x00")
	if err != nil || !ok || CheckID("after", id) != nil {
		return "", Invalid("after", "invalid cursor %q", Truncate(cursor, 64))
	}
	return id, nil
}

// EachRecordPage reads a record listing in order o from its first page to
// its last, MaxPageSize records at a time. list fetches the page p asks for
// (and does what it likes with it); it returns the page as the store gave
// it, whose last record is where the next page starts.
func EachRecordPage(o RecordOrder, list func(p Page) (RecordPage, error)) error {
	p := Page{First: MaxPageSize}
	for {
		page, err := list(p)
		if err != nil {
			return err
		}
		if !page.HasNextPage || len(page.Records) == 0 {
			return nil
		}
		p.After = RecordCursor(o, page.Records[len(page.Records)-1])
	}
}

// checkHistoryPage validates the page of a newest-first listing by id
// (History), which pages forward only, and returns the id it starts after
// (empty for the first page; cursors are made by IDCursor).
func checkHistoryPage(p Page) (page Page, afterID string, err error) {
	if p.Backward() {
		return p, "", Invalid("last", "history pages forward only (first/after)")
	}
	if p, err = checkPageSize(p); err != nil || p.After == "" {
		return p, "", err
	}
	afterID, err = DecodeIDCursor(p.After)
	return p, afterID, err
}

// CheckRecord validates the store-level shape of a record before a write.
func CheckRecord(rec Record) error {
	if err := CheckRecordKind(rec.Kind); err != nil {
		return err
	}
	if err := CheckID("id", rec.ID); err != nil {
		return err
	}
	for i, l := range rec.Links {
		if err := CheckID(FieldIndex("links", i), l.CI); err != nil {
			return err
		}
		if l.Role == "" {
			return Invalid(FieldIndex("links", i), "link role is required")
		}
	}
	if len(rec.Doc) == 0 || !json.Valid(rec.Doc) {
		return Invalid("doc", "record document must be valid JSON")
	}
	if rec.Start != nil && rec.End != nil && rec.End.Before(*rec.Start) {
		return Invalid("end", "end is before start")
	}
	return nil
}

// Overlaps reports whether a record bounded by [start, end] (nil =
// unbounded) overlaps the filter's [From, To].
func (f RecordFilter) Overlaps(start, end *time.Time) bool {
	if f.To != nil && start != nil && start.After(*f.To) {
		return false
	}
	if f.From != nil && end != nil && end.Before(*f.From) {
		return false
	}
	return true
}

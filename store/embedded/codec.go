package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// On-disk layout. Every graph bucket is a pure function of the CIs bucket
// plus the relations bucket, except that the identifiers bucket is kept so
// that a corrupted or hand-edited file is caught at open (load cross-checks
// it) instead of silently re-deriving ownership. Records stand alone; the
// audit bucket is never loaded into memory and is read by History only.
var (
	bucketMeta    = []byte("meta")
	bucketCIs     = []byte("cis")         // ci id → CI JSON
	bucketRels    = []byte("relations")   // from|type|to → Relation JSON
	bucketIdents  = []byte("identifiers") // kind NUL value → ci id
	bucketRecords = []byte("records")     // kind NUL id → record (encodeRecord)
	bucketAudit   = []byte("audit")       // about NUL entry id → entry (encodeAudit)
	// bucketAuditTime indexes the CI and relation entries by time, for
	// GraphChanges (audit.go): entry id → encodeAuditTime.
	bucketAuditTime = []byte("audit.time")
	// The import ledger (ledger.go): scope headers and sightings. Scopes
	// may hold any byte, NUL included, but sources never do and subjects
	// never do, so a sighting key splits at its first and last NUL.
	bucketScopes    = []byte("scopes")    // source NUL scope → encodeScope
	bucketSightings = []byte("sightings") // source NUL scope NUL subject → encodeSighting

	keySchema = []byte("schema")
	// keyLastAudit holds the greatest audit entry id issued, so that ids
	// keep growing across restarts even if the clock steps back.
	keyLastAudit = []byte("audit.last")
)

// schemaVersion is bumped whenever the layout above changes incompatibly;
// Open refuses files written with another version rather than misreading
// them. Older versions are upgraded in place, since their buckets are
// unchanged and the upgrade only adds new ones: version 1 lacks records
// and audit, version 2 the ledger's scopes and sightings, version 3 the
// audit time index (built from the audit bucket on upgrade). Each bump
// keeps older builds, which would write without auditing, without dropping
// the sightings of what they delete or without indexing entries by time,
// off new files.
const (
	schemaVersion = "4"
	schemaV1      = "1"
	schemaV2      = "2"
	schemaV3      = "3"
)

// relSep cannot occur in a CI id (a UUID) or a relation type name
// ([A-Z0-9_]), so a relation key splits unambiguously.
const relSep = "|"

func relKey(k graph.RelationKey) []byte {
	return []byte(k.From + relSep + k.Type + relSep + k.To)
}

func parseRelKey(b []byte) (graph.RelationKey, error) {
	from, rest, ok1 := strings.Cut(string(b), relSep)
	typ, to, ok2 := strings.Cut(rest, relSep)
	if !ok1 || !ok2 || strings.Contains(to, relSep) {
		return graph.RelationKey{}, fmt.Errorf("malformed relation key %q", b)
	}
	return graph.RelationKey{From: from, Type: typ, To: to}, nil
}

// identKey puts the kind first: kinds match ^[a-z][a-z0-9-]*$ and so never
// contain the NUL separator, while values may contain anything.
func identKey(id graph.Identifier) []byte {
	return []byte(id.Kind + "\x00" + id.Value)
}

func parseIdentKey(b []byte) (graph.Identifier, error) {
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return graph.Identifier{}, fmt.Errorf("malformed identifier key %q", b)
	}
	return graph.Identifier{Kind: string(b[:i]), Value: string(b[i+1:])}, nil
}

func encodeCI(ci *graph.CI) ([]byte, error) {
	b, err := json.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encode ci %s: %w", ci.ID, err)
	}
	return b, nil
}

// decodeCI reads a CI record. Timestamps were written in UTC ("Z"), which
// encoding/json parses back to UTC, so they compare equal and report UTC.
func decodeCI(b []byte) (*graph.CI, error) {
	var ci graph.CI
	if err := json.Unmarshal(b, &ci); err != nil {
		return nil, fmt.Errorf("decode ci: %w", err)
	}
	if len(ci.Attributes) == 0 {
		ci.Attributes = nil
	}
	if len(ci.Identifiers) == 0 {
		ci.Identifiers = nil
	}
	if len(ci.Provenance) == 0 {
		ci.Provenance = nil
	}
	return &ci, nil
}

func encodeRel(r graph.Relation) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode relation %s: %w", relKey(r.Key()), err)
	}
	return b, nil
}

func decodeRel(b []byte) (graph.Relation, error) {
	var r graph.Relation
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decode relation: %w", err)
	}
	return r, nil
}

// relCreatedAt reads the creation time of the relation stored under key
// when v is exactly what encodeRel wrote for it (every field in order, no
// escapes), which is always the case for files this package wrote. Load
// reads millions of relations, and this costs a fraction of a JSON decode;
// it reports false on anything else, and the caller falls back to
// decodeRel, so a file written differently still loads (or fails) as
// before.
func relCreatedAt(key graph.RelationKey, v []byte) (time.Time, bool) {
	rest, ok := cutField(v, `{"from":"`, key.From)
	if ok {
		rest, ok = cutField(rest, `","type":"`, key.Type)
	}
	if ok {
		rest, ok = cutField(rest, `","to":"`, key.To)
	}
	if ok {
		rest, ok = bytes.CutPrefix(rest, []byte(`","createdAt":"`))
	}
	if !ok || !bytes.HasSuffix(rest, []byte(`"}`)) {
		return time.Time{}, false
	}
	stamp := rest[:len(rest)-2]
	if bytes.IndexByte(stamp, '"') >= 0 || bytes.IndexByte(stamp, '\\') >= 0 {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(stamp))
	return at, err == nil
}

// cutField removes label followed by value from the front of b.
func cutField(b []byte, label, value string) ([]byte, bool) {
	if len(b) < len(label)+len(value) || string(b[:len(label)]) != label || string(b[len(label):len(label)+len(value)]) != value {
		return nil, false
	}
	return b[len(label)+len(value):], true
}

// recordKey puts the kind first so that each kind is one contiguous range.
func recordKey(kind graph.RecordKind, id string) []byte {
	return []byte(string(kind) + "\x00" + id)
}

// recordMeta is the indexed part of a record. The document is kept out of
// the JSON: encoding/json would compact and re-escape it, and the contract
// is that a record's Doc comes back byte for byte.
type recordMeta struct {
	Kind      graph.RecordKind `json:"kind"`
	ID        string           `json:"id"`
	Version   int64            `json:"version"`
	State     string           `json:"state,omitempty"`
	Start     *time.Time       `json:"start,omitempty"`
	End       *time.Time       `json:"end,omitempty"`
	Links     []recordLinkJSON `json:"links,omitempty"`
	Refs      []string         `json:"refs,omitempty"`
	CreatedAt time.Time        `json:"createdAt"`
	UpdatedAt time.Time        `json:"updatedAt"`
}

type recordLinkJSON struct {
	Role string `json:"role"`
	CI   string `json:"ci"`
}

// encodeRecord writes uvarint(len(meta)) meta doc.
func encodeRecord(r *graph.Record) ([]byte, error) {
	m := recordMeta{Kind: r.Kind, ID: r.ID, Version: r.Version, State: r.State, Start: r.Start, End: r.End,
		Refs: r.Refs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if len(r.Links) > 0 {
		m.Links = make([]recordLinkJSON, len(r.Links))
		for i, l := range r.Links {
			m.Links[i] = recordLinkJSON(l)
		}
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode record %s %s: %w", r.Kind, r.ID, err)
	}
	out := make([]byte, 0, binary.MaxVarintLen64+len(meta)+len(r.Doc))
	out = binary.AppendUvarint(out, uint64(len(meta)))
	out = append(out, meta...)
	return append(out, r.Doc...), nil
}

// decodeRecord reads what encodeRecord wrote, copying out of b (which may
// be bbolt's memory map).
func decodeRecord(b []byte) (*graph.Record, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, errors.New("decode record: bad header")
	}
	var m recordMeta
	if err := json.Unmarshal(b[k:k+int(n)], &m); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	r := &graph.Record{Kind: m.Kind, ID: m.ID, Version: m.Version, State: m.State, Start: m.Start, End: m.End,
		Refs: m.Refs, Doc: bytes.Clone(b[k+int(n):]), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if len(m.Links) > 0 {
		r.Links = make([]graph.RecordLink, len(m.Links))
		for i, l := range m.Links {
			r.Links[i] = graph.RecordLink(l)
		}
	}
	if len(r.Refs) == 0 {
		r.Refs = nil
	}
	return r, nil
}

// auditKey is the key of an entry in one about's history. About values
// (UUIDs and from|type|to) never hold a NUL, so each about is one
// contiguous range, ordered by entry id, i.e. by time.
func auditKey(about, entryID string) []byte {
	k := make([]byte, 0, len(about)+1+len(entryID))
	k = append(k, about...)
	k = append(k, 0)
	return append(k, entryID...)
}

// Audit entry formats: 2 added ImportRun after Actor; entries written in
// format 1 (before it) still decode, with no run.
const (
	auditFormatV1 = 1
	auditFormat   = 2
)

// encodeAudit writes an entry in a small binary form: a format byte, At in
// Unix microseconds (graph.Now's precision), then length-prefixed strings,
// and Before/After verbatim (length 0 = nil; neither is ever empty JSON).
// It is written once per about value, so it is kept cheap to produce.
func encodeAudit(e *graph.AuditEntry) []byte {
	size := 1 + 2*binary.MaxVarintLen64 + len(e.ID) + len(e.Actor) + len(e.ImportRun) + len(e.Action) + len(e.SubjectKind) + len(e.SubjectID) +
		len(e.Before) + len(e.After) + (8+len(e.About))*binary.MaxVarintLen64
	for _, a := range e.About {
		size += len(a)
	}
	b := make([]byte, 0, size)
	b = append(b, auditFormat)
	b = binary.AppendVarint(b, e.At.UnixMicro())
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(e.ID)
	str(e.Actor)
	str(e.ImportRun)
	str(string(e.Action))
	str(string(e.SubjectKind))
	str(e.SubjectID)
	b = binary.AppendUvarint(b, uint64(len(e.About)))
	for _, a := range e.About {
		str(a)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Before)))
	b = append(b, e.Before...)
	b = binary.AppendUvarint(b, uint64(len(e.After)))
	return append(b, e.After...)
}

var errBadAudit = errors.New("malformed audit entry")

// decodeAudit reads what encodeAudit wrote, copying out of b.
func decodeAudit(b []byte) (graph.AuditEntry, error) {
	var e graph.AuditEntry
	if len(b) == 0 || (b[0] != auditFormat && b[0] != auditFormatV1) {
		return e, errBadAudit
	}
	format := b[0]
	b = b[1:]
	at, k := binary.Varint(b)
	if k <= 0 {
		return e, errBadAudit
	}
	b = b[k:]
	e.At = time.UnixMicro(at).UTC()
	bad := false
	blob := func() []byte {
		n, k := binary.Uvarint(b)
		if bad || k <= 0 || n > uint64(len(b)-k) {
			bad = true
			return nil
		}
		out := b[k : k+int(n)]
		b = b[k+int(n):]
		return out
	}
	str := func() string { return string(blob()) }
	e.ID = str()
	e.Actor = str()
	if format >= auditFormat {
		e.ImportRun = str()
	}
	e.Action = graph.AuditAction(str())
	e.SubjectKind = graph.AuditSubject(str())
	e.SubjectID = str()
	n, k := binary.Uvarint(b)
	if bad || k <= 0 || n > uint64(len(b)) {
		return e, errBadAudit
	}
	b = b[k:]
	e.About = make([]string, 0, n)
	for range n {
		e.About = append(e.About, str())
	}
	if before := blob(); len(before) > 0 {
		e.Before = bytes.Clone(before)
	}
	if after := blob(); len(after) > 0 {
		e.After = bytes.Clone(after)
	}
	if bad || len(b) != 0 {
		return graph.AuditEntry{}, errBadAudit
	}
	return e, nil
}

// Ledger keys. A scope key is source NUL scope; a sighting key appends NUL
// and the subject, "ci:" + id or "rel:" + relKey.
const (
	subjectCI  = "ci:"
	subjectRel = "rel:"
)

func scopeKeyBytes(k graph.ScopeKey) []byte {
	b := make([]byte, 0, len(k.Source)+1+len(k.Scope))
	b = append(b, k.Source...)
	b = append(b, 0)
	return append(b, k.Scope...)
}

func parseScopeKey(b []byte) (graph.ScopeKey, error) {
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return graph.ScopeKey{}, fmt.Errorf("malformed scope key %q", b)
	}
	k := graph.ScopeKey{Source: string(b[:i]), Scope: string(b[i+1:])}
	if err := graph.CheckScopeKey("", k); err != nil {
		return graph.ScopeKey{}, fmt.Errorf("scope key %q: %v", b, err)
	}
	return k, nil
}

func ciSightingKey(k graph.ScopeKey, id string) []byte {
	return sightingKey(k, subjectCI, id)
}

func relSightingKey(k graph.ScopeKey, r graph.RelationKey) []byte {
	return sightingKey(k, subjectRel, r.From+relSep+r.Type+relSep+r.To)
}

func sightingKey(k graph.ScopeKey, kind, subject string) []byte {
	b := make([]byte, 0, len(k.Source)+len(k.Scope)+len(kind)+len(subject)+2)
	b = append(b, k.Source...)
	b = append(b, 0)
	b = append(b, k.Scope...)
	b = append(b, 0)
	b = append(b, kind...)
	return append(b, subject...)
}

// parseSightingKey returns the scope and either the CI id or the relation
// key of a sighting key.
func parseSightingKey(b []byte) (graph.ScopeKey, string, *graph.RelationKey, error) {
	i := bytes.LastIndexByte(b, 0)
	if i < 0 {
		return graph.ScopeKey{}, "", nil, fmt.Errorf("malformed sighting key %q", b)
	}
	k, err := parseScopeKey(b[:i])
	if err != nil {
		return graph.ScopeKey{}, "", nil, err
	}
	subject := b[i+1:]
	switch {
	case bytes.HasPrefix(subject, []byte(subjectCI)):
		id := string(subject[len(subjectCI):])
		if graph.CheckID("ci", id) != nil {
			return graph.ScopeKey{}, "", nil, fmt.Errorf("sighting key %q: malformed CI id", b)
		}
		return k, id, nil, nil
	case bytes.HasPrefix(subject, []byte(subjectRel)):
		r, err := parseRelKey(subject[len(subjectRel):])
		if err != nil {
			return graph.ScopeKey{}, "", nil, fmt.Errorf("sighting key %q: %v", b, err)
		}
		return k, "", &r, nil
	}
	return graph.ScopeKey{}, "", nil, fmt.Errorf("sighting key %q: unknown subject", b)
}

// scopeJSON is a scope header on disk; the key names the scope, so that
// scopes that are not valid UTF-8 survive (encoding/json would replace the
// bad bytes).
type scopeJSON struct {
	Generation  int64     `json:"generation"`
	LastRun     string    `json:"lastRun"`
	LastApplied time.Time `json:"lastApplied"`
}

func encodeScope(st *graph.ScopeState) ([]byte, error) {
	return json.Marshal(scopeJSON{Generation: st.Generation, LastRun: st.LastRun, LastApplied: st.LastApplied})
}

// decodeScope reads a header and checks what every applied run leaves.
func decodeScope(k graph.ScopeKey, b []byte) (graph.ScopeState, error) {
	var v scopeJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return graph.ScopeState{}, fmt.Errorf("decode scope: %w", err)
	}
	if v.Generation < 1 || graph.CheckID("lastRun", v.LastRun) != nil || v.LastApplied.IsZero() {
		return graph.ScopeState{}, fmt.Errorf("invalid scope header %s", b)
	}
	return graph.ScopeState{ScopeKey: k, Generation: v.Generation, LastRun: v.LastRun, LastApplied: v.LastApplied.UTC()}, nil
}

type sightingJSON struct {
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	LastRun   string    `json:"lastRun"`
	Missed    int       `json:"missed,omitempty"`
}

func encodeSighting(s *sighting) ([]byte, error) {
	return json.Marshal(sightingJSON{FirstSeen: s.first, LastSeen: s.last, LastRun: s.run, Missed: s.missed})
}

func decodeSighting(b []byte) (sighting, error) {
	var v sightingJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return sighting{}, fmt.Errorf("decode sighting: %w", err)
	}
	if v.FirstSeen.IsZero() || v.LastSeen.IsZero() || graph.CheckID("lastRun", v.LastRun) != nil || v.Missed < 0 {
		return sighting{}, fmt.Errorf("invalid sighting %s", b)
	}
	return sighting{first: v.FirstSeen.UTC(), last: v.LastSeen.UTC(), run: v.LastRun, missed: v.Missed}, nil
}

package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	bucketHeads   = []byte("heads")       // ci id → encodeHead (what memory keeps of a CI)
	bucketRels    = []byte("relations")   // from|type|to → encodeRelValue (JSON before schema 4)
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
	// keyCIsBinary marks a file whose CIs are all in the binary form
	// (encodeCIValue, or JSON where binary cannot say them exactly);
	// files upgraded from before schema 4 get it once rewritten.
	keyCIsBinary = []byte("cis.binary")
)

// schemaVersion is bumped whenever the layout above changes incompatibly;
// Open refuses files written with another version rather than misreading
// them. Older versions are upgraded in place: version 1 lacks records and
// audit, version 2 the ledger's scopes and sightings (both upgrades only
// add empty buckets), version 3 the heads, which the upgrade builds from
// the CIs once. Relation values and audit entries written before version
// 4 keep their older encodings, which are still read; the upgrade to 4
// also builds the audit time index from the audit bucket. Each bump keeps
// older builds, which would write without auditing, without dropping the
// sightings of what they delete, without heads or without indexing entries
// by time, off new files.
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

// encodeCI returns a CI's JSON: what audit entries hold, and what the CIs
// bucket held before schema 4.
func encodeCI(ci *graph.CI) ([]byte, error) {
	b, err := json.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encode ci %s: %w", ci.ID, err)
	}
	return b, nil
}

// decodeCI reads a CI record in either encoding: binary (ciFormat, see
// encodeCIValue) or JSON, which always starts with '{'. Timestamps were
// written in UTC ("Z"), which encoding/json parses back to UTC, so they
// compare equal and report UTC.
func decodeCI(b []byte) (*graph.CI, error) {
	if len(b) > 0 && b[0] == ciFormat {
		return decodeCIBinary(b[1:])
	}
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

// ciFormat starts a binary CI value. A traversal reads every CI it
// reaches from the file, and decoding JSON into maps took over ten times
// as long as the walk; this form decodes in a fraction of that.
const ciFormat = 1

// Attribute value tags, one per type encoding/json decodes into any.
const (
	tagNull = iota
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagArray
	tagObject
)

// encodeCIValue returns what the CIs bucket stores for ci: the binary form
// when it decodes to exactly what the JSON would (attribute values of the
// types encoding/json produces, valid UTF-8, UTC times within int64
// nanoseconds), else the JSON.
func encodeCIValue(ci *graph.CI, jsonForm []byte) []byte {
	b := make([]byte, 0, len(jsonForm))
	b = append(b, ciFormat)
	ok := true
	str := func(s string) {
		if !utf8.ValidString(s) {
			ok = false
		}
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	stamp := func(t time.Time) {
		if t.Location() != time.UTC || t.Year() < 1700 || t.Year() > 2200 {
			ok = false
			return
		}
		b = binary.AppendVarint(b, t.UnixNano())
	}
	var value func(v any)
	value = func(v any) {
		switch x := v.(type) {
		case nil:
			b = append(b, tagNull)
		case bool:
			if x {
				b = append(b, tagTrue)
			} else {
				b = append(b, tagFalse)
			}
		case float64:
			b = append(b, tagNumber)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		case string:
			b = append(b, tagString)
			str(x)
		case []any:
			b = append(b, tagArray)
			b = binary.AppendUvarint(b, uint64(len(x)))
			for _, e := range x {
				value(e)
			}
		case map[string]any:
			b = append(b, tagObject)
			b = binary.AppendUvarint(b, uint64(len(x)))
			for k, e := range x {
				str(k)
				value(e)
			}
		default:
			ok = false
		}
	}
	for _, f := range []string{ci.ID, ci.Name, ci.Class, string(ci.Status), string(ci.Criticality), ci.Environment, ci.Owner} {
		str(f)
	}
	stamp(ci.CreatedAt)
	stamp(ci.UpdatedAt)
	b = binary.AppendUvarint(b, uint64(len(ci.Identifiers)))
	for _, id := range ci.Identifiers {
		str(id.Kind)
		str(id.Value)
	}
	value(map[string]any(ci.Attributes))
	b = binary.AppendUvarint(b, uint64(len(ci.Provenance)))
	for k, o := range ci.Provenance {
		str(k)
		str(o.Source)
		str(o.Scope)
		stamp(o.Since)
	}
	if !ok {
		return jsonForm
	}
	return b
}

var errBadCI = errors.New("malformed CI value")

// decodeCIBinary reads encodeCIValue's binary form (after its format
// byte), copying out of b: into one string, of which every string field
// is a part, so that a CI costs one allocation for all its text.
func decodeCIBinary(v []byte) (*graph.CI, error) {
	whole := string(v)
	b := v
	bad := false
	uvarint := func() uint64 {
		n, k := binary.Uvarint(b)
		if bad || k <= 0 {
			bad = true
			return 0
		}
		b = b[k:]
		return n
	}
	str := func() string {
		n := uvarint()
		if bad || n > uint64(len(b)) {
			bad = true
			return ""
		}
		at := len(v) - len(b)
		b = b[n:]
		return whole[at : at+int(n)]
	}
	stamp := func() time.Time {
		n, k := binary.Varint(b)
		if bad || k <= 0 {
			bad = true
			return time.Time{}
		}
		b = b[k:]
		return time.Unix(0, n).UTC()
	}
	var value func(depth int) any
	value = func(depth int) any {
		if bad || len(b) == 0 || depth > 1000 {
			bad = true
			return nil
		}
		tag := b[0]
		b = b[1:]
		switch tag {
		case tagNull:
			return nil
		case tagFalse:
			return false
		case tagTrue:
			return true
		case tagNumber:
			if len(b) < 8 {
				bad = true
				return nil
			}
			f := math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
			return f
		case tagString:
			return str()
		case tagArray:
			n := uvarint()
			if n > uint64(len(b)) {
				bad = true
				return nil
			}
			out := make([]any, 0, n)
			for range n {
				out = append(out, value(depth+1))
			}
			return out
		case tagObject:
			n := uvarint()
			if n > uint64(len(b)) {
				bad = true
				return nil
			}
			out := make(map[string]any, n)
			for range n {
				k := str()
				out[k] = value(depth + 1)
			}
			return out
		}
		bad = true
		return nil
	}
	ci := &graph.CI{}
	ci.ID, ci.Name, ci.Class = str(), str(), str()
	ci.Status, ci.Criticality = graph.Status(str()), graph.Criticality(str())
	ci.Environment, ci.Owner = str(), str()
	ci.CreatedAt, ci.UpdatedAt = stamp(), stamp()
	if n := uvarint(); n > 0 && n <= uint64(len(b)) {
		ci.Identifiers = make([]graph.Identifier, n)
		for i := range ci.Identifiers {
			ci.Identifiers[i] = graph.Identifier{Kind: str(), Value: str()}
		}
	} else if n > 0 {
		bad = true
	}
	if attrs, _ := value(0).(map[string]any); len(attrs) > 0 {
		ci.Attributes = attrs
	}
	if n := uvarint(); n > 0 && n <= uint64(len(b)) {
		ci.Provenance = make(map[string]graph.Origin, n)
		for range n {
			k := str()
			ci.Provenance[k] = graph.Origin{Source: str(), Scope: str(), Since: stamp()}
		}
	} else if n > 0 {
		bad = true
	}
	if bad || len(b) != 0 {
		return nil, errBadCI
	}
	return ci, nil
}

// encodeRel returns json.Marshal's bytes for the relation. Relation
// entries rebuild their value with it on every read, so the usual case
// (ids and type that JSON writes as they are, a time within year 0-9999)
// is written directly, byte for byte what json.Marshal writes
// (TestEncodeRelMatchesJSON), without reflection.
func encodeRel(r graph.Relation) ([]byte, error) {
	if y := r.CreatedAt.Year(); y >= 0 && y <= 9999 && plainJSON(r.From) && plainJSON(r.Type) && plainJSON(r.To) {
		b := make([]byte, 0, 64+len(r.From)+len(r.Type)+len(r.To))
		b = append(append(b, `{"from":"`...), r.From...)
		b = append(append(b, `","type":"`...), r.Type...)
		b = append(append(b, `","to":"`...), r.To...)
		b = append(b, `","createdAt":"`...)
		b = r.CreatedAt.AppendFormat(b, time.RFC3339Nano)
		return append(b, `"}`...), nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode relation %s: %w", relKey(r.Key()), err)
	}
	return b, nil
}

// plainJSON reports whether encoding/json writes s between quotes as it
// is: printable ASCII without quote, backslash or the HTML characters it
// escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func decodeRel(b []byte) (graph.Relation, error) {
	var r graph.Relation
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decode relation: %w", err)
	}
	return r, nil
}

// encodeRelValue is what the relations bucket holds for a relation: its
// creation time in Unix microseconds (graph.Now's precision), since the key
// holds the rest. Eight bytes where the JSON took 150.
func encodeRelValue(r graph.Relation) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(r.CreatedAt.UnixMicro()))
}

// relValueCreatedAt reads a relation value of either encoding: eight bytes
// (schema 4 on), or the JSON that earlier versions wrote.
func relValueCreatedAt(key graph.RelationKey, v []byte) (int64, error) {
	if len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	if at, ok := relCreatedAt(key, v); ok {
		return at.UnixMicro(), nil
	}
	r, err := decodeRel(v)
	if err != nil {
		return 0, err
	}
	if r.Key() != key {
		return 0, fmt.Errorf("relation key %s holds %+v", relKey(key), r.Key())
	}
	return r.CreatedAt.UnixMicro(), nil
}

// Head format: a version byte, then name, class, status, criticality,
// environment and owner as length-prefixed strings and the identifier
// count; the id is the key.
const headFormat = 1

func encodeHead(h head) []byte {
	b := make([]byte, 0, 1+6*2+len(h.Name)+len(h.Class)+len(h.Status)+len(h.Criticality)+len(h.Environment)+len(h.Owner)+2)
	b = append(b, headFormat)
	for _, s := range []string{h.Name, h.Class, h.Status, h.Criticality, h.Environment, h.Owner} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return binary.AppendUvarint(b, uint64(h.Idents))
}

var errBadHead = errors.New("malformed CI head")

// headFields is a decoded head still pointing into the value it was read
// from: name, class, status, criticality, environment and owner.
type headFields struct {
	f      [6][]byte
	idents int
}

// decodeHead reads what encodeHead wrote without copying: load interns
// most fields, and a lookup by []byte allocates nothing.
func decodeHead(b []byte) (headFields, error) {
	var h headFields
	if len(b) == 0 || b[0] != headFormat {
		return h, errBadHead
	}
	b = b[1:]
	for i := range h.f {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return h, errBadHead
		}
		h.f[i] = b[k : k+int(n)]
		b = b[k+int(n):]
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) || n > 1<<30 {
		return h, errBadHead
	}
	h.idents = int(n)
	return h, nil
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

// Audit entry formats: 2 added ImportRun after Actor; 3 codes the action
// and subject kind in a byte each and derives, where it can, About and a
// relation entry's Before/After from the subject. Entries written in
// formats 1 and 2 still decode (format 1 with no run).
const (
	auditFormatV1 = 1
	auditFormatV2 = 2
	auditFormat   = 3
)

// Format 3 codes. A code of 0 is followed by the value spelled out, so
// an action or kind added later needs no new format.
var (
	auditActions  = []graph.AuditAction{graph.ActionCreate, graph.ActionUpdate, graph.ActionDelete, graph.ActionRelate, graph.ActionUnrelate}
	auditSubjects = []graph.AuditSubject{graph.SubjectCI, graph.SubjectRelation}
)

// About forms: the list spelled out, the subject alone (CI and record
// entries), or a relation subject and both its CIs.
const (
	aboutListed = iota
	aboutSubject
	aboutRelation
)

// Before/After forms: absent, verbatim, or the JSON of the relation the
// subject names (encodeRel's), created a varint number of microseconds
// before the entry.
const (
	blobNone = iota
	blobVerbatim
	blobRelation
)

// encodeAudit writes an entry in a small binary form: a format byte, At in
// Unix microseconds (graph.Now's precision), length-prefixed strings and
// codes, then About and Before/After in the shortest form that decodes
// back to the same bytes. A relation's entry is stored under three keys
// and its JSON is its key plus a timestamp, so spelling neither out keeps
// most of what a large import adds to the file. It is written once per
// about value, so it is kept cheap to produce.
func encodeAudit(e *graph.AuditEntry) []byte {
	size := 1 + 4*binary.MaxVarintLen64 + len(e.ID) + len(e.Actor) + len(e.ImportRun) + len(e.Action) + len(e.SubjectKind) + len(e.SubjectID) +
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
	code := func(s string, known []string) {
		for i, k := range known {
			if k == s {
				b = append(b, byte(i+1))
				return
			}
		}
		b = append(b, 0)
		str(s)
	}
	str(e.ID)
	str(e.Actor)
	str(e.ImportRun)
	code(string(e.Action), actionNames)
	code(string(e.SubjectKind), subjectNames)
	str(e.SubjectID)
	rel, isRel := relationSubject(e)
	switch {
	case len(e.About) == 1 && e.About[0] == e.SubjectID:
		b = append(b, aboutSubject)
	case isRel && slices.Equal(e.About, []string{e.SubjectID, rel.From, rel.To}):
		b = append(b, aboutRelation)
	default:
		b = append(b, aboutListed)
		b = binary.AppendUvarint(b, uint64(len(e.About)))
		for _, a := range e.About {
			str(a)
		}
	}
	for _, blob := range [][]byte{e.Before, e.After} {
		switch {
		case len(blob) == 0:
			b = append(b, blobNone)
		case isRel && bytes.HasPrefix(blob, []byte(`{"from":"`)):
			if at, ok := relCreatedAt(rel, blob); ok {
				if again, err := encodeRel(graph.Relation{From: rel.From, Type: rel.Type, To: rel.To, CreatedAt: microTime(at.UnixMicro())}); err == nil && bytes.Equal(again, blob) {
					b = append(b, blobRelation)
					b = binary.AppendVarint(b, e.At.UnixMicro()-at.UnixMicro())
					continue
				}
			}
			fallthrough
		default:
			b = append(b, blobVerbatim)
			b = binary.AppendUvarint(b, uint64(len(blob)))
			b = append(b, blob...)
		}
	}
	return b
}

var (
	actionNames  = names(auditActions)
	subjectNames = names(auditSubjects)
)

func names[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

// relationSubject returns the relation a relation entry is about.
func relationSubject(e *graph.AuditEntry) (graph.RelationKey, bool) {
	if e.SubjectKind != graph.SubjectRelation {
		return graph.RelationKey{}, false
	}
	k, err := parseRelKey([]byte(e.SubjectID))
	return k, err == nil
}

var errBadAudit = errors.New("malformed audit entry")

// auditReader reads an encoded entry front to back; bad latches the first
// malformation, after which every read returns zero values.
type auditReader struct {
	b      []byte
	format byte
	bad    bool
}

func (r *auditReader) blob() []byte {
	n, k := binary.Uvarint(r.b)
	if r.bad || k <= 0 || n > uint64(len(r.b)-k) {
		r.bad = true
		return nil
	}
	out := r.b[k : k+int(n)]
	r.b = r.b[k+int(n):]
	return out
}

func (r *auditReader) str() string { return string(r.blob()) }

func (r *auditReader) next() byte {
	if r.bad || len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *auditReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if r.bad || k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *auditReader) code(known []string) string {
	c := int(r.next())
	switch {
	case c == 0:
		return r.str()
	case c <= len(known):
		return known[c-1]
	}
	r.bad = true
	return ""
}

// auditHead is the start of an encoded entry, up to its subject: enough
// to tell which entries a reader needs whole without decoding the rest.
type auditHead struct {
	at                  int64 // Unix microseconds
	id, actor, run      []byte
	action, subjectKind string
	subject             []byte
}

// head reads the entry's head; the byte slices alias the encoded value.
func (r *auditReader) head() (auditHead, bool) {
	var h auditHead
	if len(r.b) == 0 || r.b[0] < auditFormatV1 || r.b[0] > auditFormat {
		return h, false
	}
	r.format = r.b[0]
	r.b = r.b[1:]
	h.at = r.varint()
	h.id = r.blob()
	h.actor = r.blob()
	if r.format >= auditFormatV2 {
		h.run = r.blob()
	}
	if r.format >= auditFormat {
		h.action, h.subjectKind = r.code(actionNames), r.code(subjectNames)
	} else {
		h.action, h.subjectKind = r.str(), r.str()
	}
	h.subject = r.blob()
	return h, !r.bad
}

// peekAudit reads only the head of an encoded entry.
func peekAudit(b []byte) (auditHead, error) {
	r := auditReader{b: b}
	h, ok := r.head()
	if !ok {
		return h, errBadAudit
	}
	return h, nil
}

// decodeAudit reads what encodeAudit wrote, in any format, copying out of
// b.
func decodeAudit(b []byte) (graph.AuditEntry, error) { return decodeAuditEntry(b, true) }

// decodeAuditEntry is decodeAudit, leaving Before and After nil unless
// values: the entry without the CI bodies most of its bytes are.
func decodeAuditEntry(b []byte, values bool) (graph.AuditEntry, error) {
	r := auditReader{b: b}
	h, ok := r.head()
	if !ok {
		return graph.AuditEntry{}, errBadAudit
	}
	e := graph.AuditEntry{
		ID: string(h.id), Actor: string(h.actor), ImportRun: string(h.run),
		Action: graph.AuditAction(h.action), SubjectKind: graph.AuditSubject(h.subjectKind), SubjectID: string(h.subject),
		At: time.UnixMicro(h.at).UTC(),
	}
	rel, isRel := relationSubject(&e)
	form := byte(aboutListed)
	if r.format >= auditFormat {
		form = r.next()
	}
	switch form {
	case aboutSubject:
		e.About = []string{e.SubjectID}
	case aboutRelation:
		if !isRel {
			return graph.AuditEntry{}, errBadAudit
		}
		e.About = []string{e.SubjectID, rel.From, rel.To}
	case aboutListed:
		n, k := binary.Uvarint(r.b)
		if r.bad || k <= 0 || n > uint64(len(r.b)) {
			return graph.AuditEntry{}, errBadAudit
		}
		r.b = r.b[k:]
		e.About = make([]string, 0, n)
		for range n {
			e.About = append(e.About, r.str())
		}
	default:
		return graph.AuditEntry{}, errBadAudit
	}
	for _, dst := range []*json.RawMessage{&e.Before, &e.After} {
		form := byte(blobVerbatim)
		if r.format >= auditFormat {
			form = r.next()
		}
		switch form {
		case blobNone:
		case blobVerbatim:
			if v := r.blob(); len(v) > 0 && values {
				*dst = bytes.Clone(v)
			}
		case blobRelation:
			d := r.varint()
			if r.bad || !isRel {
				return graph.AuditEntry{}, errBadAudit
			}
			if !values {
				continue
			}
			v, err := encodeRel(graph.Relation{From: rel.From, Type: rel.Type, To: rel.To, CreatedAt: microTime(h.at - d)})
			if err != nil {
				return graph.AuditEntry{}, errBadAudit
			}
			*dst = v
		default:
			return graph.AuditEntry{}, errBadAudit
		}
	}
	if r.bad || len(r.b) != 0 {
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

package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// TestRelCreatedAt checks load's fast reading of a relation against what
// encodeRel writes, and that anything else is left to the JSON decoder.
func TestRelCreatedAt(t *testing.T) {
	at := time.Date(2026, 12, 3, 11, 0, 0, 123456000, time.UTC)
	r := graph.Relation{From: graph.NewID(), Type: graph.RelDependsOn, To: graph.NewID(), CreatedAt: at}
	written, err := encodeRel(r)
	if err != nil {
		t.Fatal(err)
	}
	other := r.Key()
	other.Type = graph.RelRunsOn
	tests := []struct {
		name string
		key  graph.RelationKey
		v    string
		ok   bool
	}{
		{"as written", r.Key(), string(written), true},
		{"another key", other, string(written), false},
		{"fields reordered", r.Key(), `{"type":"DEPENDS_ON","from":"` + r.From + `","to":"` + r.To + `","createdAt":"2026-12-03T11:00:00.123456Z"}`, false},
		{"escaped stamp", r.Key(), `{"from":"` + r.From + `","type":"DEPENDS_ON","to":"` + r.To + `","createdAt":"2026-12-03T11:00:00\u002e123456Z"}`, false},
		{"extra field", r.Key(), `{"from":"` + r.From + `","type":"DEPENDS_ON","to":"` + r.To + `","createdAt":"2026-12-03T11:00:00.123456Z","x":1}`, false},
		{"truncated", r.Key(), string(written[:len(written)-3]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := relCreatedAt(tt.key, []byte(tt.v))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && !got.Equal(at) {
				t.Fatalf("createdAt %v, want %v", got, at)
			}
		})
	}
}

// TestAuditFormats checks that entries of every shape round-trip in the
// current format, and that entries written in formats 2 (before codes and
// derived fields) and 1 (before the import run) still decode.
func TestAuditFormats(t *testing.T) {
	at := time.UnixMicro(1_700_000_000_000_001).UTC()
	k := graph.RelationKey{From: graph.NewID(), Type: graph.RelDependsOn, To: graph.NewID()}
	subject := graph.RelationSubjectID(k)
	relJSON := func(created time.Time) []byte {
		b, err := encodeRel(graph.Relation{From: k.From, Type: k.Type, To: k.To, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	base := graph.AuditEntry{ID: graph.NewID(), At: at, Actor: "import:nmap", ImportRun: graph.NewID()}
	entry := func(f func(e *graph.AuditEntry)) graph.AuditEntry {
		e := base
		f(&e)
		return e
	}
	tests := []struct {
		name string
		e    graph.AuditEntry
	}{
		{"CI created", entry(func(e *graph.AuditEntry) {
			e.Action, e.SubjectKind, e.SubjectID, e.About, e.After = graph.ActionCreate, graph.SubjectCI, "x", []string{"x"}, []byte(`{"id":"x"}`)
		})},
		{"CI updated, no run", entry(func(e *graph.AuditEntry) {
			e.ImportRun = ""
			e.Action, e.SubjectKind, e.SubjectID, e.About = graph.ActionUpdate, graph.SubjectCI, "x", []string{"x"}
			e.Before, e.After = []byte(`{"id":"x"}`), []byte(`{"id":"x","name":"y"}`)
		})},
		{"relation created", entry(func(e *graph.AuditEntry) {
			e.Action, e.SubjectKind, e.SubjectID, e.About, e.After = graph.ActionRelate, graph.SubjectRelation, subject, []string{subject, k.From, k.To}, relJSON(at)
		})},
		{"relation removed a year on", entry(func(e *graph.AuditEntry) {
			e.Action, e.SubjectKind, e.SubjectID, e.About = graph.ActionUnrelate, graph.SubjectRelation, subject, []string{subject, k.From, k.To}
			e.Before = relJSON(at.Add(-365 * 24 * time.Hour))
		})},
		{"relation JSON not as encodeRel writes it", entry(func(e *graph.AuditEntry) {
			e.Action, e.SubjectKind, e.SubjectID, e.About = graph.ActionUnrelate, graph.SubjectRelation, subject, []string{subject, k.From, k.To}
			e.Before = []byte(`{"from":"` + k.From + `","type":"DEPENDS_ON","to":"` + k.To + `","createdAt":"2026-12-03T11:00:00.1234567Z"}`)
		})},
		{"record, unknown action and kind", entry(func(e *graph.AuditEntry) {
			e.Action, e.SubjectKind, e.SubjectID, e.About = "ARCHIVE", "CHANGE", "r1", []string{"r1", "ci-a", "ci-b"}
			e.After = []byte(`{}`)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v3 := encodeAudit(&tt.e)
			got, err := decodeAudit(v3)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.e) {
				t.Fatalf("round trip:\n got %+v, %v\nwant %+v", got, err, tt.e)
			}
			v2 := encodeAuditV2(&tt.e)
			// Unknown codes are spelled out after a 0 code, a byte more.
			if known := tt.e.Action != "ARCHIVE"; known && len(v3) > len(v2) {
				t.Errorf("format 3 takes %d bytes, format 2 %d", len(v3), len(v2))
			}
			got, err = decodeAudit(v2)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.e) {
				t.Fatalf("format 2:\n got %+v, %v\nwant %+v", got, err, tt.e)
			}
			if tt.e.ImportRun != "" {
				return
			}
			// Format 1 is format 2 without the run: drop its (empty) length byte.
			_, n := binary.Varint(v2[1:])
			runAt := 1 + n + 1 + len(tt.e.ID) + 1 + len(tt.e.Actor)
			if v2[runAt] != 0 {
				t.Fatalf("byte %d is %d, want the empty run's length", runAt, v2[runAt])
			}
			v1 := append([]byte{auditFormatV1}, v2[1:runAt]...)
			v1 = append(v1, v2[runAt+1:]...)
			got, err = decodeAudit(v1)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.e) {
				t.Fatalf("format 1:\n got %+v, %v\nwant %+v", got, err, tt.e)
			}
		})
	}
	if _, err := decodeAudit(append([]byte{auditFormat + 1}, encodeAudit(&tests[0].e)[1:]...)); err == nil {
		t.Fatal("unknown format decoded")
	}
}

// encodeAuditV2 is format 2 as earlier versions wrote it: every string
// spelled out, About listed, Before/After verbatim.
func encodeAuditV2(e *graph.AuditEntry) []byte {
	b := []byte{auditFormatV2}
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

// TestCIValue checks that a CI stored in binary reads back exactly as its
// JSON would, and that what binary cannot say exactly is stored as JSON.
func TestCIValue(t *testing.T) {
	at := time.UnixMicro(1_700_000_000_000_001).UTC()
	full := graph.CI{ID: graph.NewID(), Name: "db-1", Class: graph.ClassDatabase, Status: "ACTIVE", Criticality: "HIGH",
		Environment: "production", Owner: "team-a", CreatedAt: at, UpdatedAt: at.Add(time.Hour),
		Identifiers: []graph.Identifier{{Kind: "serial", Value: "A1"}, {Kind: "fqdn", Value: "db-1.example.com"}},
		Attributes: map[string]any{"cpu": 8.0, "ok": true, "no": false, "none": nil, "tags": []any{"a", 1.5, []any{}},
			"hw": map[string]any{"mem": "64Gi", "disks": []any{map[string]any{"size": 512.0}}}, "ünïcode": "✓"},
		Provenance: map[string]graph.Origin{"name": {Source: "manual", Since: at}, "attributes.cpu": {Source: "nmap", Scope: "10.0.0.0/8", Since: at}}}
	tests := []struct {
		name   string
		ci     graph.CI
		binary bool
	}{
		{"everything", full, true},
		{"bare", graph.CI{ID: graph.NewID(), Name: "x", Class: graph.ClassServer, Status: "ACTIVE", Criticality: "LOW", CreatedAt: at, UpdatedAt: at}, true},
		{"integer attribute", func() graph.CI { c := full; c.Attributes = map[string]any{"n": 3}; return c }(), false},
		{"time not in UTC", func() graph.CI { c := full; c.UpdatedAt = at.In(time.FixedZone("X", 3600)); return c }(), false},
		{"invalid UTF-8", func() graph.CI { c := full; c.Owner = "\xff"; return c }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := encodeCI(&tt.ci)
			if err != nil {
				t.Fatal(err)
			}
			v := encodeCIValue(&tt.ci, j)
			if isBinary := v[0] == ciFormat; isBinary != tt.binary {
				t.Fatalf("binary = %v, want %v", isBinary, tt.binary)
			}
			want, err := decodeCI(j)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeCI(v)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%#v\nwant (from JSON)\n%#v", got, want)
			}
			if tt.binary {
				if _, err := decodeCI(v[:len(v)-1]); err == nil {
					t.Fatal("a truncated value decoded")
				}
			}
		})
	}
}

// encodeRel writes the common case itself; it must be byte for byte what
// json.Marshal writes, which relation entries were stored as.
func TestEncodeRelMatchesJSON(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	id := graph.NewID()
	cases := []graph.Relation{
		{From: id, Type: graph.RelRunsOn, To: graph.NewID(), CreatedAt: time.UnixMicro(1764000000123456).UTC()},
		{From: id, Type: graph.RelDependsOn, To: id, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{From: id, Type: "T", To: "x", CreatedAt: time.Date(2026, 6, 1, 12, 0, 0, 120000000, paris)},
		{From: "a<b>&c", Type: `q"uote\`, To: "é\n", CreatedAt: time.Date(2026, 6, 1, 12, 0, 0, 1, time.UTC)},
		{},
		{From: "far", Type: "T", To: "future", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, r := range cases {
		want, wantErr := json.Marshal(r)
		got, err := encodeRel(r)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("encodeRel(%+v) = %s, %v; json.Marshal: %s, %v", r, got, err, want, wantErr)
		}
	}
}

package embedded

import (
	"encoding/binary"
	"fmt"
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

// TestAuditFormats checks that entries round-trip with their import run,
// and that entries written before the run was recorded (format 1: no run
// field after the actor) still decode, with no run.
func TestAuditFormats(t *testing.T) {
	e := graph.AuditEntry{ID: graph.NewID(), At: time.UnixMicro(1_700_000_000_000_001).UTC(), Actor: "import:nmap",
		ImportRun: graph.NewID(), Action: graph.ActionCreate, SubjectKind: graph.SubjectCI, SubjectID: "x",
		About: []string{"x"}, After: []byte(`{"id":"x"}`)}
	got, err := decodeAudit(encodeAudit(&e))
	if err != nil || fmt.Sprint(got) != fmt.Sprint(e) {
		t.Fatalf("round trip:\n got %+v, %v\nwant %+v", got, err, e)
	}

	// Format 1 is format 2 without the run: drop its (empty) length byte.
	e.ImportRun = ""
	v2 := encodeAudit(&e)
	_, n := binary.Varint(v2[1:])
	runAt := 1 + n + 1 + len(e.ID) + 1 + len(e.Actor)
	if v2[runAt] != 0 {
		t.Fatalf("byte %d is %d, want the empty run's length", runAt, v2[runAt])
	}
	v1 := append([]byte{auditFormatV1}, v2[1:runAt]...)
	v1 = append(v1, v2[runAt+1:]...)
	got, err = decodeAudit(v1)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(e) {
		t.Fatalf("format 1:\n got %+v, %v\nwant %+v", got, err, e)
	}
	if _, err := decodeAudit(append([]byte{auditFormat + 1}, v2[1:]...)); err == nil {
		t.Fatal("unknown format decoded")
	}
}

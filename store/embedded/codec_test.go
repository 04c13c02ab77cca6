package embedded

import (
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

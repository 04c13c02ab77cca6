package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestHeldErrorListsAtMostMaxListedHolders(t *testing.T) {
	var hs []Holder
	for range MaxListedHolders + 5 {
		hs = append(hs, Holder{Kind: KindIncident, ID: NewID(), State: "NEW", Title: "inc"})
	}
	hs = append(hs, Holder{Kind: KindSLA, ID: NewID(), State: "ACTIVE"})
	e := HeldError(CI{ID: NewID(), Name: "db"}, hs)
	listed := e.Details["holders"].([]Holder)
	if e.Code != CodeConflict || e.Field != "id" || len(listed) != MaxListedHolders || e.Details["total"] != len(hs) {
		t.Fatalf("%s %q: %d listed, total %v", e.Code, e.Field, len(listed), e.Details["total"])
	}
	if !strings.Contains(e.Message, "25 open incidents, 1 SLA") || !strings.Contains(e.Message, "and 23 more") {
		t.Fatalf("message %q", e.Message)
	}
	// The details are what clients get as JSON.
	if _, err := json.Marshal(e.Details); err != nil {
		t.Fatal(err)
	}
}

func TestRecordTitle(t *testing.T) {
	for doc, want := range map[string]string{
		`{"title": "db down", "name": "x"}`: "db down",
		`{"name": "Checkout OLA"}`:          "Checkout OLA",
		`{}`:                                "",
		`[1]`:                               "",
	} {
		if got := RecordTitle(json.RawMessage(doc)); got != want {
			t.Errorf("RecordTitle(%s) = %q, want %q", doc, got, want)
		}
	}
}

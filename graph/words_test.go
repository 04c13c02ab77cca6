package graph

import "testing"

func TestWords(t *testing.T) {
	for kind, want := range map[RecordKind]string{KindIncident: "incident", KindChange: "change", KindSLA: "SLA",
		KindWindow: "window", KindImportRun: "import run"} {
		if got := kind.Noun(); got != want {
			t.Errorf("%s.Noun() = %q, want %q", kind, got, want)
		}
	}
	for word, want := range map[string]string{"incident": "an incident", "change": "a change", "APPROVED change": "an APPROVED change",
		"SCHEDULED change": "a SCHEDULED change", "EMERGENCY change": "an EMERGENCY change", "SLA": "an SLA", "": ""} {
		if got := Article(word); got != want {
			t.Errorf("Article(%q) = %q, want %q", word, got, want)
		}
	}
	if got := RecordNotFound("id", KindChange, "x").Message; got != `change "x" not found` {
		t.Errorf("RecordNotFound message %q", got)
	}
}

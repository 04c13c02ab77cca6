package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
)

// amPayload is what Alertmanager v0.28.1 posted to a webhook in a real run
// (one firing and one resolved alert; group fields trimmed).
const amPayload = `{"receiver":"ripple","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-01.example.com:9100","severity":"critical"},
  "annotations":{"summary":"CPU high","description":"load 40"},"startsAt":"2026-12-03T08:38:39Z",
  "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"dd854127073eb536"},
 {"status":"resolved","labels":{"alertname":"DiskFull","instance":"10.0.0.4:9100"},
  "annotations":{},"startsAt":"2026-12-03T08:30:00.123456789Z","endsAt":"2026-12-03T08:38:42Z","generatorURL":"","fingerprint":"0123456789abcdef"}],
 "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://vm:17791","version":"4","groupKey":"{}:{}","truncatedAlerts":0}`

func TestDecodeAlertmanager(t *testing.T) {
	ins, truncated, err := events.DefaultMapping().DecodeAlertmanager(strings.NewReader(amPayload))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || truncated != 0 {
		t.Fatalf("%d inputs (%d truncated), want 2", len(ins), truncated)
	}
	if _, truncated, _ = events.DefaultMapping().DecodeAlertmanager(strings.NewReader(`{"version":"4","alerts":[],"truncatedAlerts":3}`)); truncated != 3 {
		t.Errorf("truncated %d, want 3", truncated)
	}
	f, r := ins[0], ins[1]
	if f.Source != "alertmanager" || f.DedupKey != "dd854127073eb536" || f.Status != events.Firing || f.Severity != "critical" ||
		f.Summary != "CPU high" || f.Description != "load 40" || f.URL != "http://prom/graph" ||
		!f.StartsAt.Equal(time.Date(2026, 12, 3, 8, 38, 39, 0, time.UTC)) || !f.EndsAt.IsZero() {
		t.Fatalf("firing alert decoded as %+v", f)
	}
	if r.Status != events.Resolved || r.Summary != "DiskFull" || r.Severity != "" ||
		!r.EndsAt.Equal(time.Date(2026, 12, 3, 8, 38, 42, 0, time.UTC)) || r.StartsAt.Nanosecond() != 123456000 {
		t.Fatalf("resolved alert decoded as %+v", r)
	}
}

func TestDecodeErrors(t *testing.T) {
	alert := `{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f1"}`
	am := func(alerts ...string) string {
		return `{"version":"4","alerts":[` + strings.Join(alerts, ",") + `]}`
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"empty body", ``, "body"},
		{"not JSON", `{"version":`, "body"},
		{"version", `{"version":"3","alerts":[]}`, "version"},
		{"alerts not a list", `{"version":"4","alerts":{}}`, "alerts"},
		{"no labels", am(alert, alert, alert, `{"status":"firing","labels":{},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f"}`), "alerts[3].labels"},
		{"label not a string", am(`{"status":"firing","labels":{"a":1},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f"}`), "alerts[0].labels"},
		{"bad label name", am(alert, `{"status":"firing","labels":{"a-b":"x"},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f"}`), "alerts[1].labels"},
		{"status", am(`{"status":"pending","labels":{"a":"b"},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f"}`), "alerts[0].status"},
		{"no fingerprint", am(`{"status":"firing","labels":{"a":"b"},"startsAt":"2026-12-03T08:38:39Z"}`), "alerts[0].fingerprint"},
		{"bad startsAt", am(`{"status":"firing","labels":{"a":"b"},"startsAt":"yesterday","fingerprint":"f"}`), "alerts[0].startsAt"},
		{"no startsAt", am(`{"status":"firing","labels":{"a":"b"},"fingerprint":"f"}`), "alerts[0].startsAt"},
		{"resolved without endsAt", am(`{"status":"resolved","labels":{"a":"b"},"startsAt":"2026-12-03T08:38:39Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f"}`), "alerts[0].endsAt"},
		{"label too long", am(`{"status":"firing","labels":{"a":"` + strings.Repeat("x", events.MaxLabelValue+1) + `"},"startsAt":"2026-12-03T08:38:39Z","fingerprint":"f"}`), "alerts[0].labels.a"},
		{"trailing data", am(alert) + `{}`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := events.DefaultMapping().DecodeAlertmanager(strings.NewReader(tc.body))
			wantErr(t, err, graph.CodeInvalidInput, tc.field)
		})
	}
}

func TestDecodeGeneric(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	one := `{"source":"nagios","dedupKey":"web-01/disk","status":"firing","severity":"critical","summary":"Disk full",
	         "identifiers":[{"kind":"fqdn","value":" Web-01.Example.com"}],"labels":{"instance":"web-01:9100"}}`
	ins, err := events.DecodeGeneric(strings.NewReader(one), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].Status != events.Firing || !ins[0].StartsAt.Equal(now) ||
		ins[0].Identifiers[0] != (graph.Identifier{Kind: "fqdn", Value: "web-01.example.com"}) || ins[0].Labels["instance"] != "web-01:9100" {
		t.Fatalf("decoded %+v", ins)
	}
	ins, err = events.DecodeGeneric(strings.NewReader(`[`+one+`,{"source":"nagios","dedupKey":"k","status":"RESOLVED","summary":"s","time":"2026-12-03T08:00:00+01:00"}]`), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[1].Status != events.Resolved || !ins[1].EndsAt.Equal(time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", ins)
	}

	ok := `{"source":"s","dedupKey":"k","status":"firing","summary":"x"}`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"empty", ` `, "body"},
		{"empty array", `[]`, "events"},
		{"unknown field", `{"source":"s","dedupKey":"k","status":"firing","summary":"x","sevrity":"high"}`, "sevrity"},
		{"unknown field in array", `[` + ok + `,{"source":"s","dedupKey":"k","status":"firing","summary":"x","ci":"a"}]`, "events[1].ci"},
		{"no source", `{"dedupKey":"k","status":"firing","summary":"x"}`, "source"},
		{"bad source", `{"source":"Nagios!","dedupKey":"k","status":"firing","summary":"x"}`, "source"},
		{"no key", `[` + ok + `,` + ok + `,{"source":"s","status":"firing","summary":"x"}]`, "events[2].dedupKey"},
		{"status", `{"source":"s","dedupKey":"k","status":"ok","summary":"x"}`, "status"},
		{"no summary", `{"source":"s","dedupKey":"k","status":"firing"}`, "summary"},
		{"bad time", `{"source":"s","dedupKey":"k","status":"firing","summary":"x","time":"now"}`, "time"},
		{"identifier without value", `{"source":"s","dedupKey":"k","status":"firing","summary":"x","identifiers":[{"kind":"ip","value":""}]}`, "identifiers[0].value"},
		{"labels not strings", `[{"source":"s","dedupKey":"k","status":"firing","summary":"x","labels":{"a":true}}]`, "events[0].labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := events.DecodeGeneric(strings.NewReader(tc.body), now)
			wantErr(t, err, graph.CodeInvalidInput, tc.field)
		})
	}
}

// The decoders take bodies from the network: whatever the bytes, they
// return inputs or an INVALID_INPUT naming a field, and never panic.
func FuzzDecodeAlertmanager(f *testing.F) {
	f.Add(amPayload)
	f.Add(`{"version":"4","alerts":[{"status":"resolved","labels":{"a":"b"},"fingerprint":"f","startsAt":"2026-01-01T00:00:00Z","endsAt":"x"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		ins, _, err := events.DefaultMapping().DecodeAlertmanager(strings.NewReader(body))
		checkDecoded(t, ins, err)
	})
}

func FuzzDecodeGeneric(f *testing.F) {
	f.Add(`{"source":"s","dedupKey":"k","status":"firing","summary":"x","identifiers":[{"kind":"ip","value":"10.0.0.1"}]}`)
	f.Add(`[{"source":"s","dedupKey":"k","status":"resolved","summary":"x","time":"2026-01-01T00:00:00Z"}]`)
	f.Fuzz(func(t *testing.T, body string) {
		ins, err := events.DecodeGeneric(strings.NewReader(body), time.Now())
		checkDecoded(t, ins, err)
	})
}

func checkDecoded(t *testing.T, ins []events.Input, err error) {
	t.Helper()
	if err != nil {
		if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) == "" {
			t.Fatalf("error %v: want INVALID_INPUT naming a field", err)
		}
		return
	}
	for _, in := range ins {
		if in.DedupKey == "" || (in.Status != events.Firing && in.Status != events.Resolved) || in.Summary == "" {
			t.Fatalf("accepted an invalid input %+v", in)
		}
	}
}

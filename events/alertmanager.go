package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// amPayload is Alertmanager's webhook payload, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
// Group fields are not needed: each alert carries its own labels.
type amPayload struct {
	Version         string            `json:"version"`
	Status          string            `json:"status"`
	Receiver        string            `json:"receiver"`
	TruncatedAlerts int               `json:"truncatedAlerts"`
	ExternalURL     string            `json:"externalURL"`
	Alerts          []json.RawMessage `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// DecodeAlertmanager reads a webhook payload (version 4) into one input
// per alert, de-duplicated by the alert's fingerprint (the hash of its
// labels, the same on every Alertmanager of a cluster). Severity comes from
// the mapping's severity label; the summary from the summary annotation
// (else title, message, the alertname label, the fingerprint); the
// description from the description annotation (else message). Nothing is
// returned unless every alert is valid; errors name the field at fault,
// such as "alerts[3].labels". truncated is the number of alerts
// Alertmanager left out of the payload (its max_alerts): they never reach
// Ripple, and the caller should say so.
func (m Mapping) DecodeAlertmanager(r io.Reader) (ins []Input, truncated int, err error) {
	var p amPayload
	if err := decodeJSON(r, &p, "", false); err != nil {
		return nil, 0, err
	}
	if p.Version != "4" {
		return nil, 0, graph.Invalid("version", "payload version %q is not supported (want \"4\", Alertmanager's webhook format)", clipBytes(p.Version, 16))
	}
	if len(p.Alerts) > MaxBatch {
		return nil, 0, graph.Invalid("alerts", "more than %d alerts in one payload (make the groups smaller with group_by)", MaxBatch)
	}
	out := make([]Input, 0, len(p.Alerts))
	for i, raw := range p.Alerts {
		field := fmt.Sprintf("alerts[%d]", i)
		var a amAlert
		if err := decodeJSON(bytes.NewReader(raw), &a, field, false); err != nil {
			return nil, 0, err
		}
		if len(a.Labels) == 0 {
			return nil, 0, graph.Invalid(field+".labels", "an alert needs labels")
		}
		if strings.TrimSpace(a.Fingerprint) == "" {
			return nil, 0, graph.Invalid(field+".fingerprint", "an alert needs its fingerprint")
		}
		in := Input{Source: SourceAlertmanager, DedupKey: a.Fingerprint, Severity: a.Labels[m.SeverityLabel],
			Summary:     firstOf(a.Annotations["summary"], a.Annotations["title"], a.Annotations["message"], a.Labels["alertname"], a.Fingerprint),
			Description: firstOf(a.Annotations["description"], a.Annotations["message"]),
			Labels:      a.Labels, Annotations: a.Annotations, URL: a.GeneratorURL, Field: field}
		var err error
		if in.StartsAt, err = parseTime(field+".startsAt", a.StartsAt); err != nil {
			return nil, 0, err
		}
		switch a.Status {
		case "firing":
			in.Status = Firing
		case "resolved":
			in.Status = Resolved
			if in.EndsAt, err = parseTime(field+".endsAt", a.EndsAt); err != nil {
				return nil, 0, err
			}
		default:
			return nil, 0, graph.Invalid(field+".status", "status must be firing or resolved, not %q", clipBytes(a.Status, 32))
		}
		in.Summary = clipBytes(strings.TrimSpace(in.Summary), MaxSummary)
		if err := in.check(); err != nil {
			return nil, 0, err
		}
		out = append(out, in)
	}
	return out, p.TruncatedAlerts, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// decodeJSON decodes one JSON value, naming the field at fault in errors
// under prefix ("alerts[3]"). strict refuses unknown fields.
func decodeJSON(r io.Reader, v any, prefix string, strict bool) error {
	dec := json.NewDecoder(r)
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return graph.Invalid(orRoot(prefix), "unexpected data after the JSON value")
		}
		return nil
	}
	field := func(f string) string {
		if f == "" {
			return orRoot(prefix)
		}
		return join(prefix, f)
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return graph.Invalid(field(typeErr.Field), "expected %s, got JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return graph.Invalid(orRoot(prefix), "malformed JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return graph.Invalid(field(name), "unknown field %q", name)
	case errors.Is(err, io.EOF):
		return graph.Invalid(orRoot(prefix), "the body is empty: a JSON object is expected")
	}
	return graph.Invalid(orRoot(prefix), "malformed JSON: %v", err)
}

func orRoot(f string) string {
	if f == "" {
		return "body"
	}
	return f
}

// parseTime reads an RFC 3339 time; "" and Go's zero time (which
// Alertmanager sends as a firing alert's endsAt) are the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, graph.Invalid(field, "bad time %q: want RFC 3339 (2006-01-02T15:04:05Z)", clipBytes(s, 40))
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

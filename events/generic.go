package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// genericEvent is the documented JSON event any monitor can send to
// POST /api/v1/events (README "Monitoring events").
type genericEvent struct {
	Source      string             `json:"source"`
	DedupKey    string             `json:"dedupKey"`
	Status      string             `json:"status"`
	Severity    string             `json:"severity"`
	Summary     string             `json:"summary"`
	Description string             `json:"description"`
	Time        string             `json:"time"`
	Identifiers []graph.Identifier `json:"identifiers"`
	Labels      map[string]string  `json:"labels"`
	URL         string             `json:"url"`
}

// DecodeGeneric reads one generic event (a JSON object) or several (an
// array of them, named events[i] in errors). time is when the status began
// — when the condition started for a firing event, when it ended for a
// resolved one — and defaults to now. Unknown fields are errors, so a typo
// is not silently dropped; nothing is returned unless every event is valid.
func DecodeGeneric(r io.Reader, now time.Time) ([]Input, error) {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return nil, graph.Invalid("body", "the body is empty: a JSON event or an array of them is expected")
	}
	var raws []json.RawMessage
	array := first == '['
	if array {
		if err := decodeJSON(br, &raws, "", false); err != nil {
			return nil, err
		}
		if len(raws) == 0 {
			return nil, graph.Invalid("events", "the array holds no events")
		}
		if len(raws) > MaxBatch {
			return nil, graph.Invalid("events", "more than %d events in one request", MaxBatch)
		}
	} else {
		var raw json.RawMessage
		if err := decodeJSON(br, &raw, "", false); err != nil {
			return nil, err
		}
		raws = []json.RawMessage{raw}
	}
	out := make([]Input, 0, len(raws))
	for i, raw := range raws {
		field := ""
		if array {
			field = fmt.Sprintf("events[%d]", i)
		}
		var g genericEvent
		if err := decodeJSON(bytes.NewReader(raw), &g, field, true); err != nil {
			return nil, err
		}
		in := Input{Source: g.Source, DedupKey: g.DedupKey, Severity: g.Severity, Summary: strings.TrimSpace(g.Summary),
			Description: g.Description, Identifiers: g.Identifiers, Labels: g.Labels, URL: g.URL, Field: field}
		at, err := parseTime(join(field, "time"), g.Time)
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			at = now
		}
		switch strings.ToLower(g.Status) {
		case "firing":
			in.Status, in.StartsAt = Firing, at
		case "resolved":
			in.Status, in.EndsAt = Resolved, at
		default:
			return nil, graph.Invalid(join(field, "status"), "status must be firing or resolved, not %q", clipBytes(g.Status, 32))
		}
		if err := in.check(); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

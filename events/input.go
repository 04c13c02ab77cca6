package events

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
)

// Limits on one event, so that a runaway monitor cannot fill the store.
const (
	MaxDedupKey    = 256
	MaxLabels      = 64
	MaxLabelValue  = 4 << 10
	MaxAnnotation  = 16 << 10
	MaxSummary     = 1024
	MaxURL         = 2048
	MaxIdentifiers = 16
	// MaxEventBytes bounds an event's labels, annotations, text and
	// identifiers together.
	MaxEventBytes = 64 << 10
	// MaxBatch bounds the events of one request.
	MaxBatch = 5000
)

// Input is one event as a monitor reports it, decoded from its wire format.
type Input struct {
	Source   string
	DedupKey string
	Status   Status
	Severity string
	// Summary and Description become the incident's title and
	// description.
	Summary     string
	Description string
	Labels      map[string]string
	Annotations map[string]string
	Identifiers []graph.Identifier
	URL         string
	// StartsAt is when the condition began (zero: unknown, for a resolved
	// event); EndsAt when it ended, for a resolved event.
	StartsAt, EndsAt time.Time
	// Field names the event in errors: "alerts[3]", "events[0]".
	Field string
}

// statusAt is when the reported status began.
func (in *Input) statusAt() time.Time {
	if in.Status == Resolved {
		return in.EndsAt
	}
	return in.StartsAt
}

// check validates an input after decoding; errors name the field at fault.
func (in *Input) check() error {
	f := func(name string) string {
		if in.Field == "" {
			return name
		}
		return in.Field + "." + name
	}
	if err := graph.CheckSource(f("source"), in.Source); err != nil {
		return err
	}
	if strings.TrimSpace(in.DedupKey) == "" {
		return graph.Invalid(f("dedupKey"), "a de-duplication key is required")
	}
	if len(in.DedupKey) > MaxDedupKey {
		return graph.Invalid(f("dedupKey"), "the de-duplication key is longer than %d bytes", MaxDedupKey)
	}
	switch in.Status {
	case Firing:
		if in.StartsAt.IsZero() {
			return graph.Invalid(f("startsAt"), "a firing event needs the time it started")
		}
	case Resolved:
		if in.EndsAt.IsZero() {
			return graph.Invalid(f("endsAt"), "a resolved event needs the time it ended")
		}
		if !in.StartsAt.IsZero() && in.EndsAt.Before(in.StartsAt) {
			return graph.Invalid(f("endsAt"), "endsAt is before startsAt")
		}
	default:
		return graph.Invalid(f("status"), "status must be firing or resolved, not %q", in.Status)
	}
	if strings.TrimSpace(in.Summary) == "" {
		return graph.Invalid(f("summary"), "a summary is required")
	}
	if !utf8.ValidString(in.Summary) || len(in.Summary) > MaxSummary {
		return graph.Invalid(f("summary"), "the summary must be valid UTF-8 of at most %d bytes", MaxSummary)
	}
	if len(in.Description) > MaxAnnotation {
		return graph.Invalid(f("description"), "the description is longer than %d bytes", MaxAnnotation)
	}
	if len(in.URL) > MaxURL {
		return graph.Invalid(f("url"), "the URL is longer than %d bytes", MaxURL)
	}
	size := len(in.Summary) + len(in.Description) + len(in.URL) + len(in.Severity)
	for _, set := range []struct {
		name  string
		kv    map[string]string
		limit int
	}{{"labels", in.Labels, MaxLabelValue}, {"annotations", in.Annotations, MaxAnnotation}} {
		if len(set.kv) > MaxLabels {
			return graph.Invalid(f(set.name), "more than %d %s", MaxLabels, set.name)
		}
		for k, v := range set.kv {
			if !labelNameRE.MatchString(k) {
				return graph.Invalid(f(set.name), "%q is not a label name (letters, digits and _, not starting with a digit)", clipBytes(k, 64))
			}
			if len(v) > set.limit {
				return graph.Invalid(f(set.name+"."+k), "longer than %d bytes", set.limit)
			}
			size += len(k) + len(v)
		}
	}
	if len(in.Identifiers) > MaxIdentifiers {
		return graph.Invalid(f("identifiers"), "more than %d identifiers", MaxIdentifiers)
	}
	for i, id := range in.Identifiers {
		field := f(fmt.Sprintf("identifiers[%d]", i))
		id = graph.NormalizeIdentifier(id)
		if id.Kind == "" {
			return graph.Invalid(field+".kind", "an identifier needs a kind")
		}
		if id.Value == "" {
			return graph.Invalid(field+".value", "an identifier needs a value")
		}
		if len(id.Kind) > 64 || len(id.Value) > graph.MaxIdentifierValue {
			return graph.Invalid(field, "identifier is too long")
		}
		in.Identifiers[i] = id
		size += len(id.Kind) + len(id.Value)
	}
	if size > MaxEventBytes {
		return graph.Invalid(f("labels"), "the event is larger than %d bytes", MaxEventBytes)
	}
	return nil
}

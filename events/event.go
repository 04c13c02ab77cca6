// Package events turns monitoring events — Alertmanager webhooks and a
// small generic format for any other monitor — into incidents on the CIs
// they are about.
//
// Each event is kept as a record (graph.KindEvent) whose id is derived from
// its source and de-duplication key, so every delivery of the same alert,
// from any number of Ripple replicas, reads and writes the same versioned
// record: re-sends update it, concurrent deliveries are serialised by its
// version, and the record remembers the incident the event raised. The
// event finds its CI through identification rules over its labels (see
// Mapping); one that maps to no CI is kept, listed and counted as unmapped
// until a later delivery or MapEvent maps it.
package events

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// Status is whether the condition an event reports holds.
type Status string

// Statuses.
const (
	Firing   Status = "FIRING"
	Resolved Status = "RESOLVED"
)

// SourceAlertmanager is the source of events from Alertmanager's webhook.
const SourceAlertmanager = "alertmanager"

// MappedManually is Event.MappedBy for an event mapped with MapEvent.
const MappedManually = "manual"

// Event is one monitored condition as Ripple keeps it: the latest report
// of it, the CI it is about and the incident it raised.
type Event struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	DedupKey    string            `json:"dedupKey"`
	Status      Status            `json:"status"`
	Severity    string            `json:"severity,omitempty"`
	Summary     string            `json:"summary"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Identifiers are those the monitor named the CI by (generic events).
	Identifiers []graph.Identifier `json:"identifiers,omitempty"`
	URL         string             `json:"url,omitempty"`
	// StartsAt is when the condition began to hold this time; EndsAt when
	// it stopped (set while RESOLVED).
	StartsAt time.Time  `json:"startsAt"`
	EndsAt   *time.Time `json:"endsAt,omitempty"`
	// CI is the CI the event is about, "" while unmapped; MappedBy names
	// the rule that found it, or MappedManually.
	CI       string `json:"ciId,omitempty"`
	MappedBy string `json:"mappedBy,omitempty"`
	// UnmappedReason says why no CI matched at the last attempt.
	UnmappedReason string `json:"unmappedReason,omitempty"`
	// IncidentID is the incident the event raised (see incidentID).
	IncidentID string `json:"incidentId,omitempty"`
	// PastIncidents were raised by earlier firings and CLOSED before the
	// event fired again.
	PastIncidents []string  `json:"pastIncidents,omitempty"`
	Version       int64     `json:"-"`
	CreatedAt     time.Time `json:"-"`
	UpdatedAt     time.Time `json:"-"`
}

// idSpace namespaces event ids (name-based UUIDs).
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/ripple-cmdb/ripple/events"))

// EventID is the record id of the event a source reports under a
// de-duplication key: the same for every delivery, on every replica.
func EventID(source, dedupKey string) string {
	return uuid.NewSHA1(idSpace, []byte(source+"\x00"+dedupKey)).String()
}

// incidentID is the id of the incident an event raises for the firing
// that started at startsAt: the same for every delivery on every replica,
// so concurrent deliveries raise one incident and a delivery that stopped
// half-way is finished by the next. It is a version-7 UUID whose time is
// startsAt, so incident lists (newest id first) order it by when the alert
// began, among incidents raised by hand at their creation time.
func incidentID(eventID string, startsAt time.Time) string {
	h := sha1.Sum([]byte(eventID + "\x00" + startsAt.UTC().Format(time.RFC3339Nano)))
	var u uuid.UUID
	ms := uint64(max(startsAt.UnixMilli(), 0))
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	copy(u[6:], h[:10])
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

// statusAt is when the current status began; deliveries older than the
// stored one are stale.
func (e *Event) statusAt() time.Time {
	if e.Status == Resolved && e.EndsAt != nil {
		return *e.EndsAt
	}
	return e.StartsAt
}

// Record states: the status, prefixed for events no CI matched, so that a
// list can select unmapped events, firing ones or both with one index.
const unmappedPrefix = "UNMAPPED_"

func recordState(mapped bool, s Status) string {
	if mapped {
		return string(s)
	}
	return unmappedPrefix + string(s)
}

func sourceRef(source string) string { return "SOURCE:" + source }

// record is the event's storage form: its state, its time span, a link to
// its CI and references to its source and incidents.
func (e *Event) record() (graph.Record, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return graph.Record{}, graph.Internal(err, "encode event %s", e.ID)
	}
	rec := graph.Record{Kind: graph.KindEvent, ID: e.ID, State: recordState(e.CI != "", e.Status),
		Start: &e.StartsAt, End: e.EndsAt, Refs: []string{sourceRef(e.Source)}, Doc: doc}
	if e.CI != "" {
		rec.Links = []graph.RecordLink{{Role: itsm.RoleAffects, CI: e.CI}}
	}
	for _, id := range append(slices.Clone(e.PastIncidents), e.IncidentID) {
		if id != "" {
			rec.Refs = append(rec.Refs, graph.RecordRef(graph.KindIncident, id))
		}
	}
	return rec, nil
}

func decodeEvent(rec graph.Record) (*Event, error) {
	var e Event
	if err := json.Unmarshal(rec.Doc, &e); err != nil {
		return nil, graph.Internal(err, "decode event %s", rec.ID)
	}
	e.Version, e.CreatedAt, e.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return &e, nil
}

func (e *Event) clone() *Event {
	c := *e
	c.Labels = maps.Clone(e.Labels)
	c.Annotations = maps.Clone(e.Annotations)
	c.Identifiers = slices.Clone(e.Identifiers)
	c.PastIncidents = slices.Clone(e.PastIncidents)
	if e.EndsAt != nil {
		t := *e.EndsAt
		c.EndsAt = &t
	}
	return &c
}

// GetEvent reads one event. Errors: INVALID_INPUT, NOT_FOUND ("id").
func (s *Service) GetEvent(ctx context.Context, id string) (*Event, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, err := s.Store.GetRecord(ctx, graph.KindEvent, id)
	if err != nil {
		return nil, err
	}
	return decodeEvent(rec)
}

// Filter selects events; empty fields match every event.
type Filter struct {
	// Unmapped, when set, selects the events no CI matched (true) or
	// those mapped to one (false).
	Unmapped *bool
	Status   Status
	Source   string
	// CI selects the events mapped to this CI.
	CI string
}

// ListEvents returns one page of events in a stable order (by id, which
// for events is derived from source and key, not from time).
func (s *Service) ListEvents(ctx context.Context, f Filter, p graph.Page) ([]*Event, graph.RecordPage, error) {
	rf, err := recordFilter(f)
	if err != nil {
		return nil, graph.RecordPage{}, err
	}
	page, err := s.Store.ListRecords(ctx, graph.KindEvent, rf, p)
	if err != nil {
		return nil, page, err
	}
	out := make([]*Event, 0, len(page.Records))
	for _, rec := range page.Records {
		e, err := decodeEvent(rec)
		if err != nil {
			return nil, page, err
		}
		out = append(out, e)
	}
	return out, page, nil
}

func recordFilter(f Filter) (graph.RecordFilter, error) {
	var rf graph.RecordFilter
	statuses := []Status{Firing, Resolved}
	switch f.Status {
	case "":
	case Firing, Resolved:
		statuses = []Status{f.Status}
	default:
		return rf, graph.Invalid("status", "unknown event status %q", f.Status)
	}
	for _, st := range statuses {
		if f.Unmapped == nil || !*f.Unmapped {
			rf.States = append(rf.States, recordState(true, st))
		}
		if f.Unmapped == nil || *f.Unmapped {
			rf.States = append(rf.States, recordState(false, st))
		}
	}
	if f.Source != "" {
		if err := graph.CheckSource("source", f.Source); err != nil {
			return rf, err
		}
		rf.Ref = sourceRef(f.Source)
	}
	if f.CI != "" {
		if err := graph.CheckID("ciId", f.CI); err != nil {
			return rf, err
		}
		rf.CI = f.CI
	}
	return rf, nil
}

// Counts are how many events there are, by status and mapping.
type Counts struct {
	Total, Firing, Unmapped, UnmappedFiring int
}

// CountEvents counts the events (one indexed count each, no documents
// read).
func (s *Service) CountEvents(ctx context.Context) (Counts, error) {
	yes := true
	var c Counts
	for _, q := range []struct {
		f   Filter
		out *int
	}{
		{Filter{}, &c.Total},
		{Filter{Status: Firing}, &c.Firing},
		{Filter{Unmapped: &yes}, &c.Unmapped},
		{Filter{Unmapped: &yes, Status: Firing}, &c.UnmappedFiring},
	} {
		rf, err := recordFilter(q.f)
		if err != nil {
			return c, err
		}
		page, err := s.Store.ListRecords(ctx, graph.KindEvent, rf, graph.Page{First: 1})
		if err != nil {
			return c, err
		}
		*q.out = page.TotalCount
	}
	return c, nil
}

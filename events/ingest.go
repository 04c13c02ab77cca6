package events

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// Service ingests events and keeps their incidents in step. It is
// stateless: any number of Ripple instances may share one store.
type Service struct {
	Store   graph.Store
	ITSM    *itsm.Service
	Mapping Mapping
	// Now is the clock; tests set it.
	Now func() time.Time
	// Workers bounds how many events of one request are ingested at once
	// (events with the same key always one after the other, in order).
	Workers int
}

// New returns a service over the ITSM service's store, mapping events by m
// (DefaultMapping when m has no rules).
func New(svc *itsm.Service, m Mapping) *Service {
	if len(m.Rules) == 0 {
		m = DefaultMapping()
	}
	return &Service{Store: svc.Store, ITSM: svc, Mapping: m, Now: graph.Now, Workers: 4}
}

// Outcome says what ingesting one event did.
type Outcome string

// Outcomes.
const (
	// OutcomeCreated: the event raised a new incident.
	OutcomeCreated Outcome = "INCIDENT_CREATED"
	// OutcomeUpdated: the incident took the event's new summary,
	// description or severity.
	OutcomeUpdated Outcome = "INCIDENT_UPDATED"
	// OutcomeResolved: the event resolved and so did its incident.
	OutcomeResolved Outcome = "INCIDENT_RESOLVED"
	// OutcomeReopened: a resolved event fired again and reopened its
	// incident.
	OutcomeReopened Outcome = "INCIDENT_REOPENED"
	// OutcomeUnchanged: a re-send of what is already known.
	OutcomeUnchanged Outcome = "UNCHANGED"
	// OutcomeUnmapped: no CI matches the event; it is kept as unmapped.
	OutcomeUnmapped Outcome = "UNMAPPED"
	// OutcomeStale: the delivery is older than what is stored (an earlier
	// firing arriving after the resolution); nothing changed.
	OutcomeStale Outcome = "STALE"
	// OutcomeRejected: a rule refused the event (Result.Error says why);
	// the other events of the request go on.
	OutcomeRejected Outcome = "REJECTED"
)

// Result is what ingesting one event did.
type Result struct {
	EventID    string  `json:"eventId"`
	Source     string  `json:"source"`
	DedupKey   string  `json:"dedupKey"`
	Outcome    Outcome `json:"outcome"`
	CI         string  `json:"ciId,omitempty"`
	IncidentID string  `json:"incidentId,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// maxAttempts bounds the retries of a read-modify-write of one event that
// loses a race with another delivery.
const maxAttempts = 8

// IngestAll ingests events in order per key, several keys at a time. An
// event a rule refuses (INVALID_INPUT) is reported REJECTED and the others
// go on, since sending it again cannot help; any other error (the store
// failed) stops it, and the sender should send the whole request again,
// which is safe since ingestion is idempotent.
func (s *Service) IngestAll(ctx context.Context, ins []Input) ([]Result, error) {
	results := make([]Result, len(ins))
	groups := map[string][]int{}
	var order []string
	for i := range ins {
		id := EventID(ins[i].Source, ins[i].DedupKey)
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], i)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan []int)
	var wg sync.WaitGroup
	for range max(1, min(s.Workers, len(order))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range work {
				for _, i := range idx {
					r, err := s.Ingest(ctx, ins[i])
					if graph.ErrorCode(err) == graph.CodeInvalidInput {
						r = Result{EventID: EventID(ins[i].Source, ins[i].DedupKey), Source: ins[i].Source, DedupKey: ins[i].DedupKey,
							Outcome: OutcomeRejected, Error: err.Error()}
						err = nil
					}
					if err != nil {
						cancel(fmt.Errorf("%s: %w", orRoot(ins[i].Field), err))
						break
					}
					results[i] = r
				}
			}
		}()
	}
	for _, id := range order {
		if ctx.Err() != nil {
			break
		}
		work <- groups[id]
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

// Ingest records one event and brings its incident in step: a new firing
// event on a CI raises an incident; a re-send changes nothing, or updates
// the incident's text and priority when the event's changed; a resolution
// resolves the incident, with a note; a firing after a resolution reopens
// it (or raises a new one if it was CLOSED). An event that maps to no CI
// is kept as unmapped, and mapped (with its incident) by a later delivery
// once a CI matches, or by MapEvent.
//
// The incident is acted on first and the event recorded after: a delivery
// that stops in between leaves the event as it was, so the sender's retry
// (Alertmanager retries whatever did not get a 2xx) makes the same moves
// again, each of which is idempotent, and records the event then.
func (s *Service) Ingest(ctx context.Context, in Input) (Result, error) {
	if err := in.check(); err != nil {
		return Result{}, err
	}
	id := EventID(in.Source, in.DedupKey)
	// acted is what an attempt that lost the race to record the event did
	// to the incident: the retry finds nothing left to do, but it was done.
	acted := OutcomeUnchanged
	for attempt := 1; ; attempt++ {
		rec, cur, err := s.load(ctx, id)
		if err != nil {
			return Result{}, err
		}
		next, stale := s.merge(cur, &in)
		if stale {
			return result(cur, OutcomeStale), nil
		}
		if next.CI == "" {
			found, err := s.identify(ctx, next)
			if err != nil {
				return Result{}, err
			}
			next.CI, next.MappedBy, next.UnmappedReason = found.CI, found.Rule, found.Reason
		}
		outcome, err := s.keepInStep(ctx, cur, next, false)
		if err != nil {
			return Result{}, err
		}
		switch {
		case outcome == OutcomeUnchanged:
			outcome = acted
		case outcome != OutcomeUnmapped:
			acted = outcome
		}
		if cur != nil && sameEvent(cur, next) {
			return result(next, outcome), nil
		}
		err = s.put(ctx, next, rec.Version)
		switch {
		case err == nil:
			return result(next, outcome), nil
		case attempt < maxAttempts && (lostRace(err) || (graph.ErrorCode(err) == graph.CodeNotFound && graph.ErrorField(err) == "ciId")):
			// Another delivery wrote first, or the CI matched was deleted
			// meanwhile: start again from what is stored now.
		default:
			return Result{}, err
		}
	}
}

func result(ev *Event, o Outcome) Result {
	if ev == nil {
		return Result{Outcome: o}
	}
	return Result{EventID: ev.ID, Source: ev.Source, DedupKey: ev.DedupKey, Outcome: o, CI: ev.CI, IncidentID: ev.IncidentID}
}

// load reads an event and its record; both are zero (nil) when there is
// none yet.
func (s *Service) load(ctx context.Context, id string) (graph.Record, *Event, error) {
	rec, err := s.Store.GetRecord(ctx, graph.KindEvent, id)
	switch {
	case graph.ErrorCode(err) == graph.CodeNotFound:
		return graph.Record{}, nil, nil
	case err != nil:
		return rec, nil, err
	}
	ev, err := decodeEvent(rec)
	return rec, ev, err
}

// put writes an event: a create when version is 0, else an update of that
// version.
func (s *Service) put(ctx context.Context, ev *Event, version int64) error {
	rec, err := ev.record()
	if err != nil {
		return err
	}
	stored, err := s.Store.PutRecord(ctx, rec, version)
	if err != nil {
		return graph.RenameField(err, "links[0]", "ciId")
	}
	ev.Version, ev.CreatedAt, ev.UpdatedAt = stored.Version, stored.CreatedAt, stored.UpdatedAt
	return nil
}

// lostRace reports a write refused because another writer got there first.
func lostRace(err error) bool {
	return graph.ErrorCode(err) == graph.CodeConflict && (graph.ErrorField(err) == "version" || graph.ErrorField(err) == "id")
}

// merge applies a delivery to the stored event (nil for a new one). It
// reports the delivery stale when its status began before the stored
// one's (a firing re-sent before the resolution, delivered after it), or
// at the same time as a stored resolution.
func (s *Service) merge(cur *Event, in *Input) (*Event, bool) {
	var next *Event
	if cur == nil {
		next = &Event{ID: EventID(in.Source, in.DedupKey), Source: in.Source, DedupKey: in.DedupKey}
	} else {
		at, stored := in.statusAt(), cur.statusAt()
		if at.Before(stored) || (at.Equal(stored) && in.Status == Firing && cur.Status == Resolved) {
			return nil, true
		}
		next = cur.clone()
	}
	next.Status = in.Status
	switch {
	case in.Status == Firing:
		next.StartsAt, next.EndsAt = in.StartsAt, nil
	case !in.StartsAt.IsZero():
		next.StartsAt = in.StartsAt
	case next.StartsAt.IsZero():
		next.StartsAt = in.EndsAt // resolved, never seen firing, start unknown
	}
	if in.Status == Resolved {
		end := in.EndsAt
		next.EndsAt = &end
	}
	next.Severity, next.Summary, next.Description, next.URL = in.Severity, in.Summary, in.Description, in.URL
	next.Labels, next.Annotations, next.Identifiers = in.Labels, in.Annotations, in.Identifiers
	return next, false
}

// sameEvent reports whether writing next would change nothing.
func sameEvent(a, b *Event) bool {
	ra, err1 := a.record()
	rb, err2 := b.record()
	return err1 == nil && err2 == nil && string(ra.Doc) == string(rb.Doc)
}

// MapEvent maps an unmapped event to a CI and raises its incident (which
// is resolved at once if the event has resolved: the record of what
// happened is kept). Later deliveries keep the CI. Errors: NOT_FOUND
// ("id", "ciId"), CONFLICT ("id") when the event is already mapped.
func (s *Service) MapEvent(ctx context.Context, id, ciID string) (*Event, Result, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, Result{}, err
	}
	if err := graph.CheckID("ciId", ciID); err != nil {
		return nil, Result{}, err
	}
	for attempt := 1; ; attempt++ {
		rec, cur, err := s.load(ctx, id)
		switch {
		case err != nil:
			return nil, Result{}, err
		case cur == nil:
			return nil, Result{}, graph.NotFound("id", "event", id)
		case cur.CI != "":
			return nil, Result{}, graph.Errorf(graph.CodeConflict, "id", "event %s is already mapped to CI %s", id, cur.CI)
		}
		found, err := s.Store.CIsByIDs(ctx, []string{ciID})
		if err != nil {
			return nil, Result{}, fmt.Errorf("read CI %s: %w", ciID, err)
		}
		if _, ok := found[ciID]; !ok {
			return nil, Result{}, graph.NotFound("ciId", "CI", ciID)
		}
		next := cur.clone()
		next.CI, next.MappedBy, next.UnmappedReason = ciID, MappedManually, ""
		outcome, err := s.keepInStep(ctx, cur, next, true)
		if err != nil {
			return nil, Result{}, err
		}
		if next.CI == "" { // deleted meanwhile
			return nil, Result{}, graph.NotFound("ciId", "CI", ciID)
		}
		err = s.put(ctx, next, rec.Version)
		switch {
		case err == nil:
			return next, result(next, outcome), nil
		case attempt < maxAttempts && lostRace(err):
		default:
			return nil, Result{}, err
		}
	}
}

// keepInStep moves the incident of next towards next's state, knowing
// that cur (nil for a new event) is what was recorded, and so what the
// incident reflects already. It only acts on a change: a new firing, a
// resolution, new text; so a person who resolves or edits the incident
// while the alert keeps being re-sent is not overruled. Every move reads
// the incident first and is idempotent. It sets next.IncidentID (and
// PastIncidents), or unmaps next when its CI is gone. raiseResolved raises
// (and resolves) an incident for a resolved event that has none.
func (s *Service) keepInStep(ctx context.Context, cur, next *Event, raiseResolved bool) (Outcome, error) {
	if next.CI == "" {
		return OutcomeUnmapped, nil
	}
	wasMapped := cur != nil && cur.CI != ""
	changed := !wasMapped || cur.Status != next.Status || (next.Status == Firing && !cur.StartsAt.Equal(next.StartsAt))
	textChanged := wasMapped && (cur.Summary != next.Summary || cur.Description != next.Description || cur.Severity != next.Severity)
	if !changed && !textChanged {
		return OutcomeUnchanged, nil
	}
	if next.IncidentID == "" {
		next.IncidentID = incidentID(next.ID, next.StartsAt)
	}
	outcome := OutcomeUnchanged
	set := func(o Outcome) {
		if outcome == OutcomeUnchanged {
			outcome = o
		}
	}
	note := func(format string, t *time.Time) string {
		return fmt.Sprintf(format, next.Source, next.Summary, t.Format(time.RFC3339))
	}
	// known is the incident as our own last write left it, so that the
	// next step need not read it again.
	var known *itsm.Incident
	for attempt := 1; ; attempt++ {
		if attempt > 2*maxAttempts {
			return outcome, graph.Unavailable(nil, "incident %s of event %s kept changing while it was being updated: try again", next.IncidentID, next.ID)
		}
		inc, err := known, error(nil)
		if inc == nil {
			inc, err = s.ITSM.GetIncident(ctx, next.IncidentID)
		}
		known = nil
		if graph.ErrorCode(err) == graph.CodeNotFound {
			if next.Status == Resolved && !raiseResolved {
				// Resolved before any incident was raised: nothing to
				// resolve, and nothing is open to track.
				next.IncidentID = ""
				return outcome, nil
			}
			known, err = s.ITSM.CreateIncident(ctx, s.incidentInput(next))
			switch {
			case err == nil:
				set(OutcomeCreated)
				changed, textChanged = next.Status == Resolved, false
				if !changed {
					return outcome, nil
				}
			case graph.ErrorCode(err) == graph.CodeConflict && graph.ErrorField(err) == "id":
				// Another delivery raised it: go on with that.
			case graph.ErrorCode(err) == graph.CodeNotFound && graph.ErrorField(err) == "affectedCiIds[0]":
				next.UnmappedReason = fmt.Sprintf("CI %s it was mapped to no longer exists", next.CI)
				next.CI, next.MappedBy, next.IncidentID = "", "", ""
				return OutcomeUnmapped, nil
			default:
				return outcome, fmt.Errorf("raise the incident of event %s: %w", next.ID, err)
			}
			continue
		}
		if err != nil {
			return outcome, fmt.Errorf("read the incident of event %s: %w", next.ID, err)
		}
		open := inc.State != itsm.IncidentResolved && inc.State != itsm.IncidentClosed
		var moveErr error
		switch {
		case next.Status == Firing && changed && inc.State == itsm.IncidentClosed:
			// Closed for good: a new firing raises a new incident.
			fresh := incidentID(next.ID, next.StartsAt)
			if fresh == inc.ID {
				return outcome, nil // closed while this very firing goes on
			}
			next.PastIncidents = append(next.PastIncidents, inc.ID)
			next.IncidentID = fresh
			continue
		case next.Status == Firing && changed && inc.State == itsm.IncidentResolved:
			known, moveErr = s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, note("Reopened by %s: %s is firing again since %s.", &next.StartsAt))
			if moveErr == nil {
				set(OutcomeReopened)
				changed = false
			}
		case next.Status == Firing && textChanged && open:
			in := s.incidentInput(next)
			known = inc
			if inc.Title != in.Title || inc.Description != in.Description || inc.Impact != *in.Impact || inc.Urgency != *in.Urgency {
				known, moveErr = s.ITSM.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{Title: &in.Title, Description: &in.Description,
					Impact: in.Impact, Urgency: in.Urgency})
				if moveErr == nil {
					set(OutcomeUpdated)
				}
			}
			if moveErr == nil {
				textChanged = false
			}
		case next.Status == Firing:
			return outcome, nil // open already; a resolved or closed one keeps its text
		case !changed:
			return outcome, nil // resolved: its text stays as it was
		case inc.State == itsm.IncidentNew:
			// Incidents resolve from work in progress: the monitor takes
			// the incident first.
			known, moveErr = s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, note("Taken by %s to resolve it: %s ended at %s.", next.EndsAt))
		case open:
			_, moveErr = s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentResolved, note("Resolved by %s: %s ended at %s.", next.EndsAt))
			if moveErr == nil {
				set(OutcomeResolved)
				return outcome, nil
			}
		default:
			return outcome, nil // resolved or closed already
		}
		if !changed && !textChanged {
			return outcome, nil
		}
		if moveErr != nil && !movedMeanwhile(moveErr) {
			return outcome, moveErr
		}
	}
}

// movedMeanwhile reports the refusal of a move because another writer
// moved or closed the incident first (the caller reads it again).
func movedMeanwhile(err error) bool {
	if graph.ErrorCode(err) != graph.CodeInvalidInput {
		return false
	}
	return graph.ErrorField(err) == "state" || graph.ErrorField(err) == "id"
}

// incidentInput is the incident an event raises: its summary as the
// title, its description with where it came from, impact and urgency from
// its severity, opened when the event started (not later than now).
func (s *Service) incidentInput(ev *Event) itsm.CreateIncidentInput {
	level := s.Mapping.Level(ev.Severity)
	opened := ev.StartsAt
	if now := s.Now(); opened.After(now) {
		opened = now
	}
	return itsm.CreateIncidentInput{ID: ev.IncidentID, Title: clip(ev.Summary, maxTitle), Description: s.description(ev),
		AffectedCIs: []string{ev.CI}, Impact: &level.Impact, Urgency: &level.Urgency, OpenedAt: &opened}
}

// Limits of the incident's text (see itsm).
const (
	maxTitle       = 256
	maxDescription = 16 << 10
)

func (s *Service) description(ev *Event) string {
	var b strings.Builder
	if ev.Description != "" {
		b.WriteString(strings.TrimSpace(ev.Description))
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "Raised by %s event %s (key %s", ev.Source, ev.ID, ev.DedupKey)
	if ev.Severity != "" {
		fmt.Fprintf(&b, ", severity %s", ev.Severity)
	}
	b.WriteString(").")
	if len(ev.Labels) > 0 {
		b.WriteString("\nLabels:")
		for _, k := range slices.Sorted(maps.Keys(ev.Labels)) {
			fmt.Fprintf(&b, " %s=%q", k, ev.Labels[k])
		}
	}
	if ev.URL != "" {
		b.WriteString("\nSource: " + ev.URL)
	}
	return clipBytes(b.String(), maxDescription)
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipBytes shortens s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

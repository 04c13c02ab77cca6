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
)

// Result is what ingesting one event did.
type Result struct {
	EventID    string  `json:"eventId"`
	Source     string  `json:"source"`
	DedupKey   string  `json:"dedupKey"`
	Outcome    Outcome `json:"outcome"`
	CI         string  `json:"ciId,omitempty"`
	IncidentID string  `json:"incidentId,omitempty"`
}

// maxAttempts bounds the retries of a read-modify-write of one event that
// loses a race with another delivery.
const maxAttempts = 8

// IngestAll ingests events in order per key, several keys at a time, and
// stops at the first error (a store failure: the sender should retry the
// whole request, which is safe since ingestion is idempotent).
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
func (s *Service) Ingest(ctx context.Context, in Input) (Result, error) {
	if err := in.check(); err != nil {
		return Result{}, err
	}
	res, err := s.ingest(ctx, &in)
	if graph.ErrorCode(err) == graph.CodeNotFound && graph.ErrorField(err) == "ciId" {
		// The CI it matched was deleted before the event was written:
		// match again.
		res, err = s.ingest(ctx, &in)
	}
	return res, err
}

func (s *Service) ingest(ctx context.Context, in *Input) (Result, error) {
	var stale bool
	ev, err := s.modifyEvent(ctx, EventID(in.Source, in.DedupKey), true, func(cur *Event) (*Event, error) {
		next, isStale := s.merge(cur, in)
		stale = isStale
		if isStale {
			return nil, nil
		}
		if next.CI == "" {
			found, err := s.identify(ctx, next)
			if err != nil {
				return nil, err
			}
			next.CI, next.MappedBy, next.UnmappedReason = found.CI, found.Rule, found.Reason
		}
		if next.CI != "" && next.IncidentID == "" {
			next.IncidentID, next.SyncStatus = graph.NewID(), true
		}
		if cur != nil && sameEvent(cur, next) {
			return nil, nil
		}
		return next, nil
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{EventID: ev.ID, Source: ev.Source, DedupKey: ev.DedupKey, Outcome: OutcomeUnchanged, CI: ev.CI, IncidentID: ev.IncidentID}
	switch {
	case stale:
		res.Outcome = OutcomeStale
		return res, nil
	case ev.CI == "":
		res.Outcome = OutcomeUnmapped
		return res, nil
	}
	return s.sync(ctx, ev, res)
}

// merge applies a delivery to the stored event (nil for a new one). It
// reports the delivery stale when its status began before the stored
// one's (a firing re-sent after the resolution, delivered late), or at
// the same time as a stored resolution.
func (s *Service) merge(cur *Event, in *Input) (*Event, bool) {
	var next *Event
	if cur == nil {
		next = &Event{ID: EventID(in.Source, in.DedupKey), Source: in.Source, DedupKey: in.DedupKey, SyncStatus: true}
	} else {
		at, stored := in.statusAt(), cur.statusAt()
		if at.Before(stored) || (at.Equal(stored) && in.Status == Firing && cur.Status == Resolved) {
			return nil, true
		}
		next = cur.clone()
	}
	switch {
	case cur == nil || in.Status != cur.Status:
		next.SyncStatus = true
	case in.Status == Firing && !in.StartsAt.Equal(cur.StartsAt):
		// Fired again without a resolution in between (Alertmanager
		// may fold a short resolution into the next firing).
		next.SyncStatus = true
	}
	next.Status = in.Status
	switch {
	case in.Status == Firing:
		next.StartsAt, next.EndsAt = in.StartsAt, nil
	case !in.StartsAt.IsZero():
		next.StartsAt = in.StartsAt
	case next.StartsAt.IsZero():
		next.StartsAt = in.EndsAt // resolved, never seen firing
	}
	if in.Status == Resolved {
		end := in.EndsAt
		next.EndsAt = &end
	}
	if cur != nil && (cur.Summary != in.Summary || cur.Description != in.Description || cur.Severity != in.Severity) {
		next.SyncText = true
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
// happened is kept). Errors: NOT_FOUND ("id", "ciId"), CONFLICT ("id")
// when the event is already mapped.
func (s *Service) MapEvent(ctx context.Context, id, ciID string) (*Event, Result, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, Result{}, err
	}
	if err := graph.CheckID("ciId", ciID); err != nil {
		return nil, Result{}, err
	}
	ev, err := s.modifyEvent(ctx, id, false, func(cur *Event) (*Event, error) {
		if cur.CI != "" {
			return nil, graph.Errorf(graph.CodeConflict, "id", "event %s is already mapped to CI %s", id, cur.CI)
		}
		found, err := s.Store.CIsByIDs(ctx, []string{ciID})
		if err != nil {
			return nil, fmt.Errorf("read CI %s: %w", ciID, err)
		}
		if _, ok := found[ciID]; !ok {
			return nil, graph.NotFound("ciId", "CI", ciID)
		}
		next := cur.clone()
		next.CI, next.MappedBy, next.UnmappedReason = ciID, MappedManually, ""
		next.IncidentID, next.SyncStatus = graph.NewID(), true
		return next, nil
	})
	if err != nil {
		return nil, Result{}, err
	}
	res, err := s.sync(ctx, ev, Result{EventID: ev.ID, Source: ev.Source, DedupKey: ev.DedupKey, CI: ev.CI, IncidentID: ev.IncidentID})
	if err != nil {
		return nil, res, err
	}
	ev, err = s.GetEvent(ctx, id)
	return ev, res, err
}

// modifyEvent runs a read-modify-write cycle on one event: change gets the
// stored event (nil when there is none and create is set) and returns the
// event to write, or nil to write nothing. A write that loses a race with
// another delivery is retried on what that one wrote. It returns the
// event as stored (or as read, when nothing was written).
func (s *Service) modifyEvent(ctx context.Context, id string, create bool, change func(cur *Event) (*Event, error)) (*Event, error) {
	for attempt := 1; ; attempt++ {
		var cur *Event
		rec, err := s.Store.GetRecord(ctx, graph.KindEvent, id)
		switch {
		case err == nil:
			if cur, err = decodeEvent(rec); err != nil {
				return nil, err
			}
		case graph.ErrorCode(err) != graph.CodeNotFound || !create:
			return nil, err
		}
		var view *Event
		if cur != nil {
			view = cur.clone()
		}
		next, err := change(view)
		if err != nil {
			return nil, err
		}
		if next == nil {
			if cur == nil {
				return &Event{ID: id}, nil
			}
			return cur, nil
		}
		nrec, err := next.record()
		if err != nil {
			return nil, err
		}
		stored, err := s.Store.PutRecord(ctx, nrec, rec.Version)
		if err == nil {
			next.Version, next.CreatedAt, next.UpdatedAt = stored.Version, stored.CreatedAt, stored.UpdatedAt
			return next, nil
		}
		lostRace := graph.ErrorCode(err) == graph.CodeConflict && (graph.ErrorField(err) == "version" || graph.ErrorField(err) == "id")
		if !lostRace || attempt == maxAttempts {
			if graph.ErrorField(err) == "links[0]" {
				return nil, graph.RenameField(err, "links[0]", "ciId")
			}
			return nil, err
		}
	}
}

// sync brings the event's incident in step with the event, if it may not
// be (SyncStatus, SyncText). Every step re-reads the incident and is
// idempotent, so concurrent deliveries of one event, or a delivery
// finishing the work of one that failed half-way, end in the same state.
func (s *Service) sync(ctx context.Context, ev *Event, res Result) (Result, error) {
	res.Outcome = OutcomeUnchanged
	if !ev.SyncStatus && !ev.SyncText {
		return res, nil
	}
	wantStatus, wantText := ev.SyncStatus, ev.SyncText && ev.Status == Firing
	note := func(format string, t *time.Time) string {
		return fmt.Sprintf(format, ev.Source, ev.Summary, t.Format(time.RFC3339))
	}
	outcome := func(o Outcome) {
		if res.Outcome == OutcomeUnchanged {
			res.Outcome = o
		}
	}
	for attempt := 1; wantStatus || wantText; attempt++ {
		if attempt > 2*maxAttempts {
			return res, graph.Errorf(graph.CodeConflict, "id", "incident %s of event %s kept changing while it was being updated", ev.IncidentID, ev.ID)
		}
		inc, err := s.ITSM.GetIncident(ctx, ev.IncidentID)
		if graph.ErrorCode(err) == graph.CodeNotFound {
			_, err = s.ITSM.CreateIncident(ctx, s.incidentInput(ev))
			switch {
			case err == nil:
				outcome(OutcomeCreated)
				wantStatus, wantText = ev.Status == Resolved, false
			case graph.ErrorCode(err) == graph.CodeConflict && graph.ErrorField(err) == "id":
				// Another delivery created it: act on that.
			case graph.ErrorCode(err) == graph.CodeNotFound && graph.ErrorField(err) == "affectedCiIds[0]":
				return s.unmap(ctx, ev, res, fmt.Sprintf("CI %s it was mapped to no longer exists", ev.CI))
			default:
				return res, fmt.Errorf("raise the incident of event %s: %w", ev.ID, err)
			}
			continue
		}
		if err != nil {
			return res, fmt.Errorf("read the incident of event %s: %w", ev.ID, err)
		}
		open := inc.State != itsm.IncidentResolved && inc.State != itsm.IncidentClosed
		switch {
		case ev.Status == Firing && wantStatus && inc.State == itsm.IncidentClosed:
			// Closed for good: the new firing raises a new incident.
			if err := s.replaceIncident(ctx, ev); err != nil {
				return res, err
			}
		case ev.Status == Firing && wantStatus && inc.State == itsm.IncidentResolved:
			_, err := s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, note("Reopened by %s: %s is firing again since %s.", &ev.StartsAt))
			if err == nil {
				outcome(OutcomeReopened)
				wantStatus = false
			} else if err = movedOrErr(err); err != nil {
				return res, err
			}
		case ev.Status == Firing && wantStatus:
			wantStatus = false // open already
		case ev.Status == Firing && open:
			in := s.incidentInput(ev)
			if inc.Title != in.Title || inc.Description != in.Description || inc.Impact != *in.Impact || inc.Urgency != *in.Urgency {
				_, err := s.ITSM.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{Title: &in.Title, Description: &in.Description,
					Impact: in.Impact, Urgency: in.Urgency})
				if graph.ErrorCode(err) == graph.CodeInvalidInput && graph.ErrorField(err) == "id" {
					continue // closed meanwhile
				}
				if err != nil {
					return res, err
				}
				outcome(OutcomeUpdated)
			}
			wantText = false
		case ev.Status == Firing:
			wantText = false // a resolved or closed incident keeps its text
		case inc.State == itsm.IncidentNew:
			// Incidents resolve from work in progress: the monitor takes
			// the incident first.
			_, err := s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, note("Taken by %s to resolve it: %s ended at %s.", ev.EndsAt))
			if err = movedOrErr(err); err != nil {
				return res, err
			}
		case open:
			_, err := s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentResolved, note("Resolved by %s: %s ended at %s.", ev.EndsAt))
			if err == nil {
				outcome(OutcomeResolved)
				wantStatus = false
			} else if err = movedOrErr(err); err != nil {
				return res, err
			}
		default:
			wantStatus, wantText = false, false // resolved or closed already
		}
	}
	res.IncidentID = ev.IncidentID
	// The incident is in step: say so, unless a later delivery changed the
	// event meanwhile (then finishing is that delivery's work).
	_, err := s.modifyEvent(ctx, ev.ID, false, func(cur *Event) (*Event, error) {
		if cur.IncidentID != ev.IncidentID || cur.Status != ev.Status || !cur.statusAt().Equal(ev.statusAt()) ||
			cur.Summary != ev.Summary || cur.Description != ev.Description || cur.Severity != ev.Severity ||
			(!cur.SyncStatus && !cur.SyncText) {
			return nil, nil
		}
		cur.SyncStatus, cur.SyncText = false, false
		return cur, nil
	})
	return res, err
}

// replaceIncident gives a firing event whose incident was CLOSED a new
// incident id (once, whichever delivery gets there first).
func (s *Service) replaceIncident(ctx context.Context, ev *Event) error {
	next, err := s.modifyEvent(ctx, ev.ID, false, func(cur *Event) (*Event, error) {
		if cur.IncidentID != ev.IncidentID {
			return nil, nil
		}
		cur.PastIncidents = append(cur.PastIncidents, cur.IncidentID)
		cur.IncidentID, cur.SyncStatus = graph.NewID(), true
		return cur, nil
	})
	if err != nil {
		return err
	}
	ev.IncidentID, ev.PastIncidents = next.IncidentID, next.PastIncidents
	return nil
}

// movedOrErr passes a transition's failure on, except the refusal of a
// move another writer made first (the caller reads the incident again).
func movedOrErr(err error) error {
	if graph.ErrorCode(err) == graph.CodeInvalidInput && graph.ErrorField(err) == "state" {
		return nil
	}
	return err
}

// unmap returns an event whose CI is gone to the unmapped list.
func (s *Service) unmap(ctx context.Context, ev *Event, res Result, reason string) (Result, error) {
	_, err := s.modifyEvent(ctx, ev.ID, false, func(cur *Event) (*Event, error) {
		if cur.CI != ev.CI {
			return nil, nil
		}
		cur.CI, cur.MappedBy, cur.UnmappedReason, cur.IncidentID = "", "", reason, ""
		return cur, nil
	})
	res.Outcome, res.CI, res.IncidentID = OutcomeUnmapped, "", ""
	return res, err
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

package itsm

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
)

// CreateIncidentInput raises an incident. Impact and urgency default to 2
// (a P3); OpenedAt defaults to now and lets an integration back-date an
// incident forwarded from a monitoring system.
type CreateIncidentInput struct {
	Title       string
	Description string
	AffectedCIs []string
	Impact      *int
	Urgency     *int
	OpenedAt    *time.Time
	// OutageStart records a service outage (for availability) starting at
	// this time; usually the same as OpenedAt.
	OutageStart      *time.Time
	CausedByChangeID string
	// ID, when set, is the new incident's id (a UUID): an integration that
	// allocates it before creating (and records it) can retry the creation
	// safely, since a second create of the same id is a CONFLICT on "id".
	ID string
}

// UpdateIncidentInput changes an incident's details; nil fields are kept.
type UpdateIncidentInput struct {
	Title            *string
	Description      *string
	AffectedCIs      []string
	Impact           *int
	Urgency          *int
	OutageStart      *time.Time
	OutageEnd        *time.Time
	CausedByChangeID *string
}

// clockSkew is how far in the future a client's openedAt may lie, to
// tolerate unsynchronised clocks without accepting nonsense.
const clockSkew = 5 * time.Minute

// CreateIncident validates and stores a new incident.
func (s *Service) CreateIncident(ctx context.Context, in CreateIncidentInput) (*Incident, error) {
	now := s.Now()
	inc := &Incident{ID: graph.NewID(), Title: in.Title, Description: in.Description, AffectedCIs: in.AffectedCIs,
		Impact: 2, Urgency: 2, State: IncidentNew, OpenedAt: now, OutageStart: in.OutageStart,
		CausedByChangeID: in.CausedByChangeID}
	if in.Impact != nil {
		inc.Impact = *in.Impact
	}
	if in.Urgency != nil {
		inc.Urgency = *in.Urgency
	}
	if in.ID != "" {
		if err := graph.CheckID("id", in.ID); err != nil {
			return nil, err
		}
		inc.ID = in.ID
	}
	opened, err := s.openedAt("openedAt", in.OpenedAt, now)
	if err != nil {
		return nil, err
	}
	inc.OpenedAt = opened
	if err := s.prepareIncident(ctx, inc, true, nil); err != nil {
		return nil, err
	}
	inc.Transitions = []Transition{s.created(ctx, string(IncidentNew), inc.OpenedAt)}
	saved, err := s.saveIncident(ctx, inc, 0)
	if err == nil {
		s.changed(ctx, saved)
	}
	return saved, err
}

// UpdateIncident changes an incident's details.
func (s *Service) UpdateIncident(ctx context.Context, id string, in UpdateIncidentInput) (*Incident, error) {
	return s.modifyIncidentNotify(ctx, id, in.AffectedCIs != nil, func(inc *Incident) error {
		if inc.State == IncidentClosed {
			return graph.Invalid("id", "incident %s is CLOSED and cannot change", id)
		}
		recompute, kept := false, inc.AffectedCIs
		if in.Title != nil {
			inc.Title = *in.Title
		}
		if in.Description != nil {
			inc.Description = *in.Description
		}
		if in.AffectedCIs != nil {
			inc.AffectedCIs, recompute = in.AffectedCIs, true
		}
		if in.Impact != nil {
			inc.Impact = *in.Impact
		}
		if in.Urgency != nil {
			inc.Urgency = *in.Urgency
		}
		if in.OutageStart != nil {
			inc.OutageStart = timePtr(in.OutageStart.UTC())
		}
		if in.OutageEnd != nil {
			inc.OutageEnd = timePtr(in.OutageEnd.UTC())
		}
		if in.CausedByChangeID != nil {
			inc.CausedByChangeID = *in.CausedByChangeID
		}
		return s.prepareIncident(ctx, inc, recompute, kept)
	})
}

// TransitionIncident moves an incident to another state now, stamping the
// response, resolution and closure times the SLA clocks use.
func (s *Service) TransitionIncident(ctx context.Context, id string, to IncidentState, note string) (*Incident, error) {
	return s.TransitionIncidentAt(ctx, id, to, note, time.Time{})
}

// TransitionIncidentAt is TransitionIncident for a move that happened at
// at (zero: now), such as a response or resolution forwarded late by a
// monitoring system: the response, resolution and outage end it stamps are
// back-dated with it. at must not be in the future, before the incident's
// previous transition, or (ending an outage) before the outage started.
func (s *Service) TransitionIncidentAt(ctx context.Context, id string, to IncidentState, note string, at time.Time) (*Incident, error) {
	return s.modifyIncidentNotify(ctx, id, true, func(inc *Incident) error {
		if err := incidentMachine.check("incident", inc.State, to); err != nil {
			return err
		}
		tr, err := s.transitionAt(ctx, inc.Transitions, string(inc.State), string(to), note, at)
		if err != nil {
			return err
		}
		switch to {
		case IncidentInProgress:
			if inc.RespondedAt == nil {
				inc.RespondedAt = timePtr(tr.At)
			}
			if inc.State == IncidentResolved { // reopened
				inc.ResolvedAt = nil
			}
		case IncidentResolved:
			inc.ResolvedAt = timePtr(tr.At)
			if inc.OutageStart != nil && inc.OutageEnd == nil {
				if tr.At.Before(*inc.OutageStart) {
					return graph.Invalid("at", "at %s is before the outage started (outageStart %s)",
						tr.At.Format(time.RFC3339), inc.OutageStart.Format(time.RFC3339))
				}
				inc.OutageEnd = timePtr(tr.At)
			}
		case IncidentClosed:
			inc.ClosedAt = timePtr(tr.At)
		}
		inc.State = to
		inc.Transitions = append(inc.Transitions, tr)
		return nil
	})
}

// GetIncident reads one incident.
func (s *Service) GetIncident(ctx context.Context, id string) (*Incident, error) {
	var inc Incident
	rec, err := s.load(ctx, graph.KindIncident, id, &inc)
	if err != nil {
		return nil, err
	}
	return withIncidentMeta(&inc, rec), nil
}

// IncidentsByIDs reads the incidents that exist among ids, in no order.
func (s *Service) IncidentsByIDs(ctx context.Context, ids []string) ([]*Incident, error) {
	recs, err := s.Store.RecordsByIDs(ctx, graph.KindIncident, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Incident, 0, len(recs))
	for _, rec := range recs {
		inc, err := decodeIncident(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	States   []IncidentState
	CI       string
	Priority Priority
	// Open restricts to incidents not yet RESOLVED or CLOSED.
	Open bool
	// From and To select incidents open at some time in [From, To].
	From, To *time.Time
	// Order is the listing's order (zero: newest first); not a condition.
	Order graph.RecordOrder
	// Major restricts to major incidents (the parents of groups), Parent
	// to the children of one; either excludes Priority (one tag each).
	Major  bool
	Parent string
}

// ListIncidents returns one page of incidents in f.Order.
func (s *Service) ListIncidents(ctx context.Context, f IncidentFilter, p graph.Page) ([]*Incident, graph.RecordPage, error) {
	rf, ok, err := incidentRecordFilter(f)
	if err != nil || !ok {
		return nil, graph.RecordPage{}, err
	}
	page, err := s.Store.ListRecords(ctx, graph.KindIncident, rf, p)
	if err != nil {
		return nil, page, err
	}
	out := make([]*Incident, 0, len(page.Records))
	for _, rec := range page.Records {
		inc, err := decodeIncident(rec)
		if err != nil {
			return nil, page, err
		}
		out = append(out, inc)
	}
	return out, page, nil
}

func decodeIncident(rec graph.Record) (*Incident, error) {
	var inc Incident
	if err := jsonUnmarshal(rec, &inc); err != nil {
		return nil, err
	}
	return withIncidentMeta(&inc, rec), nil
}

func withIncidentMeta(inc *Incident, rec graph.Record) *Incident {
	inc.Version, inc.CreatedAt, inc.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return inc
}

// priorityTag is the indexed tag that lets lists filter by priority.
func priorityTag(p Priority) string { return "PRIORITY:" + string(p) }

// prepareIncident validates an incident and derives its priority and, when
// recompute is set, the services it impacts; kept are the affected CIs it
// had before an edit (see checkCIs).
func (s *Service) prepareIncident(ctx context.Context, inc *Incident, recompute bool, kept []string) error {
	if err := checkText("title", inc.Title, inc.Description); err != nil {
		return err
	}
	prio, err := PriorityFor(inc.Impact, inc.Urgency)
	if err != nil {
		return err
	}
	inc.Priority = prio
	if inc.OutageStart != nil && inc.OutageEnd != nil && inc.OutageEnd.Before(*inc.OutageStart) {
		return graph.Invalid("outageEnd", "outageEnd is before outageStart")
	}
	if inc.CausedByChangeID != "" {
		if err := graph.CheckID("causedByChangeId", inc.CausedByChangeID); err != nil {
			return err
		}
		if _, err := s.Store.GetRecord(ctx, graph.KindChange, inc.CausedByChangeID); err != nil {
			if graph.ErrorCode(err) == graph.CodeNotFound {
				return graph.NotFound("causedByChangeId", "change", inc.CausedByChangeID)
			}
			return err
		}
	}
	if !recompute {
		return nil
	}
	cis, err := s.checkCIs(ctx, "affectedCiIds", inc.AffectedCIs, true, kept)
	if err != nil {
		return err
	}
	services, err := s.impactedServices(ctx, inc.AffectedCIs, cis)
	if err != nil {
		return err
	}
	before := inc.Services
	inc.Services = services
	return s.takeTerms(ctx, inc, before)
}

// impactedServices are the services hit when the CIs fail, including any of
// the CIs that are services themselves, sorted by id. Only the ids found in
// cis count: a change may target CIs deleted since, which break nothing.
func (s *Service) impactedServices(ctx context.Context, ids []string, cis map[string]graph.CI) ([]string, error) {
	var live []string
	for _, id := range ids {
		if _, ok := cis[id]; ok {
			live = append(live, id)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	br, err := impact.ComputeBlastRadius(ctx, s.Store, live, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("services impacted by %v: %w", live, err)
	}
	set := map[string]bool{}
	for _, id := range live {
		if s.Store.Catalogue().IsService(cis[id].Class) {
			set[id] = true
		}
	}
	for _, im := range br.Services {
		set[im.CI.ID] = true
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// modifyIncidentNotify is modifyIncident telling IncidentChanged when
// notify is set (the incident opened, moved or changed its CIs).
func (s *Service) modifyIncidentNotify(ctx context.Context, id string, notify bool, change func(*Incident) error) (*Incident, error) {
	inc, err := s.modifyIncident(ctx, id, change)
	if err == nil && notify {
		s.changed(ctx, inc)
	}
	return inc, err
}

func (s *Service) modifyIncident(ctx context.Context, id string, change func(*Incident) error) (*Incident, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, inc, err := modify(ctx, s, graph.KindIncident, id, func(inc *Incident, rec graph.Record) (graph.Record, error) {
		if err := change(inc); err != nil {
			return rec, err
		}
		return incidentRecord(inc)
	})
	if err != nil {
		return nil, err
	}
	return withIncidentMeta(inc, rec), nil
}

func (s *Service) saveIncident(ctx context.Context, inc *Incident, version int64) (*Incident, error) {
	rec, err := incidentRecord(inc)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.PutRecord(ctx, rec, version)
	if err != nil {
		return nil, linkFieldError(err, incidentLinkFields(inc))
	}
	return withIncidentMeta(inc, stored), nil
}

// incidentRecord is the storage form: the state, the time it was open
// (opened → resolved), links to affected CIs and impacted services, and tags
// for the priority and the suspected change.
func incidentRecord(inc *Incident) (graph.Record, error) {
	doc, err := encode(inc)
	if err != nil {
		return graph.Record{}, err
	}
	refs := []string{priorityTag(inc.Priority)}
	if inc.Major {
		refs = append(refs, majorTag)
	}
	if p := inc.ParentID(); p != "" {
		refs = append(refs, parentTag(p))
	}
	if inc.CausedByChangeID != "" {
		refs = append(refs, graph.RecordRef(graph.KindChange, inc.CausedByChangeID))
	}
	return graph.Record{Kind: graph.KindIncident, ID: inc.ID, State: string(inc.State),
		Start: timePtr(inc.OpenedAt), End: inc.ResolvedAt, Links: inc.Links(), Refs: refs, Doc: doc}, nil
}

func incidentLinkFields(inc *Incident) []string {
	_, a := links(RoleAffects, "affectedCiIds", inc.AffectedCIs)
	_, b := links(RoleService, "services", inc.Services)
	return append(a, b...)
}

// incidentRecordFilter is the record filter of an incident filter; ok is
// false when nothing can match (Open with only final states).
func incidentRecordFilter(f IncidentFilter) (rf graph.RecordFilter, ok bool, err error) {
	rf = graph.RecordFilter{CI: f.CI, From: f.From, To: f.To, Order: f.Order}
	states := f.States
	if f.Open && len(states) == 0 {
		states = []IncidentState{IncidentNew, IncidentInProgress, IncidentOnHold}
	}
	for _, st := range states {
		if !validIncidentState(st) {
			return rf, false, graph.Invalid("filter.states", "unknown incident state %q", st)
		}
		if f.Open && (st == IncidentResolved || st == IncidentClosed) {
			continue
		}
		rf.States = append(rf.States, string(st))
	}
	if f.Open && len(rf.States) == 0 {
		return rf, false, nil
	}
	if f.Priority != "" {
		if f.Priority != P1 && f.Priority != P2 && f.Priority != P3 && f.Priority != P4 {
			return rf, false, graph.Invalid("filter.priority", "unknown priority %q", f.Priority)
		}
		rf.Ref = priorityTag(f.Priority)
	}
	if tags := boolCount(f.Priority != "", f.Major, f.Parent != ""); tags > 1 {
		return rf, false, graph.Invalid("filter", "priority, major and parent cannot be combined")
	}
	switch {
	case f.Major:
		rf.Ref = majorTag
	case f.Parent != "":
		rf.Ref = parentTag(f.Parent)
	}
	return rf, true, nil
}

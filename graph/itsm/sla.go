package itsm

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// PriorityTarget is the response and resolution objective for one priority,
// counted in service hours.
type PriorityTarget struct {
	Priority   Priority      `json:"priority"`
	Response   time.Duration `json:"response"`
	Resolution time.Duration `json:"resolution"`
}

// SLA is a service-level agreement on a service CI.
type SLA struct {
	ID        string `json:"id"`
	ServiceID string `json:"serviceId"`
	Name      string `json:"name"`
	// AvailabilityTarget is a percentage such as 99.9 over each Period.
	AvailabilityTarget float64          `json:"availabilityTarget"`
	Period             sla.PeriodKind   `json:"period"`
	Targets            []PriorityTarget `json:"targets"`
	ServiceHours       sla.ServiceHours `json:"serviceHours"`
	Version            int64            `json:"-"`
	CreatedAt          time.Time        `json:"-"`
	UpdatedAt          time.Time        `json:"-"`
}

// CreateSLAInput defines an SLA.
type CreateSLAInput struct {
	ServiceID          string
	Name               string
	AvailabilityTarget float64
	Period             string
	Targets            []PriorityTarget
	ServiceHours       sla.ServiceHours
}

// UpdateSLAInput edits an SLA; nil fields are kept. The service is not
// editable: an SLA on another service is another SLA.
type UpdateSLAInput struct {
	Name               *string
	AvailabilityTarget *float64
	Period             *string
	// Targets replaces all per-priority targets when not nil.
	Targets      []PriorityTarget
	ServiceHours *sla.ServiceHours
}

// CreateSLA validates and stores an SLA on a business or application service.
func (s *Service) CreateSLA(ctx context.Context, in CreateSLAInput) (*SLA, error) {
	cis, err := s.checkCIs(ctx, "serviceId", []string{in.ServiceID}, true, nil)
	if err != nil {
		return nil, graph.RenameField(err, "serviceId[0]", "serviceId")
	}
	if svc := cis[in.ServiceID]; !s.Store.Catalogue().IsService(svc.Class) {
		return nil, graph.Invalid("serviceId", "an SLA belongs to a service, and %s is %s", svc.Name, graph.Article(svc.Class))
	}
	period, err := sla.ParsePeriodKind("period", in.Period)
	if err != nil {
		return nil, err
	}
	a := &SLA{ID: graph.NewID(), ServiceID: in.ServiceID, Name: in.Name, AvailabilityTarget: in.AvailabilityTarget,
		Period: period, Targets: in.Targets, ServiceHours: in.ServiceHours}
	if err := checkSLA(a); err != nil {
		return nil, err
	}
	rec, err := slaRecord(a)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.PutRecord(ctx, rec, 0)
	if err != nil {
		return nil, linkFieldError(err, []string{"serviceId"})
	}
	return withSLAMeta(a, stored), nil
}

// UpdateSLA edits an SLA, at version when it is not 0 (CONFLICT if the SLA
// changed since). What changes: availability measured from now on (slaAtRisk,
// changeImpact) uses the new terms for the whole period; the clocks of
// incidents already raised keep the terms they were raised under.
func (s *Service) UpdateSLA(ctx context.Context, id string, version int64, in UpdateSLAInput) (*SLA, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	rec, a, err := modifyAt(ctx, s, graph.KindSLA, id, version, func(a *SLA, _ graph.Record) (graph.Record, error) {
		if in.Name != nil {
			a.Name = *in.Name
		}
		if in.AvailabilityTarget != nil {
			a.AvailabilityTarget = *in.AvailabilityTarget
		}
		if in.Period != nil {
			period, err := sla.ParsePeriodKind("period", *in.Period)
			if err != nil {
				return graph.Record{}, err
			}
			a.Period = period
		}
		if in.Targets != nil {
			a.Targets = in.Targets
		}
		if in.ServiceHours != nil {
			a.ServiceHours = *in.ServiceHours
		}
		if err := checkSLA(a); err != nil {
			return graph.Record{}, err
		}
		return slaRecord(a)
	})
	if err != nil {
		return nil, err
	}
	return withSLAMeta(a, rec), nil
}

// DeleteSLA deletes an SLA, at version when it is not 0. Incidents already
// raised keep their clocks: they run on the terms taken when they were
// raised (Incident.SLATerms). The audit keeps the deleted SLA.
func (s *Service) DeleteSLA(ctx context.Context, id string, version int64) error {
	return s.deleteRecord(ctx, graph.KindSLA, id, version)
}

// GetSLA reads one SLA.
func (s *Service) GetSLA(ctx context.Context, id string) (*SLA, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	var a SLA
	rec, err := s.load(ctx, graph.KindSLA, id, &a)
	if err != nil {
		return nil, err
	}
	return withSLAMeta(&a, rec), nil
}

// checkSLA validates an SLA's terms, for create and update alike.
func checkSLA(a *SLA) error {
	if err := checkText("name", a.Name, ""); err != nil {
		return err
	}
	if _, err := sla.NewCalendar("serviceHours", a.ServiceHours); err != nil {
		return err
	}
	// Validate the target the way availability is measured.
	probe := sla.AvailabilityInput{Target: a.AvailabilityTarget, PeriodStart: time.Unix(0, 0), PeriodEnd: time.Unix(1, 0), AsOf: time.Unix(0, 0)}
	if err := probe.Validate(""); err != nil {
		return graph.Invalid("availabilityTarget", "availabilityTarget must be above 0 and at most 100 with at most four decimals, not %v", a.AvailabilityTarget)
	}
	seen := map[Priority]bool{}
	for i, t := range a.Targets {
		f := graph.FieldIndex("targets", i)
		switch {
		case t.Priority != P1 && t.Priority != P2 && t.Priority != P3 && t.Priority != P4:
			return graph.Invalid(f+".priority", "unknown priority %q", t.Priority)
		case seen[t.Priority]:
			return graph.Invalid(f+".priority", "priority %s is listed twice", t.Priority)
		case t.Response <= 0:
			return graph.Invalid(f+".response", "the response target must be positive")
		case t.Resolution < t.Response:
			return graph.Invalid(f+".resolution", "the resolution target must not be shorter than the response target")
		}
		seen[t.Priority] = true
	}
	return nil
}

// slaRecord is the storage form: linked to its service.
func slaRecord(a *SLA) (graph.Record, error) {
	doc, err := encode(a)
	if err != nil {
		return graph.Record{}, err
	}
	return graph.Record{Kind: graph.KindSLA, ID: a.ID, State: "ACTIVE",
		Links: a.Links(), Doc: doc}, nil
}

func withSLAMeta(a *SLA, rec graph.Record) *SLA {
	a.Version, a.CreatedAt, a.UpdatedAt = rec.Version, rec.CreatedAt, rec.UpdatedAt
	return a
}

// SLAs returns the SLAs of a service, or of every service when serviceID is
// empty.
func (s *Service) SLAs(ctx context.Context, serviceID string) ([]*SLA, error) {
	var out []*SLA
	err := eachRecord(ctx, s.Store, graph.KindSLA, graph.RecordFilter{CI: serviceID}, func(rec graph.Record) error {
		var a SLA
		if err := jsonUnmarshal(rec, &a); err != nil {
			return err
		}
		out = append(out, withSLAMeta(&a, rec))
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Calendar compiles the SLA's service hours.
func (a *SLA) Calendar() (*sla.Calendar, error) {
	return sla.NewCalendar("serviceHours", a.ServiceHours)
}

// Target returns the objective for a priority, if the SLA sets one.
func (a *SLA) Target(p Priority) (PriorityTarget, bool) {
	for _, t := range a.Targets {
		if t.Priority == p {
			return t, true
		}
	}
	return PriorityTarget{}, false
}

// ClockStatus is where one SLA clock of an incident stands.
type ClockStatus struct {
	SLAID string
	// SLA is the terms the clock runs on (see Incident.SLATerms): the SLA
	// as it was when the incident was raised, which it may no longer be.
	SLA    *SLA
	Target time.Duration
	Due    time.Time
	// Remaining is service time left (negative once breached); for a
	// stopped clock, what was left when it stopped.
	Remaining time.Duration
	Breached  bool
	Stopped   bool
	Paused    bool
}

// Clocks computes an incident's response and resolution clocks as of now,
// under the strictest SLA of its services (the one due first). Clocks run in
// the SLA's service hours and stand still while the incident is ON_HOLD.
// They run on the terms taken when the incident was raised (SLATerms), so
// later edits to an SLA, or its deletion, do not move them.
// Nil means no SLA of the incident's services sets a target.
func (s *Service) Clocks(ctx context.Context, inc *Incident, now time.Time) (response, resolution *ClockStatus, err error) {
	terms, err := s.termsOf(ctx, inc)
	if err != nil {
		return nil, nil, err
	}
	pauses := holds(inc)
	for _, a := range terms {
		t, ok := a.Target(inc.Priority)
		if !ok {
			continue
		}
		cal, err := a.Calendar()
		if err != nil {
			return nil, nil, fmt.Errorf("SLA %s: %w", a.ID, err)
		}
		r, err := clockStatus(cal, a, inc.OpenedAt, t.Response, pauses, inc.RespondedAt, now)
		if err != nil {
			return nil, nil, err
		}
		x, err := clockStatus(cal, a, inc.OpenedAt, t.Resolution, pauses, inc.ResolvedAt, now)
		if err != nil {
			return nil, nil, err
		}
		if response == nil || r.Due.Before(response.Due) {
			response = r
		}
		if resolution == nil || x.Due.Before(resolution.Due) {
			resolution = x
		}
	}
	return response, resolution, nil
}

// termsOf returns the SLA terms an incident's clocks run on: those taken
// when it was raised, or, for an incident stored before Ripple kept terms,
// the SLAs of its services as they are now.
func (s *Service) termsOf(ctx context.Context, inc *Incident) ([]*SLA, error) {
	if inc.SLATermsAt != nil {
		out := make([]*SLA, len(inc.SLATerms))
		for i := range inc.SLATerms {
			out[i] = &inc.SLATerms[i]
		}
		return out, nil
	}
	var out []*SLA
	for _, svc := range inc.Services {
		slas, err := s.SLAs(ctx, svc)
		if err != nil {
			return nil, err
		}
		out = append(out, slas...)
	}
	return out, nil
}

// takeTerms records on the incident the SLA terms its clocks will run on.
// Services it was already impacting keep the terms they had; services it
// newly impacts bring their SLAs as they are now.
func (s *Service) takeTerms(ctx context.Context, inc *Incident, before []string) error {
	kept := map[string]bool{}
	if inc.SLATermsAt != nil {
		for _, id := range before {
			kept[id] = true
		}
	}
	impacted := map[string]bool{}
	for _, id := range inc.Services {
		impacted[id] = true
	}
	terms := []SLA{}
	for _, a := range inc.SLATerms {
		if kept[a.ServiceID] && impacted[a.ServiceID] {
			terms = append(terms, a)
		}
	}
	for _, svc := range inc.Services {
		if kept[svc] {
			continue
		}
		slas, err := s.SLAs(ctx, svc)
		if err != nil {
			return err
		}
		for _, a := range slas {
			terms = append(terms, *a)
		}
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].ID < terms[j].ID })
	inc.SLATerms, inc.SLATermsAt = terms, timePtr(s.Now())
	return nil
}

func clockStatus(cal *sla.Calendar, a *SLA, start time.Time, target time.Duration, pauses []sla.Interval, stoppedAt *time.Time, now time.Time) (*ClockStatus, error) {
	c := sla.Clock{Start: start, Target: target, Pauses: pauses}
	at := now
	st := &ClockStatus{SLAID: a.ID, SLA: a, Target: target}
	if stoppedAt != nil {
		at, st.Stopped = *stoppedAt, true
	}
	due, err := sla.Due(cal, c, at)
	if err != nil {
		return nil, err
	}
	st.Due = due
	st.Remaining = sla.Remaining(cal, c, at)
	st.Breached = sla.Breached(cal, c, at)
	if n := len(pauses); !st.Stopped && n > 0 && pauses[n-1].Open() {
		st.Paused = true
	}
	return st, nil
}

// holds returns the intervals the incident spent ON_HOLD (the last may be
// open).
func holds(inc *Incident) []sla.Interval {
	var out []sla.Interval
	for _, tr := range inc.Transitions {
		switch {
		case tr.To == string(IncidentOnHold):
			out = append(out, sla.Interval{Start: tr.At})
		case tr.From == string(IncidentOnHold) && len(out) > 0:
			out[len(out)-1].End = tr.At
		}
	}
	return out
}

// Outage returns the incident's outage interval, if it records one (an open
// outage has a zero End).
func (inc *Incident) Outage() (sla.Interval, bool) {
	if inc.OutageStart == nil {
		return sla.Interval{}, false
	}
	iv := sla.Interval{Start: *inc.OutageStart}
	if inc.OutageEnd != nil {
		iv.End = *inc.OutageEnd
	}
	return iv, true
}

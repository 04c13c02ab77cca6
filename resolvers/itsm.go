package resolvers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/correlate"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// maxMinutes bounds durations given in minutes (about 190 years), so the
// conversion to time.Duration cannot overflow.
const maxMinutes = 1e8

// minutesPrecision is how finely the API reports minutes: two decimals
// (0.6 s), enough for any SLA and free of float noise such as
// 18.416666666666668.
const minutesPrecision = 100

// minutes renders a duration as minutes of (service) time, rounded to two
// decimals: every *Minutes field the API returns goes through here.
func minutes(d time.Duration) float64 {
	return math.Round(d.Minutes()*minutesPrecision) / minutesPrecision
}

// fromMinutes converts a client's minutes to a duration.
func fromMinutes(field string, m float64) (time.Duration, error) {
	if math.IsNaN(m) || math.IsInf(m, 0) || math.Abs(m) > maxMinutes {
		return 0, graph.Invalid(field, "%s must be a number of minutes below %g", field, float64(maxMinutes))
	}
	return time.Duration(m * float64(time.Minute)), nil
}

// history returns one page of the audit entries about an id.
func (r *Resolver) history(ctx context.Context, about string, first *int, after *string) (*model.AuditConnection, error) {
	req := page(first, after, nil, nil)
	ap, err := r.Store.History(ctx, about, req.Page)
	if err != nil {
		return nil, err
	}
	conn := &model.AuditConnection{}
	conn.Edges, conn.PageInfo = connection(len(ap.Entries), ap.HasNextPage, req.After != "", req, func(i int) (model.AuditEdge, string) {
		c := graph.IDCursor(ap.Entries[i].ID)
		return model.AuditEdge{Cursor: c, Node: &ap.Entries[i]}, c
	})
	return conn, nil
}

// jsonObject renders a stored JSON value for the JSON scalar: null stays
// null, an object is returned as is, and anything else (which stores do not
// write today) is wrapped as {"value": ...} so the scalar stays an object.
func jsonObject(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, graph.Internal(err, "decode audit value")
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return map[string]any{"value": v}, nil
}

// nilIfNotFound turns the NOT_FOUND of a lookup by id into null, for
// nullable fields where absence is an answer.
func nilIfNotFound[T any](v *T, err error) (*T, error) {
	if graph.ErrorCode(err) == graph.CodeNotFound {
		return nil, nil
	}
	return v, err
}

// values copies a list of pointers into the value list gqlgen resolves.
func values[T any](ps []*T) []T {
	out := make([]T, 0, len(ps))
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

// slaInput translates createSLA's input: minutes to durations and the
// serviceHours JSON object to the domain's service hours.
func slaInput(in model.CreateSLAInput) (itsm.CreateSLAInput, error) {
	out := itsm.CreateSLAInput{ServiceID: in.ServiceID, Name: in.Name, AvailabilityTarget: in.AvailabilityTarget,
		ServiceHours: sla.ServiceHours{Always: true}}
	if in.Period != nil {
		out.Period = string(*in.Period)
	}
	var err error
	if out.Targets, err = priorityTargets(in.Targets); err != nil {
		return out, err
	}
	if in.ServiceHours != nil {
		hours, err := serviceHoursInput(in.ServiceHours)
		if err != nil {
			return out, err
		}
		out.ServiceHours = *hours
	}
	return out, nil
}

// updateSLAInput translates updateSLA's input the way slaInput does;
// absent fields stay nil.
func updateSLAInput(in model.UpdateSLAInput) (itsm.UpdateSLAInput, error) {
	out := itsm.UpdateSLAInput{Name: in.Name, AvailabilityTarget: in.AvailabilityTarget}
	if in.Period != nil {
		out.Period = (*string)(in.Period)
	}
	var err error
	if out.Targets, err = priorityTargets(in.Targets); err != nil {
		return out, err
	}
	if in.ServiceHours != nil {
		if out.ServiceHours, err = serviceHoursInput(in.ServiceHours); err != nil {
			return out, err
		}
	}
	return out, nil
}

// priorityTargets converts targets in minutes to durations; nil stays nil
// (absent) and empty stays empty (no targets).
func priorityTargets(in []model.PriorityTargetInput) ([]itsm.PriorityTarget, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]itsm.PriorityTarget, 0, len(in))
	for i, t := range in {
		f := graph.FieldIndex("targets", i)
		resp, err := fromMinutes(f+".responseMinutes", t.ResponseMinutes)
		if err != nil {
			return nil, err
		}
		res, err := fromMinutes(f+".resolutionMinutes", t.ResolutionMinutes)
		if err != nil {
			return nil, err
		}
		out = append(out, itsm.PriorityTarget{Priority: t.Priority, Response: resp, Resolution: res})
	}
	return out, nil
}

// serviceHoursInput decodes the serviceHours JSON object strictly.
func serviceHoursInput(raw map[string]any) (*sla.ServiceHours, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, graph.Invalid("serviceHours", "serviceHours must be a JSON object: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var hours sla.ServiceHours
	if err := dec.Decode(&hours); err != nil {
		return nil, graph.Invalid("serviceHours", "serviceHours: %v", err)
	}
	return &hours, nil
}

// version translates an optional expected version (absent: any).
func expectedVersion(v *int) int64 {
	if v == nil {
		return 0
	}
	return int64(*v)
}

// minutesField renames the domain's duration fields ("targets[0].response")
// to the GraphQL input's ("targets[0].responseMinutes").
func minutesField(err error) error {
	var de *graph.Error
	if !errors.As(err, &de) || !strings.HasPrefix(de.Field, "targets[") {
		return err
	}
	if strings.HasSuffix(de.Field, ".response") || strings.HasSuffix(de.Field, ".resolution") {
		renamed := *de
		renamed.Field = de.Field + "Minutes"
		renamed.Message = strings.ReplaceAll(renamed.Message, de.Field, renamed.Field)
		return &renamed
	}
	return err
}

// Bounds of windows(from, to) when not given: every window.
var (
	windowsFrom = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	windowsTo   = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// dueOf is a clock's due time, or null without a clock.
func dueOf(c *itsm.ClockStatus) *time.Time {
	if c == nil {
		return nil
	}
	due := c.Due
	return &due
}

// maxCandidates bounds rootCauseCandidates(first).
const maxCandidates = 100

// serviceHours renders an SLA's service hours as a JSON object.
func serviceHours(a *itsm.SLA) (map[string]any, error) {
	b, err := json.Marshal(a.ServiceHours)
	if err != nil {
		return nil, graph.Internal(err, "encode service hours of SLA %s", a.ID)
	}
	return jsonObject(b)
}

// listIncidents pages through incidents in orderBy's order.
func (r *Resolver) listIncidents(ctx context.Context, f itsm.IncidentFilter, orderBy *model.IncidentOrder, req pageRequest) (*model.IncidentConnection, error) {
	if orderBy != nil {
		f.Order = recordOrder(orderBy.Field, orderBy.Direction)
	}
	incs, rp, err := r.ITSM.ListIncidents(ctx, f, req.Page)
	if err != nil {
		return nil, err
	}
	conn := &model.IncidentConnection{TotalCount: rp.TotalCount}
	conn.Edges, conn.PageInfo = recordConnection(incs, rp, f.Order, req, func(n *itsm.Incident, c string) model.IncidentEdge {
		return model.IncidentEdge{Cursor: c, Node: n}
	})
	return conn, nil
}

// optionalCI is the CI with this id, or nil once it is deleted.
func (r *Resolver) optionalCI(ctx context.Context, id string) (*graph.CI, error) {
	cis, err := r.loadersFor(ctx).loadCIs(ctx, []string{id})
	if err != nil || len(cis) == 0 {
		return nil, err
	}
	return &cis[0], nil
}

// explainGrouping says why an incident is in its group, naming CIs (by
// their last names once deleted).
func (r *Resolver) explainGrouping(ctx context.Context, g *itsm.Grouping) (string, error) {
	ids := append([]string{g.CauseCI, g.CI}, g.Path...)
	cis, err := r.loadersFor(ctx).loadCIs(ctx, ids)
	if err != nil {
		return "", err
	}
	names := map[string]string{}
	for _, ci := range cis {
		names[ci.ID] = ci.Name
	}
	if len(cis) < len(ids) {
		gone, err := graph.Tombstones(ctx, r.Store, ids)
		if err != nil {
			return "", err
		}
		for id, t := range gone {
			names[id] = t.Name
		}
	}
	return correlate.Explain(g, func(id string) string { return cmp.Or(names[id], id) }), nil
}

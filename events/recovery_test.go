package events

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// A delivery acts on the incident, then records the event. One that stops
// in between (a crash, a lost connection) leaves the event as it was; the
// sender's retry makes the same, idempotent moves and records the event.
func TestRecoveryFromHalfDoneDelivery(t *testing.T) {
	ctx := context.Background()
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		svc := New(itsm.New(s), DefaultMapping())
		name, class := "web-9", graph.ClassServer
		ci, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class,
			Identifiers: []graph.Identifier{{Kind: "ip", Value: "10.0.0.9"}}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		in := Input{Source: SourceAlertmanager, DedupKey: "fp-half", Status: Firing, Summary: "down",
			Labels: map[string]string{"instance": "10.0.0.9:9100"}, StartsAt: start}
		id := EventID(in.Source, in.DedupKey)

		// The first delivery raised the incident and stopped.
		half, _ := svc.merge(nil, &in)
		half.CI, half.IncidentID = ci.CI.ID, incidentID(id, start)
		raised, err := svc.ITSM.CreateIncident(ctx, svc.incidentInput(half))
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := svc.GetEvent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		_, page, _ := svc.ITSM.ListIncidents(ctx, itsm.IncidentFilter{}, graph.Page{})
		if res.IncidentID != raised.ID || ev.IncidentID != raised.ID || page.TotalCount != 1 {
			t.Fatalf("retry: result %+v, event incident %s, %d incidents; want the one raised", res, ev.IncidentID, page.TotalCount)
		}

		// The resolution resolved the incident and stopped.
		end := start.Add(time.Minute)
		for _, st := range []itsm.IncidentState{itsm.IncidentInProgress, itsm.IncidentResolved} {
			if _, err := svc.ITSM.TransitionIncident(ctx, raised.ID, st, ""); err != nil {
				t.Fatal(err)
			}
		}
		resolved := in
		resolved.Status, resolved.EndsAt = Resolved, end
		if res, err = svc.Ingest(ctx, resolved); err != nil {
			t.Fatal(err)
		}
		if ev, _ = svc.GetEvent(ctx, id); ev.Status != Resolved || res.Outcome != OutcomeUnchanged {
			t.Fatalf("retried resolution: event %s, outcome %s", ev.Status, res.Outcome)
		}

		// A re-fire after the CI was deleted cannot raise an incident on
		// it: the event returns to the unmapped list.
		if _, err := svc.ITSM.TransitionIncident(ctx, raised.ID, itsm.IncidentClosed, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCI(ctx, ci.CI.ID); err != nil {
			t.Fatal(err)
		}
		refire := in
		refire.StartsAt = end.Add(time.Minute)
		if res, err = svc.Ingest(ctx, refire); err != nil {
			t.Fatal(err)
		}
		rec, err := s.GetRecord(ctx, graph.KindEvent, id)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ = decodeEvent(rec)
		if res.Outcome != OutcomeUnmapped || rec.State != "UNMAPPED_FIRING" || ev.CI != "" || ev.UnmappedReason == "" {
			t.Fatalf("re-fire on a deleted CI: outcome %s, state %s, event %+v", res.Outcome, rec.State, ev)
		}
	})
}

// Incident ids made from events are valid, time-ordered version-7 UUIDs,
// the same for the same firing and different for another.
func TestIncidentID(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	a, b := incidentID("e1", at), incidentID("e1", at.Add(time.Second))
	if err := graph.CheckID("id", a); err != nil {
		t.Fatal(err)
	}
	if a != incidentID("e1", at) || a == b || a == incidentID("e2", at) || !(a < b) || a[14] != '7' {
		t.Fatalf("ids %s %s", a, b)
	}
}

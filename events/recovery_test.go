package events

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// A delivery that stopped after writing the event but before raising its
// incident (a crash, a lost connection) leaves the event marked out of
// step; the next delivery finishes the work — or, when the CI is gone by
// then, returns the event to the unmapped list.
func TestRecoveryFromHalfDoneDelivery(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		deleteCI  bool
		want      Outcome
		wantState string
	}{
		{"finishes the incident", false, OutcomeCreated, "FIRING"},
		{"unmaps when the CI is gone", true, OutcomeUnmapped, "UNMAPPED_FIRING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachstore.Run(t, func(t *testing.T, s graph.Store) {
				svc := New(itsm.New(s), DefaultMapping())
				name, class := "web-9", graph.ClassServer
				ci, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class,
					Identifiers: []graph.Identifier{{Kind: "ip", Value: "10.0.0.9"}}})
				if err != nil {
					t.Fatal(err)
				}
				in := Input{Source: SourceAlertmanager, DedupKey: "fp-half", Status: Firing, Summary: "down",
					Labels: map[string]string{"instance": "10.0.0.9:9100"}, StartsAt: time.Now().UTC().Truncate(time.Second)}
				// What the first delivery wrote before it stopped.
				half, _ := svc.merge(nil, &in)
				half.CI, half.MappedBy, half.IncidentID = ci.CI.ID, "instance-ip", graph.NewID()
				rec, err := half.record()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.PutRecord(ctx, rec, 0); err != nil {
					t.Fatal(err)
				}
				if tc.deleteCI {
					if err := s.DeleteCI(ctx, ci.CI.ID); err != nil {
						t.Fatal(err)
					}
				}
				res, err := svc.Ingest(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if res.Outcome != tc.want {
					t.Fatalf("outcome %s, want %s", res.Outcome, tc.want)
				}
				got, err := s.GetRecord(ctx, graph.KindEvent, half.ID)
				if err != nil {
					t.Fatal(err)
				}
				ev, _ := decodeEvent(got)
				if got.State != tc.wantState || (!tc.deleteCI && (ev.SyncStatus || ev.IncidentID != half.IncidentID)) {
					t.Fatalf("event after recovery: state %s %+v", got.State, ev)
				}
				if !tc.deleteCI {
					if _, err := svc.ITSM.GetIncident(ctx, half.IncidentID); err != nil {
						t.Fatalf("the allocated incident was not raised: %v", err)
					}
				}
			})
		})
	}
}

package itsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

func TestUpdateAndDeleteSLA(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := graph.WithActor(context.Background(), "slm")
		sh := buildShop(t, svc.Store)
		a, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: sh.svc.ID, Name: "gold", AvailabilityTarget: 99.9,
			Targets:      []itsm.PriorityTarget{{Priority: itsm.P1, Response: 15 * time.Minute, Resolution: 4 * time.Hour}},
			ServiceHours: sla.ServiceHours{Always: true}})
		if err != nil {
			t.Fatal(err)
		}
		// An incident raised now runs on these terms.
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "down", AffectedCIs: []string{sh.db.ID}, Impact: ptr(1), Urgency: ptr(1), OpenedAt: ptr(testNow)})
		if err != nil {
			t.Fatal(err)
		}
		if inc.SLATermsAt == nil || len(inc.SLATerms) != 1 || inc.SLATerms[0].ID != a.ID {
			t.Fatalf("terms taken %v: %+v", inc.SLATermsAt, inc.SLATerms)
		}

		t.Run("bad updates change nothing", func(t *testing.T) {
			tests := []struct {
				name    string
				version int64
				in      itsm.UpdateSLAInput
				code    graph.Code
				field   string
			}{
				{"empty name", 0, itsm.UpdateSLAInput{Name: ptr(" ")}, graph.CodeInvalidInput, "name"},
				{"target above 100", 0, itsm.UpdateSLAInput{AvailabilityTarget: ptr(100.5)}, graph.CodeInvalidInput, "availabilityTarget"},
				{"unknown period", 0, itsm.UpdateSLAInput{Period: ptr("DECADE")}, graph.CodeInvalidInput, "period"},
				{"resolution before response", 0, itsm.UpdateSLAInput{Targets: []itsm.PriorityTarget{{Priority: itsm.P2, Response: time.Hour, Resolution: time.Minute}}},
					graph.CodeInvalidInput, "targets[0].resolution"},
				{"bad service hours", 0, itsm.UpdateSLAInput{ServiceHours: &sla.ServiceHours{TimeZone: "Mars/Olympus"}}, graph.CodeInvalidInput, "serviceHours.timeZone"},
				{"stale version", a.Version + 1, itsm.UpdateSLAInput{Name: ptr("x")}, graph.CodeConflict, "version"},
				{"negative version", -1, itsm.UpdateSLAInput{Name: ptr("x")}, graph.CodeInvalidInput, "version"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := svc.UpdateSLA(ctx, a.ID, tt.version, tt.in)
					wantErr(t, err, tt.code, tt.field)
				})
			}
			_, err := svc.UpdateSLA(ctx, graph.NewID(), 0, itsm.UpdateSLAInput{Name: ptr("x")})
			wantErr(t, err, graph.CodeNotFound, "id")
			if got, _ := svc.GetSLA(ctx, a.ID); got.Version != a.Version || got.Name != "gold" {
				t.Fatalf("rejected updates changed the SLA: %+v", got)
			}
		})

		t.Run("update", func(t *testing.T) {
			got, err := svc.UpdateSLA(ctx, a.ID, a.Version, itsm.UpdateSLAInput{Name: ptr("platinum"), AvailabilityTarget: ptr(99.99),
				Targets: []itsm.PriorityTarget{{Priority: itsm.P1, Response: 5 * time.Minute, Resolution: time.Hour}}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "platinum" || got.AvailabilityTarget != 99.99 || got.Version != a.Version+1 || got.Period != sla.PeriodMonth ||
				got.ServiceID != sh.svc.ID || !got.ServiceHours.Always || got.Targets[0].Response != 5*time.Minute {
				t.Fatalf("updated %+v", got)
			}
			h, err := svc.Store.History(ctx, a.ID, graph.Page{First: 1})
			if err != nil || len(h.Entries) != 1 || h.Entries[0].Action != graph.ActionUpdate || h.Entries[0].Actor != "slm" {
				t.Fatalf("history %+v %v", h.Entries, err)
			}
			// The incident raised before keeps its 15-minute response target;
			// one raised now gets 5 minutes.
			resp, _, err := svc.Clocks(ctx, inc, testNow)
			if err != nil || resp == nil || resp.Target != 15*time.Minute || resp.SLA.Name != "gold" {
				t.Fatalf("old incident's clock %+v %v", resp, err)
			}
			fresh, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "again", AffectedCIs: []string{sh.db.ID}, Impact: ptr(1), Urgency: ptr(1)})
			if err != nil {
				t.Fatal(err)
			}
			if resp, _, _ := svc.Clocks(ctx, fresh, testNow); resp == nil || resp.Target != 5*time.Minute {
				t.Fatalf("new incident's clock %+v", resp)
			}
		})

		t.Run("delete keeps the clocks of incidents raised under it", func(t *testing.T) {
			cur, _ := svc.GetSLA(ctx, a.ID)
			err := svc.DeleteSLA(ctx, a.ID, cur.Version+5)
			wantErr(t, err, graph.CodeConflict, "version")
			if err := svc.DeleteSLA(ctx, a.ID, cur.Version); err != nil {
				t.Fatal(err)
			}
			_, err = svc.GetSLA(ctx, a.ID)
			wantErr(t, err, graph.CodeNotFound, "id")
			if msg := graph.ErrorMessage(err); msg != `SLA "`+a.ID+`" not found` {
				t.Errorf("message %q", msg)
			}
			wantErr(t, svc.DeleteSLA(ctx, a.ID, 0), graph.CodeNotFound, "id")
			if slas, _ := svc.SLAs(ctx, sh.svc.ID); len(slas) != 0 {
				t.Fatalf("SLAs after delete: %+v", slas)
			}
			got, err := svc.GetIncident(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			resp, res, err := svc.Clocks(ctx, got, testNow.Add(time.Minute))
			if err != nil || resp == nil || res == nil || !resp.Due.Equal(testNow.Add(15*time.Minute)) || resp.SLAID != a.ID {
				t.Fatalf("clocks after the SLA was deleted: %+v %+v %v", resp, res, err)
			}
			h, _ := svc.Store.History(ctx, a.ID, graph.Page{First: 1})
			if len(h.Entries) != 1 || h.Entries[0].Action != graph.ActionDelete {
				t.Fatalf("history %+v", h.Entries)
			}
			// An incident raised after the deletion has no clocks.
			late, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "late", AffectedCIs: []string{sh.db.ID}, Impact: ptr(1), Urgency: ptr(1)})
			if err != nil {
				t.Fatal(err)
			}
			if resp, _, _ := svc.Clocks(ctx, late, testNow); resp != nil {
				t.Fatalf("clock without an SLA: %+v", resp)
			}
		})
	})
}

func TestClockTermsFollowTheServices(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := context.Background()
		sh := buildShop(t, svc.Store)
		name := "lonely"
		class := graph.ClassBusinessService
		res, err := svc.Store.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		other := res.CI
		mkSLA := func(service string, response time.Duration) *itsm.SLA {
			a, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: service, Name: "sla", AvailabilityTarget: 99,
				Targets: []itsm.PriorityTarget{{Priority: itsm.P3, Response: response, Resolution: 10 * response}}, ServiceHours: sla.ServiceHours{Always: true}})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		shopSLA := mkSLA(sh.svc.ID, time.Hour)
		inc, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "x", AffectedCIs: []string{sh.db.ID}})
		if err != nil {
			t.Fatal(err)
		}
		// The shop's SLA tightens, and another service gets one.
		if _, err := svc.UpdateSLA(ctx, shopSLA.ID, 0, itsm.UpdateSLAInput{Targets: []itsm.PriorityTarget{{Priority: itsm.P3, Response: time.Minute, Resolution: time.Hour}}}); err != nil {
			t.Fatal(err)
		}
		otherSLA := mkSLA(other.ID, 2*time.Hour)
		// Now the incident also hits the other service: the shop keeps the
		// terms it had, the other service brings its current SLA.
		inc, err = svc.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{AffectedCIs: []string{sh.db.ID, other.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.SLATerms) != 2 {
			t.Fatalf("terms %+v", inc.SLATerms)
		}
		for _, a := range inc.SLATerms {
			want := map[string]time.Duration{shopSLA.ID: time.Hour, otherSLA.ID: 2 * time.Hour}[a.ID]
			if a.Targets[0].Response != want {
				t.Fatalf("terms of %s: %v, want %v", a.ID, a.Targets[0].Response, want)
			}
		}
		// Only the other service now: the shop's terms go.
		inc, err = svc.UpdateIncident(ctx, inc.ID, itsm.UpdateIncidentInput{AffectedCIs: []string{other.ID}})
		if err != nil || len(inc.SLATerms) != 1 || inc.SLATerms[0].ID != otherSLA.ID {
			t.Fatalf("terms %+v %v", inc.SLATerms, err)
		}
		// An incident stored before Ripple kept terms runs on the SLAs as
		// they are now.
		legacy := *inc
		legacy.SLATerms, legacy.SLATermsAt, legacy.Services = nil, nil, []string{sh.svc.ID}
		if resp, _, err := svc.Clocks(ctx, &legacy, testNow); err != nil || resp == nil || resp.Target != time.Minute {
			t.Fatalf("legacy clock %+v %v", resp, err)
		}
	})
}

func TestUpdateAndDeleteWindow(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *itsm.Service) {
		ctx := graph.WithActor(context.Background(), "cab")
		sh := buildShop(t, svc.Store)
		start := testNow.Add(24 * time.Hour)
		w, err := svc.CreateWindow(ctx, itsm.CreateWindowInput{Name: "peak", Kind: itsm.WindowFreeze, Start: start, End: start.Add(time.Hour), Scope: []string{sh.svc.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			version int64
			in      itsm.UpdateWindowInput
			code    graph.Code
			field   string
		}{
			{"end before start", 0, itsm.UpdateWindowInput{End: ptr(start.Add(-time.Hour))}, graph.CodeInvalidInput, "end"},
			{"unknown kind", 0, itsm.UpdateWindowInput{Kind: ptr(itsm.WindowKind("BLACKOUT"))}, graph.CodeInvalidInput, "kind"},
			{"missing scope CI", 0, itsm.UpdateWindowInput{Scope: []string{sh.db.ID, graph.NewID()}}, graph.CodeNotFound, "scope[1]"},
			{"empty name", 0, itsm.UpdateWindowInput{Name: ptr("")}, graph.CodeInvalidInput, "name"},
			{"stale version", w.Version + 1, itsm.UpdateWindowInput{Name: ptr("x")}, graph.CodeConflict, "version"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.UpdateWindow(ctx, w.ID, tt.version, tt.in)
				wantErr(t, err, tt.code, tt.field)
			})
		}
		// Moved an hour later and widened to everything.
		got, err := svc.UpdateWindow(ctx, w.ID, w.Version, itsm.UpdateWindowInput{Start: ptr(start.Add(time.Hour)), End: ptr(start.Add(3 * time.Hour)),
			Scope: []string{}, Reason: ptr("moved")})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Start.Equal(start.Add(time.Hour)) || len(got.Scope) != 0 || got.Reason != "moved" || got.Name != "peak" || got.Version != w.Version+1 {
			t.Fatalf("updated %+v", got)
		}
		// The stored bounds moved with it: only the new range finds it.
		if ws, _ := svc.Windows(ctx, itsm.WindowFreeze, start, start.Add(30*time.Minute)); len(ws) != 0 {
			t.Fatalf("found at the old time: %+v", ws)
		}
		if ws, _ := svc.Windows(ctx, itsm.WindowFreeze, start.Add(2*time.Hour), start.Add(2*time.Hour)); len(ws) != 1 {
			t.Fatalf("not found at the new time: %+v", ws)
		}
		if ws, _ := svc.Windows(ctx, itsm.WindowMaintenance, start, start.Add(4*time.Hour)); len(ws) != 0 {
			t.Fatalf("freeze listed as maintenance: %+v", ws)
		}
		if err := svc.DeleteWindow(ctx, w.ID, got.Version); err != nil {
			t.Fatal(err)
		}
		_, err = svc.GetWindow(ctx, w.ID)
		wantErr(t, err, graph.CodeNotFound, "id")
		h, err := svc.Store.History(ctx, w.ID, graph.Page{})
		if err != nil || len(h.Entries) != 3 || h.Entries[0].Action != graph.ActionDelete || h.Entries[1].Action != graph.ActionUpdate {
			t.Fatalf("history %+v %v", h.Entries, err)
		}
	})
}

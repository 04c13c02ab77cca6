package events_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/events/amtest"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// A real Alertmanager, fed through its API the way Prometheus feeds it,
// delivers to a real Ripple server by its own webhook config: a firing
// alert raises one incident however often Alertmanager re-sends it, one
// on no known CI waits as an unmapped event, the resolution resolves the
// incident and a re-fire reopens it.
func TestAlertmanagerEndToEnd(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		srv := httptest.NewServer(server.NewHandler(app.New(s, formats.DefaultPolicy()), server.Config{
			Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}))
		defer srv.Close()
		// repeat_interval 2s: Alertmanager re-sends the unchanged group
		// every couple of seconds, as it does every few hours in production.
		am := amtest.Start(t, srv.URL+server.AlertmanagerPath, amtest.Options{RepeatInterval: 2 * time.Second})
		svc := events.New(itsm.New(s), events.DefaultMapping())
		web := mkCI(t, s, "web-01", graph.ClassServer, "fqdn", "web-01.shop.example.com")

		start := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
		hostDown := amtest.Alert{
			Labels:      map[string]string{"alertname": "HostDown", "instance": "web-01.shop.example.com:9100", "job": "node", "severity": "critical"},
			Annotations: map[string]string{"summary": "web-01 is down", "description": "node_exporter has not answered for 1m"},
			StartsAt:    &start, GeneratorURL: "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
		}
		stray := amtest.Alert{Labels: map[string]string{"alertname": "HostDown", "instance": "10.99.0.1:9100", "severity": "warning"},
			Annotations: map[string]string{"summary": "10.99.0.1 is down"}, StartsAt: &start}
		if err := am.Post(ctx, hostDown, stray); err != nil {
			t.Fatal(err)
		}

		var ev *events.Event
		waitFor(t, am, "the incident and the unmapped event", func() (bool, string) {
			list, _, err := svc.ListEvents(ctx, events.Filter{CI: web.ID}, graph.Page{})
			if err != nil || len(list) != 1 || list[0].IncidentID == "" {
				return false, fmt.Sprintf("events on web-01: %d (%v)", len(list), err)
			}
			ev = list[0]
			c, err := svc.CountEvents(ctx)
			return err == nil && c.Unmapped == 1, fmt.Sprintf("counts %+v (%v)", c, err)
		})
		inc := incident(t, svc, ev.IncidentID)
		if ev.Source != "alertmanager" || len(ev.DedupKey) != 16 || ev.MappedBy != "instance-fqdn" || ev.URL != hostDown.GeneratorURL ||
			inc.State != itsm.IncidentNew || inc.Priority != itsm.P1 || inc.Title != "web-01 is down" || !inc.OpenedAt.Equal(start) {
			t.Fatalf("event %+v, incident %+v", ev, inc)
		}
		yes := true
		unmapped, _, err := svc.ListEvents(ctx, events.Filter{Unmapped: &yes}, graph.Page{})
		if err != nil || len(unmapped) != 1 || !strings.Contains(unmapped[0].UnmappedReason, "ip=10.99.0.1") {
			t.Fatalf("unmapped events %+v (%v)", unmapped, err)
		}

		// Re-sends (repeat_interval) change nothing.
		time.Sleep(5 * time.Second)
		again, err := svc.GetEvent(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.Version != ev.Version || countIncidents(t, svc) != 1 || incident(t, svc, inc.ID).Version != inc.Version {
			t.Fatalf("re-sends wrote: event version %d → %d, %d incidents", ev.Version, again.Version, countIncidents(t, svc))
		}
		if !strings.Contains(am.Logs(), "Notify success") {
			t.Log("alertmanager log does not mention its deliveries")
		}

		// Prometheus resolves the alert: Alertmanager sends the resolution.
		end := time.Now().UTC().Truncate(time.Millisecond)
		resolvedAlert := hostDown
		resolvedAlert.EndsAt = &end
		if err := am.Post(ctx, resolvedAlert); err != nil {
			t.Fatal(err)
		}
		waitFor(t, am, "the resolution", func() (bool, string) {
			got := incident(t, svc, inc.ID)
			return got.State == itsm.IncidentResolved, "incident " + string(got.State)
		})
		got := incident(t, svc, inc.ID)
		if note := got.Transitions[len(got.Transitions)-1].Note; !strings.Contains(note, "Resolved by alertmanager") {
			t.Fatalf("resolution note %q", note)
		}

		// It fires again: the incident reopens.
		refire := hostDown
		restart := time.Now().UTC().Add(time.Second).Truncate(time.Millisecond)
		refire.StartsAt = &restart
		if err := am.Post(ctx, refire); err != nil {
			t.Fatal(err)
		}
		waitFor(t, am, "the re-fire", func() (bool, string) {
			got := incident(t, svc, inc.ID)
			return got.State == itsm.IncidentInProgress, "incident " + string(got.State)
		})
		if n := countIncidents(t, svc); n != 1 {
			t.Fatalf("%d incidents, want 1", n)
		}
	})
}

// waitFor polls cond until it holds, failing after 30s with its last word.
func waitFor(t *testing.T, am *amtest.Alertmanager, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %s; alertmanager log:\n%s", what, state, am.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

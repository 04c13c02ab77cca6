package events_test

import (
	"fmt"
	"net/http/httptest"
	"slices"
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

// The on-call journey: a hypervisor had its firmware upgraded; minutes
// later Prometheus alerts on four of the VMs it hosts (and, unrelated, on
// a database server elsewhere). A real Alertmanager delivers the alerts
// to Ripple, which raises an incident per alert and groups the four under
// one major incident naming the hypervisor as the likely cause and the
// firmware upgrade as the suspected change; the stray alert stays alone.
// When the alerts resolve, the group resolves with them.
func TestAlertmanagerAlertsLandAsOneGroup(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		services := app.New(s, formats.DefaultPolicy())
		services.Correlation.OnError = func(err error) { t.Errorf("correlation: %v", err) }
		t.Cleanup(services.Correlation.Wait)
		srv := httptest.NewServer(server.NewHandler(services, server.Config{Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}))
		defer srv.Close()
		am := amtest.Start(t, srv.URL+server.AlertmanagerPath, amtest.Options{})
		svc := events.New(itsm.New(s), events.DefaultMapping())

		hv := mkCI(t, s, "hv-07", graph.ClassHypervisor, "fqdn", "hv-07.dc1.example.com")
		var vms []graph.CI
		for i := 1; i <= 4; i++ {
			vm := mkCI(t, s, fmt.Sprintf("shop-vm-%d", i), graph.ClassVirtualMachine, "fqdn", fmt.Sprintf("shop-vm-%d.shop.example.com", i))
			if _, err := s.Relate(ctx, vm.ID, graph.RelRunsOn, hv.ID); err != nil {
				t.Fatal(err)
			}
			vms = append(vms, vm)
		}
		db := mkCI(t, s, "db-9", graph.ClassServer, "fqdn", "db-9.shop.example.com")
		now := time.Now().UTC().Truncate(time.Millisecond)
		requested := now.Add(-3 * time.Hour)
		fw, err := services.ITSM.CreateChange(ctx, itsm.CreateChangeInput{Title: "Firmware upgrade on hv-07", Type: itsm.ChangeStandard,
			TargetCIs: []string{hv.ID}, PlannedStart: now.Add(-time.Hour), PlannedEnd: now.Add(-30 * time.Minute), RequestedAt: &requested})
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range []itsm.ChangeState{itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview} {
			if _, err := services.ITSM.TransitionChangeAt(ctx, fw.ID, st, "", "", now.Add(time.Duration(-70+20*i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}

		alert := func(host string, startsAt time.Time) amtest.Alert {
			return amtest.Alert{Labels: map[string]string{"alertname": "HostDown", "instance": host + ":9100", "job": "node", "severity": "critical"},
				Annotations: map[string]string{"summary": host + " is down"}, StartsAt: &startsAt}
		}
		var alerts []amtest.Alert
		for i := range vms {
			alerts = append(alerts, alert(fmt.Sprintf("shop-vm-%d.shop.example.com", i+1), now.Add(time.Duration(i-5)*time.Minute)))
		}
		alerts = append(alerts, alert("db-9.shop.example.com", now.Add(-3*time.Minute)))
		if err := am.Post(ctx, alerts...); err != nil {
			t.Fatal(err)
		}

		var group *itsm.Incident
		var children []*itsm.Incident
		waitFor(t, am, "one group of the four VM incidents", func() (bool, string) {
			services.Correlation.Wait()
			groups, _, err := services.ITSM.ListIncidents(ctx, itsm.IncidentFilter{Open: true, Major: true}, graph.Page{})
			if err != nil || len(groups) != 1 {
				return false, fmt.Sprintf("%d groups (%v); %d incidents", len(groups), err, countIncidents(t, svc))
			}
			group = groups[0]
			children, _, err = services.ITSM.ListIncidents(ctx, itsm.IncidentFilter{Parent: group.ID}, graph.Page{})
			return err == nil && len(children) == 4, fmt.Sprintf("%d children (%v)", len(children), err)
		})
		c := group.Correlation
		if c == nil || c.CauseCI != hv.ID || c.SuspectedChangeID != fw.ID || !strings.Contains(group.Title, "hv-07") ||
			!strings.Contains(group.Description, "Firmware upgrade on hv-07") || group.Priority != itsm.P1 {
			t.Fatalf("group %q (%s): correlation %+v, want hv-07 and the firmware upgrade", group.Title, group.Priority, c)
		}
		var grouped []string
		for _, k := range children {
			if k.Grouping == nil || k.Grouping.CauseCI != hv.ID || k.Grouping.Distance != 1 || k.Grouping.Path[0] != hv.ID {
				t.Fatalf("child %q grouping %+v", k.Title, k.Grouping)
			}
			grouped = append(grouped, k.AffectedCIs[0])
		}
		for _, vm := range vms {
			if !slices.Contains(grouped, vm.ID) {
				t.Fatalf("%s's incident is not in the group", vm.Name)
			}
		}
		stray, _, err := svc.ListEvents(ctx, events.Filter{CI: db.ID}, graph.Page{})
		if err != nil || len(stray) != 1 || incident(t, svc, stray[0].IncidentID).Grouping != nil {
			t.Fatalf("db-9's event %+v (%v), want its incident ungrouped", stray, err)
		}

		// The VMs come back: the alerts resolve, and the group with them.
		end := time.Now().UTC().Truncate(time.Millisecond)
		for i := range alerts[:4] {
			alerts[i].EndsAt = &end
		}
		if err := am.Post(ctx, alerts[:4]...); err != nil {
			t.Fatal(err)
		}
		waitFor(t, am, "the group to resolve", func() (bool, string) {
			services.Correlation.Wait()
			got := incident(t, svc, group.ID)
			return got.State == itsm.IncidentResolved, "major incident " + string(got.State)
		})
	})
}

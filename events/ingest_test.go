package events_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// forEachStore runs f on every store: events must behave alike on both.
func forEachStore(t *testing.T, f func(t *testing.T, svc *events.Service)) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		f(t, events.New(itsm.New(s), events.DefaultMapping()))
	})
}

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

// mkCI creates a CI with identifiers given as kind, value, kind, value...
func mkCI(t *testing.T, s graph.Store, name, class string, ids ...string) graph.CI {
	t.Helper()
	in := graph.CIInput{Name: &name, Class: &class}
	for i := 0; i+1 < len(ids); i += 2 {
		in.Identifiers = append(in.Identifiers, graph.Identifier{Kind: ids[i], Value: ids[i+1]})
	}
	res, err := s.UpsertCI(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return res.CI
}

// alert is a firing Alertmanager alert on an instance.
func alert(fp, instance string, startsAt time.Time) events.Input {
	return events.Input{Source: events.SourceAlertmanager, DedupKey: fp, Status: events.Firing, Severity: "critical",
		Summary: "Disk full on " + instance, Description: "/var is 99% full",
		Labels:   map[string]string{"alertname": "DiskFull", "instance": instance + ":9100", "severity": "critical"},
		StartsAt: startsAt}
}

func resolved(in events.Input, endsAt time.Time) events.Input {
	in.Status, in.EndsAt = events.Resolved, endsAt
	return in
}

func ingest(t *testing.T, svc *events.Service, in events.Input, want events.Outcome) events.Result {
	t.Helper()
	res, err := svc.Ingest(ctx, in)
	if err != nil {
		t.Fatalf("ingest %s %s: %v", in.DedupKey, in.Status, err)
	}
	if res.Outcome != want {
		t.Fatalf("ingest %s %s: outcome %s, want %s", in.DedupKey, in.Status, res.Outcome, want)
	}
	return res
}

func incident(t *testing.T, svc *events.Service, id string) *itsm.Incident {
	t.Helper()
	inc, err := svc.ITSM.GetIncident(ctx, id)
	if err != nil {
		t.Fatalf("incident %s: %v", id, err)
	}
	return inc
}

func countIncidents(t *testing.T, svc *events.Service) int {
	t.Helper()
	_, page, err := svc.ITSM.ListIncidents(ctx, itsm.IncidentFilter{}, graph.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return page.TotalCount
}

func TestAlertLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		web := mkCI(t, svc.Store, "web-01", graph.ClassServer, "fqdn", "web-01.shop.example.com")
		start := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
		in := alert("fp-1", "web-01.shop.example.com", start)

		res := ingest(t, svc, in, events.OutcomeCreated)
		if res.CI != web.ID || res.IncidentID == "" || res.EventID != events.EventID(events.SourceAlertmanager, "fp-1") {
			t.Fatalf("result %+v, want CI %s and an incident", res, web.ID)
		}
		inc := incident(t, svc, res.IncidentID)
		if inc.State != itsm.IncidentNew || inc.Priority != itsm.P1 || inc.Title != in.Summary ||
			!inc.OpenedAt.Equal(start) || len(inc.AffectedCIs) != 1 || inc.AffectedCIs[0] != web.ID ||
			!strings.HasPrefix(inc.Description, "/var is 99% full") || !strings.Contains(inc.Description, `instance="web-01.shop.example.com:9100"`) {
			t.Fatalf("incident %+v", inc)
		}
		ev, err := svc.GetEvent(ctx, res.EventID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.MappedBy != "instance-fqdn" || ev.IncidentID != inc.ID {
			t.Fatalf("event %+v: want mapped by instance-fqdn, with its incident", ev)
		}

		// A re-send changes nothing, not even the records' versions.
		ingest(t, svc, in, events.OutcomeUnchanged)
		if again, _ := svc.GetEvent(ctx, res.EventID); again.Version != ev.Version {
			t.Fatalf("a re-send wrote the event (version %d → %d)", ev.Version, again.Version)
		}
		if incident(t, svc, inc.ID).Version != inc.Version {
			t.Fatal("a re-send wrote the incident")
		}

		// New annotations and a lower severity update the incident.
		in.Summary, in.Severity = "Disk nearly full on web-01", "warning"
		ingest(t, svc, in, events.OutcomeUpdated)
		if got := incident(t, svc, inc.ID); got.Title != in.Summary || got.Priority != itsm.P3 {
			t.Fatalf("updated incident: title %q priority %s", got.Title, got.Priority)
		}

		// Resolution resolves it (through IN_PROGRESS), with notes.
		end := start.Add(5 * time.Minute)
		ingest(t, svc, resolved(in, end), events.OutcomeResolved)
		got := incident(t, svc, inc.ID)
		if got.State != itsm.IncidentResolved || len(got.Transitions) != 3 ||
			!strings.Contains(got.Transitions[2].Note, "Resolved by alertmanager") {
			t.Fatalf("resolved incident: state %s transitions %+v", got.State, got.Transitions)
		}
		ingest(t, svc, resolved(in, end), events.OutcomeUnchanged)

		// The firing that was re-sent before the resolution, delivered
		// late, is stale: the incident stays resolved.
		ingest(t, svc, in, events.OutcomeStale)
		if incident(t, svc, inc.ID).State != itsm.IncidentResolved {
			t.Fatal("a stale firing reopened the incident")
		}

		// A re-fire reopens it.
		refire := in
		refire.StartsAt = end.Add(time.Minute)
		ingest(t, svc, refire, events.OutcomeReopened)
		got = incident(t, svc, inc.ID)
		if got.State != itsm.IncidentInProgress || !strings.Contains(got.Transitions[len(got.Transitions)-1].Note, "firing again") {
			t.Fatalf("reopened incident: %s %+v", got.State, got.Transitions)
		}

		// Once CLOSED, the next firing raises a new incident.
		ingest(t, svc, resolved(refire, end.Add(2*time.Minute)), events.OutcomeResolved)
		if _, err := svc.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentClosed, ""); err != nil {
			t.Fatal(err)
		}
		third := in
		third.StartsAt = end.Add(3 * time.Minute)
		res3 := ingest(t, svc, third, events.OutcomeCreated)
		if res3.IncidentID == inc.ID {
			t.Fatal("a closed incident was reused")
		}
		ev, _ = svc.GetEvent(ctx, res.EventID)
		if len(ev.PastIncidents) != 1 || ev.PastIncidents[0] != inc.ID || ev.IncidentID != res3.IncidentID {
			t.Fatalf("event incidents: current %s past %v", ev.IncidentID, ev.PastIncidents)
		}
		if n := countIncidents(t, svc); n != 2 {
			t.Fatalf("%d incidents, want 2", n)
		}
	})
}

func TestUnmappedEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		lost := alert("fp-lost", "10.9.9.9", start)
		res := ingest(t, svc, lost, events.OutcomeUnmapped)
		ingest(t, svc, lost, events.OutcomeUnmapped) // re-sent: still one event
		other := alert("fp-other", "db-7.example.com", start)
		ingest(t, svc, other, events.OutcomeUnmapped)
		ingest(t, svc, resolved(alert("fp-gone", "10.9.9.10", start), start.Add(time.Second)), events.OutcomeUnmapped)

		yes := true
		list, page, err := svc.ListEvents(ctx, events.Filter{Unmapped: &yes}, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != 3 || len(list) != 3 {
			t.Fatalf("%d unmapped events listed (total %d), want 3", len(list), page.TotalCount)
		}
		ev, _ := svc.GetEvent(ctx, res.EventID)
		if ev.CI != "" || ev.IncidentID != "" || !strings.Contains(ev.UnmappedReason, "ip=10.9.9.9") {
			t.Fatalf("unmapped event %+v", ev)
		}
		counts, err := svc.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts != (events.Counts{Total: 3, Firing: 2, Unmapped: 3, UnmappedFiring: 2}) {
			t.Fatalf("counts %+v", counts)
		}
		if n := countIncidents(t, svc); n != 0 {
			t.Fatalf("%d incidents for unmapped events", n)
		}

		// Mapped by hand: its incident is raised on the CI.
		vm := mkCI(t, svc.Store, "legacy-vm", graph.ClassVirtualMachine)
		mapped, mres, err := svc.MapEvent(ctx, res.EventID, vm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if mapped.CI != vm.ID || mapped.MappedBy != events.MappedManually || mres.Outcome != events.OutcomeCreated ||
			incident(t, svc, mapped.IncidentID).AffectedCIs[0] != vm.ID {
			t.Fatalf("mapped %+v, result %+v", mapped, mres)
		}
		// Later deliveries keep the CI and the incident.
		ingest(t, svc, lost, events.OutcomeUnchanged)
		ingest(t, svc, resolved(lost, start.Add(time.Minute)), events.OutcomeResolved)
		_, _, err = svc.MapEvent(ctx, res.EventID, vm.ID)
		wantErr(t, err, graph.CodeConflict, "id")
		_, _, err = svc.MapEvent(ctx, events.EventID("alertmanager", "fp-other"), graph.NewID())
		wantErr(t, err, graph.CodeNotFound, "ciId")
		_, _, err = svc.MapEvent(ctx, graph.NewID(), vm.ID)
		wantErr(t, err, graph.CodeNotFound, "id")

		// Once a CI matches, the next delivery maps the event by itself.
		db := mkCI(t, svc.Store, "db-7", graph.ClassServer, "fqdn", "db-7.example.com")
		r := ingest(t, svc, other, events.OutcomeCreated)
		if r.CI != db.ID {
			t.Fatalf("auto-mapped to %s, want %s", r.CI, db.ID)
		}
		if counts, _ := svc.CountEvents(ctx); counts.Unmapped != 1 || counts.UnmappedFiring != 0 {
			t.Fatalf("counts after mapping %+v", counts)
		}
	})
}

// A resolved event mapped by hand gets its incident, resolved at once.
func TestMapResolvedEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		res := ingest(t, svc, resolved(alert("fp-r", "10.1.1.1", start), start.Add(time.Minute)), events.OutcomeUnmapped)
		ci := mkCI(t, svc.Store, "box", graph.ClassServer)
		ev, _, err := svc.MapEvent(ctx, res.EventID, ci.ID)
		if err != nil {
			t.Fatal(err)
		}
		if inc := incident(t, svc, ev.IncidentID); inc.State != itsm.IncidentResolved || !inc.OpenedAt.Equal(start) {
			t.Fatalf("incident of a resolved event: %s opened %s", inc.State, inc.OpenedAt)
		}
	})
}

// Concurrent deliveries of one alert (two replicas, Alertmanager's HA
// peers) raise one incident.
func TestConcurrentDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		mkCI(t, svc.Store, "web-02", graph.ClassServer, "ip", "10.0.0.2")
		in := alert("fp-race", "10.0.0.2", time.Now().UTC().Add(-time.Minute).Truncate(time.Second))
		const n = 8
		var wg sync.WaitGroup
		results := make([]events.Result, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = svc.Ingest(ctx, in)
			}()
		}
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			if results[i].IncidentID != results[0].IncidentID {
				t.Fatalf("deliveries saw incidents %s and %s", results[0].IncidentID, results[i].IncidentID)
			}
			if results[i].Outcome == events.OutcomeCreated {
				created++
			}
		}
		if created != 1 || countIncidents(t, svc) != 1 {
			t.Fatalf("%d deliveries created, %d incidents; want 1", created, countIncidents(t, svc))
		}
		ev, _ := svc.GetEvent(ctx, results[0].EventID)
		if ev.IncidentID != results[0].IncidentID {
			t.Fatalf("event records incident %s, deliveries saw %s", ev.IncidentID, results[0].IncidentID)
		}
	})
}

// Generic events go the same way: identifiers instead of labels.
func TestGenericEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		ci := mkCI(t, svc.Store, "nas-1", graph.ClassServer, "serial", "SN-42")
		in := events.Input{Source: "nagios", DedupKey: "nas-1/disk", Status: events.Firing, Severity: "major",
			Summary: "NAS disk failing", Identifiers: []graph.Identifier{{Kind: "serial", Value: "SN-42"}},
			StartsAt: time.Now().UTC().Truncate(time.Second)}
		res := ingest(t, svc, in, events.OutcomeCreated)
		if res.CI != ci.ID || incident(t, svc, res.IncidentID).Priority != itsm.P2 {
			t.Fatalf("generic event result %+v", res)
		}
		// The same key from another source is another event.
		in.Source = "zabbix"
		if r := ingest(t, svc, in, events.OutcomeCreated); r.EventID == res.EventID {
			t.Fatal("sources share an event")
		}
	})
}

// The CI of a mapped event is deleted: its incident outlives the CI, and
// the event still resolves it.
func TestMappedCIDeleted(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		res := ingest(t, svc, alert("fp-d", "10.2.2.2", start), events.OutcomeUnmapped)
		ci := mkCI(t, svc.Store, "doomed", graph.ClassServer)
		if _, _, err := svc.MapEvent(ctx, res.EventID, ci.ID); err != nil {
			t.Fatal(err)
		}
		// Its open incident protects the CI; forcing the delete is how the
		// CI goes while the incident lives on.
		if _, err := svc.Store.ForceDeleteCI(ctx, ci.ID); err != nil {
			t.Fatal(err)
		}
		ingest(t, svc, resolved(alert("fp-d", "10.2.2.2", start), start.Add(time.Minute)), events.OutcomeResolved)
	})
}

func wantErr(t *testing.T, err error, code graph.Code, field string) {
	t.Helper()
	if graph.ErrorCode(err) != code || graph.ErrorField(err) != field {
		t.Fatalf("got %v (%s on %q), want %s on %q", err, graph.ErrorCode(err), graph.ErrorField(err), code, field)
	}
}

// One event a rule refuses does not hold up the others of its request.
func TestIngestAllRejectsOne(t *testing.T) {
	forEachStore(t, func(t *testing.T, svc *events.Service) {
		mkCI(t, svc.Store, "web-7", graph.ClassServer, "ip", "10.0.0.7")
		start := time.Now().UTC().Truncate(time.Second)
		bad := alert("fp-bad", "10.0.0.8", start)
		bad.Summary, bad.Field = "", "alerts[1]"
		res, err := svc.IngestAll(ctx, []events.Input{alert("fp-a", "10.0.0.7", start), bad, alert("fp-c", "10.0.0.9", start)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || res[0].Outcome != events.OutcomeCreated || res[1].Outcome != events.OutcomeRejected ||
			!strings.Contains(res[1].Error, "alerts[1].summary") || res[2].Outcome != events.OutcomeUnmapped {
			t.Fatalf("results %+v", res)
		}
	})
}

package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/server"
)

// amAlertJSON is one alert of an Alertmanager webhook payload.
type amAlertJSON struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// amWebhook is a version-4 payload as Alertmanager sends it.
func amWebhook(alerts ...amAlertJSON) string {
	b, _ := json.Marshal(map[string]any{"version": "4", "receiver": "ripple", "status": "firing", "groupKey": "{}:{}",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager:9093", "truncatedAlerts": 0, "alerts": alerts})
	return string(b)
}

func amFiring(fp, instance, severity string, startsAt time.Time) amAlertJSON {
	return amAlertJSON{Status: "firing", Fingerprint: fp, StartsAt: startsAt.Format(time.RFC3339Nano), EndsAt: "0001-01-01T00:00:00Z",
		Labels:      map[string]string{"alertname": "HostDown", "instance": instance, "severity": severity},
		Annotations: map[string]string{"summary": "Host " + instance + " is down", "description": "no scrape for 5m"}}
}

func amResolved(a amAlertJSON, endsAt time.Time) amAlertJSON {
	a.Status, a.EndsAt = "resolved", endsAt.Format(time.RFC3339Nano)
	return a
}

// eventsAnswerJSON mirrors the event endpoints' answer.
type eventsAnswerJSON struct {
	Received int
	Outcomes map[string]int
	Events   []struct{ EventID, Source, DedupKey, Outcome, CiID, IncidentID string }
}

// postEvents posts to an event endpoint and decodes a 200 answer.
func (e *env) postEvents(t *testing.T, path, body string, hdr ...string) eventsAnswerJSON {
	t.Helper()
	status, raw := e.rawImport(t, path, "application/json", strings.NewReader(body), hdr...)
	var ans eventsAnswerJSON
	if err := json.Unmarshal(raw, &ans); status != http.StatusOK || err != nil {
		t.Fatalf("POST %s: %d %s (%v)", path, status, truncate(raw), err)
	}
	return ans
}

// postEventsError posts to an event endpoint and decodes an error answer.
func (e *env) postEventsError(t *testing.T, path, body string) (int, httpErrorJSON) {
	t.Helper()
	return e.postImportError(t, path, "application/json", strings.NewReader(body))
}

const eventFields = `id source dedupKey status severity summary description labels annotations identifiers { kind value }
	startsAt endsAt url ciId ci { name } mappedBy unmappedReason incidentId pastIncidentIds version
	incident { id title state priority impact urgency openedAt affectedCiIds transitions { to note actor } }`

type eventJSON struct {
	ID, Source, DedupKey, Status, Summary, Description string
	Severity, EndsAt, URL, CiID, MappedBy              *string
	UnmappedReason, IncidentID                         *string
	StartsAt                                           string
	Labels, Annotations                                map[string]any
	Identifiers                                        []struct{ Kind, Value string }
	CI                                                 *struct{ Name string }
	PastIncidentIds                                    []string
	Version                                            int
	Incident                                           *struct {
		ID, Title, State, Priority, OpenedAt string
		Impact, Urgency                      int
		AffectedCiIds                        []string
		Transitions                          []struct{ To, Note, Actor string }
	}
}

func (e *env) event(t *testing.T, id string) eventJSON {
	t.Helper()
	var out struct{ Event *eventJSON }
	e.query(t, `query($id: ID!) { event(id: $id) { `+eventFields+` } }`, map[string]any{"id": id}, &out)
	if out.Event == nil {
		t.Fatalf("event %s not found", id)
	}
	return *out.Event
}

type eventCountsJSON struct{ Total, Firing, Unmapped, UnmappedFiring int }

func (e *env) eventCounts(t *testing.T) eventCountsJSON {
	t.Helper()
	var out struct{ EventCounts eventCountsJSON }
	e.query(t, `{ eventCounts { total firing unmapped unmappedFiring } }`, nil, &out)
	return out.EventCounts
}

var eventCases = []testCase{
	{"Alertmanager webhook: raise, re-send, update, resolve, re-fire", func(t *testing.T, e *env) {
		web := e.mk(t, "web-01", "Server", "identifiers", []map[string]string{{"kind": "fqdn", "value": "web-01.shop.example.com"}})
		start := time.Now().UTC().Add(-3 * time.Minute).Truncate(time.Millisecond)
		a := amFiring("3f2a9c1b0d4e5f60", "web-01.shop.example.com:9100", "critical", start)

		ans := e.postEvents(t, server.AlertmanagerPath, amWebhook(a), "X-Ripple-Actor", "alertmanager-eu")
		if ans.Received != 1 || ans.Outcomes["INCIDENT_CREATED"] != 1 || ans.Events[0].CiID != web || ans.Events[0].DedupKey != a.Fingerprint {
			t.Fatalf("first delivery: %+v", ans)
		}
		ev := e.event(t, ans.Events[0].EventID)
		if ev.Status != "FIRING" || ev.CI == nil || ev.CI.Name != "web-01" || deref(ev.MappedBy) != "instance-fqdn" ||
			ev.Incident == nil || ev.Incident.State != "NEW" || ev.Incident.Priority != "P1" || ev.Incident.Title != "Host web-01.shop.example.com:9100 is down" ||
			ev.Labels["instance"] != "web-01.shop.example.com:9100" || ev.Annotations["description"] != "no scrape for 5m" {
			t.Fatalf("event %+v incident %+v", ev, ev.Incident)
		}
		if opened, _ := time.Parse(time.RFC3339Nano, ev.Incident.OpenedAt); !opened.Equal(start) {
			t.Errorf("openedAt %s, want startsAt %s", ev.Incident.OpenedAt, start)
		}
		if ev.Incident.Transitions[0].Actor != "alertmanager-eu" {
			t.Errorf("incident raised by %q, want the webhook caller", ev.Incident.Transitions[0].Actor)
		}

		// Alertmanager re-sends on repeat_interval: nothing changes.
		if ans := e.postEvents(t, server.AlertmanagerPath, amWebhook(a)); ans.Outcomes["UNCHANGED"] != 1 {
			t.Fatalf("re-send: %+v", ans)
		}
		// New annotations and severity update the incident.
		a.Annotations["summary"], a.Labels["severity"] = "Host web-01 is flapping", "warning"
		if ans := e.postEvents(t, server.AlertmanagerPath, amWebhook(a)); ans.Outcomes["INCIDENT_UPDATED"] != 1 {
			t.Fatalf("changed re-send: %+v", ans)
		}
		// Resolution resolves it, with a note.
		end := start.Add(2 * time.Minute)
		if ans := e.postEvents(t, server.AlertmanagerPath, amWebhook(amResolved(a, end))); ans.Outcomes["INCIDENT_RESOLVED"] != 1 {
			t.Fatalf("resolution: %+v", ans)
		}
		ev = e.event(t, ev.ID)
		last := ev.Incident.Transitions[len(ev.Incident.Transitions)-1]
		if ev.Status != "RESOLVED" || ev.EndsAt == nil || ev.Incident.State != "RESOLVED" || ev.Incident.Priority != "P3" ||
			ev.Incident.Title != "Host web-01 is flapping" || !strings.Contains(last.Note, "Resolved by alertmanager") {
			t.Fatalf("after resolution: %+v %+v", ev, ev.Incident)
		}
		// A re-fire reopens it.
		a.StartsAt = end.Add(time.Minute).Format(time.RFC3339Nano)
		if ans := e.postEvents(t, server.AlertmanagerPath, amWebhook(a)); ans.Outcomes["INCIDENT_REOPENED"] != 1 {
			t.Fatalf("re-fire: %+v", ans)
		}
		if ev = e.event(t, ev.ID); ev.Incident.State != "IN_PROGRESS" {
			t.Fatalf("re-fired incident %s", ev.Incident.State)
		}
		var incs struct{ Incidents struct{ TotalCount int } }
		e.query(t, `{ incidents { totalCount } }`, nil, &incs)
		if incs.Incidents.TotalCount != 1 {
			t.Fatalf("%d incidents, want 1", incs.Incidents.TotalCount)
		}
		var byCI struct{ Events struct{ TotalCount int } }
		e.query(t, `query($ci: ID!) { events(ciId: $ci, first: 0) { totalCount } }`, map[string]any{"ci": web}, &byCI)
		if byCI.Events.TotalCount != 1 {
			t.Fatalf("events on the CI: %d", byCI.Events.TotalCount)
		}
	}},
	{"unmapped events are listed, counted and mapped later", func(t *testing.T, e *env) {
		start := time.Now().UTC().Add(-time.Minute)
		body := amWebhook(amFiring("aaaa000000000001", "10.9.0.1:9100", "critical", start),
			amFiring("aaaa000000000002", "10.9.0.2:9100", "info", start),
			amResolved(amFiring("aaaa000000000003", "10.9.0.3:9100", "info", start), start.Add(time.Second)))
		if ans := e.postEvents(t, server.AlertmanagerPath, body); ans.Received != 3 || ans.Outcomes["UNMAPPED"] != 3 {
			t.Fatalf("unmapped delivery: %+v", ans)
		}
		if c := e.eventCounts(t); c != (eventCountsJSON{Total: 3, Firing: 2, Unmapped: 3, UnmappedFiring: 2}) {
			t.Fatalf("counts %+v", c)
		}
		var list struct {
			Events struct {
				TotalCount int
				Edges      []struct{ Node eventJSON }
			}
		}
		e.query(t, `{ events(unmapped: true, status: FIRING) { totalCount edges { node { `+eventFields+` } } } }`, nil, &list)
		if list.Events.TotalCount != 2 || len(list.Events.Edges) != 2 {
			t.Fatalf("unmapped firing: %+v", list.Events)
		}
		var ev eventJSON
		for _, edge := range list.Events.Edges {
			if edge.Node.DedupKey == "aaaa000000000001" {
				ev = edge.Node
			}
		}
		if ev.ID == "" || ev.CiID != nil || ev.Incident != nil || !strings.Contains(deref(ev.UnmappedReason), "ip=10.9.0.1") ||
			len(ev.Identifiers) != 1 || ev.Identifiers[0].Kind != "ip" || ev.Identifiers[0].Value != "10.9.0.1" {
			t.Fatalf("unmapped event %+v", ev)
		}

		box := e.mk(t, "box-1", "Server")
		const mapEvent = `mutation($id: ID!, $ci: ID!) { mapEvent(id: $id, ciId: $ci) { ` + eventFields + ` } }`
		var out struct{ MapEvent eventJSON }
		e.query(t, mapEvent, map[string]any{"id": ev.ID, "ci": box}, &out)
		m := out.MapEvent
		if deref(m.CiID) != box || deref(m.MappedBy) != "manual" || m.Incident == nil || m.Incident.Priority != "P1" ||
			m.Incident.AffectedCiIds[0] != box || m.UnmappedReason != nil {
			t.Fatalf("mapped: %+v %+v", m, m.Incident)
		}
		e.fail(t, mapEvent, map[string]any{"id": ev.ID, "ci": box}, "CONFLICT", "id")
		e.fail(t, mapEvent, map[string]any{"id": list.Events.Edges[0].Node.ID, "ci": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND", "ciId")
		e.fail(t, mapEvent, map[string]any{"id": "nope", "ci": box}, "INVALID_INPUT", "id")
		if c := e.eventCounts(t); c.Unmapped != 2 || c.UnmappedFiring != 1 {
			t.Fatalf("counts after mapping %+v", c)
		}
		// The next delivery keeps the mapping.
		if ans := e.postEvents(t, server.AlertmanagerPath, body); ans.Outcomes["UNCHANGED"] != 1 || ans.Outcomes["UNMAPPED"] != 2 {
			t.Fatalf("re-send after mapping: %+v", ans)
		}
		var missing struct{ Event *eventJSON }
		e.query(t, `query($id: ID!) { event(id: $id) { id } }`, map[string]any{"id": "00000000-0000-4000-8000-000000000000"}, &missing)
		if missing.Event != nil {
			t.Fatal("unknown event is not null")
		}
	}},
	{"bad payloads are refused, naming the field, and change nothing", func(t *testing.T, e *env) {
		good := amFiring("bbbb000000000001", "10.0.0.1:9100", "critical", time.Now())
		noLabels := good
		noLabels.Labels = map[string]string{}
		for _, tc := range []struct{ name, path, body, field string }{
			{"alert without labels", server.AlertmanagerPath, amWebhook(good, good, good, noLabels), "alerts[3].labels"},
			{"payload version", server.AlertmanagerPath, `{"version":"2","alerts":[]}`, "version"},
			{"not JSON", server.AlertmanagerPath, `{"version":`, "body"},
			{"generic: unknown field", server.EventsPath, `{"source":"nagios","dedupKey":"k","status":"firing","summary":"s","ciid":"x"}`, "ciid"},
			{"generic: status", server.EventsPath, `[{"source":"nagios","dedupKey":"k","status":"down","summary":"s"}]`, "events[0].status"},
		} {
			status, got := e.postEventsError(t, tc.path, tc.body)
			if status != http.StatusBadRequest || got.Code != "INVALID_INPUT" || got.Field != tc.field {
				t.Errorf("%s: %d %+v, want 400 INVALID_INPUT on %s", tc.name, status, got, tc.field)
			}
		}
		if c := e.eventCounts(t); c.Total != 0 {
			t.Fatalf("a refused request stored events: %+v", c)
		}
		huge := strings.Repeat(" ", server.MaxEventBytes+1)
		if status, got := e.postEventsError(t, server.EventsPath, huge); status != http.StatusRequestEntityTooLarge || got.Code != "REQUEST_TOO_LARGE" {
			t.Errorf("oversized: %d %+v", status, got)
		}
		res, _ := e.get(t, server.EventsPath)
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", server.EventsPath, res.StatusCode)
		}
	}},
	{"generic events: one or several, same semantics", func(t *testing.T, e *env) {
		nas := e.mk(t, "nas-1", "Server", "identifiers", []map[string]string{{"kind": "serial", "value": "SN-7"}})
		one := `{"source":"nagios","dedupKey":"nas-1/raid","status":"firing","severity":"major","summary":"RAID degraded",
			"identifiers":[{"kind":"serial","value":"SN-7"}],"time":"` + time.Now().UTC().Add(-time.Minute).Format(time.RFC3339) + `"}`
		ans := e.postEvents(t, server.EventsPath, one)
		if ans.Outcomes["INCIDENT_CREATED"] != 1 || ans.Events[0].CiID != nas || ans.Events[0].Source != "nagios" {
			t.Fatalf("generic: %+v", ans)
		}
		both := `[` + one + `,{"source":"nagios","dedupKey":"nas-1/raid","status":"resolved","summary":"RAID degraded","identifiers":[{"kind":"serial","value":"SN-7"}]}]`
		if ans := e.postEvents(t, server.EventsPath, both); ans.Received != 2 || ans.Outcomes["UNCHANGED"] != 1 || ans.Outcomes["INCIDENT_RESOLVED"] != 1 {
			t.Fatalf("generic batch: %+v", ans)
		}
		ev := e.event(t, ans.Events[0].EventID)
		if ev.Incident.State != "RESOLVED" || ev.Incident.Priority != "P2" {
			t.Fatalf("generic incident %+v", ev.Incident)
		}
		var bySource struct{ Events struct{ TotalCount int } }
		e.query(t, `{ events(source: "nagios", first: 0) { totalCount } }`, nil, &bySource)
		if bySource.Events.TotalCount != 1 {
			t.Fatalf("events of nagios: %d", bySource.Events.TotalCount)
		}
		e.fail(t, `{ events(source: "Nagios!") { totalCount } }`, nil, "INVALID_INPUT", "source")
	}},
	{"concurrent deliveries of one alert raise one incident", func(t *testing.T, e *env) {
		e.mk(t, "web-09", "Server", "identifiers", []map[string]string{{"kind": "ip", "value": "10.0.0.9"}})
		body := amWebhook(amFiring("cccc000000000001", "10.0.0.9:9100", "critical", time.Now().Add(-time.Minute)))
		const n = 6
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+server.AlertmanagerPath, strings.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				res, err := e.srv.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %d", res.StatusCode)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var incs struct{ Incidents struct{ TotalCount int } }
		e.query(t, `{ incidents { totalCount } }`, nil, &incs)
		if incs.Incidents.TotalCount != 1 {
			t.Fatalf("%d incidents, want 1", incs.Incidents.TotalCount)
		}
	}},
}

// Package eventbench measures event ingestion: events per second through
// the Alertmanager webhook (new alerts raising incidents, re-sends, and
// resolutions) and the delay from a webhook to its incident, on each store,
// plus the whole path through a real Alertmanager.
package eventbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
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
	"github.com/ripple-cmdb/ripple/store/embedded"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// Sizes; RIPPLE_BENCH_EVENTS overrides the number of alerts.
const (
	servers    = 1000
	apps       = 20
	perPayload = 100 // alerts per webhook payload (one Alertmanager group)
	latencyN   = 200 // single-alert deliveries timed one by one
	endToEndN  = 40  // alerts sent through a real Alertmanager
)

func alertCount() int { return envInt("RIPPLE_BENCH_EVENTS", 2000) }

// senders is the number of concurrent webhook deliveries
// (RIPPLE_BENCH_EVENT_SENDERS, default 2: Alertmanager sends each group's
// notifications in turn, several groups at once).
func senders() int { return envInt("RIPPLE_BENCH_EVENT_SENDERS", 2) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkEvents runs on a fresh embedded store and on the Neo4j at
// RIPPLE_TEST_NEO4J_URI (WIPED first). Run with -benchtime 1x; it prints
// a table of figures.
func BenchmarkEvents(b *testing.B) {
	uri := neo4jtest.Require(b)
	neo4jtest.Exclusive(b, uri)
	ctx := context.Background()
	var rows []string
	for i := 0; i < b.N; i++ {
		rows = rows[:0]
		emb, err := embedded.Open(ctx, b.TempDir(), graph.DefaultCatalogue())
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, run(b, "embedded", emb)...)
		_ = emb.Close(ctx)

		neo4jtest.Wipe(b, uri)
		neo, err := rneo4j.Open(ctx, rneo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, run(b, "neo4j", neo)...)
		_ = neo.Close(ctx)
		neo4jtest.Wipe(b, uri)
	}
	fmt.Printf("\nevent ingestion: %d alerts on %d servers, payloads of %d alerts, %d concurrent senders\n", alertCount(), servers, perPayload, senders())
	for _, r := range rows {
		fmt.Println(r)
	}
}

func run(b *testing.B, name string, s graph.Store) []string {
	ctx := context.Background()
	estate(b, s)
	srv := httptest.NewServer(server.NewHandler(app.New(s, formats.DefaultPolicy()), server.Config{Logger: zerolog.Nop()}))
	defer srv.Close()
	svc := events.New(itsm.New(s), events.DefaultMapping())
	n := alertCount()
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	alerts := make([]map[string]any, n)
	for i := range alerts {
		alerts[i] = amAlert(fmt.Sprintf("b%015x", i), i%servers, start)
	}
	warm := []map[string]any{amAlert("warm00000000000", 0, start)}
	post(b, srv.URL, warm, "INCIDENT_CREATED")
	var out []string
	rate := func(what, outcome string, payloads [][]map[string]any) {
		t0 := time.Now()
		deliver(b, srv.URL, payloads, outcome)
		d := time.Since(t0)
		out = append(out, fmt.Sprintf("%-9s %-28s %8.1f events/s  (%d in %v)", name, what, float64(n)/d.Seconds(), n, d.Round(time.Millisecond)))
		b.ReportMetric(float64(n)/d.Seconds(), name+"-"+outcome+"-events/s")
	}
	rate("new alerts → incidents", "INCIDENT_CREATED", chunks(alerts))
	rate("re-sends (unchanged)", "UNCHANGED", chunks(alerts))
	resolvedAlerts := make([]map[string]any, n)
	for i, a := range alerts {
		resolvedAlerts[i] = resolve(a, start.Add(time.Minute))
	}
	rate("resolutions", "INCIDENT_RESOLVED", chunks(resolvedAlerts))

	// Webhook → incident: one alert per delivery; the answer comes once
	// the incident is stored.
	lat := make([]time.Duration, latencyN)
	for i := range lat {
		a := amAlert(fmt.Sprintf("l%015x", i), i%servers, time.Now().UTC())
		t0 := time.Now()
		post(b, srv.URL, []map[string]any{a}, "INCIDENT_CREATED")
		lat[i] = time.Since(t0)
	}
	out = append(out, fmt.Sprintf("%-9s %-28s %s", name, "webhook → incident", percentiles(lat)))

	// Through a real Alertmanager: from posting the alert to it (as
	// Prometheus does) to the incident; group_wait 50ms.
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	done := map[string]time.Time{}
	h := server.NewHandler(app.New(s, formats.DefaultPolicy()), server.Config{Logger: zerolog.Nop()})
	amSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		body, _ := io.ReadAll(r.Body)
		var p struct {
			Alerts []struct{ Labels map[string]string }
		}
		_ = json.Unmarshal(body, &p)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
		t1 := time.Now()
		mu.Lock()
		for _, a := range p.Alerts {
			id := a.Labels["alertname"]
			if _, ok := arrived[id]; !ok {
				arrived[id], done[id] = t0, t1
			}
		}
		mu.Unlock()
	}))
	defer amSrv.Close()
	am := amtest.Start(b, amSrv.URL+server.AlertmanagerPath, amtest.Options{})
	var toWebhook, toIncident []time.Duration
	for i := range endToEndN {
		id := fmt.Sprintf("E2E%d", i)
		startsAt := time.Now().UTC()
		t0 := time.Now()
		if err := am.Post(ctx, amtest.Alert{Labels: map[string]string{"alertname": id, "instance": host(i%servers) + ":9100", "severity": "critical"},
			Annotations: map[string]string{"summary": id}, StartsAt: &startsAt}); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			at, ok := done[id]
			in := arrived[id]
			mu.Unlock()
			if ok {
				toWebhook = append(toWebhook, in.Sub(t0))
				toIncident = append(toIncident, at.Sub(t0))
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("alert %s never reached Ripple; alertmanager log:\n%s", id, am.Logs())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	out = append(out, fmt.Sprintf("%-9s %-28s %s", name, "Alertmanager → webhook", percentiles(toWebhook)))
	out = append(out, fmt.Sprintf("%-9s %-28s %s", name, "Alertmanager → incident", percentiles(toIncident)))

	c, err := svc.CountEvents(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if want := n + 1 + latencyN + endToEndN; c.Total != want || c.Unmapped != 0 {
		b.Fatalf("events %+v, want %d, all mapped", c, want)
	}
	return out
}

// estate is servers in groups behind applications behind one service, so
// that every incident has a blast radius to compute.
func estate(b testing.TB, s graph.Store) {
	ctx := context.Background()
	var batch graph.Batch
	str := func(v string) *string { return &v }
	svcID := graph.Identifier{Kind: "bench-key", Value: "shop"}
	batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str("Shop"), Class: str(graph.ClassBusinessService), Identifiers: []graph.Identifier{svcID}})
	for a := range apps {
		id := graph.Identifier{Kind: "bench-key", Value: fmt.Sprintf("app-%02d", a)}
		batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str(id.Value), Class: str(graph.ClassApplication), Identifiers: []graph.Identifier{id}})
		batch.Relate = append(batch.Relate, graph.BatchRelation{From: graph.CIRef{Identifier: &svcID}, Type: graph.RelDependsOn, To: graph.CIRef{Identifier: &id}})
	}
	for i := range servers {
		id := graph.Identifier{Kind: "fqdn", Value: host(i)}
		app := graph.Identifier{Kind: "bench-key", Value: fmt.Sprintf("app-%02d", i%apps)}
		batch.Upserts = append(batch.Upserts, graph.CIInput{Name: str(fmt.Sprintf("srv-%04d", i)), Class: str(graph.ClassServer), Identifiers: []graph.Identifier{id}})
		batch.Relate = append(batch.Relate, graph.BatchRelation{From: graph.CIRef{Identifier: &app}, Type: graph.RelDependsOn, To: graph.CIRef{Identifier: &id}})
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		b.Fatal(err)
	}
}

func host(i int) string { return fmt.Sprintf("srv-%04d.bench.example.com", i) }

func amAlert(fp string, server int, startsAt time.Time) map[string]any {
	return map[string]any{"status": "firing", "fingerprint": fp, "startsAt": startsAt.Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z",
		"labels":      map[string]string{"alertname": "HostDown", "instance": host(server) + ":9100", "severity": "critical", "fp": fp},
		"annotations": map[string]string{"summary": "srv down", "description": "no scrape"}}
}

func resolve(a map[string]any, at time.Time) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	out["status"], out["endsAt"] = "resolved", at.Format(time.RFC3339Nano)
	return out
}

func chunks(alerts []map[string]any) [][]map[string]any {
	var out [][]map[string]any
	for start := 0; start < len(alerts); start += perPayload {
		out = append(out, alerts[start:min(start+perPayload, len(alerts))])
	}
	return out
}

// deliver posts the payloads from several senders at once.
func deliver(b testing.TB, url string, payloads [][]map[string]any, outcome string) {
	work := make(chan []map[string]any)
	var wg sync.WaitGroup
	for range senders() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				post(b, url, p, outcome)
			}
		}()
	}
	for _, p := range payloads {
		work <- p
	}
	close(work)
	wg.Wait()
}

// post delivers one payload and checks every alert had the outcome.
func post(b testing.TB, url string, alerts []map[string]any, outcome string) {
	body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "ripple", "alerts": alerts})
	res, err := http.Post(url+server.AlertmanagerPath, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	defer res.Body.Close()
	var ans struct{ Outcomes map[string]int }
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil || res.StatusCode != http.StatusOK || ans.Outcomes[outcome] != len(alerts) {
		b.Errorf("delivery: status %d, outcomes %v (%v), want %d %s", res.StatusCode, ans.Outcomes, err, len(alerts), outcome)
	}
}

func percentiles(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		return s[min(len(s)-1, int(p*float64(len(s))))].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v  p95 %v  max %v  (n=%d)", at(0.5), at(0.95), s[len(s)-1].Round(10*time.Microsecond), len(s))
}

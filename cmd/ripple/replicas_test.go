package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/bench/loadgen"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// TestReplicas runs two `ripple serve` processes on one Neo4j, the way
// Ripple scales out behind a load balancer (one over a bolt:// URI, one
// over a neo4j:// routing URI): each reads what the other wrote, and two
// imports of one scope sent to different replicas at once are fenced:
// exactly one is refused with CONFLICT and no CI is written twice.
func TestReplicas(t *testing.T) {
	uri := neo4jtest.Require(t)
	neo4jtest.Exclusive(t, uri)
	neo4jtest.Wipe(t, uri)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	routing := strings.Replace(uri, "bolt://", "neo4j://", 1)
	// Small import batches make an import span many transactions, so the
	// two runs below overlap whatever the machine's speed.
	a := startRipple(t, "--store", "neo4j", "--neo4j-uri", uri, "--neo4j-import-batch", "100")
	b := startRipple(t, "--store", "neo4j", "--neo4j-uri", routing, "--neo4j-import-batch", "100")
	ca := &loadgen.Client{URL: a.URL, Actor: "replica-a"}
	cb := &loadgen.Client{URL: b.URL, Actor: "replica-b"}

	upsert := func(c *loadgen.Client, name, class string) string {
		t.Helper()
		var out struct{ UpsertCI struct{ ID string } }
		if err := c.Do(ctx, `mutation($n: String!, $c: String!) { upsertCI(input: {name: $n, class: $c}) { id } }`,
			map[string]any{"n": name, "c": class}, &out); err != nil {
			t.Fatalf("upsert %s through %s: %v", name, c.Actor, err)
		}
		return out.UpsertCI.ID
	}
	dbID := upsert(ca, "replica-db", "Database")
	appID := upsert(cb, "replica-app", "Application")
	if err := cb.Do(ctx, `mutation($f: ID!, $t: ID!) { relate(from: $f, type: "DEPENDS_ON", to: $t) { type } }`,
		map[string]any{"f": appID, "t": dbID}, nil); err != nil {
		t.Fatalf("relate through b a CI written through a: %v", err)
	}
	var inc struct{ CreateIncident struct{ ID string } }
	if err := ca.Do(ctx, `mutation($id: ID!) { createIncident(input: {title: "db slow", affectedCiIds: [$id]}) { id } }`,
		map[string]any{"id": dbID}, &inc); err != nil {
		t.Fatal(err)
	}
	// Each replica reads the other's writes, at once (no cache between
	// them and Neo4j).
	var fromA struct {
		CI           *struct{ Name string }
		Dependencies []struct{ CI struct{ Name string } }
	}
	if err := ca.Do(ctx, `query($id: ID!) { ci(id: $id) { name } dependencies(ciId: $id) { ci { name } } }`,
		map[string]any{"id": appID}, &fromA); err != nil || fromA.CI == nil || fromA.CI.Name != "replica-app" ||
		len(fromA.Dependencies) != 1 || fromA.Dependencies[0].CI.Name != "replica-db" {
		t.Fatalf("a reads b's CI and relation: %+v, %v", fromA, err)
	}
	var fromB struct {
		Incident *struct {
			Title    string
			Services []struct{ Name string }
		}
		BlastRadius struct {
			Impacted []struct{ CI struct{ Name string } }
		}
	}
	if err := cb.Do(ctx, `query($inc: ID!, $db: ID!) { incident(id: $inc) { title } blastRadius(ciIds: [$db]) { impacted { ci { name } } } }`,
		map[string]any{"inc": inc.CreateIncident.ID, "db": dbID}, &fromB); err != nil || fromB.Incident == nil ||
		fromB.Incident.Title != "db slow" || len(fromB.BlastRadius.Impacted) != 1 || fromB.BlastRadius.Impacted[0].CI.Name != "replica-app" {
		t.Fatalf("b reads a's incident and the relation it wrote: %+v, %v", fromB, err)
	}

	// Two imports of one scope, one through each replica, at once.
	const hosts = 3000
	csvPath := filepath.Join(t.TempDir(), "hosts.csv")
	writeHosts(t, csvPath, hosts)
	body, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"scope": {"fleet"}, "mapping": {`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`}}
	type answer struct {
		replica string
		status  int
		body    string
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range []*rippleProcess{a, b} {
		wg.Go(func() {
			<-start
			res, err := http.Post(p.URL+"/api/v1/imports/csv?"+q.Encode(), "text/csv", strings.NewReader(string(body)))
			if err != nil {
				answers[i] = answer{p.URL, 0, err.Error()}
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			answers[i] = answer{p.URL, res.StatusCode, string(raw)}
		})
	}
	close(start)
	wg.Wait()
	ok, conflict := 0, 0
	for _, ans := range answers {
		var out struct {
			Run   struct{ Outcome string }
			Error struct{ Code string }
		}
		_ = json.Unmarshal([]byte(ans.body), &out)
		t.Logf("import through %s: %d %s %s", ans.replica, ans.status, out.Run.Outcome, out.Error.Code)
		switch {
		case ans.status == http.StatusOK && out.Run.Outcome == "SUCCEEDED":
			ok++
		case ans.status == http.StatusConflict && out.Error.Code == "CONFLICT":
			conflict++
		default:
			t.Errorf("import through %s: %d %.500s", ans.replica, ans.status, ans.body)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Fatalf("two imports of one scope at once: %d succeeded, %d CONFLICT; want one of each", ok, conflict)
	}
	// Nothing doubled: as many servers as hosts, whichever replica asks.
	for _, c := range []*loadgen.Client{ca, cb} {
		var out struct{ CIs struct{ TotalCount int } }
		if err := c.Do(ctx, `{ cis(filter: {class: "Server"}, first: 0) { totalCount } }`, nil, &out); err != nil {
			t.Fatal(err)
		}
		if out.CIs.TotalCount != hosts {
			t.Errorf("%s counts %d servers after the two imports, want %d", c.Actor, out.CIs.TotalCount, hosts)
		}
	}
	var runs struct {
		ImportRuns struct {
			Edges []struct{ Node struct{ Outcome string } }
		}
	}
	if err := cb.Do(ctx, `{ importRuns(scope: "fleet", first: 10) { edges { node { outcome } } } }`, nil, &runs); err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range runs.ImportRuns.Edges {
		outcomes = append(outcomes, e.Node.Outcome)
	}
	if len(outcomes) != 2 || strings.Count(strings.Join(outcomes, " "), "SUCCEEDED") != 1 {
		t.Errorf("the scope's runs: %v, want one SUCCEEDED and the refused one", outcomes)
	}
	t.Logf("runs of the scope: %v", outcomes)
}

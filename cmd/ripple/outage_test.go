package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/bench/loadgen"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// unavailableWithin is how fast a request must fail while Neo4j is down.
const unavailableWithin = 5 * time.Second

// outageCall is one request sent while the test stopped Neo4j.
type outageCall struct {
	op       string
	name     string // of the CI an upsert tried to write
	started  time.Time
	took     time.Duration
	code     string
	mutation bool
}

// TestNeo4jOutage stops a Neo4j of the test's own under `ripple serve`
// while clients query and write through it: every request sent while it is
// down answers UNAVAILABLE within 5 s, those in flight while it shuts down
// are answered too (none hangs), no refused write lands, and once Neo4j is
// back the same server answers again by itself.
func TestNeo4jOutage(t *testing.T) {
	// Each request is bounded by the client's timeout and each wait below
	// by its own deadline; starting Neo4j is bounded by scripts/neo4j
	// (NEO4J_START_TIMEOUT), and can take minutes on a loaded machine.
	ctx := context.Background()
	db := neo4jtest.StartPrivate(t)
	addr := startServe(t, "--store", "neo4j", "--neo4j-uri", db.URI)
	c := &loadgen.Client{URL: "http://" + addr, Actor: "outage", HTTP: &http.Client{Timeout: 30 * time.Second}}

	var seeded struct{ UpsertCI struct{ ID string } }
	if err := c.Do(ctx, `mutation { upsertCI(input: {name: "outage-db", class: "Database"}) { id } }`, nil, &seeded); err != nil {
		t.Fatal(err)
	}
	dbID := seeded.UpsertCI.ID
	ops := []struct {
		name     string
		mutation bool
		query    func(n int) (string, map[string]any)
	}{
		{"cis", false, func(int) (string, map[string]any) {
			return `{ cis(first: 10) { totalCount edges { node { id name } } } }`, nil
		}},
		{"ci", false, func(int) (string, map[string]any) {
			return `query($id: ID!) { ci(id: $id) { name } }`, map[string]any{"id": dbID}
		}},
		{"blastRadius", false, func(int) (string, map[string]any) {
			return `query($id: ID!) { blastRadius(ciIds: [$id]) { totalCount } }`, map[string]any{"id": dbID}
		}},
		{"upsertCI", true, func(n int) (string, map[string]any) {
			return `mutation($n: String!) { upsertCI(input: {name: $n, class: "Application"}) { id } }`,
				map[string]any{"n": fmt.Sprintf("outage-app-%d-end", n)}
		}},
		{"createIncident", true, func(n int) (string, map[string]any) {
			return `mutation($id: ID!, $t: String!) { createIncident(input: {title: $t, affectedCiIds: [$id]}) { id } }`,
				map[string]any{"id": dbID, "t": fmt.Sprintf("outage %d", n)}
		}},
	}

	// Clients send every kind of request, round and round, until told to stop.
	var (
		mu    sync.Mutex
		calls []outageCall
		wg    sync.WaitGroup
	)
	stopTraffic := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for n := w*1_000_000 + w; ; n++ { // each client starts at another kind
				select {
				case <-stopTraffic:
					return
				default:
				}
				op := ops[n%len(ops)]
				q, vars := op.query(n)
				start := time.Now()
				err := c.Do(ctx, q, vars, nil)
				call := outageCall{op: op.name, started: start, took: time.Since(start), code: loadgen.ErrorCode(err), mutation: op.mutation}
				if op.name == "upsertCI" {
					call.name, _ = vars["n"].(string)
				}
				mu.Lock()
				calls = append(calls, call)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	stopBegan := time.Now()
	db.Stop(t)
	down := time.Now()
	time.Sleep(2 * unavailableWithin) // every kind of request meets a Neo4j that is gone
	if res, err := http.Get(c.URL + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while Neo4j is down: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	close(stopTraffic)
	wg.Wait()

	// Before the stop: answered. While stopping and after: nothing hangs,
	// and once it is down everything is UNAVAILABLE.
	var during, after []outageCall
	for _, call := range calls {
		switch {
		case call.started.Before(stopBegan):
			if call.code != "" && call.started.Add(call.took).Before(stopBegan) {
				t.Errorf("%s failed before Neo4j was stopped: %s", call.op, call.code)
			}
		case call.started.Before(down):
			during = append(during, call)
		default:
			after = append(after, call)
		}
	}
	kinds := map[string]bool{}
	var slowest time.Duration
	var failedWrites []string
	var slowestCall outageCall
	// While Neo4j shuts down it holds the transactions in flight until
	// they end or its own shutdown timeout terminates them (up to 10 s):
	// those are answered, not hung, but not within the bound.
	for _, call := range append(during, after...) {
		if call.took > slowest {
			slowest, slowestCall = call.took, call
		}
		if call.code == "TRANSPORT" || call.code == "HTTP" {
			t.Errorf("%s sent %v after the stop began got no GraphQL answer in %v", call.op, call.started.Sub(stopBegan).Round(time.Millisecond), call.took)
		}
	}
	for _, call := range after {
		if call.took > unavailableWithin {
			t.Errorf("%s sent %v after Neo4j was down took %v (bound %v)", call.op, call.started.Sub(down).Round(time.Millisecond), call.took, unavailableWithin)
		}
		kinds[call.op] = true
		if call.code != "UNAVAILABLE" {
			t.Errorf("%s with Neo4j down answered %q, want UNAVAILABLE", call.op, call.code)
		}
		if call.name != "" {
			failedWrites = append(failedWrites, call.name)
		}
	}
	if len(kinds) != len(ops) {
		t.Fatalf("not every kind of request was sent while Neo4j was down: %v", kinds)
	}
	t.Logf("Neo4j stop took %v; %d requests while it stopped, %d while it was down; slowest answer %v (bound %v): %s sent %v after the stop began, %q",
		down.Sub(stopBegan).Round(time.Millisecond), len(during), len(after), slowest.Round(time.Millisecond), unavailableWithin,
		slowestCall.op, slowestCall.started.Sub(stopBegan).Round(time.Millisecond), slowestCall.code)
	var took []time.Duration
	for _, call := range after {
		took = append(took, call.took)
	}
	slices.Sort(took)
	t.Logf("with Neo4j down: UNAVAILABLE in p50 %v, max %v", took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))

	// Back up: the same server answers again without a restart.
	db.Start(t)
	up := time.Now()
	refusals := map[string]int{}
	for {
		err := c.Do(ctx, `{ cis(first: 1) { totalCount } }`, nil, nil)
		if err == nil {
			break
		}
		refusals[err.Error()]++
		if time.Since(up) > time.Minute {
			t.Fatalf("the server did not recover within a minute of Neo4j being back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("answering again %v after Neo4j was back; answers until then: %v", time.Since(up).Round(time.Millisecond), refusals)
	if err := c.Do(ctx, `mutation { upsertCI(input: {name: "outage-after", class: "Application"}) { id } }`, nil, nil); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
	if res, err := http.Get(c.URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/readyz after recovery: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	// A write refused with UNAVAILABLE did not land.
	if len(failedWrites) == 0 {
		t.Fatal("no upsert was refused while Neo4j was down")
	}
	for _, name := range failedWrites {
		var out struct{ CIs struct{ TotalCount int } }
		if err := c.Do(ctx, `query($n: String!) { cis(filter: {search: $n}) { totalCount } }`, map[string]any{"n": name}, &out); err != nil {
			t.Fatal(err)
		}
		if out.CIs.TotalCount != 0 {
			t.Errorf("%s was refused UNAVAILABLE but is in the graph", name)
		}
	}
}

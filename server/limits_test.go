package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/embedded"
)

// fakeClock is a settable clock for the token buckets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestClientLimiterRate(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	lim := newClientLimiter(ClientLimits{Rate: 2, Burst: 3}, clock.now)
	admit := func(client string) (time.Duration, bool) {
		release, wait, ok := lim.acquire(client)
		if ok {
			release()
		}
		return wait, ok
	}
	for i := range 3 {
		if _, ok := admit("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	wait, ok := admit("a")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("past the burst: ok=%v wait=%v, want a refusal with a wait of at most 0.5s", ok, wait)
	}
	if _, ok := admit("b"); !ok {
		t.Error("another client is limited by a's requests")
	}
	// Refusals do not use up the allowance: half a second gives one token.
	for range 5 {
		admit("a")
	}
	clock.advance(500 * time.Millisecond)
	if _, ok := admit("a"); !ok {
		t.Error("refused after the bucket refilled one token")
	}
	if _, ok := admit("a"); ok {
		t.Error("admitted two requests on one refilled token")
	}
}

func TestClientLimiterInFlight(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	lim := newClientLimiter(ClientLimits{MaxInFlight: 2}, clock.now)
	r1, _, ok1 := lim.acquire("a")
	r2, _, ok2 := lim.acquire("a")
	if !ok1 || !ok2 {
		t.Fatal("the first two in flight refused")
	}
	if _, wait, ok := lim.acquire("a"); ok || wait != time.Second {
		t.Fatalf("third in flight: ok=%v wait=%v", ok, wait)
	}
	if _, _, ok := lim.acquire("b"); !ok {
		t.Error("another client refused")
	}
	r1()
	if r3, _, ok := lim.acquire("a"); !ok {
		t.Error("refused after one finished")
	} else {
		r3()
	}
	r2()
}

func TestClientLimiterForgetsIdleClients(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	lim := newClientLimiter(ClientLimits{Rate: 1}, clock.now)
	release, _, _ := lim.acquire("busy")
	if r, _, ok := lim.acquire("idle"); ok {
		r()
	}
	clock.advance(idleClientAfter + time.Minute)
	if r, _, ok := lim.acquire("new"); ok {
		r()
	}
	lim.mu.Lock()
	_, idle := lim.clients["idle"]
	_, busy := lim.clients["busy"]
	lim.mu.Unlock()
	if idle || !busy {
		t.Errorf("after the sweep: idle kept=%v, busy (in flight) kept=%v", idle, busy)
	}
	release()
}

func TestClientKey(t *testing.T) {
	req := func(remote string, p *auth.Principal) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = remote
		if p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *p))
		}
		return r
	}
	anon := auth.Unauthenticated("alice")
	for _, tc := range []struct {
		name string
		r    *http.Request
		want string
	}{
		{"no authentication: the remote IP", req("192.0.2.7:5123", &anon), "ip:192.0.2.7"},
		{"IPv6", req("[2001:db8::1]:443", nil), "ip:2001:db8::1"},
		{"a token: its subject, wherever it comes from", req("192.0.2.7:5123", &auth.Principal{Subject: "ci-bot", Method: "token"}), "token:ci-bot"},
		{"an OIDC subject", req("192.0.2.8:1", &auth.Principal{Subject: "alice", Method: "oidc"}), "oidc:alice"},
	} {
		if got := clientKey(tc.r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRateLimitedRequests goes through the whole handler: past a client's
// limit /graphql and /api answer 429 with Retry-After and RATE_LIMITED in
// their own error shapes, other clients and the probes are unaffected.
func TestRateLimitedRequests(t *testing.T) {
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	h := NewHandler(app.New(st, formats.DefaultPolicy()), Config{Logger: zerolog.Nop(),
		Clients: ClientLimits{Rate: 0.001, Burst: 2}})
	send := func(remote, method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.RemoteAddr = remote
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const query = `{"query": "{ cis(first: 1) { totalCount } }"}`
	for i := range 2 {
		if w := send("192.0.2.1:1000", http.MethodPost, "/graphql", query); w.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := send("192.0.2.1:1001", http.MethodPost, "/graphql", query)
	var gql struct {
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &gql); err != nil || w.Code != http.StatusTooManyRequests ||
		len(gql.Errors) != 1 || gql.Errors[0].Extensions["code"] != CodeRateLimited {
		t.Fatalf("past the limit: %d %s", w.Code, w.Body)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// The HTTP API's shape on /api.
	w = send("192.0.2.1:1002", http.MethodPost, EventsPath, `{}`)
	var api struct{ Error struct{ Code string } }
	if err := json.Unmarshal(w.Body.Bytes(), &api); err != nil || w.Code != http.StatusTooManyRequests || api.Error.Code != CodeRateLimited {
		t.Errorf("/api past the limit: %d %s", w.Code, w.Body)
	}
	if w := send("192.0.2.2:1000", http.MethodPost, "/graphql", query); w.Code != http.StatusOK {
		t.Errorf("another client: %d %s", w.Code, w.Body)
	}
	if w := send("192.0.2.1:1003", http.MethodGet, "/healthz", ""); w.Code != http.StatusOK {
		t.Errorf("/healthz of a limited client: %d", w.Code)
	}
}

// TestInFlightLimit holds a client's requests open and checks that one
// more is refused while another client's passes.
func TestInFlightLimit(t *testing.T) {
	entered, unblock := make(chan struct{}), make(chan struct{})
	h := limitClients(ClientLimits{MaxInFlight: 2}, time.Now)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RemoteAddr == "192.0.2.1:1" {
			entered <- struct{}{}
			<-unblock
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	send := func(remote string) int {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() { codes <- send("192.0.2.1:1") })
		<-entered
	}
	if got := send("192.0.2.1:2"); got != http.StatusTooManyRequests {
		t.Errorf("a third in flight: %d, want 429", got)
	}
	if got := send("192.0.2.9:1"); got != http.StatusNoContent {
		t.Errorf("another client: %d", got)
	}
	close(unblock)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusNoContent {
			t.Errorf("a held request ended %d", c)
		}
	}
	if got := send("192.0.2.1:3"); got != http.StatusNoContent {
		t.Errorf("after the held requests ended: %d", got)
	}
}

package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ripple-cmdb/ripple/auth"
)

// CodeRateLimited is the code of a request refused by the per-client
// limits (429, with Retry-After).
const CodeRateLimited = "RATE_LIMITED"

// ClientLimits bound what one client may ask of the server: a request
// rate (token bucket) and a number of requests in flight. Zero values turn
// a limit off.
type ClientLimits struct {
	// Rate is the sustained requests per second one client may send.
	Rate float64
	// Burst is how many requests above Rate a client may send at once
	// (default: one second's worth, at least 1).
	Burst int
	// MaxInFlight bounds one client's requests being served at once: a
	// client that sends expensive queries in parallel holds at most this
	// many of the server's cores.
	MaxInFlight int
}

func (l ClientLimits) enabled() bool { return l.Rate > 0 || l.MaxInFlight > 0 }

// idleClientAfter is how long a client's state is kept after its last
// request: long enough that a client cannot reset its bucket by pausing,
// short enough that a scan of many addresses does not pile up state.
const idleClientAfter = 10 * time.Minute

// clientLimiter keeps the per-client state, by client key.
type clientLimiter struct {
	limits ClientLimits
	now    func() time.Time

	mu        sync.Mutex
	clients   map[string]*clientState
	lastSweep time.Time
}

type clientState struct {
	bucket   *rate.Limiter // nil without a rate limit
	inFlight int
	lastSeen time.Time
}

func newClientLimiter(l ClientLimits, now func() time.Time) *clientLimiter {
	if l.Rate > 0 && l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return &clientLimiter{limits: l, now: now, clients: map[string]*clientState{}, lastSweep: now()}
}

// acquire admits one request of client, or says after how long to retry.
// An admitted request must call the returned release when it ends.
func (c *clientLimiter) acquire(client string) (release func(), retryAfter time.Duration, ok bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(now)
	st := c.clients[client]
	if st == nil {
		st = &clientState{}
		if c.limits.Rate > 0 {
			st.bucket = rate.NewLimiter(rate.Limit(c.limits.Rate), c.limits.Burst)
		}
		c.clients[client] = st
	}
	st.lastSeen = now
	if c.limits.MaxInFlight > 0 && st.inFlight >= c.limits.MaxInFlight {
		// No telling when one ends: a second is a fair guess for a query.
		return nil, time.Second, false
	}
	if st.bucket != nil {
		r := st.bucket.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			// Give the token back: a refused request must not use up the
			// client's next allowance.
			r.CancelAt(now)
			return nil, d, false
		}
	}
	st.inFlight++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		st.inFlight--
		st.lastSeen = c.now()
	}, 0, true
}

// sweep forgets clients idle for idleClientAfter, at most once a minute.
func (c *clientLimiter) sweep(now time.Time) {
	if now.Sub(c.lastSweep) < time.Minute {
		return
	}
	c.lastSweep = now
	for k, st := range c.clients {
		if st.inFlight == 0 && now.Sub(st.lastSeen) > idleClientAfter {
			delete(c.clients, k)
		}
	}
}

// clientKey names who a request counts against: the authenticated subject
// when authentication is on (so clients behind one proxy are told apart,
// and one client cannot dodge by changing address), else the remote IP.
// X-Forwarded-For is not trusted: anyone can send it.
func clientKey(r *http.Request) string {
	if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Method != auth.MethodNone {
		return p.Method + ":" + p.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "ip:" + r.RemoteAddr
	}
	return "ip:" + host
}

// limitedRoute says which requests count: the API, where the work is.
// The probes and the console's static files are cheap, and a page load
// fetches many files at once.
func limitedRoute(r *http.Request) bool {
	p := r.URL.Path
	return p == "/graphql" || strings.HasPrefix(p, "/graphql/") || strings.HasPrefix(p, "/api/")
}

// limitClients refuses a client's request past its limits with 429, a
// Retry-After in whole seconds and a RATE_LIMITED error in the route's
// shape. It runs after authentication, which names the client.
func limitClients(l ClientLimits, now func() time.Time) func(http.Handler) http.Handler {
	if !l.enabled() {
		return func(next http.Handler) http.Handler { return next }
	}
	lim := newClientLimiter(l, now)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !limitedRoute(r) {
				next.ServeHTTP(w, r)
				return
			}
			release, wait, ok := lim.acquire(clientKey(r))
			if !ok {
				secs := max(1, int(math.Ceil(wait.Seconds())))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				deny(w, r, http.StatusTooManyRequests, CodeRateLimited,
					"too many requests from this client: retry after "+strconv.Itoa(secs)+"s")
				return
			}
			defer release()
			next.ServeHTTP(w, r)
		})
	}
}

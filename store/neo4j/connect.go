package neo4j

import (
	"context"
	"errors"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/ripple-cmdb/ripple/graph"
)

// Backoff bounds for waitReady.
const (
	firstRetryDelay = 100 * time.Millisecond
	maxRetryDelay   = 2 * time.Second
)

// waitReady retries until the server accepts a connection and the database
// answers a query, or the timeout passes. Servers started next to the app
// (the dev launcher, a compose file) routinely come up a few seconds late;
// failing at the first refused connection would make startup order matter.
// Bad credentials are not retried: they will not fix themselves.
func (s *Store) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := firstRetryDelay
	for attempt := 1; ; attempt++ {
		err := s.driver.VerifyConnectivity(ctx)
		if err == nil {
			err = s.Ping(ctx)
		}
		if err == nil {
			return nil
		}
		if isAuthError(err) {
			return graph.Unavailable(err, "neo4j rejected the credentials")
		}
		s.log.Debug().Err(err).Int("attempt", attempt).Msg("neo4j not ready yet")
		select {
		case <-ctx.Done():
			return graph.Unavailable(err, "neo4j not reachable within %s", timeout)
		case <-time.After(delay):
		}
		delay = min(delay*2, maxRetryDelay)
	}
}

func isAuthError(err error) bool {
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) && ne.HasSecurityCode() {
		return true
	}
	var ae *neo4j.InvalidAuthenticationError
	return errors.As(err, &ae)
}

// Retry pacing of execute: the first retry comes at once (a pooled
// connection that died with a restarted server is replaced in
// milliseconds), later ones back off.
const (
	firstAttemptDelay = 50 * time.Millisecond
	maxAttemptDelay   = time.Second
	// downRetryTime is the unreachable budget while the store knows
	// Neo4j is down (Store.downSince): enough to replace a dead pooled
	// connection, short enough that a request that needs several store
	// calls still fails fast.
	downRetryTime = 500 * time.Millisecond
	// maxSocketConnectTimeout bounds opening a TCP connection to Neo4j:
	// a server on the same network that has not answered a SYN in 2 s is
	// gone (the driver waits 5 s).
	maxSocketConnectTimeout = 2 * time.Second
)

// configureDriver sets the driver's timeouts so that an unreachable Neo4j
// fails a call within cfg.UnreachableTimeout:
//
//   - the driver would retry a failed transaction for
//     MaxTransactionRetryTime whatever failed (30 s by default, and its
//     first back-off alone is 2 s); it makes one attempt instead, and
//     execute retries what the driver deems retryable, for as long as the
//     kind of failure deserves;
//   - opening a connection (TCP, then the Bolt handshake) and waiting for
//     a pooled one are bounded by the budget too: a server that accepts
//     TCP but never answers Bolt would otherwise hold a request for the
//     driver's default minute. Every wait is also cut short by the
//     caller's ctx.
//
// None of this changes how writes commit: a transaction whose connection
// drops before commit is rolled back by the server and run again whole, and
// one whose connection drops during commit is not run again (the driver
// does not call it retryable), so it committed whole or not at all.
func configureDriver(cfg Config) func(*config.Config) {
	return func(c *config.Config) {
		if cfg.MaxConnectionPoolSize > 0 {
			c.MaxConnectionPoolSize = cfg.MaxConnectionPoolSize
		}
		c.MaxTransactionRetryTime = 0
		c.SocketConnectTimeout = min(maxSocketConnectTimeout, cfg.UnreachableTimeout/2)
		c.ConnectionAcquisitionTimeout = cfg.UnreachableTimeout
	}
}

// execute runs fn in a managed transaction of the given mode, and runs it
// again while the driver calls the failure retryable: for up to
// Config.MaxTransactionRetryTime when the database is busy (a deadlock
// victim succeeds when run again), for up to Config.UnreachableTimeout
// when it cannot be reached. Once a call has given up on an unreachable
// Neo4j, the next ones try only briefly (downRetryTime) until one gets
// through: a request that makes several store calls must not wait the
// budget out on each. Every call still tries to connect, so the store is
// back as soon as Neo4j is.
func execute[T any](ctx context.Context, s *Store, session neo4j.SessionWithContext, op string, mode neo4j.AccessMode,
	fn neo4j.ManagedTransactionWorkT[T]) (T, error) {
	start := time.Now()
	delay := firstAttemptDelay
	for attempt := 1; ; attempt++ {
		var (
			out T
			err error
		)
		if mode == neo4j.AccessModeRead {
			out, err = neo4j.ExecuteRead(ctx, session, fn)
		} else {
			out, err = neo4j.ExecuteWrite(ctx, session, fn)
		}
		if err == nil {
			s.downSince.Store(0)
			return out, nil
		}
		budget, unreachable := s.retryBudget(err)
		if budget == 0 || ctx.Err() != nil || time.Since(start)+delay > budget {
			if unreachable {
				s.downSince.CompareAndSwap(0, time.Now().UnixNano())
			}
			return out, err
		}
		s.log.Debug().Err(err).Str("op", op).Int("attempt", attempt).Msg("neo4j transaction failed; running it again")
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(delay):
		}
		delay = min(2*delay, maxAttemptDelay)
	}
}

// retryBudget is how long a call that failed with err may keep trying (0
// when the driver does not call err retryable), and whether err says
// Neo4j is unreachable rather than busy.
func (s *Store) retryBudget(err error) (budget time.Duration, unreachable bool) {
	var limit *neo4j.TransactionExecutionLimit
	switch {
	case !errors.As(err, &limit):
		return 0, false
	case isBusy(err):
		return s.busyRetry, false
	case s.downSince.Load() != 0:
		return downRetryTime, true
	}
	return s.unreachable, true
}

// isBusy reports whether the driver gave up on a transaction because the
// database was busy (its last attempt failed with a transient error such as
// a deadlock) rather than because it could not be reached.
func isBusy(err error) bool {
	var limit *neo4j.TransactionExecutionLimit
	if !errors.As(err, &limit) || len(limit.Errors) == 0 {
		return false
	}
	var ne *neo4j.Neo4jError
	last := limit.Errors[len(limit.Errors)-1]
	return errors.As(last, &ne) && ne.IsRetriable() && ne.Code != databaseUnavailable
}

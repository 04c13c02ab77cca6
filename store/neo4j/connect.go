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

// socketConnectTimeout bounds opening a TCP connection to Neo4j. A server
// on the same network that has not answered a SYN in 2 s is gone (the
// driver's 5 s would spend the whole unreachable budget on one attempt).
const socketConnectTimeout = 2 * time.Second

// configureDriver sets the driver's timeouts so that an unreachable Neo4j
// fails a call within cfg.UnreachableTimeout (plus one connect attempt):
//
//   - the driver retries a failed transaction, whatever failed, for
//     MaxTransactionRetryTime; it is set to the unreachable budget, and
//     execute retries a busy database (deadlocks, lock timeouts) itself for
//     the longer cfg.MaxTransactionRetryTime;
//   - opening a connection (TCP, Bolt handshake) and waiting for a pooled
//     one are bounded by the same budget: a server that accepts TCP but
//     never answers Bolt would otherwise hold a request for the driver's
//     default minute. Every wait is also cut short by the caller's ctx.
//
// Nothing here changes how writes commit: a transaction whose connection
// drops before commit is rolled back by the server and run again whole, and
// one that drops during commit is not retried (see mapError).
func configureDriver(cfg Config) func(*config.Config) {
	return func(c *config.Config) {
		if cfg.MaxConnectionPoolSize > 0 {
			c.MaxConnectionPoolSize = cfg.MaxConnectionPoolSize
		}
		c.MaxTransactionRetryTime = cfg.UnreachableTimeout
		c.SocketConnectTimeout = min(socketConnectTimeout, cfg.UnreachableTimeout)
		c.ConnectionAcquisitionTimeout = cfg.UnreachableTimeout
	}
}

// execute runs fn in a managed transaction of the given mode. The driver
// gives up after the unreachable budget (configureDriver); when what it
// gave up on was a busy database rather than an unreachable one, fn is run
// again until busyRetry has passed, as the driver did before its budget was
// cut, since a deadlock victim succeeds when run again.
func execute[T any](ctx context.Context, s *Store, session neo4j.SessionWithContext, op string, mode neo4j.AccessMode,
	fn neo4j.ManagedTransactionWorkT[T]) (T, error) {
	start := time.Now()
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
		if err == nil || !isBusy(err) || ctx.Err() != nil || time.Since(start) >= s.busyRetry {
			return out, err
		}
		s.log.Debug().Err(err).Str("op", op).Int("attempt", attempt).Msg("neo4j busy; running the transaction again")
	}
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

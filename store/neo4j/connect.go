package neo4j

import (
	"context"
	"errors"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

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

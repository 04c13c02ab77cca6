package neo4j

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// TestFailureClasses: what the driver gives up with decides how long a
// call keeps trying (retryBudget) and what the client is told (mapError):
// an unreachable Neo4j fails fast, a busy one is retried for longer, and
// either is UNAVAILABLE; what the driver does not call retryable is not
// run again.
func TestFailureClasses(t *testing.T) {
	limit := func(last error) error {
		return &neo4j.TransactionExecutionLimit{Cause: "timeout", Errors: []error{last}}
	}
	refused := &neo4j.ConnectivityError{Inner: errors.New("dial tcp 127.0.0.1:7687: connect: connection refused")}
	deadlock := &neo4j.Neo4jError{Code: "Neo.TransientError.Transaction.DeadlockDetected", Msg: "deadlock"}
	stopping := &neo4j.Neo4jError{Code: databaseUnavailable, Msg: "database stopping"}
	s := &Store{busyRetry: 30 * time.Second, unreachable: 3 * time.Second}
	cases := []struct {
		name        string
		err         error
		down        bool
		budget      time.Duration
		unreachable bool
		code        graph.Code
		message     string
	}{
		{"connection refused", limit(refused), false, 3 * time.Second, true, graph.CodeUnavailable, "unreachable"},
		{"connection refused, known down", limit(refused), true, downRetryTime, true, graph.CodeUnavailable, "unreachable"},
		{"database stopping", limit(stopping), false, 3 * time.Second, true, graph.CodeUnavailable, "unreachable"},
		{"deadlock", limit(deadlock), false, 30 * time.Second, false, graph.CodeUnavailable, "busy"},
		{"connection lost during commit", refused, false, 0, false, graph.CodeUnavailable, "unreachable"},
		{"request deadline", context.DeadlineExceeded, false, 0, false, graph.CodeUnavailable, "timed out"},
		{"syntax error", &neo4j.Neo4jError{Code: "Neo.ClientError.Statement.SyntaxError"}, false, 0, false, graph.CodeInternal, "failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.downSince.Store(0)
			if c.down {
				s.downSince.Store(time.Now().UnixNano())
			}
			budget, unreachable := s.retryBudget(c.err)
			if budget != c.budget || unreachable != c.unreachable {
				t.Errorf("retryBudget = %v, %v; want %v, %v", budget, unreachable, c.budget, c.unreachable)
			}
			mapped := mapError("read CI", c.err)
			if graph.ErrorCode(mapped) != c.code || !strings.Contains(graph.ErrorMessage(mapped), c.message) {
				t.Errorf("mapError = %s %q; want %s containing %q", graph.ErrorCode(mapped), graph.ErrorMessage(mapped), c.code, c.message)
			}
		})
	}
}

// TestUnreachableTimeoutBoundsTheDriver: the driver makes one attempt per
// call (the store paces retries) and never waits longer than the budget to
// connect.
func TestUnreachableTimeoutBoundsTheDriver(t *testing.T) {
	cfg, err := Config{UnreachableTimeout: 3 * time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d, err := neo4j.NewDriverWithContext("bolt://127.0.0.1:1", neo4j.NoAuth(), configureDriver(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	s := &Store{driver: d, db: DefaultDatabase, cat: graph.DefaultCatalogue(), busyRetry: cfg.MaxTransactionRetryTime, unreachable: cfg.UnreachableTimeout,
		bookmarks: neo4j.NewBookmarkManager(neo4j.BookmarkManagerConfig{})}
	for i, within := range []time.Duration{cfg.UnreachableTimeout + time.Second, downRetryTime + time.Second} {
		start := time.Now()
		err := s.Ping(context.Background())
		took := time.Since(start)
		if graph.ErrorCode(err) != graph.CodeUnavailable || took > within {
			t.Errorf("ping %d of a closed port: %v after %v; want UNAVAILABLE within %v", i+1, err, took, within)
		}
		t.Logf("ping %d of a closed port: UNAVAILABLE after %v", i+1, took.Round(time.Millisecond))
	}
}

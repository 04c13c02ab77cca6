package neo4j

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// mapError turns whatever came out of the driver into a domain error, so
// that no caller above this package ever sees a driver type. Domain errors
// raised inside transaction functions pass through untouched. op names the
// operation for logs ("upsert CI").
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *graph.Error
	if errors.As(err, &de) {
		return err
	}
	wrapped := fmt.Errorf("%s: %w", op, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return graph.Unavailable(wrapped, "%s: request cancelled or timed out", op)
	}
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) {
		return mapNeo4jError(op, ne, wrapped)
	}
	if isBusy(err) {
		return graph.Unavailable(wrapped, "%s: the graph database is busy; retry", op)
	}
	var (
		ce *neo4j.ConnectivityError
		tl *neo4j.TransactionExecutionLimit
	)
	if errors.As(err, &ce) || errors.As(err, &tl) {
		// The driver gave up within the unreachable budget (connect.go).
		// A write failed this way either committed whole or not at all.
		return graph.Unavailable(wrapped, "%s: the graph database is unreachable; retry", op)
	}
	return graph.Internal(wrapped, "%s failed", op)
}

// constraintViolation is the code Neo4j reports when a write breaks a
// uniqueness constraint.
const constraintViolation = "Neo.ClientError.Schema.ConstraintValidationFailed"

// entityNotFound is the code Neo4j reports when a statement reaches a node
// that a concurrent transaction deleted while it waited for its lock.
const entityNotFound = "Neo.ClientError.Statement.EntityNotFound"

// databaseUnavailable is the code Neo4j reports while a database is
// starting or stopping: down, not busy.
const databaseUnavailable = "Neo.TransientError.General.DatabaseUnavailable"

// isEntityNotFound reports whether err (mapped or not) is entityNotFound:
// a lost race with a delete, which running the transaction again resolves.
func isEntityNotFound(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && ne.Code == entityNotFound
}

// isConstraintViolation reports whether err (mapped or not) comes from a
// uniqueness constraint.
func isConstraintViolation(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && ne.Code == constraintViolation
}

func mapNeo4jError(op string, ne *neo4j.Neo4jError, wrapped error) error {
	switch {
	case ne.Code == constraintViolation:
		// Only reachable when a concurrent transaction wins the race between
		// our read and our write; the constraint is the last line of defence.
		if strings.Contains(ne.Msg, labelIdentifier) {
			e := graph.Errorf(graph.CodeConflict, "identifiers", "an identifier was claimed by another CI concurrently; retry")
			e.Err = wrapped
			return e
		}
		if strings.Contains(ne.Msg, "`"+labelRecord+"`") {
			e := graph.Errorf(graph.CodeConflict, "id", "the record was created concurrently")
			e.Err = wrapped
			return e
		}
		e := graph.Errorf(graph.CodeConflict, "id", "the CI was written concurrently; retry")
		e.Err = wrapped
		return e
	case ne.Code == entityNotFound:
		e := graph.Errorf(graph.CodeConflict, "", "something this write depends on was deleted concurrently; retry")
		e.Err = wrapped
		return e
	case ne.HasSecurityCode():
		return graph.Unavailable(wrapped, "%s: the graph database refused our credentials", op)
	case ne.Code == "Neo.ClientError.Database.DatabaseNotFound",
		ne.Code == databaseUnavailable:
		return graph.Unavailable(wrapped, "%s: the graph database is not available", op)
	case strings.HasPrefix(ne.Code, "Neo.TransientError."),
		strings.HasPrefix(ne.Code, "Neo.ClientError.Transaction.TransactionTimedOut"),
		strings.HasPrefix(ne.Code, "Neo.ClientError.Cluster."):
		return graph.Unavailable(wrapped, "%s: the graph database is busy; retry", op)
	}
	return graph.Internal(wrapped, "%s failed", op)
}

// withField prefixes the field of a domain error, used by Apply to point at
// the batch item at fault ("upserts[3].name"). Other errors pass through.
func withField(prefix string, err error) error {
	var de *graph.Error
	if prefix == "" || !errors.As(err, &de) {
		return err
	}
	out := *de
	if out.Field == "" {
		out.Field = prefix
	} else {
		out.Field = prefix + "." + out.Field
	}
	return &out
}

package neo4j

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// ensureSchema creates the constraints and indexes. Schema commands cannot
// share a transaction with each other or with data writes, so each runs as
// its own auto-commit query.
func (s *Store) ensureSchema(ctx context.Context) error {
	for _, stmt := range schemaCypher {
		if err := s.schemaQuery(ctx, stmt, nil); err != nil {
			return mapError(fmt.Sprintf("create schema (%s)", stmt), err)
		}
	}
	if err := s.schemaQuery(ctx, awaitIndexesCypher, map[string]any{"seconds": schemaAwaitSecs}); err != nil {
		return mapError("wait for indexes", err)
	}
	return nil
}

func (s *Store) schemaQuery(ctx context.Context, cypher string, params map[string]any) error {
	_, err := neo4j.ExecuteQuery(ctx, s.driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.db), neo4j.ExecuteQueryWithWritersRouting())
	if err != nil {
		return fmt.Errorf("schema query: %w", err)
	}
	return nil
}

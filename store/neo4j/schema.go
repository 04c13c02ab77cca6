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
	if err := s.migrateAudit(ctx); err != nil {
		return mapError("migrate the audit trail", err)
	}
	return nil
}

// migrateAudit brings an audit trail written before issue 11 to the
// current shape (see migrateAuditCypher); on a current database it costs
// one label lookup.
func (s *Store) migrateAudit(ctx context.Context) error {
	res, err := neo4j.ExecuteQuery(ctx, s.driver, oldAuditCypher, nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.db), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return fmt.Errorf("look for the old audit shape: %w", err)
	}
	if len(res.Records) == 0 {
		return nil
	}
	if old, _, err := neo4j.GetRecordValue[bool](res.Records[0], "old"); err != nil || !old {
		return err
	}
	s.log.Info().Msg("migrating the audit trail to one node per entry (issue 11); this runs once")
	// CALL IN TRANSACTIONS needs an auto-commit transaction: session.Run.
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db})
	defer session.Close(ctx)
	for _, stmt := range migrateAuditCypher {
		r, err := session.Run(ctx, stmt, nil)
		if err == nil {
			_, err = r.Consume(ctx)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
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

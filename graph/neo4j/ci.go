package neo4j

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// GetCI returns one CI.
func (s *Store) GetCI(ctx context.Context, id string) (graph.CI, error) {
	if err := graph.CheckID("id", id); err != nil {
		return graph.CI{}, err
	}
	return readTx(ctx, s, "get CI", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.CI, error) {
		var (
			ci    graph.CI
			found bool
		)
		err := collect(ctx, tx, cypherGetCI, map[string]any{"id": id}, func(rec *neo4j.Record) error {
			var err error
			ci, err = recordCI(rec, "c")
			found = true
			return err
		})
		if err != nil {
			return graph.CI{}, err
		}
		if !found {
			return graph.CI{}, graph.NotFound("id", "CI", id)
		}
		return ci, nil
	})
}

// CIsByIDs returns the CIs that exist among ids; malformed and unknown ids
// are left out, as dataloaders expect.
func (s *Store) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	valid := validIDs(ids)
	if len(valid) == 0 {
		return map[string]graph.CI{}, nil
	}
	return readTx(ctx, s, "get CIs by ids", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string]graph.CI, error) {
		out := make(map[string]graph.CI, len(valid))
		err := collect(ctx, tx, cypherCIsByIDs, map[string]any{"ids": valid}, func(rec *neo4j.Record) error {
			ci, err := recordCI(rec, "c")
			if err != nil {
				return err
			}
			out[ci.ID] = ci
			return nil
		})
		return out, err
	})
}

// DeleteCI removes a CI with its relations and the identifiers it owns.
func (s *Store) DeleteCI(ctx context.Context, id string) error {
	if err := graph.CheckID("id", id); err != nil {
		return err
	}
	_, err := writeTx(ctx, s, "delete CI", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		found := false
		err := collect(ctx, tx, cypherDeleteCI, map[string]any{"id": id}, func(*neo4j.Record) error {
			found = true
			return nil
		})
		if err != nil {
			return struct{}{}, err
		}
		if !found {
			return struct{}{}, graph.NotFound("id", "CI", id)
		}
		return struct{}{}, nil
	})
	return err
}

// validIDs keeps the well-formed ids, once each, in input order.
func validIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] && graph.CheckID("id", id) == nil {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

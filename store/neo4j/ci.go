package neo4j

import (
	"context"
	"fmt"

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
			ci, err = recordCI(rec)
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
			ci, err := recordCI(rec)
			if err != nil {
				return err
			}
			out[ci.ID] = ci
			return nil
		})
		return out, err
	})
}

// DeleteCI removes a CI with its relations and the identifiers it owns,
// auditing an UNRELATE for each relation and then the DELETE. The ledger's
// sightings of the CI and of its relations go too (not audited).
func (s *Store) DeleteCI(ctx context.Context, id string) error {
	if err := graph.CheckID("id", id); err != nil {
		return err
	}
	actor := graph.ActorFrom(ctx)
	_, err := writeTx(ctx, s, "delete CI", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		now := graph.Now()
		var changes []auditChange
		found := false
		err := collect(ctx, tx, cypherDeleteCI, map[string]any{"id": id}, func(rec *neo4j.Record) error {
			found = true
			var err error
			changes, err = deleteCIChanges(rec)
			return err
		})
		if err != nil {
			return struct{}{}, err
		}
		if !found {
			return struct{}{}, graph.NotFound("id", "CI", id)
		}
		if err := exec(ctx, tx, cypherDropCISightings, map[string]any{"id": id}); err != nil {
			return struct{}{}, fmt.Errorf("drop sightings of CI %s: %w", id, err)
		}
		return struct{}{}, writeAudit(ctx, tx, actor, now, changes)
	})
	return err
}

// deleteCIChanges turns the row of cypherDeleteCI into audit changes: the
// relations removed, in (type, from, to) order, then the CI itself.
func deleteCIChanges(rec *neo4j.Record) ([]auditChange, error) {
	props, _, err := neo4j.GetRecordValue[map[string]any](rec, "props")
	if err != nil {
		return nil, fmt.Errorf("read props: %w", err)
	}
	delete(props, "_lock")
	ci, err := ciFromNode(neo4j.Node{Props: props})
	if err != nil {
		return nil, err
	}
	rows, err := recordList[map[string]any](rec, "rels")
	if err != nil {
		return nil, err
	}
	rels := make([]graph.Relation, 0, len(rows))
	for _, row := range rows {
		from, ok1 := row["from"].(string)
		typ, ok2 := row["type"].(string)
		to, ok3 := row["to"].(string)
		created, ok4 := row["createdAt"].(int64)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, fmt.Errorf("read rels: unexpected relation row %v", row)
		}
		rels = append(rels, graph.Relation{From: from, Type: typ, To: to, CreatedAt: fromMicros(created)})
	}
	sortRelations(rels)
	changes := make([]auditChange, 0, len(rels)+1)
	for _, rel := range rels {
		c, err := relationChange(graph.ActionUnrelate, rel)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	c, err := ciChange(graph.ActionDelete, &ci, nil)
	if err != nil {
		return nil, err
	}
	return append(changes, c), nil
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

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
// unless records hold it.
func (s *Store) DeleteCI(ctx context.Context, id string) error {
	_, err := s.deleteCI(ctx, id, false)
	return err
}

// ForceDeleteCI removes a CI whatever holds it and returns the holders.
func (s *Store) ForceDeleteCI(ctx context.Context, id string) ([]graph.Holder, error) {
	return s.deleteCI(ctx, id, true)
}

// deleteCI locks the CI and reads its holders, refuses (without force) if
// there are any, then removes the CI, auditing an UNRELATE for each
// relation and then the DELETE, all in one transaction. The ledger's
// sightings of the CI and of its relations go too (not audited).
func (s *Store) deleteCI(ctx context.Context, id string, force bool) ([]graph.Holder, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	by := authorOf(ctx)
	return writeTx(ctx, s, "delete CI", func(ctx context.Context, tx neo4j.ManagedTransaction) ([]graph.Holder, error) {
		now := graph.Now()
		ci, holders, found, err := lockCIHolders(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, graph.NotFound("id", "CI", id)
		}
		if len(holders) > 0 && !force {
			return nil, graph.HeldError(ci, holders)
		}
		var changes []auditChange
		err = collect(ctx, tx, cypherDeleteCI, map[string]any{"id": id}, func(rec *neo4j.Record) error {
			var err error
			changes, err = deleteCIChanges(rec)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := exec(ctx, tx, cypherDropCISightings, map[string]any{"id": id}); err != nil {
			return nil, fmt.Errorf("drop sightings of CI %s: %w", id, err)
		}
		return holders, writeAudit(ctx, tx, by, now, changes)
	})
}

// lockCIHolders runs cypherLockCIHolders: the CI (found false when it does
// not exist) and the records that hold it.
func lockCIHolders(ctx context.Context, tx neo4j.ManagedTransaction, id string) (graph.CI, []graph.Holder, bool, error) {
	rule := map[string]any{}
	for kind, released := range graph.HoldingRule() {
		rule[string(kind)] = released
	}
	var (
		ci      graph.CI
		holders []graph.Holder
		found   bool
	)
	err := collect(ctx, tx, cypherLockCIHolders, map[string]any{"id": id, "rule": rule}, func(rec *neo4j.Record) error {
		found = true
		props, _, err := neo4j.GetRecordValue[map[string]any](rec, "props")
		if err != nil {
			return fmt.Errorf("read props: %w", err)
		}
		delete(props, "_lock")
		if ci, err = ciFromNode(neo4j.Node{Props: props}); err != nil {
			return err
		}
		rows, err := recordList[map[string]any](rec, "holders")
		if err != nil {
			return err
		}
		for _, row := range rows {
			kind, ok1 := row["kind"].(string)
			rid, ok2 := row["id"].(string)
			state, ok3 := row["state"].(string)
			doc, ok4 := row["doc"].(string)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return fmt.Errorf("read holders: unexpected row %v", row)
			}
			holders = append(holders, graph.HolderOf(graph.Record{Kind: graph.RecordKind(kind), ID: rid, State: state, Doc: []byte(doc)}))
		}
		return nil
	})
	if err != nil {
		return graph.CI{}, nil, false, fmt.Errorf("lock CI %s and read its holders: %w", id, err)
	}
	return ci, holders, found, nil
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

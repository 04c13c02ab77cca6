package neo4j

import (
	"context"
	"sort"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Relate creates from -typ-> to, or returns the existing relation.
func (s *Store) Relate(ctx context.Context, from, typ, to string) (graph.Relation, error) {
	t, err := s.checkRelationArgs(from, typ, to)
	if err != nil {
		return graph.Relation{}, err
	}
	if from == to {
		return graph.Relation{}, graph.Invalid("to", "a CI cannot relate to itself")
	}
	by := authorOf(ctx)
	return writeTx(ctx, s, "relate CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Relation, error) {
		var fromClass, toClass string
		err := collect(ctx, tx, cypherRelationEnds, map[string]any{"from": from, "to": to}, func(rec *neo4j.Record) error {
			var err error
			if fromClass, err = recordValue[string](rec, "fromClass"); err != nil {
				return err
			}
			toClass, err = recordValue[string](rec, "toClass")
			return err
		})
		if err != nil {
			return graph.Relation{}, err
		}
		if fromClass == "" {
			return graph.Relation{}, graph.NotFound("from", "CI", from)
		}
		if toClass == "" {
			return graph.Relation{}, graph.NotFound("to", "CI", to)
		}
		if err := s.cat.CheckRelation(typ, fromClass, toClass); err != nil {
			return graph.Relation{}, err
		}
		rel := graph.Relation{From: from, Type: typ, To: to}
		now := graph.Now()
		params := map[string]any{"from": from, "to": to, "createdAt": now.UnixMicro()}
		counters, err := collectCounting(ctx, tx, cypherMergeRelation(t), params, func(rec *neo4j.Record) error {
			micros, err := recordValue[int64](rec, "createdAt")
			rel.CreatedAt = fromMicros(micros)
			return err
		})
		if err != nil {
			return graph.Relation{}, err
		}
		if counters.RelationshipsCreated() == 0 {
			return rel, nil // it existed: nothing changed, nothing to audit
		}
		change, err := relationChange(graph.ActionRelate, rel)
		if err != nil {
			return graph.Relation{}, err
		}
		if err := writeAudit(ctx, tx, by, now, []auditChange{change}); err != nil {
			return graph.Relation{}, err
		}
		return rel, nil
	})
}

// Unrelate removes from -typ-> to, with its sightings in the ledger, and
// reports whether it existed. Missing CIs are not an error: the relation
// simply does not exist.
func (s *Store) Unrelate(ctx context.Context, from, typ, to string) (bool, error) {
	t, err := s.checkRelationArgs(from, typ, to)
	if err != nil {
		return false, err
	}
	by := authorOf(ctx)
	return writeTx(ctx, s, "unrelate CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (bool, error) {
		now := graph.Now()
		var changes []auditChange
		err := collect(ctx, tx, cypherDeleteRelation(t), map[string]any{"from": from, "to": to}, func(rec *neo4j.Record) error {
			micros, err := recordValue[int64](rec, "createdAt")
			if err != nil {
				return err
			}
			change, err := relationChange(graph.ActionUnrelate, graph.Relation{From: from, Type: typ, To: to, CreatedAt: fromMicros(micros)})
			changes = append(changes, change)
			return err
		})
		if err != nil {
			return false, err
		}
		if len(changes) == 0 {
			return false, nil
		}
		if err := dropRelationSightings(ctx, tx, []graph.RelationKey{{From: from, Type: typ, To: to}}); err != nil {
			return false, err
		}
		if err := writeAudit(ctx, tx, by, now, changes); err != nil {
			return false, err
		}
		return true, nil
	})
}

func (s *Store) checkRelationArgs(from, typ, to string) (relType, error) {
	if err := graph.CheckID("from", from); err != nil {
		return "", err
	}
	if err := graph.CheckID("to", to); err != nil {
		return "", err
	}
	return checkRelType(s.cat, "type", typ)
}

// RelationsOf returns each CI's relations in the given direction, sorted by
// (type, from, to); CIs without any are absent from the map.
func (s *Store) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	if !dir.Valid() {
		return nil, graph.Invalid("direction", "unknown direction %q", dir)
	}
	checked, err := checkRelTypes(s.cat, "types", types)
	if err != nil {
		return nil, err
	}
	valid := validIDs(ids)
	if len(valid) == 0 {
		return map[string][]graph.Relation{}, nil
	}
	left, right := "", ""
	switch dir {
	case graph.Outgoing:
		right = ">"
	case graph.Incoming:
		left = "<"
	}
	cypher := cypherRelationsOf(left, right, checked)
	return readTx(ctx, s, "relations of CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string][]graph.Relation, error) {
		out := map[string][]graph.Relation{}
		err := collect(ctx, tx, cypher, map[string]any{"ids": valid}, func(rec *neo4j.Record) error {
			id, err := recordValue[string](rec, "id")
			if err != nil {
				return err
			}
			rel := graph.Relation{From: id}
			if rel.Type, err = recordValue[string](rec, "type"); err != nil {
				return err
			}
			if rel.To, err = recordValue[string](rec, "other"); err != nil {
				return err
			}
			outgoing, err := recordValue[bool](rec, "outgoing")
			if err != nil {
				return err
			}
			if !outgoing {
				rel.From, rel.To = rel.To, rel.From
			}
			micros, err := recordValue[int64](rec, "createdAt")
			if err != nil {
				return err
			}
			rel.CreatedAt = fromMicros(micros)
			out[id] = append(out[id], rel)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, rels := range out {
			sortRelations(rels)
		}
		return out, nil
	})
}

// sortRelations orders relations by (type, from, to), the contract's order.
func sortRelations(rels []graph.Relation) {
	sort.Slice(rels, func(i, j int) bool { return rels[i].Key().Less(rels[j].Key()) })
}

// cypherOutgoingOfType reports which (from, to) pairs in $rows are joined
// by a relation of one type, with its creation time. It seeks the From end
// and expands its relations of that type only, filtering on the other end:
// the To end is left unlabelled so the planner cannot seek it too and join
// the two with Expand(Into), whose per-row relationship cache on dense
// nodes (a cluster with a thousand members) exhausted the transaction
// memory pool when a 100k-CI import re-checked its relations.
func cypherOutgoingOfType(t relType) string {
	return `
UNWIND $rows AS row
MATCH (a:CI {id: row.from})
MATCH (a)-[r:` + string(t) + `]->(b)
WHERE b.id = row.to
RETURN row.from AS from, row.to AS to, r.createdAt AS createdAt`
}

// relationsExist returns, for each key that exists, its creation time in
// Unix microseconds: one statement per type and chunk.
func relationsExist(ctx context.Context, tx neo4j.ManagedTransaction, keys []graph.RelationKey) (map[graph.RelationKey]int64, error) {
	byType := map[string][]map[string]any{}
	for _, k := range keys {
		byType[k.Type] = append(byType[k.Type], map[string]any{"from": k.From, "to": k.To})
	}
	out := make(map[graph.RelationKey]int64, len(keys))
	for typ, rows := range byType {
		if !relTypeRE.MatchString(typ) {
			continue // not a type any relation can have
		}
		q := cypherOutgoingOfType(relType(typ))
		for start := 0; start < len(rows); start += maxRowsPerStatement {
			chunk := rows[start:min(start+maxRowsPerStatement, len(rows))]
			err := collect(ctx, tx, q, map[string]any{"rows": chunk}, func(rec *neo4j.Record) error {
				k := graph.RelationKey{Type: typ}
				var err error
				if k.From, err = recordValue[string](rec, "from"); err != nil {
					return err
				}
				if k.To, err = recordValue[string](rec, "to"); err != nil {
					return err
				}
				micros, err := recordValue[int64](rec, "createdAt")
				out[k] = micros
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

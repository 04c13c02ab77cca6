package neo4j

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// cypherRecordsOnCIs lists the records of a kind linked to each of $cis,
// in one statement: from each CI along its :links relationships (its
// degree, as ListRecords' CI filter), DISTINCT because a record may link
// one CI in several roles, newest created first per CI.
func cypherRecordsOnCIs(f recordListFilter) string {
	var conds []string
	for _, c := range recordConditions(f) {
		if c.on {
			conds = append(conds, c.cond)
		}
	}
	return "UNWIND $cis AS ci\nMATCH (:CI {id: ci})<-[:links]-(r:Record {kind: $kind})\nWITH DISTINCT ci, r" +
		where(conds) + "\nRETURN ci, r\nORDER BY ci, r.id DESC"
}

// RecordsOnCIs returns, for each existing CI among cis, the records of a
// kind linked to it that match f's other conditions, newest created
// first; see graph.RecordStore.
func (s *Store) RecordsOnCIs(ctx context.Context, kind graph.RecordKind, cis []string, f graph.RecordFilter) (map[string][]graph.Record, error) {
	if err := graph.CheckRecordKind(kind); err != nil {
		return nil, err
	}
	valid := validIDs(cis)
	if len(valid) == 0 {
		return map[string][]graph.Record{}, nil
	}
	lf := recordListFilter{states: len(f.States) > 0, ref: f.Ref != "", from: f.From != nil, to: f.To != nil}
	params := recordFilterParams(kind, f)
	params["cis"] = valid
	return readTx(ctx, s, "records on CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string][]graph.Record, error) {
		out := map[string][]graph.Record{}
		err := collect(ctx, tx, cypherRecordsOnCIs(lf), params, func(r *neo4j.Record) error {
			ci, _, err := neo4j.GetRecordValue[string](r, "ci")
			if err != nil {
				return err
			}
			rec, err := recordRecord(r)
			if err != nil {
				return err
			}
			out[ci] = append(out[ci], rec)
			return nil
		})
		return out, err
	})
}

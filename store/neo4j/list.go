package neo4j

import (
	"context"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// ListCIs returns one page of CIs ordered by (name, id) plus the number of
// CIs matching the filter, both read in one transaction so they agree.
func (s *Store) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	p, keyName, keyID, err := s.cat.CheckListCIs(f, p)
	if err != nil {
		return graph.CIPage{}, err
	}
	lf := listFilter{
		class: f.Class != "", status: f.Status != "", environment: f.Environment != "",
		owner: f.Owner != "", search: f.Search != "", identifier: f.Identifier != "",
		backward: p.Backward(),
	}
	size := p.Size()
	params := map[string]any{
		"class": f.Class, "status": string(f.Status), "environment": f.Environment,
		"owner": f.Owner, "identifier": f.Identifier,
		// Lower-cased with Go's rules to match the stored nameLower.
		"search":    strings.ToLower(f.Search),
		"limit":     int64(size + 1),
		"afterKey":  "",
		"beforeKey": lastKey,
	}
	if keyID != "" {
		_, field := p.Cursor()
		params[field+"Key"] = sortKey(keyName, keyID)
	}
	pageCypher, countCypher := cypherListCIs(lf)
	return readTx(ctx, s, "list CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.CIPage, error) {
		var out graph.CIPage
		var err error
		if out.CIs, out.HasNextPage, out.HasPreviousPage, err = collectPage(ctx, tx, pageCypher, params, p, recordCI); err != nil {
			return graph.CIPage{}, err
		}
		if out.TotalCount, err = countTotal(ctx, tx, countCypher, params); err != nil {
			return graph.CIPage{}, err
		}
		return out, nil
	})
}

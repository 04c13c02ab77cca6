package neo4j

import (
	"context"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// ListCIs returns one page of CIs ordered by (name, id) plus the number of
// CIs matching the filter, both read in one transaction so they agree.
func (s *Store) ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	if err := s.cat.CheckFilter(f); err != nil {
		return graph.CIPage{}, err
	}
	p, err := graph.CheckPage(p)
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
	if cursor, field := p.Cursor(); cursor != "" {
		name, id, err := graph.PageKey(p)
		if err != nil {
			return graph.CIPage{}, err
		}
		params[field+"Key"] = sortKey(name, id)
	}
	pageCypher, countCypher := cypherListCIs(lf)
	return readTx(ctx, s, "list CIs", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.CIPage, error) {
		var out graph.CIPage
		err := collect(ctx, tx, pageCypher, params, func(rec *neo4j.Record) error {
			ci, err := recordCI(rec, "c")
			if err != nil {
				return err
			}
			out.CIs = append(out.CIs, ci)
			return nil
		})
		if err != nil {
			return graph.CIPage{}, err
		}
		more := len(out.CIs) > size
		if more {
			out.CIs = out.CIs[:size]
		}
		if p.Backward() {
			slices.Reverse(out.CIs)
			out.HasNextPage, out.HasPreviousPage = p.Before != "", more
		} else {
			out.HasNextPage, out.HasPreviousPage = more, p.After != ""
		}
		err = collect(ctx, tx, countCypher, params, func(rec *neo4j.Record) error {
			n, err := recordInt(rec, "total")
			out.TotalCount = int(n)
			return err
		})
		if err != nil {
			return graph.CIPage{}, err
		}
		return out, nil
	})
}

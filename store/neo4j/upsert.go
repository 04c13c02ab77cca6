package neo4j

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
)

// UpsertCI creates or updates one CI. It is a one-item batch: one
// definition of matching, merging and conflict rules serves both paths.
func (s *Store) UpsertCI(ctx context.Context, in graph.CIInput) (graph.UpsertResult, error) {
	// Reject malformed input before taking a connection.
	if err := s.cat.ValidateCIInput(in); err != nil {
		return graph.UpsertResult{}, err
	}
	out, err := s.apply(ctx, graph.Batch{Upserts: []graph.CIInput{in}}, false)
	if err != nil {
		return graph.UpsertResult{}, err
	}
	o := out.upserts[0]
	return graph.UpsertResult{CI: o.ci, Created: o.created, Changed: o.changed}, nil
}

// Apply runs a batch of upserts, relates and unrelates, and its ledger
// write, atomically. Error fields name the batch item at fault, e.g.
// "upserts[3].name" or "ledger.seenCIs[2]".
func (s *Store) Apply(ctx context.Context, b graph.Batch) (graph.BatchResult, error) {
	if b.Ledger != nil {
		if err := checkLedgerWrite(s.cat, b.Ledger); err != nil {
			return graph.BatchResult{}, err
		}
	}
	if len(b.Upserts)+len(b.Relate)+len(b.Unrelate) == 0 && b.Ledger == nil {
		return graph.BatchResult{CIs: []graph.CI{}}, nil
	}
	out, err := s.apply(ctx, b, true)
	if err != nil {
		return graph.BatchResult{}, err
	}
	res := graph.BatchResult{
		CIs:              make([]graph.CI, 0, len(out.upserts)),
		RelationsCreated: out.relationsCreated,
		RelationsRemoved: out.relationsRemoved,
	}
	for _, o := range out.upserts {
		res.CIs = append(res.CIs, o.ci)
		switch {
		case o.created:
			res.Created++
		case o.changed:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	return res, nil
}

package itsm

import (
	"context"

	"github.com/ripple-cmdb/ripple/graph"
)

// IncidentsOnCIs lists, for each of the CIs, every incident matching f
// linked to it (f.CI is not used), newest first, in one store call:
// ListIncidents with a CI filter for many CIs at once, as an SLA report
// reads the incidents of every SLA's service. CIs that do not exist or
// have no such incident map to nothing. An incident on several of the CIs
// is one value under each.
func (s *Service) IncidentsOnCIs(ctx context.Context, cis []string, f IncidentFilter) (map[string][]*Incident, error) {
	rf, ok, err := incidentRecordFilter(f)
	if err != nil || !ok || len(cis) == 0 {
		return map[string][]*Incident{}, err
	}
	recs, err := s.Store.RecordsOnCIs(ctx, graph.KindIncident, cis, rf)
	if err != nil {
		return nil, err
	}
	// A record linked to several of the CIs is decoded once.
	decoded := map[string]*Incident{}
	out := make(map[string][]*Incident, len(recs))
	for ci, list := range recs {
		incs := make([]*Incident, len(list))
		for i, rec := range list {
			inc := decoded[rec.ID]
			if inc == nil {
				if inc, err = decodeIncident(rec); err != nil {
					return nil, err
				}
				decoded[rec.ID] = inc
			}
			incs[i] = inc
		}
		out[ci] = incs
	}
	return out, nil
}

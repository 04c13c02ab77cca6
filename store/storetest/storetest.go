// Package storetest is the conformance suite every graph.Store runs. A
// store's own tests call Run with a constructor that returns a fresh, empty
// store; each case gets its own store so cases never see each other's data.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// NewStore returns a fresh, empty store using graph.DefaultCatalogue(). It
// registers its own cleanup with t.
type NewStore func(t *testing.T) graph.Store

// Run runs every conformance case against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"CI", ciCases},
		{"Identifiers", identifierCases},
		{"Validation", validationCases},
		{"Relations", relationCases},
		{"Batch", batchCases},
		{"List", listCases},
		{"Paging", pagingCases},
		{"Neighbourhood", neighbourhoodCases},
		{"Impact", impactCases},
		{"Concurrency", concurrencyCases},
		{"Records", recordCases},
		{"RecordsOnCIs", recordsOnCIsCases},
		{"Grouping", groupingCases},
		{"References", referenceCases},
		{"Audit", auditCases},
		{"Timelines", timelineCases},
		{"Ledger", ledgerCases},
		{"Copies", copyCases},
		{"Lifecycle", lifecycleCases},
		{"GraphVersion", versionCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					defer cancel()
					tc.run(ctx, t, newStore(t))
				})
			}
		})
	}
}

type testCase struct {
	name string
	run  func(ctx context.Context, t *testing.T, s graph.Store)
}

func mustUpsert(ctx context.Context, t testing.TB, s graph.Store, in graph.CIInput) graph.CI {
	t.Helper()
	res, err := s.UpsertCI(ctx, in)
	if err != nil {
		t.Fatalf("UpsertCI(%v): %v", deref(in.Name), err)
	}
	return res.CI
}

func mustCI(ctx context.Context, t testing.TB, s graph.Store, name, class string, ids ...graph.Identifier) graph.CI {
	t.Helper()
	return mustUpsert(ctx, t, s, Input(name, class, ids...))
}

func mustRelate(ctx context.Context, t testing.TB, s graph.Store, from graph.CI, typ string, to graph.CI) {
	t.Helper()
	if _, err := s.Relate(ctx, from.ID, typ, to.ID); err != nil {
		t.Fatalf("Relate(%s -%s-> %s): %v", from.Name, typ, to.Name, err)
	}
}

func mustGet(ctx context.Context, t testing.TB, s graph.Store, id string) graph.CI {
	t.Helper()
	ci, err := s.GetCI(ctx, id)
	if err != nil {
		t.Fatalf("GetCI(%s): %v", id, err)
	}
	return ci
}

// countCIs returns the number of CIs in the store.
func countCIs(ctx context.Context, t *testing.T, s graph.Store) int {
	t.Helper()
	page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 1})
	if err != nil {
		t.Fatalf("ListCIs: %v", err)
	}
	return page.TotalCount
}

// countRelations returns the number of relations touching the CIs (a
// relation between two of them counts twice).
func countRelations(ctx context.Context, t *testing.T, s graph.Store, cis ...graph.CI) int {
	t.Helper()
	ids := make([]string, len(cis))
	for i, c := range cis {
		ids[i] = c.ID
	}
	rels, err := s.RelationsOf(ctx, ids, graph.Both, nil)
	if err != nil {
		t.Fatalf("RelationsOf: %v", err)
	}
	n := 0
	for _, list := range rels {
		n += len(list)
	}
	return n
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

package analysis_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// One analyst keeps blast radii and cause subgraphs between calls; a graph
// write must show in the next call, and so must records written without
// touching the graph.
func TestAnalysesSeeEveryWrite(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		a, svc, e := setup(t, s)
		start := testNow.Add(48 * time.Hour)
		onDB := change(t, svc, itsm.ChangeNormal, start, 2, e["shared-db"])
		services := func(ci *analysis.ChangeImpact) map[string]bool {
			out := map[string]bool{}
			for _, s := range ci.Blast.Services {
				out[s.CI.Name] = true
			}
			return out
		}
		impactOf := func() *analysis.ChangeImpact {
			t.Helper()
			ci, err := a.ChangeImpact(ctx, onDB.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ci
		}
		first := impactOf()
		if got := services(first); !got["checkout"] || !got["search"] || got["billing"] {
			t.Fatalf("services hit before the write: %v", got)
		}
		if again := impactOf(); len(again.Blast.Impacted) != len(first.Blast.Impacted) || len(again.Collided) != 0 {
			t.Fatalf("a second call with nothing written: %d impacted (was %d), %d collisions", len(again.Blast.Impacted), len(first.Blast.Impacted), len(again.Collided))
		}

		// A graph write: a new service on the database.
		name, class := "billing", graph.ClassApplicationService
		billing, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Relate(ctx, billing.CI.ID, graph.RelDependsOn, e["shared-db"].ID); err != nil {
			t.Fatal(err)
		}
		if got := services(impactOf()); !got["billing"] {
			t.Fatalf("services hit after relating billing to the database: %v", got)
		}

		// A record write, the graph untouched: a colliding change.
		other := change(t, svc, itsm.ChangeNormal, start.Add(time.Hour), 2, e["db-vm"])
		if got := impactOf(); len(got.Collided) != 1 || got.Collided[0].Change.ID != other.ID {
			t.Fatalf("collisions after a colliding change was recorded: %+v", got.Collided)
		}

		// Root causes: the subgraph upstream of the incidents follows the
		// graph too.
		opened := testNow.Add(-5 * time.Minute)
		if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: "billing down", AffectedCIs: []string{billing.CI.ID},
			Impact: ptr(1), OpenedAt: &opened}); err != nil {
			t.Fatal(err)
		}
		has := func(name string) bool {
			t.Helper()
			ranked, err := a.RootCauseCandidates(ctx, nil, nil, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(ranked) == 0 {
				t.Fatal("no candidates")
			}
			for _, rc := range ranked {
				if rc.CI.Name == name {
					return true
				}
			}
			return false
		}
		if has("billing-db") {
			t.Fatal("billing-db is a candidate before it exists")
		}
		name, class = "billing-db", graph.ClassDatabase
		db, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Relate(ctx, billing.CI.ID, graph.RelDependsOn, db.CI.ID); err != nil {
			t.Fatal(err)
		}
		if !has("billing-db") {
			t.Fatal("billing-db, which billing now depends on, is not a candidate")
		}
	})
}

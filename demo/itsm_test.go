package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/demo"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// TestDemoShowsEveryAnalysis loads the whole demo twice (the second time
// must change nothing) and checks that each analysis has something to show.
func TestDemoShowsEveryAnalysis(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		svc := itsm.New(s)
		svc.Now = func() time.Time { return now }
		for round := 0; round < 2; round++ {
			if _, err := demo.Load(ctx, s); err != nil {
				t.Fatal(err)
			}
			loaded, err := demo.LoadITSM(ctx, svc, now)
			if err != nil {
				t.Fatal(err)
			}
			if loaded != (round == 0) {
				t.Fatalf("round %d: loaded=%v", round, loaded)
			}
		}
		a := analysis.New(svc)

		statuses, err := a.SLAAtRisk(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		notOK := 0
		for _, st := range statuses {
			if st.Status != analysis.StatusOK {
				notOK++
			}
		}
		if len(statuses) != 4 || notOK == 0 {
			t.Fatalf("%d SLA statuses, %d not OK", len(statuses), notOK)
		}

		cands, err := a.RootCauseCandidates(ctx, nil, nil, 3)
		if err != nil || len(cands) == 0 {
			t.Fatalf("root cause: %v %v", cands, err)
		}
		if cands[0].CI.Name != "payments-api-0" {
			var names []string
			for _, c := range cands {
				names = append(names, c.CI.Name)
			}
			t.Fatalf("top candidates %v, want payments-api-0 (failed deployment just before the outage)", names)
		}

		changes, _, err := svc.ListChanges(ctx, itsm.ChangeFilter{States: []itsm.ChangeState{itsm.ChangeScheduled}}, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		collided := false
		for _, c := range changes {
			ci, err := a.ChangeImpact(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			collided = collided || len(ci.Collided) > 0
		}
		if !collided {
			t.Fatal("no scheduled demo change collides with another")
		}
	})
}

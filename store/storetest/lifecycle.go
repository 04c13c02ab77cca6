package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

var lifecycleCases = []testCase{
	{"ClosedStoreIsUnavailable", func(ctx context.Context, t *testing.T, s graph.Store) {
		ci := mustCI(ctx, t, s, "a", graph.ClassServer)
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		_, err := s.GetCI(ctx, ci.ID)
		WantErr(t, err, graph.CodeUnavailable, "")
		_, err = s.UpsertCI(ctx, Input("b", graph.ClassServer))
		WantErr(t, err, graph.CodeUnavailable, "")
		WantErr(t, s.Ping(ctx), graph.CodeUnavailable, "")
	}},
	{"CancelledContextIsUnavailableAndWritesNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.UpsertCI(cctx, Input("a", graph.ClassServer))
		WantErr(t, err, graph.CodeUnavailable, "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("context error lost from the chain: %v", err)
		}
		if n := countCIs(ctx, t, s); n != 0 {
			t.Fatalf("cancelled upsert wrote %d CIs", n)
		}
		rec := graph.Record{Kind: graph.KindSLA, ID: graph.NewID(), Doc: []byte(`{}`)}
		_, err = s.PutRecord(cctx, rec, 0)
		WantErr(t, err, graph.CodeUnavailable, "")
		if h, err := s.History(ctx, rec.ID, graph.Page{}); err != nil || len(h.Entries) != 0 {
			t.Fatalf("cancelled write audited: %+v, %v", h.Entries, err)
		}
		if _, err := s.GetRecord(ctx, rec.Kind, rec.ID); graph.ErrorCode(err) != graph.CodeNotFound {
			t.Fatalf("cancelled write stored the record: %v", err)
		}
	}},
}

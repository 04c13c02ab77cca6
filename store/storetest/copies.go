package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// copyCases check that what a store returns belongs to the caller: changing
// it never changes what the store holds. Neighbourhood is the exception:
// its CIs are read-only snapshots (see graph.Traverser), so it is not
// scribbled on here.
var copyCases = []testCase{
	{"CIs", func(ctx context.Context, t *testing.T, s graph.Store) {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: Ptr("a"), Class: Ptr(graph.ClassCluster),
			Attributes:  map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"x"}},
			Identifiers: []graph.Identifier{Ident("serial", "A")}})
		if err != nil {
			t.Fatal(err)
		}
		id := res.CI.ID
		want := TakeSnapshot(t, s)
		scribble := func(ci graph.CI) {
			ci.Attributes["nested"].(map[string]any)["k"] = "changed"
			ci.Attributes["list"].([]any)[0] = "changed"
			ci.Attributes["new"] = true
			ci.Identifiers[0].Value = "changed"
		}
		scribble(res.CI)
		got, _ := s.GetCI(ctx, id)
		scribble(got)
		byID, _ := s.CIsByIDs(ctx, []string{id})
		scribble(byID[id])
		page, _ := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
		scribble(page.CIs[0])
		batch, _ := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{{ID: id}}})
		scribble(batch.CIs[0])
		if got := TakeSnapshot(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("callers changed the store through returned values:\n got %+v\nwant %+v", got, want)
		}
	}},
	{"Provenance", func(ctx context.Context, t *testing.T, s graph.Store) {
		in := Input("a", graph.ClassServer)
		in.Source, in.Scope = "nmap", "x"
		res, err := s.UpsertCI(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.CI.Provenance[graph.FieldName].Source != "nmap" {
			t.Fatalf("provenance %+v", res.CI.Provenance)
		}
		res.CI.Provenance[graph.FieldName] = graph.Origin{Source: "evil"}
		got := mustGet(ctx, t, s, res.CI.ID)
		got.Provenance[graph.FieldStatus] = graph.Origin{Source: "evil"}
		again := mustGet(ctx, t, s, res.CI.ID)
		if again.Provenance[graph.FieldName].Source != "nmap" || again.Provenance[graph.FieldStatus].Source != "nmap" {
			t.Fatalf("a caller changed the stored provenance: %+v", again.Provenance)
		}
	}},
	{"Records", func(ctx context.Context, t *testing.T, s graph.Store) {
		ci := mustCI(ctx, t, s, "a", graph.ClassServer)
		start, end := graph.Now(), graph.Now().Add(time.Hour)
		in := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: &start, End: &end,
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Refs: []string{"PROBLEM:x"}, Doc: json.RawMessage(`{"a":1}`)}
		out := mustPut(ctx, t, s, in, 0)
		want, _ := s.GetRecord(ctx, graph.KindIncident, in.ID)
		scribble := func(r graph.Record) {
			*r.Start = r.Start.Add(time.Hour)
			*r.End = r.End.Add(time.Hour)
			r.Links[0].CI = "changed"
			r.Refs[0] = "changed"
			r.Doc[1] = 'X'
		}
		scribble(in)
		scribble(out)
		got, _ := s.GetRecord(ctx, graph.KindIncident, in.ID)
		scribble(got)
		byID, _ := s.RecordsByIDs(ctx, graph.KindIncident, []string{in.ID})
		scribble(byID[in.ID])
		page, _ := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{}, graph.Page{})
		scribble(page.Records[0])
		h, _ := s.History(ctx, in.ID, graph.Page{})
		h.Entries[0].After[1] = 'X'
		h.Entries[0].About[0] = "changed"
		if got, _ := s.GetRecord(ctx, graph.KindIncident, in.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("callers changed the store through records:\n got %+v\nwant %+v", got, want)
		}
		if h, _ := s.History(ctx, in.ID, graph.Page{}); string(h.Entries[0].After) != `{"a":1}` || h.Entries[0].About[0] != in.ID {
			t.Fatalf("callers changed the history: %+v", h.Entries[0])
		}
	}},
}

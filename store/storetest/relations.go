package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

var relationCases = []testCase{
	{"RelateIsIdempotentAndListable", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		vm := mustCI(ctx, t, s, "vm", graph.ClassVirtualMachine)
		r1, err := s.Relate(ctx, app.ID, graph.RelDependsOn, db.ID)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := s.Relate(ctx, app.ID, graph.RelDependsOn, db.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r1.CreatedAt.Equal(r2.CreatedAt) || r1.Key() != r2.Key() {
			t.Fatalf("relating twice made a new relation: %+v vs %+v", r1, r2)
		}
		mustRelate(ctx, t, s, app, graph.RelRunsOn, vm)
		mustRelate(ctx, t, s, db, graph.RelRunsOn, vm)

		out, err := s.RelationsOf(ctx, []string{app.ID, vm.ID, db.ID}, graph.Outgoing, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantOut := []graph.RelationKey{
			{From: app.ID, Type: graph.RelDependsOn, To: db.ID},
			{From: app.ID, Type: graph.RelRunsOn, To: vm.ID},
		}
		if got := keys(out[app.ID]); !reflect.DeepEqual(got, wantOut) {
			t.Fatalf("outgoing of app: got %v, want %v (sorted by type)", got, wantOut)
		}
		if _, ok := out[vm.ID]; ok {
			t.Fatalf("vm has no outgoing relations but is in the map: %v", out[vm.ID])
		}
		in, err := s.RelationsOf(ctx, []string{vm.ID}, graph.Incoming, []string{graph.RelRunsOn})
		if err != nil {
			t.Fatal(err)
		}
		if len(in[vm.ID]) != 2 {
			t.Fatalf("incoming RUNS_ON of vm: %v", in[vm.ID])
		}
		both, err := s.RelationsOf(ctx, []string{db.ID}, graph.Both, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(both[db.ID]) != 2 {
			t.Fatalf("both directions of db: %v", both[db.ID])
		}
		filtered, err := s.RelationsOf(ctx, []string{app.ID}, graph.Outgoing, []string{graph.RelDependsOn})
		if err != nil {
			t.Fatal(err)
		}
		if len(filtered[app.ID]) != 1 {
			t.Fatalf("type filter: %v", filtered[app.ID])
		}
	}},
	{"RelateRejectsBadInput", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		srv := mustCI(ctx, t, s, "srv", graph.ClassServer)
		rack := mustCI(ctx, t, s, "rack", graph.ClassRack)
		svc := mustCI(ctx, t, s, "shop", graph.ClassBusinessService)
		tests := []struct {
			name          string
			from, typ, to string
			code          graph.Code
			field         string
		}{
			{"unknown type", app.ID, "LIKES", srv.ID, graph.CodeInvalidInput, "type"},
			{"lower-case type", app.ID, "depends_on", srv.ID, graph.CodeInvalidInput, "type"},
			{"malformed from", "1", graph.RelDependsOn, srv.ID, graph.CodeInvalidInput, "from"},
			{"malformed to", app.ID, graph.RelDependsOn, "", graph.CodeInvalidInput, "to"},
			{"missing from", graph.NewID(), graph.RelDependsOn, srv.ID, graph.CodeNotFound, "from"},
			{"missing to", app.ID, graph.RelDependsOn, graph.NewID(), graph.CodeNotFound, "to"},
			{"self", app.ID, graph.RelDependsOn, app.ID, graph.CodeInvalidInput, "to"},
			{"member of a non-group", app.ID, graph.RelMemberOf, srv.ID, graph.CodeInvalidInput, "type"},
			{"rack depends on service", rack.ID, graph.RelDependsOn, svc.ID, graph.CodeInvalidInput, "type"},
			{"runs on a service", app.ID, graph.RelRunsOn, svc.ID, graph.CodeInvalidInput, "type"},
			{"contains a service", rack.ID, graph.RelContains, svc.ID, graph.CodeInvalidInput, "type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Relate(ctx, tt.from, tt.typ, tt.to)
				WantErr(t, err, tt.code, tt.field)
			})
		}
		if n := countRelations(ctx, t, s, app, srv, rack, svc); n != 0 {
			t.Fatalf("%d relations after rejected relates, want 0", n)
		}
	}},
	{"Unrelate", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		db := mustCI(ctx, t, s, "db", graph.ClassDatabase)
		mustRelate(ctx, t, s, app, graph.RelDependsOn, db)
		removed, err := s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID)
		if err != nil || !removed {
			t.Fatalf("Unrelate = %v, %v; want true", removed, err)
		}
		removed, err = s.Unrelate(ctx, app.ID, graph.RelDependsOn, db.ID)
		if err != nil || removed {
			t.Fatalf("second Unrelate = %v, %v; want false, nil", removed, err)
		}
		_, err = s.Unrelate(ctx, app.ID, "NOPE", db.ID)
		WantErr(t, err, graph.CodeInvalidInput, "type")
		_, err = s.Unrelate(ctx, "x", graph.RelDependsOn, db.ID)
		WantErr(t, err, graph.CodeInvalidInput, "from")
		if n := countRelations(ctx, t, s, app); n != 0 {
			t.Fatalf("%d relations left", n)
		}
	}},
	{"RelationsOfRejectsUnknownType", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		_, err := s.RelationsOf(ctx, []string{app.ID}, graph.Outgoing, []string{graph.RelDependsOn, "BOGUS"})
		WantErr(t, err, graph.CodeInvalidInput, "types[1]")
		_, err = s.RelationsOf(ctx, []string{app.ID}, graph.Direction("UP"), nil)
		WantErr(t, err, graph.CodeInvalidInput, "direction")
	}},
}

func keys(rels []graph.Relation) []graph.RelationKey {
	out := make([]graph.RelationKey, len(rels))
	for i, r := range rels {
		out[i] = r.Key()
	}
	return out
}

func byIdent(kind, value string) graph.CIRef {
	id := Ident(kind, value)
	return graph.CIRef{Identifier: &id}
}

var batchCases = []testCase{
	// Imports are applied in batches on every store (importers/apply.go):
	// a store that took a whole run in one transaction would hold all of
	// it in memory until the commit (1.5 GB for 60,000 CSV rows on the
	// embedded store). Each batch is one Apply, atomic like any other.
	{"PrefersBoundedImportBatches", func(ctx context.Context, t *testing.T, s graph.Store) {
		sizer, ok := s.(interface{ PreferredBatchSize() int })
		if !ok {
			t.Fatalf("%T states no preferred import batch size", s)
		}
		if n := sizer.PreferredBatchSize(); n <= 0 || n > 50000 {
			t.Fatalf("preferred import batch %d, want a bounded positive size", n)
		}
	}},
	{"ApplyCreatesAndRelatesByIdentifier", func(ctx context.Context, t *testing.T, s graph.Store) {
		existing := mustCI(ctx, t, s, "db", graph.ClassDatabase, Ident("serial", "DB"))
		b := graph.Batch{
			Upserts: []graph.CIInput{
				Input("app", graph.ClassApplication, Ident("app-id", "shop")),
				Input("vm", graph.ClassVirtualMachine, Ident("serial", "VM")),
				{Owner: Ptr("dba"), Identifiers: []graph.Identifier{Ident("serial", "DB")}},
			},
			Relate: []graph.BatchRelation{
				{From: byIdent("app-id", "shop"), Type: graph.RelRunsOn, To: byIdent("serial", "VM")},
				{From: byIdent("app-id", "shop"), Type: graph.RelDependsOn, To: graph.CIRef{ID: existing.ID}},
			},
		}
		res, err := s.Apply(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 || res.Updated != 1 || res.Unchanged != 0 || res.RelationsCreated != 2 || len(res.CIs) != 3 {
			t.Fatalf("result %+v, want 2 created, 1 updated, 2 relations, 3 CIs", res)
		}
		if res.CIs[2].ID != existing.ID || res.CIs[2].Owner != "dba" {
			t.Fatalf("third upsert did not update the existing db: %+v", res.CIs[2])
		}
		if n := countRelations(ctx, t, s, res.CIs[0]); n != 2 {
			t.Fatalf("app has %d relations, want 2", n)
		}
		// Re-applying the same batch is a no-op.
		again, err := s.Apply(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if again.Created != 0 || again.Updated != 0 || again.Unchanged != 3 || again.RelationsCreated != 0 {
			t.Fatalf("re-apply %+v, want everything unchanged", again)
		}
		// Unrelate in a batch.
		rm, err := s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{
			{From: graph.CIRef{ID: res.CIs[0].ID}, Type: graph.RelRunsOn, To: byIdent("serial", "VM")},
			{From: graph.CIRef{ID: res.CIs[0].ID}, Type: graph.RelHostedOn, To: byIdent("serial", "VM")},
		}})
		if err != nil || rm.RelationsRemoved != 1 {
			t.Fatalf("unrelate batch = %+v, %v; want 1 removed", rm, err)
		}
	}},
	{"FailedApplyWritesNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		keep := mustCI(ctx, t, s, "keep", graph.ClassServer, Ident("serial", "K"))
		tests := []struct {
			name  string
			batch graph.Batch
			code  graph.Code
			field string
		}{
			{"bad upsert at the end", graph.Batch{Upserts: []graph.CIInput{
				Input("a", graph.ClassServer, Ident("serial", "A")),
				{ID: keep.ID, Name: Ptr("renamed")},
				Input("", graph.ClassServer),
			}}, graph.CodeInvalidInput, "upserts[2].name"},
			{"conflict in the middle", graph.Batch{Upserts: []graph.CIInput{
				Input("a", graph.ClassServer, Ident("serial", "A")),
				Input("b", graph.ClassServer, Ident("serial", "B")),
				{Identifiers: []graph.Identifier{Ident("serial", "B"), Ident("serial", "K")}},
			}}, graph.CodeConflict, "upserts[2].identifiers"},
			{"relation to nothing", graph.Batch{
				Upserts: []graph.CIInput{Input("a", graph.ClassServer, Ident("serial", "A"))},
				Relate:  []graph.BatchRelation{{From: byIdent("serial", "A"), Type: graph.RelDependsOn, To: byIdent("serial", "MISSING")}},
			}, graph.CodeNotFound, "relate[0].to"},
			{"forbidden relation", graph.Batch{
				Upserts: []graph.CIInput{Input("a", graph.ClassServer, Ident("serial", "A"))},
				Relate: []graph.BatchRelation{
					{From: byIdent("serial", "A"), Type: graph.RelDependsOn, To: byIdent("serial", "K")},
					{From: byIdent("serial", "A"), Type: graph.RelMemberOf, To: byIdent("serial", "K")},
				},
			}, graph.CodeInvalidInput, "relate[1].type"},
			{"empty reference", graph.Batch{
				Relate: []graph.BatchRelation{{From: graph.CIRef{}, Type: graph.RelDependsOn, To: graph.CIRef{ID: keep.ID}}},
			}, graph.CodeInvalidInput, "relate[0].from"},
			{"unrelate of a missing CI", graph.Batch{
				Upserts:  []graph.CIInput{Input("a", graph.ClassServer, Ident("serial", "A"))},
				Unrelate: []graph.BatchRelation{{From: byIdent("serial", "A"), Type: graph.RelDependsOn, To: graph.CIRef{ID: graph.NewID()}}},
			}, graph.CodeNotFound, "unrelate[0].to"},
			{"identifier claimed earlier in the batch", graph.Batch{Upserts: []graph.CIInput{
				Input("a", graph.ClassServer, Ident("serial", "A")),
				{ID: keep.ID, Identifiers: []graph.Identifier{Ident("ip", "10.0.0.1"), Ident("serial", "A")}},
			}}, graph.CodeConflict, "upserts[1].identifiers[1]"},
			{"unknown type in unrelate", graph.Batch{
				Upserts:  []graph.CIInput{Input("a", graph.ClassServer, Ident("serial", "A"))},
				Unrelate: []graph.BatchRelation{{From: byIdent("serial", "A"), Type: "NOPE", To: graph.CIRef{ID: keep.ID}}},
			}, graph.CodeInvalidInput, "unrelate[0].type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Apply(ctx, tt.batch)
				WantErr(t, err, tt.code, tt.field)
				if n := countCIs(ctx, t, s); n != 1 {
					t.Fatalf("%d CIs after a failed batch, want 1", n)
				}
				if got := mustGet(ctx, t, s, keep.ID); !sameStored(got, keep) {
					t.Fatalf("failed batch changed an existing CI: %+v", got)
				}
				if n := countRelations(ctx, t, s, keep); n != 0 {
					t.Fatalf("failed batch left %d relations", n)
				}
			})
		}
	}},
	{"LongBatchFailingAtItsLastItemWritesNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		var b graph.Batch
		for i := 0; i < 500; i++ {
			b.Upserts = append(b.Upserts, Input(fmt.Sprintf("ci-%03d", i), graph.ClassApplication, Ident("test", fmt.Sprint(i))))
			if i > 0 {
				b.Relate = append(b.Relate, graph.BatchRelation{
					From: byIdent("test", fmt.Sprint(i)), Type: graph.RelDependsOn, To: byIdent("test", fmt.Sprint(i-1)),
				})
			}
		}
		// The very last item is bad: everything before it must roll back.
		b.Relate = append(b.Relate, graph.BatchRelation{From: byIdent("test", "1"), Type: graph.RelMemberOf, To: byIdent("test", "2")})
		_, err := s.Apply(ctx, b)
		WantErr(t, err, graph.CodeInvalidInput, fmt.Sprintf("relate[%d].type", len(b.Relate)-1))
		if n := countCIs(ctx, t, s); n != 0 {
			t.Fatalf("failed batch left %d CIs", n)
		}
		if owners, err := s.LookupIdentifiers(ctx, []graph.Identifier{Ident("test", "0"), Ident("test", "499")}); err != nil || len(owners) != 0 {
			t.Fatalf("failed batch left identifiers: %v, %v", owners, err)
		}
		// Without the bad item the same batch applies in full.
		b.Relate = b.Relate[:len(b.Relate)-1]
		res, err := s.Apply(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 500 || res.RelationsCreated != 499 {
			t.Fatalf("result %+v, want 500 CIs and 499 relations created", res)
		}
		// Each relation joins two of the CIs, so it counts twice.
		if n := countRelations(ctx, t, s, res.CIs...); n != 2*499 {
			t.Fatalf("%d relation ends stored, want %d", n, 2*499)
		}
	}},
	{"ClassChangeRechecksRelations", func(ctx context.Context, t *testing.T, s graph.Store) {
		web := mustCI(ctx, t, s, "web", graph.ClassServer, Ident("serial", "W"))
		group := mustCI(ctx, t, s, "tier", graph.ClassCluster, Ident("serial", "G"))
		mustRelate(ctx, t, s, web, graph.RelMemberOf, group)
		// Moved to a class that may not be a group: the MEMBER_OF relation
		// would break, so the whole batch is refused. (By id: a class change
		// by identifier match is a CONFLICT, see the CI cases.)
		_, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{
			{ID: web.ID, Class: Ptr(graph.ClassVirtualMachine)},
			{ID: group.ID, Class: Ptr(graph.ClassServer)},
		}})
		WantErr(t, err, graph.CodeInvalidInput, "upserts[1].class")
		if got := mustGet(ctx, t, s, web.ID); got.Class != graph.ClassServer {
			t.Fatalf("failed batch changed web to %s", got.Class)
		}
		// Another group class keeps the relation valid.
		res, err := s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{
			{ID: web.ID, Class: Ptr(graph.ClassVirtualMachine)},
			{ID: group.ID, Class: Ptr(graph.ClassKubernetesCluster)},
		}})
		if err != nil || res.Updated != 2 {
			t.Fatalf("valid class changes: %+v, %v", res, err)
		}
	}},
	{"RelateAndUnrelateInOneBatch", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassApplication)
		b := mustCI(ctx, t, s, "b", graph.ClassApplication)
		// Relates run before unrelates: a relation made and removed by one
		// batch counts once each way and is not left behind.
		rel := graph.BatchRelation{From: graph.CIRef{ID: a.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: b.ID}}
		res, err := s.Apply(ctx, graph.Batch{Relate: []graph.BatchRelation{rel, rel}, Unrelate: []graph.BatchRelation{rel, rel}})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRelations(ctx, t, s, a, b); res.RelationsCreated != 1 || res.RelationsRemoved != 1 || n != 0 {
			t.Fatalf("result %+v with %d relation ends stored; want 1 created, 1 removed, none left", res, n)
		}
		// With one relation already there, relating it again creates
		// nothing, and removing both the new and the old one removes two.
		mustRelate(ctx, t, s, a, graph.RelDependsOn, b)
		back := graph.BatchRelation{From: graph.CIRef{ID: b.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: a.ID}}
		res, err = s.Apply(ctx, graph.Batch{
			Relate:   []graph.BatchRelation{back, back, rel},
			Unrelate: []graph.BatchRelation{back, rel, rel},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRelations(ctx, t, s, a, b); res.RelationsCreated != 1 || res.RelationsRemoved != 2 || n != 0 {
			t.Fatalf("result %+v with %d relation ends stored; want 1 created, 2 removed, none left", res, n)
		}
	}},
	{"EmptyBatchIsFine", func(ctx context.Context, t *testing.T, s graph.Store) {
		res, err := s.Apply(ctx, graph.Batch{})
		if err != nil || len(res.CIs) != 0 {
			t.Fatalf("empty batch: %+v, %v", res, err)
		}
	}},
}

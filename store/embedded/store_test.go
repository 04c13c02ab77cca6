package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestFailedApplyLeavesDiskAndMemoryUntouched(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	app := storetest.MustCI(t, s, "app", graph.ClassApplication, storetest.Ident("app-id", "shop"))
	db := storetest.MustCI(t, s, "db", graph.ClassDatabase, storetest.Ident("serial", "DB"))
	storetest.MustRelate(t, s, app, graph.RelDependsOn, db)
	before := storetest.TakeSnapshot(t, s)
	histories := func() [][]graph.AuditEntry {
		return [][]graph.AuditEntry{storetest.FullHistory(t, s, app.ID, 10), storetest.FullHistory(t, s, db.ID, 10)}
	}
	histBefore := histories()

	// Every kind of staged change, then a failure in the very last step.
	_, err := s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{
			storetest.Input("vm", graph.ClassVirtualMachine, storetest.Ident("serial", "VM")),
			{ID: db.ID, Name: storetest.Ptr("db-renamed"), Identifiers: []graph.Identifier{storetest.Ident("fqdn", "db.example.com")}},
		},
		Relate: []graph.BatchRelation{{From: graph.CIRef{ID: db.ID}, Type: graph.RelRunsOn, To: graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("serial", "VM"))}}},
		Unrelate: []graph.BatchRelation{
			{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: db.ID}},
			{From: graph.CIRef{ID: app.ID}, Type: "NOPE", To: graph.CIRef{ID: db.ID}},
		},
	})
	storetest.WantErr(t, err, graph.CodeInvalidInput, "unrelate[1].type")

	if got := storetest.TakeSnapshot(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("memory changed by a failed batch:\n got %+v\nwant %+v", got, before)
	}
	if got := histories(); !reflect.DeepEqual(got, histBefore) {
		t.Fatalf("a failed batch left audit entries: %+v", got)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	// The identifiers the failed batch claimed must still be free.
	if _, err := s.UpsertCI(ctx, storetest.Input("other", graph.ClassServer, storetest.Ident("fqdn", "db.example.com"), storetest.Ident("serial", "VM"))); err != nil {
		t.Fatalf("identifiers of a failed batch stayed claimed: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	after := storetest.TakeSnapshot(t, s)
	if len(after.CIs) != len(before.CIs)+1 || !reflect.DeepEqual(after.Relations, before.Relations) {
		t.Fatalf("disk differs from what was committed: %+v", after)
	}
}

func TestSecondOpenOfADirectoryIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir)
	start := time.Now()
	_, err := Open(context.Background(), dir, nil)
	storetest.WantErr(t, err, graph.CodeUnavailable, "")
	if !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Fatalf("error does not name the locked file: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %v for the lock", d)
	}
}

// TestDroppedRelationTypeSurvivesReopen opens a file with a catalogue that
// no longer knows a relation type the file uses.
func TestDroppedRelationTypeSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	a := storetest.MustCI(t, s, "a", graph.ClassApplication)
	b := storetest.MustCI(t, s, "b", graph.ClassApplication)
	storetest.MustRelate(t, s, a, graph.RelConnectsTo, b)
	storetest.MustRelate(t, s, a, graph.RelDependsOn, b)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	def := graph.DefaultCatalogue()
	var rels []graph.RelationType
	for _, rt := range def.RelationTypes() {
		if rt.Name != graph.RelConnectsTo {
			rels = append(rels, rt)
		}
	}
	cat, err := graph.NewCatalogue(def.Classes(), rels)
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	got, err := s.RelationsOf(ctx, []string{a.ID}, graph.Outgoing, nil)
	if err != nil || len(got[a.ID]) != 2 {
		t.Fatalf("RelationsOf = %v, %v; want both relations, the unknown type included", got, err)
	}
	// A class change is judged only by relation types the catalogue knows.
	if _, err := s.UpsertCI(ctx, graph.CIInput{ID: b.ID, Class: storetest.Ptr(graph.ClassDatabase)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RelationsOf(ctx, []string{a.ID}, graph.Both, nil); len(got) != 0 {
		t.Fatalf("relations of a deleted CI survive: %v", got)
	}
}

func TestOpenRefusesDamagedFiles(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"future schema", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) }},
		{"dangling relation", func(tx *bolt.Tx) error {
			k := graph.RelationKey{From: graph.NewID(), Type: graph.RelDependsOn, To: graph.NewID()}
			v, _ := encodeRel(graph.Relation{From: k.From, Type: k.Type, To: k.To})
			return tx.Bucket(bucketRels).Put(relKey(k), v)
		}},
		{"identifier of nobody", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdents).Put(identKey(storetest.Ident("serial", "X")), []byte(graph.NewID()))
		}},
		{"unindexed identifier", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdents).Delete(identKey(storetest.Ident("serial", "A")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir)
			storetest.MustCI(t, s, "a", graph.ClassServer, storetest.Ident("serial", "A"))
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(ctx, dir, nil); err == nil {
				t.Fatal("Open accepted a damaged file")
			}
		})
	}
}

// TestConcurrentReadsAndWrites runs traversals and listings while batches
// commit; with -race it checks the locking.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ids := storetest.BuildRandomGraph(t, s, 200, 600, 3)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: ids[:2], MaxDepth: 6}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListCIs(ctx, graph.CIFilter{Search: "ci-"}, graph.Page{First: 20}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: ids[0], States: []string{"NEW"}}, graph.Page{First: 5}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.History(ctx, ids[0], graph.Page{First: 5}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Sightings(ctx, scopeNmap); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.SightingsOf(ctx, ids[:20]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		newRef := graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("new", fmt.Sprint(i)))}
		rel := graph.BatchRelation{From: newRef, Type: graph.RelDependsOn, To: graph.CIRef{ID: ids[0]}}
		b := graph.Batch{Upserts: []graph.CIInput{storetest.Input(fmt.Sprintf("new-%d", i), graph.ClassApplication, storetest.Ident("new", fmt.Sprint(i)))},
			Relate: []graph.BatchRelation{rel}, Ledger: run(scopeNmap, int64(i), time.Now())}
		b.Ledger.SeenCIs = []graph.CIRef{newRef, {ID: ids[i]}, {ID: ids[len(ids)-1-i]}}
		b.Ledger.SeenRelations = []graph.BatchRelation{rel}
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutRecord(ctx, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW",
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: ids[0]}}, Doc: []byte(`{}`)}, 0); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := s.DeleteCI(ctx, ids[len(ids)-1-i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	storetest.CheckAuditAgreesWithData(t, s)
}

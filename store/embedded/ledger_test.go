package embedded

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// Scopes that only the key, not the JSON of a header, can carry intact.
var (
	scopeNmap  = graph.ScopeKey{Source: "nmap", Scope: "nmap:10.0.0.0/24"}
	scopeK8s   = graph.ScopeKey{Source: "kubernetes", Scope: "prod/eu ü"}
	scopeBytes = graph.ScopeKey{Source: "csv", Scope: "export-ñ.csv"}
)

// ledgerState is everything the ledger reads return about some scopes and
// CIs.
type ledgerState struct {
	Scopes    []graph.ScopeState
	Sightings [][]graph.Sighting
	Of        map[string][]graph.Sighting
}

func takeLedger(t testing.TB, s *Store, ids []string, scopes ...graph.ScopeKey) ledgerState {
	t.Helper()
	ctx := context.Background()
	var st ledgerState
	for _, k := range scopes {
		h, err := s.Scope(ctx, k)
		if err != nil {
			t.Fatalf("Scope(%q): %v", k, err)
		}
		sg, err := s.Sightings(ctx, k)
		if err != nil {
			t.Fatalf("Sightings(%q): %v", k, err)
		}
		st.Scopes, st.Sightings = append(st.Scopes, h), append(st.Sightings, sg)
	}
	of, err := s.SightingsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	st.Of = of
	return st
}

func mustApply(t testing.TB, s *Store, b graph.Batch) graph.BatchResult {
	t.Helper()
	res, err := s.Apply(context.Background(), b)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func run(k graph.ScopeKey, gen int64, at time.Time) *graph.LedgerWrite {
	return &graph.LedgerWrite{ScopeKey: k, ExpectGeneration: gen, RunID: graph.NewID(), At: at}
}

func idRef(id string) graph.CIRef { return graph.CIRef{ID: id} }

// ledgerFixture makes three CIs and two relations, sighted in three scopes
// with run times in other zones and below the microsecond.
func ledgerFixture(t testing.TB, s *Store) []string {
	t.Helper()
	res := mustApply(t, s, graph.Batch{Upserts: []graph.CIInput{
		storetest.Input("app", graph.ClassApplication, storetest.Ident("hostname", "app")),
		storetest.Input("db", graph.ClassDatabase, storetest.Ident("hostname", "db")),
		storetest.Input("host", graph.ClassServer, storetest.Ident("ip", "10.0.0.1")),
	}})
	ids := []string{res.CIs[0].ID, res.CIs[1].ID, res.CIs[2].ID}
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, paris)
	dep := graph.BatchRelation{From: idRef(ids[0]), Type: graph.RelDependsOn, To: idRef(ids[1])}
	runsOn := graph.BatchRelation{From: idRef(ids[0]), Type: graph.RelRunsOn, To: idRef(ids[2])}
	w := run(scopeNmap, 0, at)
	w.SeenCIs = []graph.CIRef{idRef(ids[0]), idRef(ids[1]), idRef(ids[2])}
	w.SeenRelations = []graph.BatchRelation{dep, runsOn}
	mustApply(t, s, graph.Batch{Relate: []graph.BatchRelation{dep, runsOn}, Ledger: w})
	w = run(scopeNmap, 1, at.Add(time.Hour))
	w.SeenCIs = []graph.CIRef{idRef(ids[0])}
	w.SeenRelations = []graph.BatchRelation{runsOn}
	w.MissedCIs = []graph.MissedCI{{CI: ids[1], Missed: 1}, {CI: ids[2], Missed: 3}}
	w.MissedRelations = []graph.MissedRelation{{Relation: graph.RelationKey{From: ids[0], Type: graph.RelDependsOn, To: ids[1]}, Missed: 1}}
	mustApply(t, s, graph.Batch{Ledger: w})
	for _, k := range []graph.ScopeKey{scopeK8s, scopeBytes} {
		w = run(k, 0, at.Add(2*time.Hour))
		w.SeenCIs = []graph.CIRef{idRef(ids[0]), {Identifier: storetest.Ptr(storetest.Ident("ip", " 10.0.0.1 "))}}
		w.SeenRelations = []graph.BatchRelation{runsOn}
		mustApply(t, s, graph.Batch{Ledger: w})
	}
	return ids
}

func TestLedgerSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ids := ledgerFixture(t, s)
	scopes := []graph.ScopeKey{scopeNmap, scopeK8s, scopeBytes, {Source: "nmap", Scope: "never"}}
	before := takeLedger(t, s, ids, scopes...)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	after := takeLedger(t, s, ids, scopes...)
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("ledger differs after reopen:\n got %+v\nwant %+v", after, before)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	// What the fixture wrote, as read after the reopen.
	want := time.Date(2026, 3, 1, 11, 0, 0, 123456789, time.UTC)
	h := after.Scopes[0]
	if h.Generation != 2 || !h.LastApplied.Equal(want.Add(time.Hour)) || h.LastApplied.Location() != time.UTC {
		t.Fatalf("nmap header %+v", h)
	}
	if h := after.Scopes[3]; h.Generation != 0 || h.LastRun != "" {
		t.Fatalf("unknown scope header %+v", h)
	}
	sg := after.Sightings[0]
	if len(sg) != 5 || sg[3].Relation == nil || sg[4].Relation == nil || !sg[3].Relation.Less(*sg[4].Relation) {
		t.Fatalf("nmap sightings %+v", sg)
	}
	for _, x := range sg {
		if x.FirstSeen != want || x.LastSeen.Location() != time.UTC {
			t.Fatalf("sighting %+v: first seen %v, want %v in UTC", x, x.FirstSeen, want)
		}
		if x.CI == ids[2] && (x.Missed != 3 || x.LastSeen != want) {
			t.Fatalf("host sighting %+v", x)
		}
	}
	if of := after.Of[ids[2]]; len(of) != 3 || of[0].ScopeKey != scopeBytes || of[1].ScopeKey != scopeK8s || of[2].ScopeKey != scopeNmap {
		t.Fatalf("SightingsOf(host) = %+v", of)
	}
	// The reopened store goes on from the stored generations.
	w := run(scopeK8s, 1, want.Add(24*time.Hour))
	w.ForgetCIs = []string{ids[0]}
	mustApply(t, s, graph.Batch{Ledger: w})
	if got := takeLedger(t, s, nil, scopeK8s); got.Scopes[0].Generation != 2 || len(got.Sightings[0]) != 2 {
		t.Fatalf("after a run on the reopened store: %+v", got)
	}
}

// TestOpenUpgradesSchemaV2 opens a file as version 2 left it: no ledger
// buckets.
func TestOpenUpgradesSchemaV2(t *testing.T) {
	ctx := context.Background()
	s, a, b, histBefore := upgraded(t, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketScopes, bucketSightings} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaV2))
	})
	if h := storetest.FullHistory(t, s, a.ID, 10); !reflect.DeepEqual(h, histBefore) {
		t.Fatalf("upgrade changed the history")
	}
	if st := takeLedger(t, s, []string{a.ID}, scopeNmap); st.Scopes[0].Generation != 0 || len(st.Sightings[0]) != 0 || len(st.Of) != 0 {
		t.Fatalf("ledger after the upgrade: %+v", st)
	}
	w := run(scopeNmap, 0, time.Now())
	w.SeenCIs = []graph.CIRef{idRef(a.ID), idRef(b.ID)}
	mustApply(t, s, graph.Batch{Ledger: w})
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if st := takeLedger(t, s, nil, scopeNmap); st.Scopes[0].Generation != 1 || len(st.Sightings[0]) != 1 {
		t.Fatalf("ledger after a run on the upgraded file: %+v", st)
	}
	checkSchemaIsCurrent(t, s)
}

func TestOpenRefusesDamagedLedger(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx, ids []string) error
	}{
		{"sighting of a missing CI", func(tx *bolt.Tx, _ []string) error {
			return tx.Bucket(bucketSightings).Put(ciSightingKey(scopeNmap, graph.NewID()), validSighting())
		}},
		{"sighting of a missing relation", func(tx *bolt.Tx, ids []string) error {
			k := graph.RelationKey{From: ids[1], Type: graph.RelDependsOn, To: ids[0]}
			return tx.Bucket(bucketSightings).Put(relSightingKey(scopeNmap, k), validSighting())
		}},
		{"sighting without a header", func(tx *bolt.Tx, ids []string) error {
			return tx.Bucket(bucketSightings).Put(ciSightingKey(graph.ScopeKey{Source: "x", Scope: "y"}, ids[0]), validSighting())
		}},
		{"malformed sighting key", func(tx *bolt.Tx, ids []string) error {
			return tx.Bucket(bucketSightings).Put([]byte("nmap\x00nmap:10.0.0.0/24\x00host:"+ids[0]), validSighting())
		}},
		{"sighting with a negative count", func(tx *bolt.Tx, ids []string) error {
			s := &sighting{first: time.Now(), last: time.Now(), run: graph.NewID(), missed: -1}
			v, _ := encodeSighting(s)
			return tx.Bucket(bucketSightings).Put(ciSightingKey(scopeNmap, ids[0]), v)
		}},
		{"header of generation 0", func(tx *bolt.Tx, _ []string) error {
			v, _ := encodeScope(&graph.ScopeState{LastRun: graph.NewID(), LastApplied: time.Now()})
			return tx.Bucket(bucketScopes).Put(scopeKeyBytes(scopeNmap), v)
		}},
		{"header of a bad source", func(tx *bolt.Tx, _ []string) error {
			v, _ := encodeScope(&graph.ScopeState{Generation: 1, LastRun: graph.NewID(), LastApplied: time.Now()})
			return tx.Bucket(bucketScopes).Put(scopeKeyBytes(graph.ScopeKey{Source: "Bad", Scope: "x"}), v)
		}},
		{"truncated header", func(tx *bolt.Tx, _ []string) error {
			b := tx.Bucket(bucketScopes)
			v := b.Get(scopeKeyBytes(scopeNmap))
			return b.Put(scopeKeyBytes(scopeNmap), append([]byte(nil), v[:len(v)/2]...))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir)
			ids := ledgerFixture(t, s)
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			withBolt(t, dir, func(tx *bolt.Tx) error { return tt.damage(tx, ids) })
			s, err := Open(ctx, dir, nil)
			if err == nil {
				_ = s.Close(ctx)
				t.Fatal("Open accepted a damaged file")
			}
			t.Log(err)
		})
	}
}

func validSighting() []byte {
	v, _ := encodeSighting(&sighting{first: time.Now(), last: time.Now(), run: graph.NewID()})
	return v
}

// TestLedgerFollowsRelationRemovals checks that every way of removing a
// relation drops its sightings in every scope, and only its own.
func TestLedgerFollowsRelationRemovals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ids := ledgerFixture(t, s)
	runsOn := graph.BatchRelation{From: idRef(ids[0]), Type: graph.RelRunsOn, To: idRef(ids[2])}
	// A batch's unrelate goes before its ledger write, so the ledger may
	// not name the relation the batch removes.
	w := run(scopeK8s, 1, time.Now())
	w.SeenRelations = []graph.BatchRelation{runsOn}
	_, err := s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{runsOn}, Ledger: w})
	storetest.WantErr(t, err, graph.CodeNotFound, "ledger.seenRelations[0]")
	w.SeenRelations = nil
	res := mustApply(t, s, graph.Batch{Unrelate: []graph.BatchRelation{runsOn}, Ledger: w})
	if res.RelationsRemoved != 1 {
		t.Fatalf("result %+v", res)
	}
	for _, k := range []graph.ScopeKey{scopeNmap, scopeK8s, scopeBytes} {
		for _, sg := range takeLedger(t, s, nil, k).Sightings[0] {
			if sg.Relation != nil && sg.Relation.Type == graph.RelRunsOn {
				t.Fatalf("scope %q kept a sighting of the removed relation: %+v", k, sg)
			}
		}
	}
	if got := takeLedger(t, s, nil, scopeNmap).Sightings[0]; len(got) != 4 || got[3].Relation.Type != graph.RelDependsOn {
		t.Fatalf("nmap sightings after the unrelate: %+v", got)
	}
	// Re-created, the relation starts afresh.
	w = run(scopeNmap, 2, time.Now())
	w.SeenRelations = []graph.BatchRelation{runsOn}
	mustApply(t, s, graph.Batch{Relate: []graph.BatchRelation{runsOn}, Ledger: w})
	// Deleting the database drops its sighting and the DEPENDS_ON one.
	if err := s.DeleteCI(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	got := takeLedger(t, s, ids, scopeNmap)
	if len(got.Sightings[0]) != 3 || got.Sightings[0][2].Relation == nil || got.Sightings[0][2].Relation.Type != graph.RelRunsOn {
		t.Fatalf("nmap sightings after DeleteCI: %+v", got.Sightings[0])
	}
	if _, ok := got.Of[ids[1]]; ok {
		t.Fatalf("SightingsOf(deleted) = %+v", got.Of[ids[1]])
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	mem := takeLedger(t, s, ids, scopeNmap, scopeK8s, scopeBytes)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	if disk := takeLedger(t, s, ids, scopeNmap, scopeK8s, scopeBytes); !reflect.DeepEqual(disk, mem) {
		t.Fatalf("disk and memory disagree:\n disk %+v\n  mem %+v", disk, mem)
	}
}

// TestFailedLedgerWriteLeavesDiskAndMemoryUntouched fails a batch in its
// ledger write, after upserts, relates and unrelates staged fine.
func TestFailedLedgerWriteLeavesDiskAndMemoryUntouched(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ids := ledgerFixture(t, s)
	scopes := []graph.ScopeKey{scopeNmap, scopeK8s, scopeBytes}
	snap, led := storetest.TakeSnapshot(t, s), takeLedger(t, s, ids, scopes...)
	w := run(scopeNmap, 2, time.Now())
	w.SeenCIs = []graph.CIRef{{Identifier: storetest.Ptr(storetest.Ident("serial", "new"))}, idRef(graph.NewID())}
	_, err := s.Apply(ctx, graph.Batch{
		Upserts:  []graph.CIInput{storetest.Input("new", graph.ClassServer, storetest.Ident("serial", "new"))},
		Relate:   []graph.BatchRelation{{From: idRef(ids[0]), Type: graph.RelRunsOn, To: graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("serial", "new"))}}},
		Unrelate: []graph.BatchRelation{{From: idRef(ids[0]), Type: graph.RelDependsOn, To: idRef(ids[1])}},
		Ledger:   w,
	})
	storetest.WantErr(t, err, graph.CodeNotFound, "ledger.seenCIs[1]")
	check := func(when string) {
		if !reflect.DeepEqual(storetest.TakeSnapshot(t, s), snap) || !reflect.DeepEqual(takeLedger(t, s, ids, scopes...), led) {
			t.Fatalf("%s: the failed batch left traces", when)
		}
	}
	check("in memory")
	w.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = s.Apply(ctx, graph.Batch{Ledger: w})
	storetest.WantErr(t, err, graph.CodeInvalidInput, "ledger.at")
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	check("on disk")
}

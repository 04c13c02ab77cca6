package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func mustPutRecord(t testing.TB, s *Store, r graph.Record, version int64) graph.Record {
	t.Helper()
	out, err := s.PutRecord(context.Background(), r, version)
	if err != nil {
		t.Fatalf("PutRecord(%s %s v%d): %v", r.Kind, r.ID, version, err)
	}
	return out
}

// TestListRecordsAgainstReference runs the conformance suite's reference
// check of ListRecords at the size that makes the record index use every
// plan it has, and again after reopening the file, so that the indexes
// rebuilt on open are checked too.
func TestListRecordsAgainstReference(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	storetest.RecordsAgainstReference(t, s, 900, func(graph.Store) graph.Store {
		if err := checkConsistency(s); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		s = openStore(t, dir)
		return s
	})
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

func tp(t time.Time) *time.Time { return &t }

// TestRecordsRoundTripExactly: documents come back byte for byte (no
// compaction or escaping), times in UTC, from memory, history and disk.
func TestRecordsRoundTripExactly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	doc1 := json.RawMessage("{ \"title\" : \"<db> & \\u00e9t\u00e9\",\n  \"n\": 1.50 }")
	doc2 := json.RawMessage(`[ 1, 2 ]`)
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2026, 3, 1, 10, 0, 0, 123456789, paris)
	r := graph.Record{Kind: graph.KindChange, ID: graph.NewID(), State: "NEW", Start: &start, Doc: doc1}
	v1 := mustPutRecord(t, s, r, 0)
	if string(v1.Doc) != string(doc1) || v1.Start.Location() != time.UTC || !v1.Start.Equal(start) || v1.Links != nil || v1.Refs != nil {
		t.Fatalf("put returned %+v (doc %s)", v1, v1.Doc)
	}
	r.Doc = doc2
	v2 := mustPutRecord(t, s, r, 1)
	h := storetest.FullHistory(t, s, r.ID, 10)
	if len(h) != 2 || string(h[0].Before) != string(doc1) || string(h[0].After) != string(doc2) || string(h[1].After) != string(doc1) || h[1].Before != nil {
		t.Fatalf("history %+v", h)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	got, err := s.GetRecord(ctx, graph.KindChange, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v2) {
		t.Fatalf("after reopen\n got %+v\nwant %+v", got, v2)
	}
	if h2 := storetest.FullHistory(t, s, r.ID, 1); !reflect.DeepEqual(h2, h) {
		t.Fatalf("history after reopen\n got %+v\nwant %+v", h2, h)
	}
}

// Deleting a CI leaves the records about it alone: an incident on a
// decommissioned server still happened. The record keeps the link, but it no
// longer lists under the missing CI and later writes may keep it (the
// shared rule, see storetest).
func TestRecordLinksSurviveCIDeletion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ci := storetest.MustCI(t, s, "old", graph.ClassServer)
	r := mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "CLOSED",
		Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Doc: json.RawMessage(`{}`)}, 0)
	if err := s.DeleteCI(ctx, ci.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir) // a dangling link is no reason to refuse the file
	p, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: ci.ID}, graph.Page{})
	if err != nil || len(p.Records) != 0 {
		t.Fatalf("records of the deleted CI: %+v, %v", p.Records, err)
	}
	if got, err := s.GetRecord(ctx, graph.KindIncident, r.ID); err != nil || got.Links[0].CI != ci.ID {
		t.Fatalf("record after reopen: %+v, %v", got, err)
	}
	// The record stays writable with its dangling link (see storetest).
	if r, err = s.PutRecord(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	r.Links = nil
	if _, err := s.PutRecord(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryOrderSurvivesAClockStepBack: entry ids keep growing after a
// restart even when the clock is behind the last entry written.
func TestHistoryOrderSurvivesAClockStepBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ci := storetest.MustCI(t, s, "a", graph.ClassServer)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Pretend the last write happened in 2200.
	future := futureID(t, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	withBolt(t, dir, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLastAudit, []byte(future)) })
	s = openStore(t, dir)
	for i := range 3 {
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: ci.ID, Owner: storetest.Ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	h := storetest.FullHistory(t, s, ci.ID, 10)
	storetest.CheckNewestFirst(t, ci.ID, h)
	if len(h) != 4 || h[0].ID <= future || h[3].Action != graph.ActionCreate {
		t.Fatalf("history %+v", h)
	}
}

func futureID(t *testing.T, at time.Time) string {
	t.Helper()
	u, err := uuid.NewV7FromReader(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	ms := at.UnixMilli()
	for i := 5; i >= 0; i-- {
		u[i] = byte(ms)
		ms >>= 8
	}
	return u.String()
}

func TestNextAuditID(t *testing.T) {
	last := futureID(t, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC))
	u := uuid.MustParse(last)
	for i := 9; i < 16; i++ {
		u[i] = 0xff // the next id carries into byte 8
	}
	last = u.String()
	for range 1000 {
		id := nextAuditID(last)
		p, err := uuid.Parse(id)
		if err != nil || graph.CheckID("id", id) != nil || id <= last || p.Version() != 7 || p.Variant() != uuid.RFC4122 {
			t.Fatalf("nextAuditID(%s) = %s (%v)", last, id, err)
		}
		last = id
	}
	if id := nextAuditID(""); graph.CheckID("id", id) != nil {
		t.Fatalf("first id %q", id)
	}
}

func withBolt(t *testing.T, dir string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenUpgradesSchemaV1 opens a file as version 1 left it: no records
// or audit buckets.
func TestOpenUpgradesSchemaV1(t *testing.T) {
	ctx := context.Background()
	s, a, b, _ := upgraded(t, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketAudit} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Delete(keyLastAudit); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaV1))
	})
	if h := storetest.FullHistory(t, s, a.ID, 10); len(h) != 0 {
		t.Fatalf("history before the upgrade: %+v", h)
	}
	mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), Links: []graph.RecordLink{{Role: "AFFECTS", CI: a.ID}}, Doc: json.RawMessage(`{}`)}, 0)
	if err := s.DeleteCI(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if h := storetest.FullHistory(t, s, a.ID, 10); len(h) != 1 || h[0].Action != graph.ActionUnrelate {
		t.Fatalf("history after the upgrade: %+v", h)
	}
	checkSchemaIsCurrent(t, s)
}

// upgraded writes CIs a -DEPENDS_ON-> b to a new file, turns the file into
// what an older version would have left (downgrade) and reopens it, which
// must upgrade it without changing the graph. It returns the reopened
// store, the CIs and a's history as it was before the downgrade.
func upgraded(t *testing.T, downgrade func(tx *bolt.Tx) error) (s *Store, a, b graph.CI, history []graph.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s = openStore(t, dir)
	a = storetest.MustCI(t, s, "a", graph.ClassApplication, storetest.Ident("serial", "A"))
	b = storetest.MustCI(t, s, "b", graph.ClassApplication)
	storetest.MustRelate(t, s, a, graph.RelDependsOn, b)
	before := storetest.TakeSnapshot(t, s)
	history = storetest.FullHistory(t, s, a.ID, 10)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	withBolt(t, dir, downgrade)
	s = openStore(t, dir)
	if got := storetest.TakeSnapshot(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("upgrade changed the graph")
	}
	return s, a, b, history
}

// checkSchemaIsCurrent fails unless the file records the current schema.
func checkSchemaIsCurrent(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySchema); string(v) != schemaVersion {
			return fmt.Errorf("schema %q after upgrade", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// recordDamage lists ways a records or audit bucket can be damaged that
// Open must refuse.
var recordDamage = []struct {
	name   string
	damage func(tx *bolt.Tx) error
}{
	{"record under another key", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		return b.Put(recordKey(graph.KindChange, strings.Repeat("0", 8)+string(k[len(k)-28:])), bytes.Clone(v))
	}},
	{"record of the wrong kind", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		id := string(k[bytes.IndexByte(k, 0)+1:])
		return b.Put(recordKey(graph.KindChange, id), bytes.Clone(v))
	}},
	{"truncated record", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		k, v := b.Cursor().First()
		return b.Put(bytes.Clone(k), bytes.Clone(v[:len(v)/2]))
	}},
	{"bad audit high-water mark", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLastAudit, []byte("x")) }},
}

func TestOpenRefusesDamagedRecords(t *testing.T) {
	for _, tt := range recordDamage {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir)
			mustPutRecord(t, s, graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), Doc: json.RawMessage(`{"x": [1, 2, 3]}`)}, 0)
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			withBolt(t, dir, tt.damage)
			if s, err := Open(ctx, dir, nil); err == nil {
				_ = s.Close(ctx)
				t.Fatal("Open accepted a damaged file")
			}
		})
	}
}

func TestAuditCodecRoundTrip(t *testing.T) {
	e := graph.AuditEntry{ID: graph.NewID(), At: graph.Now(), Actor: "ünïcode actor", Action: graph.ActionRelate,
		SubjectKind: graph.SubjectRelation, SubjectID: "a|B|c", About: []string{"a|B|c", "a", "c"}, After: json.RawMessage(`{"x":1}`)}
	b := encodeAudit(&e)
	got, err := decodeAudit(b)
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for i := range b {
		if _, err := decodeAudit(b[:i]); err == nil {
			t.Fatalf("decoded a truncation to %d bytes", i)
		}
	}
	if _, err := decodeAudit(append(bytes.Clone(b), 0)); err == nil {
		t.Fatal("decoded trailing garbage")
	}
}

// TestOpenUpgradesSchemaV3 opens a file as version 3 left it: no heads,
// relation values in JSON.
func TestOpenUpgradesSchemaV3(t *testing.T) {
	s, a, b, history := upgraded(t, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketHeads); err != nil {
			return err
		}
		if err := rewrite(tx.Bucket(bucketCIs), func(_, v []byte) ([]byte, error) {
			ci, err := decodeCI(v)
			if err != nil {
				return nil, err
			}
			return encodeCI(ci)
		}); err != nil {
			return err
		}
		rels := tx.Bucket(bucketRels)
		var keys [][]byte
		if err := rels.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil }); err != nil {
			return err
		}
		if len(keys) == 0 {
			return errors.New("no relation to downgrade")
		}
		for _, k := range keys {
			key, err := parseRelKey(k)
			if err != nil {
				return err
			}
			at, err := relValueCreatedAt(key, rels.Get(k))
			if err != nil {
				return err
			}
			v, err := encodeRel(graph.Relation{From: key.From, Type: key.Type, To: key.To, CreatedAt: microTime(at)})
			if err != nil {
				return err
			}
			if err := rels.Put(k, v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaV3))
	})
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	if got := storetest.FullHistory(t, s, a.ID, 10); !reflect.DeepEqual(got, history) {
		t.Fatalf("history after the upgrade:\n%+v\nwant\n%+v", got, history)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCIs).ForEach(func(k, v []byte) error {
			if v[0] != ciFormat {
				return fmt.Errorf("CI %s is still JSON", k)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCI(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	checkSchemaIsCurrent(t, s)
}

// rewrite replaces every value of b with what f makes of it.
func rewrite(b *bolt.Bucket, f func(k, v []byte) ([]byte, error)) error {
	var keys [][]byte
	if err := b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil }); err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("nothing to rewrite")
	}
	for _, k := range keys {
		v, err := f(k, b.Get(k))
		if err != nil {
			return err
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Package embedded is Ripple's default graph.Store: one bbolt file for
// durability and an in-memory image of the whole graph for reads, so that a
// blast-radius traversal is a breadth-first walk over slices rather than a
// round trip to a database.
//
// Writes are serialised. Each one is staged in a txn that reads through to
// the committed image, validated in full, written in a single bbolt
// transaction (fsynced on commit) and only then published to memory, so a
// failed write changes neither disk nor memory and a crash loses at most the
// write in flight.
//
// ITSM records live beside the graph: on disk in their own bucket, in
// memory whole, with per-kind indexes by id, state, linked CI, ref and
// time window (recindex.go). The audit trail lives on disk only, keyed so
// that one id's history is a single range scan (audit.go); each write's
// entries are staged with its changes and written in the same bbolt
// transaction, so history and data commit or vanish together.
//
// The import ledger (scope headers and sightings, ledger.go) is kept like
// the graph, on disk and whole in memory. A batch's ledger write is staged
// after the rest of the batch and commits with it; it is not audited.
package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "ripple.db"

// lockTimeout bounds the wait for bbolt's exclusive file lock. Another
// process holding the directory is a configuration mistake, and saying so
// quickly beats hanging at start-up.
const lockTimeout = time.Second

// initialMmapSize reserves address space for the file up front. bbolt
// remaps the file as it grows, and a remap inside a write transaction
// copies every node the transaction has touched out of the old mapping: a
// first import of 100,000 CIs into an empty file remapped a dozen times
// and allocated five times more than it wrote. Mapping past the end of the
// file costs only address space on Unix; Windows grows the file to the
// mapping, so it keeps bbolt's default, as do 32-bit builds.
func initialMmapSize() int {
	if runtime.GOOS == "windows" || strconv.IntSize < 64 {
		return 0
	}
	return 1 << 30
}

// Store is the embedded graph.Store. Open one per data directory; it is
// safe for concurrent use.
type Store struct {
	cat  *graph.Catalogue
	path string
	db   *bolt.DB

	// wmu serialises writers. A writer stages and commits while readers go
	// on reading the committed image, and takes mu only to publish, so an
	// fsync never blocks readers.
	wmu    sync.Mutex
	mu     sync.RWMutex
	mem    *memState
	closed bool

	// Fixed per catalogue, used by Neighbourhood to count group members.
	groupTypes   []int
	groupClasses map[string]bool

	visits sync.Pool  // *walk, reused across traversals
	groups groupCache // redundancy groups' attributes, for Neighbourhood

	// graphVersion counts the commits that changed the graph (see
	// GraphVersion); epoch tells this opening's counts from another's.
	graphVersion atomic.Uint64
	epoch        string
}

var _ graph.Store = (*Store)(nil)

// ImportBatch is how many writes an import puts in one transaction on
// this store. A bbolt transaction holds every page it dirties, with the
// staging of its CIs and audit entries, until it commits: a 60,000-row
// import in one transaction peaked at 1.5 GB. In batches (CIs, then
// relations, then staleness, each fenced on the scope; importers/apply.go)
// an import's memory follows one batch, and a batch that fails leaves
// nothing of itself, as on Neo4j.
const ImportBatch = 5000

// PreferredBatchSize is how many writes an import should put in one
// transaction (importers.BatchSizer).
func (s *Store) PreferredBatchSize() int { return ImportBatch }

// Open opens (creating if needed) the store in dir and loads it into
// memory. Only one process may hold a directory: a second Open fails with
// UNAVAILABLE after about a second. A nil catalogue means
// graph.DefaultCatalogue().
func Open(ctx context.Context, dir string, cat *graph.Catalogue) (*Store, error) {
	if cat == nil {
		cat = graph.DefaultCatalogue()
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, graph.Unavailable(err, "cannot create data directory %s", dir)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, InitialMmapSize: initialMmapSize()})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, graph.Unavailable(err, "data directory %s is in use by another process (cannot lock %s)", dir, path)
	}
	if err != nil {
		return nil, graph.Unavailable(err, "cannot open %s", path)
	}
	s := &Store{cat: cat, path: path, db: db, mem: newMemState(cat), groupClasses: map[string]bool{}, epoch: graph.NewID()}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	for _, name := range cat.GroupingTypes() {
		s.groupTypes = append(s.groupTypes, s.mem.typeIdx[name])
	}
	for _, cl := range cat.Classes() {
		if cl.RedundancyGroup {
			s.groupClasses[cl.Name] = true
		}
	}
	return s, nil
}

// init creates the buckets of a new file, checks the schema version of an
// old one and loads everything into memory.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketCIs, bucketHeads, bucketRels, bucketIdents, bucketRecords, bucketAudit, bucketAuditTime, bucketScopes, bucketSightings} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keySchema); {
		case v == nil, string(v) == schemaV1, string(v) == schemaV2, string(v) == schemaV3:
			// New, or an older version whose missing buckets were just
			// made; those before 4 have CIs but no heads, CIs in JSON
			// (rewriteJSONCIs) and audit entries not indexed by time.
			if err := buildHeads(tx); err != nil {
				return fmt.Errorf("upgrade from schema %q: %w", v, err)
			}
			if err := indexAuditByTime(tx); err != nil {
				return fmt.Errorf("upgrade from schema %q: index the audit trail by time: %w", v, err)
			}
			if v != nil {
				if err := meta.Delete(keyCIsBinary); err != nil {
					return err
				}
			} else if err := meta.Put(keyCIsBinary, []byte("1")); err != nil {
				return err
			}
			return meta.Put(keySchema, []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("schema version %q, this build reads %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		return graph.Unavailable(err, "cannot initialise %s", s.path)
	}
	if err := s.rewriteJSONCIs(); err != nil {
		return graph.Unavailable(err, "cannot upgrade %s", s.path)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		s.mem.txid = tx.ID()
		return load(tx, s.mem)
	})
	if err != nil {
		return graph.Internal(err, "cannot load %s", s.path)
	}
	return nil
}

// buildHeads writes the head of every CI, for a file from before schema 4.
// It decodes every CI once, which is what every open used to do.
func buildHeads(tx *bolt.Tx) error {
	heads := tx.Bucket(bucketHeads)
	heads.FillPercent = appendFill
	return tx.Bucket(bucketCIs).ForEach(func(k, v []byte) error {
		ci, err := decodeCI(v)
		if err != nil {
			return fmt.Errorf("ci %s: %w", k, err)
		}
		if ci.ID != string(k) {
			return fmt.Errorf("ci key %s holds ci %q", k, ci.ID)
		}
		return heads.Put(k, encodeHead(headOf(ci)))
	})
}

// rewriteJSONCIs stores the CIs that a file from before schema 4 holds in
// JSON in the binary form, a bounded number per transaction so that
// upgrading a large file does not hold it all in memory. Each step is
// whole, and values already binary are skipped, so an upgrade cut short
// resumes at the next open.
func (s *Store) rewriteJSONCIs() error {
	const perTx = 10000
	var from []byte
	for {
		done := true
		err := s.db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta.Get(keyCIsBinary) != nil {
				return nil
			}
			b := tx.Bucket(bucketCIs)
			var todo []kv
			c := b.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if len(todo) == perTx {
					from, done = bytes.Clone(k), false
					break
				}
				if len(v) > 0 && v[0] == '{' {
					todo = append(todo, kv{bytes.Clone(k), bytes.Clone(v)})
				}
			}
			for i := range todo {
				ci, err := decodeCI(todo[i].val)
				if err != nil {
					return fmt.Errorf("ci %s: %w", todo[i].key, err)
				}
				todo[i].val = encodeCIValue(ci, todo[i].val)
			}
			if done {
				if err := meta.Put(keyCIsBinary, []byte("1")); err != nil {
					return err
				}
			}
			return writeSorted(b, todo)
		})
		if err != nil || done {
			return err
		}
	}
}

// load fills m from the file and cross-checks the buckets against each
// other. Writes are atomic, so a mismatch means the file was damaged or
// edited; refusing to start is safer than serving a graph with holes.
//
// Only heads, identifiers and relations are read for the graph, in key
// order, each a sequential scan of compact values: the CIs themselves stay
// in the file until asked for.
func load(tx *bolt.Tx, m *memState) error {
	var names []nameKey
	err := tx.Bucket(bucketHeads).ForEach(func(k, v []byte) error {
		h, err := decodeHead(v)
		if err != nil {
			return fmt.Errorf("head %s: %w", k, err)
		}
		slot := m.loadHead(k, h)
		names = append(names, nameKey{name: m.nodes[slot].name, id: m.nodes[slot].id, slot: slot})
		return nil
	})
	if err != nil {
		return err
	}
	// The name index is built in one sorted pass rather than a million
	// random inserts.
	slices.SortFunc(names, func(a, b nameKey) int {
		if nameLess(a, b) {
			return -1
		}
		if nameLess(b, a) {
			return 1
		}
		return 0
	})
	for _, k := range names {
		m.byName.Load(k)
	}
	names = nil
	err = tx.Bucket(bucketIdents).ForEach(func(k, v []byte) error {
		id, err := parseIdentKey(k)
		if err != nil {
			return err
		}
		slot, ok := m.lookup(string(v))
		if !ok {
			return fmt.Errorf("identifier %s=%s names CI %s, which does not exist", id.Kind, id.Value, v)
		}
		m.setIdent(id, m.nodes[slot].id)
		return nil
	})
	if err != nil {
		return err
	}
	held := 0
	for i := range m.nodes {
		held += int(m.nodes[i].idents)
	}
	if held != len(m.idents) {
		return fmt.Errorf("CIs hold %d identifiers but the index has %d", held, len(m.idents))
	}
	if err := loadRecords(tx, m); err != nil {
		return err
	}
	// Keys are sorted, so a CI's outgoing relations are consecutive: the
	// source is looked up once per run of them.
	var lastFrom string
	var from int32 = -1
	err = tx.Bucket(bucketRels).ForEach(func(k, v []byte) error {
		key, err := parseRelKey(k)
		if err != nil {
			return err
		}
		at, err := relValueCreatedAt(key, v)
		if err != nil {
			return fmt.Errorf("relation %s: %w", k, err)
		}
		if from < 0 || key.From != lastFrom {
			slot, ok := m.lookup(key.From)
			if !ok {
				return fmt.Errorf("relation %s points at a missing CI", k)
			}
			from, lastFrom = slot, m.nodes[slot].id
		}
		to, ok := m.lookup(key.To)
		if !ok {
			return fmt.Errorf("relation %s points at a missing CI", k)
		}
		m.addEdge(from, m.typeIndex(key.Type), to, at)
		return nil
	})
	if err != nil {
		return err
	}
	return loadLedger(tx, m)
}

// loadLedger loads the scope headers and sightings, after the graph: every
// sighting must sit in a scope with a header and name a CI or relation
// that exists.
func loadLedger(tx *bolt.Tx, m *memState) error {
	err := tx.Bucket(bucketScopes).ForEach(func(k, v []byte) error {
		key, err := parseScopeKey(k)
		if err != nil {
			return err
		}
		st, err := decodeScope(key, v)
		if err != nil {
			return fmt.Errorf("scope %q: %w", k, err)
		}
		m.scopeOf(key).state = st
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSightings).ForEach(func(k, v []byte) error {
		scope, ci, rel, err := parseSightingKey(k)
		if err != nil {
			return err
		}
		s, err := decodeSighting(v)
		if err != nil {
			return fmt.Errorf("sighting %q: %w", k, err)
		}
		if m.scopes[scope] == nil {
			return fmt.Errorf("sighting %q is in a scope without a header", k)
		}
		if rel != nil {
			if !m.hasRelation(*rel) {
				return fmt.Errorf("sighting %q names a missing relation", k)
			}
			m.putRelSighting(relSight{scope, *rel}, s)
			return nil
		}
		if _, ok := m.lookup(ci); !ok {
			return fmt.Errorf("sighting %q names a missing CI", k)
		}
		m.putCISighting(ciSight{scope, ci}, s)
		return nil
	})
}

// loadRecords loads the records and the audit high-water mark. A record's
// links may name CIs deleted since it was written: deleting a CI does not
// rewrite the records about it.
func loadRecords(tx *bolt.Tx, m *memState) error {
	if v := tx.Bucket(bucketMeta).Get(keyLastAudit); v != nil {
		if err := graph.CheckID("audit.last", string(v)); err != nil {
			return fmt.Errorf("last audit id: %w", err)
		}
		m.lastAudit = string(v)
	}
	return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("record %q: %w", k, err)
		}
		if !bytes.Equal(k, recordKey(r.Kind, r.ID)) {
			return fmt.Errorf("record key %q holds %s %s", k, r.Kind, r.ID)
		}
		if err := graph.CheckRecord(*r); err != nil || r.Version < 1 {
			return fmt.Errorf("record %q is invalid (version %d): %v", k, r.Version, err)
		}
		m.putRecord(r)
		return nil
	})
}

// write runs one write method: stage validates and records changes in a
// txn; if it succeeds the changes are committed to bbolt and then published
// to memory. Nothing is committed when stage fails or changes nothing.
func (s *Store) write(ctx context.Context, stage func(*txn) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return errClosed()
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	// Staging runs inside the bbolt write transaction, so that it reads
	// whole CIs from the file; a stage that fails rolls it back, and so
	// does one that changes nothing (errNothingStaged), which spares an
	// empty commit and its fsync.
	var t *txn
	err := s.db.Update(func(tx *bolt.Tx) error {
		t = newTxn(s.mem, tx, s.cat, graph.Now(), graph.ActorFrom(ctx), graph.ImportRunFrom(ctx))
		if err := stage(t); err != nil {
			return err
		}
		if t.empty() {
			return errNothingStaged
		}
		// Last point at which a cancelled caller can still get "nothing
		// happened"; once bbolt commits, the write stands.
		if err := ctx.Err(); err != nil {
			return ctxError(err)
		}
		return t.write(tx)
	})
	if errors.Is(err, errNothingStaged) {
		return nil
	}
	if err != nil {
		var de *graph.Error
		if errors.As(err, &de) {
			return err
		}
		return graph.Unavailable(err, "cannot write to %s", s.path)
	}
	s.mu.Lock()
	t.applyTo(s.mem)
	if t.changesGraph() {
		s.graphVersion.Add(1)
	}
	s.mu.Unlock()
	return nil
}

var errNothingStaged = errors.New("nothing staged")

// view is read plus a bbolt read transaction that sees exactly what the
// image reflects, for the reads that need whole CIs from the file. A write
// commits to bbolt before it publishes to memory; a view begun in between
// would see a newer file than image, so it waits for the publication.
func (s *Store) view(ctx context.Context) (*bolt.Tx, func(), error) {
	for {
		unlock, err := s.read(ctx)
		if err != nil {
			return nil, nil, err
		}
		tx, err := s.db.Begin(false)
		if err != nil {
			unlock()
			return nil, nil, graph.Unavailable(err, "cannot read %s", s.path)
		}
		if tx.ID() == s.mem.txid {
			return tx, func() {
				_ = tx.Rollback()
				unlock()
			}, nil
		}
		_ = tx.Rollback()
		unlock()
		// The writer takes the write lock next; waiting for it to be
		// free again is waiting for the publication.
		time.Sleep(20 * time.Microsecond)
	}
}

// readCI decodes the stored CI with id, which the image holds.
func readCI(tx *bolt.Tx, id string) (*graph.CI, error) {
	return readCIFrom(tx.Bucket(bucketCIs), id)
}

// readCIFrom is readCI given the CIs bucket, for callers reading many.
func readCIFrom(cis *bolt.Bucket, id string) (*graph.CI, error) {
	v := cis.Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("ci %s has a head but no record", id)
	}
	ci, err := decodeCI(v)
	if err != nil {
		return nil, fmt.Errorf("ci %s: %w", id, err)
	}
	return ci, nil
}

// read takes the read lock for one read method; call the returned func to
// release it.
func (s *Store) read(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errClosed()
	}
	return s.mu.RUnlock, nil
}

// Ping reports whether the store is open and its file readable.
func (s *Store) Ping(ctx context.Context) error {
	unlock, err := s.read(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return graph.Unavailable(err, "cannot read %s", s.path)
	}
	return nil
}

// Catalogue returns the catalogue the store validates against.
func (s *Store) Catalogue() *graph.Catalogue { return s.cat }

// Close waits for the write in flight, then releases the file and its lock.
// Later calls on the store fail with UNAVAILABLE; Close itself is
// idempotent.
func (s *Store) Close(context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.mem = nil
	if err := s.db.Close(); err != nil {
		return graph.Unavailable(err, "cannot close %s", s.path)
	}
	return nil
}

func errClosed() error {
	return graph.Unavailable(errors.New("store closed"), "the store is closed")
}

// ctxError keeps the context error in the chain (errors.Is still sees
// context.Canceled) while giving callers a domain code.
func ctxError(err error) error {
	return graph.Unavailable(err, "request cancelled or timed out")
}

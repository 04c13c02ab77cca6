package neo4j

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
)

// Store is the Neo4j-backed graph.Store. It is safe for concurrent use: the
// driver pools connections and every method opens its own session.
type Store struct {
	driver neo4j.DriverWithContext
	db     string
	cat    *graph.Catalogue
	log    zerolog.Logger
	// importBatch is Config.ImportBatchSize.
	importBatch int
	// bookmarks chain every session of this store causally: behind a
	// neo4j:// routing URI a read may go to a cluster member other than
	// the one that took the write before it, and must still see it.
	bookmarks neo4j.BookmarkManager
	// busyRetry and unreachable are Config.MaxTransactionRetryTime and
	// Config.UnreachableTimeout; downSince (Unix ns, 0 when not) is when
	// a call last gave up on an unreachable Neo4j (see execute).
	busyRetry, unreachable time.Duration
	downSince              atomic.Int64
	// closed makes every call after Close UNAVAILABLE, as on the embedded
	// store, rather than an internal error from the closed driver.
	closed atomic.Bool
	// sessions counts the sessions open now and maxPool is the driver's
	// pool size: the figures the metrics show, as the driver does not
	// expose its pool (SessionsInUse).
	sessions atomic.Int64
	maxPool  int
}

var _ graph.Store = (*Store)(nil)

// Open connects to Neo4j, waiting up to cfg.StartTimeout for it to answer,
// and makes sure the constraints and indexes the store relies on exist.
// It fails with UNAVAILABLE when the server cannot be reached in time and
// INVALID_INPUT when the configuration is unusable.
func Open(ctx context.Context, cfg Config, cat *graph.Catalogue, log zerolog.Logger) (*Store, error) {
	if cat == nil {
		return nil, graph.Invalid("catalogue", "a catalogue is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	token := neo4j.NoAuth()
	if cfg.User != "" {
		token = neo4j.BasicAuth(cfg.User, cfg.Password, "")
	}
	maxPool := 0
	driver, err := neo4j.NewDriverWithContext(cfg.URI, token, configureDriver(cfg), func(c *config.Config) {
		maxPool = c.MaxConnectionPoolSize
	})
	if err != nil {
		return nil, graph.Invalid("uri", "cannot use Neo4j URI %q: %v", cfg.URI, err)
	}
	s := &Store{driver: driver, db: cfg.Database, cat: cat, log: log, importBatch: cfg.ImportBatchSize, maxPool: maxPool,
		busyRetry: cfg.MaxTransactionRetryTime, unreachable: cfg.UnreachableTimeout,
		bookmarks: neo4j.NewBookmarkManager(neo4j.BookmarkManagerConfig{})}
	if err := s.waitReady(ctx, cfg.StartTimeout); err != nil {
		_ = driver.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.ensureSchema(ctx); err != nil {
		_ = driver.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	log.Info().Str("uri", cfg.URI).Str("database", cfg.Database).Msg("neo4j store ready")
	return s, nil
}

// PreferredBatchSize is how many writes an import should put in one
// transaction (importers.BatchSizer).
func (s *Store) PreferredBatchSize() int { return s.importBatch }

// SessionsInUse is the number of sessions the store holds open now. Each
// holds at most one of the driver's pooled connections while its
// transaction runs, so it bounds the connections in use from above; the
// Go driver (v5) exposes no figures of its pool itself.
func (s *Store) SessionsInUse() int64 { return s.sessions.Load() }

// MaxConnectionPoolSize is the driver's connection pool size.
func (s *Store) MaxConnectionPoolSize() int { return s.maxPool }

// Catalogue returns the catalogue the store validates against.
func (s *Store) Catalogue() *graph.Catalogue { return s.cat }

// Ping runs a trivial query on the configured database, which proves more
// than VerifyConnectivity: the database itself is online.
func (s *Store) Ping(ctx context.Context) error {
	_, err := readTx(ctx, s, "ping", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		res, err := tx.Run(ctx, "RETURN 1 AS ok", nil)
		if err != nil {
			return struct{}{}, err
		}
		_, err = res.Consume(ctx)
		return struct{}{}, err
	})
	return err
}

// Close releases the driver's connections.
func (s *Store) Close(ctx context.Context) error {
	s.closed.Store(true)
	if err := s.driver.Close(ctx); err != nil {
		return mapError("close neo4j driver", err)
	}
	return nil
}

// txWork is a unit of work run in a managed transaction. The driver may run
// it more than once (transient errors are retried), so it must rebuild all
// of its state from scratch on every call and touch nothing outside the
// transaction.
type txWork[T any] func(ctx context.Context, tx neo4j.ManagedTransaction) (T, error)

// readTx runs work in a read transaction on the configured database.
func readTx[T any](ctx context.Context, s *Store, op string, work txWork[T]) (T, error) {
	return runTx(ctx, s, op, neo4j.AccessModeRead, work)
}

// writeTx runs work in a write transaction on the configured database.
func writeTx[T any](ctx context.Context, s *Store, op string, work txWork[T]) (T, error) {
	return runTx(ctx, s, op, neo4j.AccessModeWrite, work)
}

func runTx[T any](ctx context.Context, s *Store, op string, mode neo4j.AccessMode, work txWork[T]) (T, error) {
	if s.closed.Load() {
		var zero T
		return zero, graph.Unavailable(errors.New("store closed"), "%s: the store is closed", op)
	}
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: mode, BookmarkManager: s.bookmarks})
	s.sessions.Add(1)
	defer func() {
		defer s.sessions.Add(-1)
		if err := session.Close(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn().Err(err).Str("op", op).Msg("closing neo4j session")
		}
	}()
	fn := func(tx neo4j.ManagedTransaction) (T, error) { return work(ctx, tx) }
	out, err := execute(ctx, s, session, op, mode, fn)
	if err != nil {
		mapped := mapError(op, err)
		// Internal errors reach clients without detail, so the detail is
		// logged here; the others are the caller's to report.
		if graph.ErrorCode(mapped) == graph.CodeInternal {
			s.log.Error().Err(err).Str("op", op).Msg("neo4j transaction failed")
		}
		var zero T
		return zero, mapped
	}
	return out, nil
}

// collect runs one statement and hands every record to each, streaming so
// that large results are never held twice.
func collect(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any, each func(*neo4j.Record) error) error {
	_, err := stream(ctx, tx, cypher, params, each)
	return err
}

// collectCounting is collect that also returns the statement's update
// counters, for writes whose effect the records do not tell (did a MERGE
// create anything?).
func collectCounting(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any, each func(*neo4j.Record) error) (neo4j.Counters, error) {
	res, err := stream(ctx, tx, cypher, params, each)
	if err != nil {
		return nil, err
	}
	sum, err := res.Consume(ctx)
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	return sum.Counters(), nil
}

// stream runs one statement and hands every record to each.
func stream(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any, each func(*neo4j.Record) error) (neo4j.ResultWithContext, error) {
	res, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	for res.Next(ctx) {
		if err := each(res.Record()); err != nil {
			return nil, err
		}
	}
	return res, res.Err()
}

// collectPage runs a keyset page query for page p, which asks for one row
// more than the page holds ($limit = size+1), and returns the page in
// listing order with Relay's flags (see graph.PageWindow): the extra row
// tells whether the listing goes on the way it was read. A backward page
// is read in reverse order and put back here.
func collectPage[T any](ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any, p graph.Page,
	decode func(*neo4j.Record) (T, error)) (items []T, hasNext, hasPrev bool, err error) {
	items = []T{}
	err = collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
		v, err := decode(rec)
		items = append(items, v)
		return err
	})
	if err != nil {
		return nil, false, false, err
	}
	size := p.Size()
	more := len(items) > size
	if more {
		items = items[:size]
	}
	if p.Backward() {
		slices.Reverse(items)
		return items, p.Before != "", more, nil
	}
	return items, more, p.After != "", nil
}

// countTotal runs a count query whose one row has the count in "total".
func countTotal(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any) (int, error) {
	var total int64
	err := collect(ctx, tx, cypher, params, func(rec *neo4j.Record) error {
		var err error
		total, err = recordValue[int64](rec, "total")
		return err
	})
	return int(total), err
}

// exec runs one statement whose records are not needed.
func exec(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any) error {
	res, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return err
	}
	if _, err := res.Consume(ctx); err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	return nil
}

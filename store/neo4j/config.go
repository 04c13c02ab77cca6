package neo4j

import (
	"net/url"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Defaults applied by Config.withDefaults.
const (
	DefaultURI          = "bolt://127.0.0.1:7687"
	DefaultDatabase     = "neo4j"
	DefaultStartTimeout = 30 * time.Second
	// DefaultUnreachableTimeout leaves a request that finds Neo4j down
	// time to answer UNAVAILABLE well inside 5 s, and rides out a
	// connection reset or a leader switch in a cluster.
	DefaultUnreachableTimeout = 3 * time.Second
	// DefaultBusyRetryTime is the driver's own default for retrying
	// transient errors.
	DefaultBusyRetryTime = 30 * time.Second
)

// Config says how to reach Neo4j. The zero value connects to a local server
// without authentication.
type Config struct {
	// URI is a bolt:// (direct) or neo4j:// (routing) address, optionally
	// with +s (TLS) or +ssc (TLS, self-signed certificates accepted).
	URI string
	// User enables basic authentication when non-empty; without it the
	// driver connects with no auth, which is how the dev server runs.
	User     string
	Password string
	// Database is passed on every session: naming it saves the driver a
	// home-database round trip and keeps a misconfigured default from
	// silently writing elsewhere.
	Database string
	// StartTimeout bounds how long Open keeps retrying while the server is
	// still starting (containers and the dev launcher race the app).
	StartTimeout time.Duration
	// MaxConnectionPoolSize caps open Bolt connections (driver default 100
	// when zero).
	MaxConnectionPoolSize int
	// MaxTransactionRetryTime bounds how long a transaction that fails on
	// a busy database (a deadlock, a lock timeout: Neo4j's transient
	// errors) is run again before the call fails (DefaultBusyRetryTime
	// when zero).
	MaxTransactionRetryTime time.Duration
	// UnreachableTimeout bounds how long a call keeps trying to reach a
	// Neo4j that refuses or drops connections before it fails with
	// UNAVAILABLE (DefaultUnreachableTimeout when zero), so that requests
	// fail fast while the database is down rather than hang, and work
	// again as soon as it is back.
	UnreachableTimeout time.Duration
	// ImportBatchSize is how many writes an import puts in one
	// transaction (DefaultImportBatchSize when zero; negative: a whole
	// run in one transaction, which needs a transaction memory pool,
	// dbms.memory.transaction.total.max, of roughly 70 KiB per CI).
	ImportBatchSize int
}

// DefaultImportBatchSize keeps an import transaction well inside the
// 700 MiB transaction pool of a Neo4j with a 1 GiB heap: 10,000 new CIs
// with their ledger fit, 20,000 do not (measured on Neo4j 5.26).
const DefaultImportBatchSize = 5000

var allowedSchemes = map[string]bool{
	"bolt": true, "bolt+s": true, "bolt+ssc": true,
	"neo4j": true, "neo4j+s": true, "neo4j+ssc": true,
}

// withDefaults fills zero fields and rejects addresses the driver would
// misread, so a typo fails at startup with the field named.
func (c Config) withDefaults() (Config, error) {
	if c.URI == "" {
		c.URI = DefaultURI
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.ImportBatchSize == 0 {
		c.ImportBatchSize = DefaultImportBatchSize
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.MaxTransactionRetryTime == 0 {
		c.MaxTransactionRetryTime = DefaultBusyRetryTime
	}
	if c.UnreachableTimeout == 0 {
		c.UnreachableTimeout = DefaultUnreachableTimeout
	}
	if c.MaxTransactionRetryTime < 0 {
		return c, graph.Invalid("maxTransactionRetryTime", "retry time must not be negative")
	}
	if c.UnreachableTimeout < 0 {
		return c, graph.Invalid("unreachableTimeout", "unreachable timeout must not be negative")
	}
	if c.StartTimeout < 0 {
		return c, graph.Invalid("startTimeout", "start timeout must not be negative")
	}
	u, err := url.Parse(c.URI)
	if err != nil || u.Host == "" {
		return c, graph.Invalid("uri", "invalid Neo4j URI %q", c.URI)
	}
	if !allowedSchemes[u.Scheme] {
		return c, graph.Invalid("uri", "unsupported Neo4j URI scheme %q (want bolt, neo4j, or their +s/+ssc variants)", u.Scheme)
	}
	return c, nil
}

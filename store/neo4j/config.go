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
	// MaxTransactionRetryTime bounds the driver's retries of transient
	// errors inside managed transactions (driver default 30s when zero).
	MaxTransactionRetryTime time.Duration
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

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
)

// StoreFlags choose and configure the graph store.
type StoreFlags struct {
	Store                   string        `name:"store" enum:"embedded,neo4j" default:"embedded" env:"RIPPLE_STORE" help:"Storage backend (${enum})."`
	DataDir                 string        `name:"data-dir" default:"./ripple-data" env:"RIPPLE_DATA_DIR" help:"Directory of the embedded store."`
	Neo4jURI                string        `name:"neo4j-uri" default:"bolt://127.0.0.1:7687" env:"RIPPLE_NEO4J_URI" help:"Neo4j Bolt address."`
	Neo4jUser               string        `name:"neo4j-user" env:"RIPPLE_NEO4J_USER" help:"Neo4j user; empty connects without authentication."`
	Neo4jPassword           string        `name:"neo4j-password" env:"RIPPLE_NEO4J_PASSWORD" help:"Neo4j password (prefer the environment variable)."`
	Neo4jDatabase           string        `name:"neo4j-database" default:"neo4j" env:"RIPPLE_NEO4J_DATABASE" help:"Neo4j database name."`
	Neo4jImportBatch        int           `name:"neo4j-import-batch" env:"RIPPLE_NEO4J_IMPORT_BATCH" help:"Writes per Neo4j transaction during imports (default 5000; -1: a whole run in one transaction, for a Neo4j with a large transaction memory pool)."`
	Neo4jUnreachableTimeout time.Duration `name:"neo4j-unreachable-timeout" default:"${neo4jUnreachableTimeout}" env:"RIPPLE_NEO4J_UNREACHABLE_TIMEOUT" help:"How long a request keeps trying to reach a Neo4j that is down before it fails with UNAVAILABLE."`
	Catalogue               string        `name:"catalogue" type:"existingfile" env:"RIPPLE_CATALOGUE" help:"JSON file of classes and relation types to add to (or replace in) the built-in catalogue."`
}

// catalogue is the built-in catalogue, extended by --catalogue if given.
func (f StoreFlags) catalogue() (*graph.Catalogue, error) {
	cat := graph.DefaultCatalogue()
	if f.Catalogue == "" {
		return cat, nil
	}
	file, err := os.Open(f.Catalogue)
	if err != nil {
		return nil, fmt.Errorf("--catalogue: %w", err)
	}
	defer file.Close()
	ext, err := cat.Extend(file)
	if err != nil {
		return nil, fmt.Errorf("--catalogue %s: %w", f.Catalogue, err)
	}
	return ext, nil
}

// open opens the configured store; the caller closes it.
func (f StoreFlags) open(ctx context.Context, log zerolog.Logger) (graph.Store, error) {
	cat, err := f.catalogue()
	if err != nil {
		return nil, err
	}
	switch f.Store {
	case "neo4j":
		log.Info().Str("uri", f.Neo4jURI).Str("database", f.Neo4jDatabase).Msg("opening Neo4j store")
		s, err := neo4j.Open(ctx, f.neo4jConfig(), cat, log.With().Str("component", "neo4j").Logger())
		if err != nil {
			return nil, fmt.Errorf("open Neo4j store at %s: %w", f.Neo4jURI, err)
		}
		return s, nil
	default:
		log.Info().Str("dir", f.DataDir).Msg("opening embedded store")
		s, err := embedded.Open(ctx, f.DataDir, cat)
		if err != nil {
			return nil, fmt.Errorf("open embedded store in %s: %w", f.DataDir, err)
		}
		return s, nil
	}
}

// neo4jConfig is the Neo4j store's configuration from the flags.
func (f StoreFlags) neo4jConfig() neo4j.Config {
	return neo4j.Config{
		URI: f.Neo4jURI, User: f.Neo4jUser, Password: f.Neo4jPassword, Database: f.Neo4jDatabase,
		ImportBatchSize: f.Neo4jImportBatch, UnreachableTimeout: f.Neo4jUnreachableTimeout,
	}
}

// storeCloseTimeout bounds closing the store when a command is done.
const storeCloseTimeout = 10 * time.Second

// withStore opens the configured store, runs f on it and closes it, even
// when ctx was cancelled (SIGINT): a store must flush and unlock.
func (f StoreFlags) withStore(ctx context.Context, log zerolog.Logger, run func(graph.Store) error) (err error) {
	st, err := f.open(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCloseTimeout)
		defer cancel()
		if cerr := st.Close(cctx); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	return run(st)
}

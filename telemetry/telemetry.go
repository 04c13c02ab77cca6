// Package telemetry puts Ripple's metrics (telemetry/metrics) and traces
// (telemetry/tracing) together for the one place that wires a server
// (cmd/ripple serve, and the tests that build a server the same way): what
// observes the store and the import runs, and the GraphQL extensions.
package telemetry

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/observed"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
	"github.com/ripple-cmdb/ripple/telemetry/tracing"
)

// Telemetry is what a server reports to; either part may be nil (off).
type Telemetry struct {
	Metrics *metrics.Metrics
	Tracing *tracing.Tracing
}

// Observers observe the store (named storeName: "embedded", "neo4j") and
// the import runs, for app.NewObserved.
func (t Telemetry) Observers(storeName string) app.Observers {
	var obs observed.Observers
	o := app.Observers{StoreName: storeName}
	if t.Metrics != nil {
		obs = append(obs, t.Metrics)
		o.ImportFinished = t.Metrics.ImportFinished
	}
	if t.Tracing != nil {
		obs = append(obs, t.Tracing)
	}
	if len(obs) > 0 {
		o.Store = obs
	}
	return o
}

// GraphQLExtensions are the extensions resolvers.Options.Extensions takes.
func (t Telemetry) GraphQLExtensions() []graphql.HandlerExtension {
	var exts []graphql.HandlerExtension
	if t.Tracing != nil {
		exts = append(exts, t.Tracing.GraphQL())
	}
	if t.Metrics != nil {
		exts = append(exts, t.Metrics.GraphQL())
	}
	return exts
}

// sessionCounter is what the Neo4j store can say of its connections.
type sessionCounter interface {
	SessionsInUse() int64
	MaxConnectionPoolSize() int
}

// WatchStore exports the figures st keeps of its connections, when it
// keeps any (the Neo4j store); give it the store as opened, not wrapped.
func (t Telemetry) WatchStore(st graph.Store) {
	if sc, ok := st.(sessionCounter); ok && t.Metrics != nil {
		t.Metrics.Neo4jPool(func() metrics.PoolFigures {
			return metrics.PoolFigures{SessionsInUse: sc.SessionsInUse(), MaxConnections: sc.MaxConnectionPoolSize()}
		})
	}
}

// Shutdown flushes the traces not yet exported.
func (t Telemetry) Shutdown(ctx context.Context) error {
	if t.Tracing == nil {
		return nil
	}
	return t.Tracing.Shutdown(ctx)
}

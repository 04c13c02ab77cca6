package resolvers

import (
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// Options tunes the GraphQL handler; zero values take the defaults.
type Options struct {
	// ComplexityLimit bounds the estimated cost of one operation.
	ComplexityLimit int
	// DepthLimit bounds how deeply an operation's fields nest.
	DepthLimit int
	// Extensions are added to the handler after Ripple's own: metrics and
	// tracing (package telemetry) see every operation, refused ones too.
	Extensions []graphql.HandlerExtension
}

// parserTokenLimit bounds the size of a query document before any
// validation work is done; GraphiQL's introspection query is ~500 tokens.
const parserTokenLimit = 20000

// NewHandler returns the GraphQL endpoint over the wired services: POST and GET (queries
// only, so a browser cannot be tricked into a mutation by a link; see
// httpTransport), a parsed
// query cache, persisted queries, introspection, depth and complexity
// limits, the error presenter and panic recovery, and per-operation
// dataloaders.
func NewHandler(svc *app.Services, o Options) http.Handler {
	if o.ComplexityLimit <= 0 {
		o.ComplexityLimit = DefaultComplexityLimit
	}
	if o.DepthLimit <= 0 {
		o.DepthLimit = DefaultDepthLimit
	}
	root := NewResolver(svc)
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  root,
		Complexity: complexityRoot(),
	}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(parserTokenLimit)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// Depth first: a deep query is also a complex one, and the depth error
	// says better what is wrong with it.
	srv.Use(depthLimit{max: o.DepthLimit})
	srv.Use(extension.FixedComplexityLimit(o.ComplexityLimit))
	for _, ext := range o.Extensions {
		srv.Use(ext)
	}
	srv.AroundFields(authorizeFields)
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if op := graphql.GetOperationContext(ctx); op.Operation != nil {
			// The access log line then says which operation a slow or
			// failing request ran.
			zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context {
				return c.Str("operation", strings.TrimSpace(string(op.Operation.Operation)+" "+op.OperationName))
			})
		}
		return next(withLoaders(ctx, newLoaders(svc.Store)))
	})
	return srv
}

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/demo"
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/telemetry"
)

// ServeCmd runs the HTTP server until SIGINT or SIGTERM.
type ServeCmd struct {
	StoreFlags  `embed:""`
	PolicyFlags `embed:""`
	AuthFlags   `embed:""`
	OpsFlags    `embed:""`

	Listen string `name:"listen" default:"127.0.0.1:8080" env:"RIPPLE_LISTEN" help:"Address to listen on."`
	Demo   bool   `name:"demo" env:"RIPPLE_DEMO" help:"Load the demo estate and its ITSM records at start (idempotent)."`

	AllowSelfApproval bool `name:"allow-self-approval" env:"RIPPLE_ALLOW_SELF_APPROVAL" help:"Let the actor who requested a change approve or reject it (separation of duties off)."`

	EventMapping string `name:"event-mapping" type:"existingfile" env:"RIPPLE_EVENT_MAPPING" help:"How monitoring events find their CI and priority (JSON) over the defaults."`
}

// Run opens the store, optionally loads the demo estate, and serves.
func (c *ServeCmd) Run(ctx context.Context, log zerolog.Logger) error {
	policy, err := c.PolicyFlags.load()
	if err != nil {
		return err // before opening anything
	}
	if err := c.AuthFlags.check(c.Listen); err != nil {
		return err
	}
	if err := c.OpsFlags.check(); err != nil {
		return err
	}
	mapping, err := loadEventMapping(c.EventMapping)
	if err != nil {
		return err
	}
	tel, err := c.OpsFlags.telemetry(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn().Err(err).Msg("flushing traces")
		}
	}()
	return c.withStore(ctx, log, func(st graph.Store) error {
		tel.WatchStore(st)
		svc := app.NewObserved(st, policy, tel.Observers(c.Store))
		svc.ITSM.AllowSelfApproval = c.AllowSelfApproval
		svc.Events.Mapping = mapping
		return c.serve(ctx, log, svc, tel)
	})
}

// loadEventMapping reads --event-mapping over events.DefaultMapping.
func loadEventMapping(path string) (events.Mapping, error) {
	if path == "" {
		return events.DefaultMapping(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return events.Mapping{}, fmt.Errorf("--event-mapping: %w", err)
	}
	defer f.Close()
	m, err := events.LoadMapping(f)
	if err != nil {
		return events.Mapping{}, fmt.Errorf("--event-mapping %s: %w", path, err)
	}
	return m, nil
}

func (c *ServeCmd) serve(ctx context.Context, log zerolog.Logger, svc *app.Services, tel telemetry.Telemetry) error {
	st := svc.Store
	if c.Demo {
		res, err := demo.Load(ctx, st)
		if err != nil {
			return err
		}
		log.Info().Int("created", res.Created).Int("updated", res.Updated).Int("unchanged", res.Unchanged).
			Int("relations_created", res.RelationsCreated).Msg("demo estate loaded")
		loaded, err := demo.LoadITSM(ctx, svc.ITSM, time.Now())
		if err != nil {
			return fmt.Errorf("demo ITSM records: %w", err)
		}
		log.Info().Bool("loaded", loaded).Msg("demo ITSM records (skipped when already present)")
	}
	authn, err := c.AuthFlags.authenticator(ctx, st, c.Listen, log)
	if err != nil {
		return err
	}
	ln, err := c.AuthFlags.listen(c.Listen)
	if err != nil {
		return err
	}
	// The admin listener stops with the main one (or when it fails).
	actx, stopAdmin := context.WithCancel(ctx)
	waitAdmin, err := c.OpsFlags.serveAdmin(actx, log, tel.Metrics)
	if err != nil {
		stopAdmin()
		ln.Close()
		return err
	}
	defer func() { stopAdmin(); waitAdmin() }()
	go reclaimImports(ctx, log, svc.Imports)
	h := server.NewHandler(svc, server.Config{Logger: log, Auth: authn, CORSOrigins: c.CORSOrigins,
		Metrics: tel.Metrics, NoMetricsRoute: !c.OpsFlags.Metrics, GraphQL: resolvers.Options{Extensions: tel.GraphQLExtensions()}})
	return server.ServeDrain(ctx, ln, h, log, server.Drain{Timeout: c.ShutdownTimeout, Delay: c.ShutdownDelay})
}

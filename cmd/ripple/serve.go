package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph/demo"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/server"
)

// ServeCmd runs the HTTP server until SIGINT or SIGTERM.
type ServeCmd struct {
	StoreFlags `embed:""`

	Listen string `name:"listen" default:"127.0.0.1:8080" env:"RIPPLE_LISTEN" help:"Address to listen on."`
	Demo   bool   `name:"demo" env:"RIPPLE_DEMO" help:"Load the demo estate and its ITSM records at start (idempotent)."`
}

// storeCloseTimeout bounds closing the store after the server has stopped.
const storeCloseTimeout = 10 * time.Second

// Run opens the store, optionally loads the demo estate, and serves.
func (c *ServeCmd) Run(ctx context.Context, log zerolog.Logger) (err error) {
	st, err := c.open(ctx, log)
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
	if c.Demo {
		res, err := demo.Load(ctx, st)
		if err != nil {
			return err
		}
		log.Info().Int("created", res.Created).Int("updated", res.Updated).Int("unchanged", res.Unchanged).
			Int("relations_created", res.RelationsCreated).Msg("demo estate loaded")
		loaded, err := demo.LoadITSM(ctx, itsm.New(st), time.Now())
		if err != nil {
			return fmt.Errorf("demo ITSM records: %w", err)
		}
		log.Info().Bool("loaded", loaded).Msg("demo ITSM records (skipped when already present)")
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", c.Listen, err)
	}
	h := server.NewHandler(server.Config{Store: st, Logger: log})
	return server.Serve(ctx, ln, h, log)
}

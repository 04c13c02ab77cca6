package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// ImportCmd runs one discovery import against the configured store.
type ImportCmd struct {
	StoreFlags  `embed:""`
	PolicyFlags `embed:""`

	Format string   `arg:"" enum:"${formats}" help:"Input format (${enum})."`
	Paths  []string `arg:"" type:"existingpath" help:"Files or directories of files to import as one run."`

	Scope    string `name:"scope" env:"RIPPLE_IMPORT_SCOPE" help:"What the input fully covers (cluster, target range, lineage, export name); default: what the input declares."`
	Source   string `name:"source" env:"RIPPLE_IMPORT_SOURCE" help:"Source name for provenance and precedence; default: the format."`
	DryRun   bool   `name:"dry-run" help:"Print the plan and impact delta; write nothing but the run record."`
	Strict   bool   `name:"strict" help:"Apply nothing when any item or link cannot be reconciled."`
	Mapping  string `name:"mapping" type:"existingfile" env:"RIPPLE_IMPORT_MAPPING" help:"Column/field mapping (JSON) for csv and json."`
	Output   string `name:"output" enum:"table,json" default:"table" help:"Summary format (${enum})."`
	Progress string `name:"progress" enum:"auto,always,never" default:"auto" help:"Progress bar on stderr (${enum}; auto = when stderr is a terminal)."`
	Details  int    `name:"details" default:"20" help:"Plan entries listed per section in the table output."`
	Server   string `name:"server" env:"RIPPLE_IMPORT_SERVER" help:"Post the input to a running ripple serve at this URL (http://host:port) instead of opening the store."`
	Token    string `name:"token" env:"RIPPLE_TOKEN" help:"Bearer token for --server (an API token with the importer or admin role, or an OIDC token); prefer the variable."`
}

// Run imports and prints the run's summary. A run that did not succeed is
// an error whose exit status says how it ended (outcome.go).
func (c *ImportCmd) Run(ctx context.Context, log zerolog.Logger) error {
	return c.run(ctx, log, os.Stdout, os.Stderr)
}

func (c *ImportCmd) run(ctx context.Context, log zerolog.Logger, stdout, stderr io.Writer) error {
	policy, err := c.PolicyFlags.load()
	if err != nil {
		return err // before opening anything
	}
	spec := formats.Spec{Format: c.Format, Source: c.Source, Scope: c.Scope}
	if c.Mapping != "" {
		b, err := os.ReadFile(c.Mapping)
		if err != nil {
			return fmt.Errorf("--mapping: %w", err)
		}
		spec.Mapping = bytes.NewReader(b)
	}
	prep, err := formats.Prepare(spec)
	if err != nil {
		return err
	}
	inputs, err := importers.Files(c.Paths, prep.Format.Extensions...)
	if err != nil {
		return err
	}
	if c.Server != "" {
		// The policy, if any, goes with the upload (a policy part).
		return c.importRemote(ctx, inputs, stdout, stderr)
	}
	err = c.withStore(ctx, log, func(st graph.Store) error {
		return c.importInto(ctx, app.New(st, policy), prep, inputs, stdout, stderr)
	})
	if err != nil && c.Store == "embedded" && strings.Contains(err.Error(), "in use by another process") {
		return fmt.Errorf("%w\n(a running ripple serve holds the embedded store: import through it with --server http://HOST:PORT)", err)
	}
	return err
}

func (c *ImportCmd) importInto(ctx context.Context, svc *app.Services, prep formats.Prepared, inputs []importers.Input,
	stdout, stderr io.Writer) error {
	var total int64
	for _, in := range inputs {
		total += in.Size
	}
	bar := newProgressBar(stderr, c.Progress, total)
	// This process runs one import: the one engine reports its stages to
	// this run's progress bar.
	svc.Imports.Stage = bar.stage
	req := prep.Request
	req.DryRun, req.Strict = c.DryRun, c.Strict
	for _, in := range inputs {
		req.Files = append(req.Files, in.Name)
	}
	started := time.Now()
	run, plan, runErr := svc.Imports.Run(ctx, req, importers.ReadInputs(prep.Parser, inputs, bar.read))
	bar.done()
	if c.Output == "json" {
		if err := writeRunJSON(stdout, run); err != nil {
			return err
		}
	} else {
		writeRunTable(stdout, run, plan, time.Since(started), c.Details)
	}
	return outcomeError(run, plan, runErr)
}

// reclaimImports recovers, at start-up, the import runs left RUNNING by a
// process that died (importers.Engine.Reclaim): now, for those whose lease
// has already expired, and once more when the lease of any run of a process
// that died just before this one started has.
func reclaimImports(ctx context.Context, log zerolog.Logger, e *importers.Engine) {
	for _, wait := range []time.Duration{0, e.Lease() + time.Second} {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		n, err := e.Reclaim(ctx, importers.RunFilter{})
		if err != nil {
			log.Warn().Err(err).Msg("recovering abandoned import runs failed")
			continue
		}
		if n > 0 {
			log.Warn().Int("runs", n).Msg("import runs whose process died recovered as INTERRUPTED")
		}
	}
}

package formats_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// These tests run the real tools' output (the parsers' fixtures) through
// the engine on both stores: the whole path a `ripple import` takes.

func fixture(pkg, name string) string { return filepath.Join("..", pkg, "testdata", name) }

type importer struct {
	t      *testing.T
	engine *importers.Engine
}

func (im importer) run(format, scope, mapping string, dryRun bool, paths ...string) (importers.Run, *importers.Plan, error) {
	im.t.Helper()
	f, err := formats.Lookup(format)
	if err != nil {
		im.t.Fatal(err)
	}
	opts := formats.Options{Scope: scope}
	if mapping != "" {
		b, err := os.ReadFile(mapping)
		if err != nil {
			im.t.Fatal(err)
		}
		opts.Mapping = bytes.NewReader(b)
	}
	p, err := f.Parser(opts)
	if err != nil {
		im.t.Fatal(err)
	}
	inputs, err := importers.Files(paths, f.Extensions...)
	if err != nil {
		im.t.Fatal(err)
	}
	return im.engine.Run(context.Background(), importers.Request{Format: format, Scope: scope, DryRun: dryRun},
		importers.ReadInputs(p, inputs, nil))
}

func (im importer) mustRun(format, scope, mapping string, paths ...string) importers.Run {
	im.t.Helper()
	run, _, err := im.run(format, scope, mapping, false, paths...)
	if err != nil {
		im.t.Fatalf("import %s %v: %v", format, paths, err)
	}
	return run
}

func counts(run importers.Run) importers.Counts {
	c := run.Counts
	c.Items, c.Links = 0, 0
	return c
}

func TestNmapScansThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		e.Policy.RetireAfterRuns = 2
		im := importer{t, e}
		run := im.mustRun("nmap", "", "", fixture("nmap", "scan-3hosts.xml"))
		if run.Scope != "nmap:127.0.0.2-4" || counts(run) != (importers.Counts{Created: 3}) {
			t.Fatalf("first scan: scope %q counts %+v", run.Scope, run.Counts)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-3hosts-rescan.xml"))
		if counts(run) != (importers.Counts{Unchanged: 3}) {
			t.Fatalf("rescan of the same hosts: %+v, want 3 unchanged (plan %+v)", run.Counts, run.Plan.Updates)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-host-gone.xml"))
		if counts(run) != (importers.Counts{Unchanged: 2, Stale: 1}) || run.Plan.Stale[0].Name != "127.0.0.3" {
			t.Fatalf("scan without 127.0.0.3: %+v stale %+v", run.Counts, run.Plan.Stale)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-host-gone.xml"))
		if counts(run) != (importers.Counts{Unchanged: 2, Retired: 1}) {
			t.Fatalf("second scan without 127.0.0.3: %+v, want it retired", run.Counts)
		}
		page, err := s.ListCIs(context.Background(), graph.CIFilter{Status: graph.StatusRetired}, graph.Page{First: 5})
		if err != nil || len(page.CIs) != 1 || page.CIs[0].Name != "127.0.0.3" {
			t.Fatalf("retired CIs = %+v, %v", page.CIs, err)
		}
		// A port closes: the host is updated, its ports attribute shows it.
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-port-closed.xml"))
		if run.Counts.Updated < 1 {
			t.Fatalf("scan with a closed port: %+v, want an update", run.Counts)
		}
		// A truncated scan fails with its location and writes nothing.
		run, _, err = im.run("nmap", "", "", false, fixture("nmap", "truncated.xml"))
		var ie *importers.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.At, "line") || run.Outcome != importers.OutcomeFailed ||
			!strings.HasSuffix(run.ErrorFile, "truncated.xml") {
			t.Fatalf("truncated scan: %v, run %+v", err, run)
		}
	})
}

func TestTerraformStatesThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		run := im.mustRun("terraform", "", "", fixture("terraform", "v1.tfstate"))
		if !strings.HasPrefix(run.Scope, "tf:") || run.Counts.Created != run.Counts.Items || run.Counts.RelationsCreated == 0 || run.Counts.Problems != 0 {
			t.Fatalf("v1: scope %q counts %+v problems %+v", run.Scope, run.Counts, run.Plan.Problems)
		}
		again := im.mustRun("terraform", "", "", fixture("terraform", "v1.tfstate"))
		if counts(again) != (importers.Counts{Unchanged: run.Counts.Items}) {
			t.Fatalf("v1 again: %+v, want all unchanged", again.Counts)
		}
		v2, plan, err := im.run("terraform", "", "", true, fixture("terraform", "v2.tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		if v2.Scope != run.Scope || v2.Counts.Created == 0 || v2.Counts.Stale == 0 || plan == nil {
			t.Fatalf("v2 dry run: scope %q counts %+v", v2.Scope, v2.Counts)
		}
		var staleNames []string
		for _, st := range plan.Stale {
			staleNames = append(staleNames, st.Name)
		}
		if !strings.Contains(strings.Join(staleNames, " "), `bucket["assets"]`) {
			t.Fatalf("v2 stale = %v, want the removed bucket[\"assets\"]", staleNames)
		}
	})
}

func TestCSVExportThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		mapping := fixture("tabular", "assets.mapping.json")
		run := im.mustRun("csv", "", mapping, fixture("tabular", "assets.csv"))
		if run.Scope != "asset-register" || run.Counts.Created == 0 || run.Counts.RelationsCreated == 0 {
			t.Fatalf("assets.csv: scope %q counts %+v problems %+v", run.Scope, run.Counts, run.Plan.Problems)
		}
		again := im.mustRun("csv", "", mapping, fixture("tabular", "assets.csv"))
		if again.Counts.Created+again.Counts.Updated+again.Counts.RelationsCreated != 0 {
			t.Fatalf("assets.csv again: %+v, want no change", again.Counts)
		}
		run, _, err := im.run("csv", "", mapping, false, fixture("tabular", "malformed/wrong-columns.csv"))
		var ie *importers.InputError
		if !errors.As(err, &ie) || ie.At != "line 1" || ie.Field == "" || run.Outcome != importers.OutcomeFailed {
			t.Fatalf("wrong columns: %v (%+v)", err, run)
		}
	})
}

func TestKubernetesDumpsThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		run := im.mustRun("kubernetes", "lab", "", fixture("kubernetes", "cluster.json"))
		if run.Counts.Created == 0 || run.Counts.RelationsCreated == 0 || run.Counts.Problems != 0 {
			t.Fatalf("cluster.json: %+v problems %+v", run.Counts, run.Plan.Problems)
		}
		// The same cluster dumped kind by kind, as a directory: same CIs,
		// same relations, nothing to do.
		dir := im.mustRun("kubernetes", "lab", "", fixture("kubernetes", "kinds"))
		if dir.Counts.Created+dir.Counts.Updated+dir.Counts.RelationsCreated+dir.Counts.Stale != 0 || dir.Counts.Problems != 0 {
			t.Fatalf("kinds/ after cluster.json: %+v, want no change (problems %+v)", dir.Counts, dir.Plan.Problems)
		}
		// After deleting Deployment shop/cart and node-3, they go stale.
		after, plan, err := im.run("kubernetes", "lab", "", false, fixture("kubernetes", "cluster-after.json"))
		if err != nil {
			t.Fatal(err)
		}
		var stale []string
		for _, st := range plan.Stale {
			stale = append(stale, st.Name)
		}
		joined := strings.Join(stale, " ")
		if !strings.Contains(joined, "shop/cart") || !strings.Contains(joined, "node-3") || after.Counts.StaleRelations == 0 {
			t.Fatalf("after the deletions: stale %v, counts %+v", stale, after.Counts)
		}
	})
}

package formats_test

import (
	"go/build"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// TestDefaultPolicyFromRegistry pins the default precedence the registry
// yields: manual edits first, then the formats in registry order, each
// owning its attribute prefix above manual edits.
func TestDefaultPolicyFromRegistry(t *testing.T) {
	p := formats.DefaultPolicy()
	want := []string{graph.SourceManual, "csv", "json", "terraform", "kubernetes", "nmap"}
	if !slices.Equal(p.Precedence.Default, want) {
		t.Errorf("default precedence %v, want %v", p.Precedence.Default, want)
	}
	fields := map[string][]string{}
	for _, f := range p.Precedence.Fields {
		fields[f.Pattern] = f.Sources
	}
	for pattern, sources := range map[string][]string{
		"attributes.k8s.*":  {"kubernetes", graph.SourceManual},
		"attributes.tf.*":   {"terraform", graph.SourceManual},
		"attributes.nmap.*": {"nmap", graph.SourceManual},
	} {
		if !slices.Equal(fields[pattern], sources) {
			t.Errorf("precedence of %s: %v, want %v", pattern, fields[pattern], sources)
		}
	}
	if len(fields) != 3 {
		t.Errorf("field rules %v, want one per format with an attribute prefix", fields)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := formats.MappingFormats(); !slices.Equal(got, []string{"csv", "json"}) {
		t.Errorf("formats taking a mapping: %v", got)
	}
}

func TestLoadPolicyOverTheDefaults(t *testing.T) {
	p, err := formats.LoadPolicy(strings.NewReader(`{"retireAfterRuns": 1, "identification": {"Printer": [["serial"]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	def := formats.DefaultPolicy()
	if p.RetireAfterRuns != 1 || len(p.Identification["Printer"]) != 1 || !slices.Equal(p.Precedence.Default, def.Precedence.Default) ||
		len(p.Identification[graph.ClassServer]) == 0 {
		t.Errorf("loaded policy %+v", p)
	}
	if _, ok := def.Identification["Printer"]; ok {
		t.Error("LoadPolicy changed the defaults it read over")
	}
	for _, tc := range []struct{ doc, field string }{
		{`{"retireAfterRuns": 0}`, "retireAfterRuns"},
		{`{"bogus": 1}`, "policy"},
		{`{"maxStaleFraction": 2}`, "maxStaleFraction"},
		{`not json`, "policy"},
	} {
		_, err := formats.LoadPolicy(strings.NewReader(tc.doc))
		if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tc.field {
			t.Errorf("%s: %v, want INVALID_INPUT on %s", tc.doc, err, tc.field)
		}
	}
}

func TestPrepare(t *testing.T) {
	mapping := func() *strings.Reader {
		return strings.NewReader(`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`)
	}
	ok, err := formats.Prepare(formats.Spec{Format: "CSV", Scope: "assets", Mapping: mapping()})
	if err != nil || ok.Format.Name != "csv" || ok.Parser == nil ||
		!reflect.DeepEqual(ok.Request, importers.Request{Format: "csv", Source: "csv", Scope: "assets"}) {
		t.Fatalf("csv: %+v, %v", ok, err)
	}
	for _, tc := range []struct {
		name  string
		spec  formats.Spec
		field string
	}{
		{"unknown format", formats.Spec{Format: "xls"}, "format"},
		{"csv without a mapping", formats.Spec{Format: "csv", Scope: "x"}, "mapping"},
		{"nmap with a mapping", formats.Spec{Format: "nmap", Mapping: mapping()}, "mapping"},
		{"a bad source", formats.Spec{Format: "nmap", Source: "Bad Source"}, "source"},
		{"the manual source", formats.Spec{Format: "nmap", Source: graph.SourceManual}, "source"},
		{"kubernetes without a scope", formats.Spec{Format: "kubernetes"}, "scope"},
		{"a scope too long", formats.Spec{Format: "nmap", Scope: strings.Repeat("s", graph.MaxScopeLen+1)}, "scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := formats.Prepare(tc.spec)
			if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tc.field {
				t.Errorf("%v, want INVALID_INPUT on %s", err, tc.field)
			}
		})
	}
}

// TestParsersCompileAgainstTheFeedOnly keeps the format packages off the
// engine: they import the parser contract (importers/feed), never the
// planning and ledger code in importers.
func TestParsersCompileAgainstTheFeedOnly(t *testing.T) {
	const engine = "github.com/ripple-cmdb/ripple/importers"
	for _, dir := range []string{"nmap", "kubernetes", "terraform", "tabular"} {
		pkg, err := build.ImportDir(filepath.Join("..", dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		imports := slices.Concat(pkg.Imports, pkg.TestImports)
		if len(imports) == 0 {
			t.Fatalf("%s: no imports read", dir)
		}
		if slices.Contains(imports, engine) {
			t.Errorf("importers/%s imports the engine (%s): parsers need only importers/feed", dir, engine)
		}
	}
}

// Package formats is the registry of import formats: it maps a format name
// (as typed after `ripple import` or sent to the import endpoint) to a
// parser of the matching importers subpackage.
package formats

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/kubernetes"
	"github.com/ripple-cmdb/ripple/importers/nmap"
	"github.com/ripple-cmdb/ripple/importers/tabular"
	"github.com/ripple-cmdb/ripple/importers/terraform"
)

// Options configure a parser.
type Options struct {
	// Scope is the run's scope as the user gave it; Kubernetes needs it
	// (it names the cluster in identifiers).
	Scope string
	// Mapping is the column/field mapping (JSON) the csv and json formats
	// require.
	Mapping io.Reader
}

// Format describes one import format.
type Format struct {
	Name string
	// Extensions are the file extensions read from a directory.
	Extensions  []string
	Description string
	new         func(Options) (importers.Parser, error)
}

var registry = []Format{
	{Name: "nmap", Extensions: []string{".xml"}, Description: "nmap XML output (nmap -oX)",
		new: func(Options) (importers.Parser, error) { return nmap.New(), nil }},
	{Name: "kubernetes", Extensions: []string{".json"}, Description: "kubectl get ... -o json (a List or one object), or a directory of them; --scope names the cluster",
		new: func(o Options) (importers.Parser, error) {
			if o.Scope == "" {
				return nil, graph.Invalid("scope", "kubernetes imports need a scope naming the cluster")
			}
			return kubernetes.New(kubernetes.Options{Cluster: o.Scope}), nil
		}},
	{Name: "terraform", Extensions: []string{".tfstate", ".json"}, Description: "Terraform state, format version 4",
		new: func(Options) (importers.Parser, error) { return terraform.New(), nil }},
	{Name: "csv", Extensions: []string{".csv"}, Description: "CSV with a column mapping (--mapping)",
		new: func(o Options) (importers.Parser, error) {
			m, err := mapping(o)
			if err != nil {
				return nil, err
			}
			return tabular.NewCSV(m), nil
		}},
	{Name: "json", Extensions: []string{".json", ".jsonl", ".ndjson"}, Description: "JSON array or JSON Lines with a field mapping (--mapping)",
		new: func(o Options) (importers.Parser, error) {
			m, err := mapping(o)
			if err != nil {
				return nil, err
			}
			return tabular.NewJSON(m), nil
		}},
}

func mapping(o Options) (tabular.Mapping, error) {
	if o.Mapping == nil {
		return tabular.Mapping{}, graph.Invalid("mapping", "csv and json imports need a mapping")
	}
	m, err := tabular.LoadMapping(o.Mapping)
	if err != nil {
		// The mapping names its own field ("relations[0].column"); say
		// it is the mapping's.
		if f := graph.ErrorField(err); f != "" {
			return tabular.Mapping{}, graph.RenameField(err, f, "mapping."+f)
		}
		return tabular.Mapping{}, graph.Invalid("mapping", "%s", graph.ErrorMessage(err))
	}
	return m, nil
}

// All lists the formats.
func All() []Format { return slices.Clone(registry) }

// Names lists the format names.
func Names() []string {
	out := make([]string, len(registry))
	for i, f := range registry {
		out[i] = f.Name
	}
	return out
}

// Lookup returns a format by name.
func Lookup(name string) (Format, error) {
	for _, f := range registry {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, graph.Invalid("format", "unknown format %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// Parser returns a new parser of the format: parsers keep state across the
// files of one run, so every run needs its own.
func (f Format) Parser(o Options) (importers.Parser, error) {
	p, err := f.new(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return p, nil
}

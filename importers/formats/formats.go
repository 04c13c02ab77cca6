// Package formats is the registry of import formats: it maps a format name
// (as typed after `ripple import`, sent to the import endpoint or named by
// GraphQL's ImportFormat) to a parser of the matching importers
// subpackage, and prepares runs of a named format for every way in.
package formats

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/feed"
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

// Format describes one import format. The registry below is the only list
// of formats: the CLI's choices, the default source precedence, which
// formats take a mapping and the checks of every way in (CLI, GraphQL,
// HTTP) are derived from it, and a test holds the GraphQL ImportFormat
// enum to it.
type Format struct {
	Name string
	// Extensions are the file extensions read from a directory.
	Extensions  []string
	Description string
	// TakesMapping says the format needs a column/field mapping (and
	// other formats refuse one, so a mistaken format is not silently
	// imported without it).
	TakesMapping bool
	// AttributePrefix names the attributes the format's parser owns
	// ("k8s" for attributes.k8s.*); "" when it reports none of its own.
	AttributePrefix string
	new             func(Options) (feed.Parser, error)
}

// registry lists the formats in default precedence order, highest first:
// hand-kept exports (csv, json) above infrastructure-as-code state
// (terraform), above what a cluster reports of itself (kubernetes), above
// what a network scan can see (nmap). Manual edits rank above them all.
var registry = []Format{
	{Name: "csv", Extensions: []string{".csv"}, Description: "CSV with a column mapping (--mapping)",
		TakesMapping: true,
		new: func(o Options) (feed.Parser, error) {
			m, err := mapping("csv", o)
			if err != nil {
				return nil, err
			}
			return tabular.NewCSV(m), nil
		}},
	{Name: "json", Extensions: []string{".json", ".jsonl", ".ndjson"}, Description: "JSON array or JSON Lines with a field mapping (--mapping)",
		TakesMapping: true,
		new: func(o Options) (feed.Parser, error) {
			m, err := mapping("json", o)
			if err != nil {
				return nil, err
			}
			return tabular.NewJSON(m), nil
		}},
	{Name: "terraform", Extensions: []string{".tfstate", ".json"}, Description: "Terraform state, format version 4",
		AttributePrefix: "tf",
		new:             func(Options) (feed.Parser, error) { return terraform.New(), nil }},
	{Name: "kubernetes", Extensions: []string{".json"}, Description: "kubectl get ... -o json (a List or one object), or a directory of them; --scope names the cluster",
		AttributePrefix: "k8s",
		new: func(o Options) (feed.Parser, error) {
			if o.Scope == "" {
				return nil, graph.Invalid("scope", "kubernetes imports need a scope naming the cluster")
			}
			return kubernetes.New(kubernetes.Options{Cluster: o.Scope}), nil
		}},
	{Name: "nmap", Extensions: []string{".xml"}, Description: "nmap XML output (nmap -oX)",
		AttributePrefix: "nmap",
		new:             func(Options) (feed.Parser, error) { return nmap.New(), nil }},
}

func mapping(format string, o Options) (tabular.Mapping, error) {
	if o.Mapping == nil {
		return tabular.Mapping{}, graph.Invalid("mapping", "%s imports need a mapping", format)
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

// Names lists the format names, in registry order.
func Names() []string {
	out := make([]string, len(registry))
	for i, f := range registry {
		out[i] = f.Name
	}
	return out
}

// MappingFormats lists the names of the formats that take a mapping.
func MappingFormats() []string {
	var out []string
	for _, f := range registry {
		if f.TakesMapping {
			out = append(out, f.Name)
		}
	}
	return out
}

// Lookup returns a format by its name, case-insensitively (GraphQL sends
// NMAP, the CLI and the HTTP endpoint nmap).
func Lookup(name string) (Format, error) {
	for _, f := range registry {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	return Format{}, graph.Invalid("format", "unknown format %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// DefaultPolicy is importers.DefaultPolicy over the registry: manual edits
// first, then the formats in registry order, each owning its attributes.
func DefaultPolicy() importers.Policy {
	sources := make([]importers.SourceDefaults, len(registry))
	for i, f := range registry {
		sources[i] = importers.SourceDefaults{Name: f.Name, AttributePrefix: f.AttributePrefix}
	}
	return importers.DefaultPolicy(sources...)
}

// LoadPolicy reads a policy (JSON) over DefaultPolicy.
func LoadPolicy(r io.Reader) (importers.Policy, error) {
	return importers.LoadPolicy(r, DefaultPolicy())
}

// Spec is a run of a named format as a client asks for it.
type Spec struct {
	Format string
	// Source names who reports; "" means the format's name.
	Source string
	Scope  string
	// Mapping is the csv/json mapping; nil when none was given.
	Mapping io.Reader
}

// Prepared is a checked run of a named format: its format, a fresh parser
// and the engine request with Format, Source and Scope set.
type Prepared struct {
	Format  Format
	Parser  feed.Parser
	Request importers.Request
}

// Prepare checks a run before anything is recorded, so that arguments
// that cannot work are reported against their names rather than as a
// FAILED run: the format exists, a mapping is given exactly when the
// format takes one, the source and (when given) the scope are valid, and
// the parser can be built. Errors are INVALID_INPUT on "format",
// "mapping", "source" or "scope". Every way in (CLI, GraphQL, HTTP)
// prepares its runs here.
func Prepare(s Spec) (Prepared, error) {
	f, err := Lookup(s.Format)
	if err != nil {
		return Prepared{}, err
	}
	if err := f.CheckMapping(s.Mapping != nil); err != nil {
		return Prepared{}, err
	}
	source := s.Source
	if source == "" {
		source = f.Name
	}
	if err := CheckSource(source, s.Scope); err != nil {
		return Prepared{}, err
	}
	p, err := f.Parser(Options{Scope: s.Scope, Mapping: s.Mapping})
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{Format: f, Parser: p, Request: importers.Request{Format: f.Name, Source: source, Scope: s.Scope}}, nil
}

// CheckSource validates the source and, when given, the scope of a run
// (importBatch has no format but the same rules).
func CheckSource(source, scope string) error {
	if err := graph.CheckSource("source", source); err != nil {
		return err
	}
	if scope != "" {
		return graph.CheckScopeKey("", graph.ScopeKey{Source: source, Scope: scope})
	}
	return nil
}

// InputFault reports whether a run failed because of what it was given
// (a malformed file, an invalid item, problems under strict) rather than
// because of the store: the client should fix its input, not retry.
func InputFault(err error) bool {
	var ie *feed.InputError
	return errors.As(err, &ie) || graph.ErrorCode(err) == graph.CodeInvalidInput
}

// CheckMapping refuses a mapping given to a format that takes none, so
// that a mistaken format is not silently imported without it. (A format
// that needs one and has none fails to build its parser.)
func (f Format) CheckMapping(given bool) error {
	if given && !f.TakesMapping {
		return graph.Invalid("mapping", "only %s imports take a mapping, not %s", strings.Join(MappingFormats(), " and "), f.Name)
	}
	return nil
}

// Parser returns a new parser of the format: parsers keep state across the
// files of one run, so every run needs its own.
func (f Format) Parser(o Options) (feed.Parser, error) {
	p, err := f.new(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return p, nil
}

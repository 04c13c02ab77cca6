package importers

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Policy is how the engine identifies, reconciles and ages out what sources
// report. The zero value is not useful; start from DefaultPolicy.
type Policy struct {
	// Identification lists, per class, the identifier kinds that identify
	// a CI, strongest first. Each rule is a set of kinds that must all
	// match the same CI (["ip", "mac"]). Classes without rules are
	// identified by any of their identifiers.
	Identification map[string][][]string `json:"identification"`
	// Exclusive lists identifier kinds a CI keeps one value of for life
	// (a serial number). An item matched by a weaker rule whose value of
	// such a kind differs from its match's is a different CI on a reused
	// address, say: it is reported AMBIGUOUS, not merged.
	Exclusive []string `json:"exclusive,omitempty"`
	// Precedence decides which source may overwrite a field another
	// source (or a person) set.
	Precedence Precedence `json:"precedence"`
	// RetireAfterRuns is the number of complete runs of a scope that may
	// miss a CI before it is retired; relations missed that often are
	// removed. RetireAfter, when set, also retires a CI not seen for that
	// long (once at least one run missed it).
	RetireAfterRuns int      `json:"retireAfterRuns"`
	RetireAfter     Duration `json:"retireAfter,omitempty"`
	// MaxStaleFraction is a safety valve: a run that would newly mark more
	// than this fraction of its scope's CIs stale marks nothing stale and
	// reports a TOO_STALE problem instead (0 disables the check).
	MaxStaleFraction float64 `json:"maxStaleFraction"`
}

// Precedence ranks sources per field. A source may set a field when the
// field is empty, when the source already owns it, or when it ranks at
// least as high as the field's current owner; sources a list does not name
// rank below every named one, and between equals the latest report wins.
type Precedence struct {
	// Default ranks sources for fields no rule names, highest first.
	Default []string `json:"default"`
	// Fields are tried in order; the first whose pattern matches the
	// field's provenance key ("owner", "attributes.k8s.labels") applies.
	// Patterns use path.Match syntax ("attributes.k8s.*").
	Fields []FieldPrecedence `json:"fields,omitempty"`
}

// FieldPrecedence ranks sources for the fields a pattern matches.
type FieldPrecedence struct {
	Pattern string   `json:"pattern"`
	Sources []string `json:"sources"`
}

// Duration is a time.Duration that reads and writes as "72h".
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"72h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// SourceDefaults is what the default policy knows of a source that comes
// with Ripple (importers/formats lists them).
type SourceDefaults struct {
	// Name is the source name: the format's.
	Name string
	// AttributePrefix, when not empty, names the attributes the source
	// owns ("k8s" for attributes.k8s.*): there it ranks above manual edits,
	// which the next run would otherwise freeze.
	AttributePrefix string
}

// DefaultPolicy identifies CIs the way the built-in importers report them,
// lets manual edits win over every import, ranks the given sources below
// them in the order given, lets each source own its attribute prefix, and
// retires what three complete runs in a row did not see. The engine knows
// no formats: formats.DefaultPolicy passes the registry's.
func DefaultPolicy(sources ...SourceDefaults) Policy {
	prec := Precedence{Default: []string{graph.SourceManual}}
	for _, src := range sources {
		prec.Default = append(prec.Default, src.Name)
		if src.AttributePrefix != "" {
			prec.Fields = append(prec.Fields, FieldPrecedence{
				Pattern: "attributes." + src.AttributePrefix + ".*", Sources: []string{src.Name, graph.SourceManual}})
		}
	}
	return Policy{
		Identification: map[string][][]string{
			graph.ClassServer:        {{"serial"}, {"fqdn"}, {"ip", "mac"}, {"mac"}, {"hostname"}, {"ip"}},
			graph.ClassNetworkDevice: {{"serial"}, {"fqdn"}, {"ip", "mac"}, {"mac"}, {"hostname"}, {"ip"}},
			// A VM is its cloud resource first (Terraform's ids), then its
			// cloud instance (what a Kubernetes node's providerID names),
			// then a host like any other (nmap, the node's addresses).
			graph.ClassVirtualMachine: {{"cloud-id"}, {"tf-address"}, {feed.KindCloudInstance}, {"serial"}, {"fqdn"}, {"ip", "mac"}, {"mac"}, {"hostname"}, {"ip"}},
			graph.ClassKubernetesNode: {{"k8s-uid"}, {"k8s-name"}},
			graph.ClassCloudResource:  {{"cloud-id"}, {"tf-address"}},
		},
		// A machine keeps its serial number and its cloud instance for
		// life: a host matched by a reused IP whose instance differs is
		// another machine.
		Exclusive:        []string{"serial", feed.KindCloudInstance},
		Precedence:       prec,
		RetireAfterRuns:  3,
		MaxStaleFraction: 0.5,
	}
}

// LoadPolicy reads a policy as JSON over defaults: keys present in the
// file replace the defaults' (a class's identification rules, the whole
// precedence, the retirement settings). Unknown keys are errors; every
// error is INVALID_INPUT naming the policy key at fault ("policy" when the
// JSON itself is bad).
func LoadPolicy(r io.Reader, defaults Policy) (Policy, error) {
	var file struct {
		Identification   map[string][][]string `json:"identification"`
		Precedence       *Precedence           `json:"precedence"`
		RetireAfterRuns  *int                  `json:"retireAfterRuns"`
		RetireAfter      *Duration             `json:"retireAfter"`
		Exclusive        []string              `json:"exclusive"`
		MaxStaleFraction *float64              `json:"maxStaleFraction"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return Policy{}, graph.Invalid("policy", "read policy: %v", err)
	}
	p := defaults
	p.Identification = maps.Clone(defaults.Identification)
	if p.Identification == nil {
		p.Identification = map[string][][]string{}
	}
	for class, rules := range file.Identification {
		p.Identification[class] = rules
	}
	if file.Precedence != nil {
		p.Precedence = *file.Precedence
	}
	if file.RetireAfterRuns != nil {
		p.RetireAfterRuns = *file.RetireAfterRuns
	}
	if file.RetireAfter != nil {
		p.RetireAfter = *file.RetireAfter
	}
	if file.Exclusive != nil {
		p.Exclusive = file.Exclusive
	}
	if file.MaxStaleFraction != nil {
		p.MaxStaleFraction = *file.MaxStaleFraction
	}
	return p, p.Validate()
}

// Validate checks the policy's shape.
func (p Policy) Validate() error {
	for class, rules := range p.Identification {
		for i, rule := range rules {
			if len(rule) == 0 {
				return graph.Invalid(fmt.Sprintf("identification.%s[%d]", class, i), "an identification rule needs at least one identifier kind")
			}
		}
	}
	if p.RetireAfterRuns < 1 {
		return graph.Invalid("retireAfterRuns", "retireAfterRuns must be at least 1")
	}
	if p.MaxStaleFraction < 0 || p.MaxStaleFraction > 1 {
		return graph.Invalid("maxStaleFraction", "maxStaleFraction must be between 0 and 1")
	}
	if p.RetireAfter < 0 {
		return graph.Invalid("retireAfter", "retireAfter must not be negative")
	}
	for i, f := range p.Precedence.Fields {
		if _, err := path.Match(f.Pattern, ""); err != nil {
			return graph.Invalid(fmt.Sprintf("precedence.fields[%d].pattern", i), "bad pattern %q: %v", f.Pattern, err)
		}
	}
	return nil
}

// rank returns a source's rank for a field: lower is stronger.
func (p Precedence) rank(field, source string) int {
	list := p.Default
	for _, f := range p.Fields {
		if ok, _ := path.Match(f.Pattern, field); ok {
			list = f.Sources
			break
		}
	}
	if i := slices.Index(list, source); i >= 0 {
		return i
	}
	return len(list)
}

// MayOverwrite reports whether source may replace the value of field whose
// current owner is owner ("" when the value has no recorded origin, which
// counts as a manual edit: data that predates provenance was typed in).
func (p Precedence) MayOverwrite(field, source, owner string) bool {
	if owner == source {
		return true
	}
	if owner == "" {
		owner = graph.SourceManual
	}
	return p.rank(field, source) <= p.rank(field, owner)
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

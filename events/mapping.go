package events

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// Mapping says how an event finds its CI and how urgent its incident is:
// identification rules that turn labels into CI identifiers (the way
// importers identify discovered items), and a severity table. The zero
// value is not useful; start from DefaultMapping or LoadMapping.
type Mapping struct {
	// Labels gives values to labels an event lacks; the usual one is
	// "cluster", which every Kubernetes k8s-name identifier starts with and
	// which Prometheus adds only when told to (external_labels).
	Labels map[string]string `json:"labels,omitempty"`
	// Rules are tried in order, strongest first; the first whose
	// identifiers can all be made from the event's labels and all belong
	// to one CI maps the event to that CI. One that points at several CIs
	// leaves the event unmapped (ambiguous), never guessed.
	Rules []Rule `json:"rules"`
	// SeverityLabel is the label that carries an alert's severity.
	SeverityLabel string `json:"severityLabel"`
	// Severities maps a severity (case-insensitive) to the incident's
	// impact and urgency; Default applies to any other severity and to
	// events without one.
	Severities map[string]Level `json:"severities"`
	Default    Level            `json:"default"`
}

// Rule is one identification rule: identifiers made from labels, all of
// which must belong to the same CI.
type Rule struct {
	// Name says which rule mapped an event (Event.MappedBy).
	Name        string               `json:"name"`
	Identifiers []IdentifierTemplate `json:"identifiers"`
	// Classes, when set, restricts the rule to CIs of these classes.
	Classes []string `json:"classes,omitempty"`
}

// IdentifierTemplate makes one identifier from labels. Value is text with
// {label} placeholders, and {label:host} for the host part of a label
// holding host:port or a URL (Prometheus's instance). A rule does not
// apply when a label it names is missing or empty, or when the value does
// not fit the kind: an ip must parse as an IP address, an fqdn must be a
// dotted name that is not an address, a hostname must not be an address.
// The kind "name" matches a CI by its name (case-insensitive) instead of by
// an identifier.
type IdentifierTemplate struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// KindName is the pseudo identifier kind that matches a CI's name.
const KindName = "name"

// Level is an incident's impact and urgency, each 1 (high) to 3 (low).
type Level struct {
	Impact  int `json:"impact"`
	Urgency int `json:"urgency"`
}

// serviceClasses are what Prometheus's service and job labels usually name.
var serviceClasses = []string{graph.ClassBusinessService, graph.ClassApplicationService, graph.ClassApplication}

// DefaultMapping fits Prometheus conventions: a pod (pod + namespace, in
// the cluster label's cluster), a node, the host of instance (fqdn, then
// ip, then hostname), then the service and the job by name. Severities
// follow the common critical / warning / info labels.
func DefaultMapping() Mapping {
	return Mapping{
		Rules: []Rule{
			{Name: "pod", Identifiers: []IdentifierTemplate{{Kind: "k8s-name", Value: "{cluster}/Pod/{namespace}/{pod}"}}},
			{Name: "node", Identifiers: []IdentifierTemplate{{Kind: "k8s-name", Value: "{cluster}/Node//{node}"}}},
			{Name: "node-hostname", Identifiers: []IdentifierTemplate{{Kind: "hostname", Value: "{node}"}}},
			{Name: "instance-fqdn", Identifiers: []IdentifierTemplate{{Kind: "fqdn", Value: "{instance:host}"}}},
			{Name: "instance-ip", Identifiers: []IdentifierTemplate{{Kind: "ip", Value: "{instance:host}"}}},
			{Name: "instance-hostname", Identifiers: []IdentifierTemplate{{Kind: "hostname", Value: "{instance:host}"}}},
			{Name: "service", Identifiers: []IdentifierTemplate{{Kind: "k8s-name", Value: "{cluster}/Service/{namespace}/{service}"}}},
			{Name: "service-name", Identifiers: []IdentifierTemplate{{Kind: KindName, Value: "{service}"}}, Classes: serviceClasses},
			{Name: "job-name", Identifiers: []IdentifierTemplate{{Kind: KindName, Value: "{job}"}}, Classes: serviceClasses},
		},
		SeverityLabel: "severity",
		Severities: map[string]Level{
			"critical": {1, 1}, "fatal": {1, 1}, "page": {1, 1}, "emergency": {1, 1},
			"error": {1, 2}, "major": {1, 2}, "high": {1, 2},
			"warning": {2, 2}, "warn": {2, 2}, "medium": {2, 2}, "minor": {2, 2},
			"info": {3, 3}, "informational": {3, 3}, "low": {3, 3}, "none": {3, 3},
		},
		Default: Level{2, 2},
	}
}

// LoadMapping reads a mapping as JSON over DefaultMapping: "rules" replaces
// the default rules (their order is what matters), "labels" and
// "severities" add to or override the defaults' entries, "severityLabel"
// and "default" replace them. Unknown keys are errors.
func LoadMapping(r io.Reader) (Mapping, error) {
	var file struct {
		Labels        map[string]string `json:"labels"`
		Rules         []Rule            `json:"rules"`
		SeverityLabel *string           `json:"severityLabel"`
		Severities    map[string]Level  `json:"severities"`
		Default       *Level            `json:"default"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return Mapping{}, graph.Invalid("mapping", "read event mapping: %v", err)
	}
	m := DefaultMapping()
	if file.Rules != nil {
		m.Rules = file.Rules
	}
	for k, v := range file.Labels {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[k] = v
	}
	for k, v := range file.Severities {
		m.Severities[strings.ToLower(k)] = v
	}
	if file.SeverityLabel != nil {
		m.SeverityLabel = *file.SeverityLabel
	}
	if file.Default != nil {
		m.Default = *file.Default
	}
	return m, m.Validate()
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks the mapping's shape; errors name the field at fault
// ("rules[2].identifiers[0].value").
func (m Mapping) Validate() error {
	if len(m.Rules) == 0 {
		return graph.Invalid("rules", "at least one identification rule is needed")
	}
	names := map[string]bool{}
	for i, r := range m.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return graph.Invalid(f+".name", "a rule needs a name")
		}
		if names[r.Name] {
			return graph.Invalid(f+".name", "rule name %q is used twice", r.Name)
		}
		names[r.Name] = true
		if len(r.Identifiers) == 0 {
			return graph.Invalid(f+".identifiers", "a rule needs at least one identifier")
		}
		for j, t := range r.Identifiers {
			tf := fmt.Sprintf("%s.identifiers[%d]", f, j)
			if strings.TrimSpace(t.Kind) == "" {
				return graph.Invalid(tf+".kind", "an identifier needs a kind")
			}
			if _, err := parseTemplate(t.Value); err != nil {
				return graph.Invalid(tf+".value", "%v", err)
			}
		}
	}
	for k := range m.Labels {
		if !labelNameRE.MatchString(k) {
			return graph.Invalid("labels", "%q is not a label name", k)
		}
	}
	if m.SeverityLabel != "" && !labelNameRE.MatchString(m.SeverityLabel) {
		return graph.Invalid("severityLabel", "%q is not a label name", m.SeverityLabel)
	}
	for k, l := range m.Severities {
		if _, err := itsm.PriorityFor(l.Impact, l.Urgency); err != nil {
			return graph.Invalid("severities."+k, "%s", graph.ErrorMessage(err))
		}
	}
	if _, err := itsm.PriorityFor(m.Default.Impact, m.Default.Urgency); err != nil {
		return graph.Invalid("default", "%s", graph.ErrorMessage(err))
	}
	return nil
}

// Level returns the impact and urgency for a severity.
func (m Mapping) Level(severity string) Level {
	if l, ok := m.Severities[strings.ToLower(strings.TrimSpace(severity))]; ok {
		return l
	}
	return m.Default
}

// templatePart is a literal (label == "") or a placeholder.
type templatePart struct {
	literal, label string
	host           bool
}

func parseTemplate(s string) ([]templatePart, error) {
	var parts []templatePart
	placeholders := 0
	for s != "" {
		open := strings.IndexByte(s, '{')
		if close := strings.IndexByte(s, '}'); close >= 0 && (open < 0 || close < open) {
			return nil, fmt.Errorf("unmatched '}' in template")
		}
		if open < 0 {
			parts = append(parts, templatePart{literal: s})
			break
		}
		if open > 0 {
			parts = append(parts, templatePart{literal: s[:open]})
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed '{' in template")
		}
		name, fn, hasFn := strings.Cut(s[open+1:open+end], ":")
		if !labelNameRE.MatchString(name) {
			return nil, fmt.Errorf("{%s}: %q is not a label name", s[open+1:open+end], name)
		}
		if hasFn && fn != "host" {
			return nil, fmt.Errorf("{%s}: unknown function %q (only host)", s[open+1:open+end], fn)
		}
		parts = append(parts, templatePart{label: name, host: hasFn})
		placeholders++
		s = s[open+end+1:]
	}
	if placeholders == 0 {
		return nil, fmt.Errorf("a template needs at least one {label}")
	}
	return parts, nil
}

// render makes the identifier a template gives for labels, or reports
// that it gives none (a label is missing, or the value does not fit the
// kind).
func (m Mapping) render(t IdentifierTemplate, labels map[string]string) (graph.Identifier, bool) {
	parts, err := parseTemplate(t.Value)
	if err != nil {
		return graph.Identifier{}, false // Validate refuses such mappings
	}
	var b strings.Builder
	for _, p := range parts {
		if p.label == "" {
			b.WriteString(p.literal)
			continue
		}
		v := strings.TrimSpace(labels[p.label])
		if v == "" {
			v = strings.TrimSpace(m.Labels[p.label])
		}
		if p.host {
			v = hostPart(v)
		}
		if v == "" {
			return graph.Identifier{}, false
		}
		b.WriteString(v)
	}
	id := graph.NormalizeIdentifier(graph.Identifier{Kind: t.Kind, Value: b.String()})
	if len(id.Value) > graph.MaxIdentifierValue || !fitsKind(id) {
		return graph.Identifier{}, false
	}
	return id, true
}

// fitsKind keeps a host part from posing as the wrong kind: "10.0.0.5" is
// an ip, never a hostname; "web-1.example.com" an fqdn (and, as nmap
// reports names, a hostname), never an ip.
func fitsKind(id graph.Identifier) bool {
	_, err := netip.ParseAddr(id.Value)
	isIP := err == nil
	switch id.Kind {
	case "ip":
		return isIP
	case "fqdn":
		return !isIP && strings.Contains(strings.Trim(id.Value, "."), ".") && !strings.ContainsAny(id.Value, " /:")
	case "hostname":
		return !isIP && !strings.ContainsAny(id.Value, " /:")
	}
	return true
}

// hostPart is the host of "host:port", "[v6]:port", a URL, or a bare host.
func hostPart(v string) string {
	if strings.Contains(v, "://") {
		if u, err := url.Parse(v); err == nil {
			return u.Hostname()
		}
		return ""
	}
	if h, _, err := net.SplitHostPort(v); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
}

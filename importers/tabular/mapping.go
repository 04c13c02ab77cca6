// Package tabular imports CIs from generic CSV and JSON exports: asset
// spreadsheets, other CMDBs, database dumps. Such files have no schema
// Ripple could know, so the user writes a Mapping (JSON, documented in
// README.md) that says which column or field holds each part of an
// feed.Item and which columns name related CIs.
package tabular

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Attribute types a Mapping may give an attribute.
const (
	// TypeString keeps the cell as text; in JSON, numbers and booleans are
	// turned into their text.
	TypeString = "string"
	// TypeNumber parses a decimal number (stored as float64, like every
	// number Ripple keeps in attributes).
	TypeNumber = "number"
	// TypeBool parses true/false, t/f, yes/no, y/n, on/off, 1/0.
	TypeBool = "bool"
	// TypeList splits the cell on the attribute's separator (default ",")
	// into a list of strings.
	TypeList = "list"
	// TypeJSON parses the cell as JSON text.
	TypeJSON = "json"
)

// Relation directions.
const (
	// DirectionOut makes the row the relation's From: row -TYPE-> target.
	DirectionOut = "out"
	// DirectionIn makes the row the relation's To: target -TYPE-> row.
	DirectionIn = "in"
)

// Mapping says how rows of a CSV file or records of a JSON file become
// Items and Links. For CSV a column is a header name; for JSON it is a
// field path with dots ("hardware.serial").
type Mapping struct {
	// Description is free text for the people maintaining the mapping;
	// the importer ignores it.
	Description string `json:"description,omitempty"`
	// Class is the class of every row, or the class of rows whose
	// ClassColumn cell is empty when ClassColumn is set too.
	Class string `json:"class,omitempty"`
	// ClassColumn holds each row's class. Its values are looked up in
	// ClassMap (case-insensitively) and otherwise used as they are.
	ClassColumn string            `json:"classColumn,omitempty"`
	ClassMap    map[string]string `json:"classMap,omitempty"`
	// NameColumn holds the display name; required, and never empty in a row.
	NameColumn string `json:"nameColumn"`
	// Identifiers maps identifier kind to column. At least one is
	// required, and every row must fill at least one of them.
	Identifiers map[string]string `json:"identifiers"`
	// Key is the identifier kind that names a row in its links; default
	// the first kind in sorted order. A row whose key cell is empty is
	// named by its first non-empty identifier in sorted order.
	Key string `json:"key,omitempty"`
	// Attributes maps attribute name to where its value comes from.
	Attributes map[string]Attribute `json:"attributes,omitempty"`
	// OwnerColumn and EnvironmentColumn are optional.
	OwnerColumn       string `json:"ownerColumn,omitempty"`
	EnvironmentColumn string `json:"environmentColumn,omitempty"`
	// Relations turn cells naming other CIs into Links.
	Relations []Relation `json:"relations,omitempty"`
	// Delimiter is the CSV field separator, one character; default ",".
	// JSON ignores it.
	Delimiter string `json:"delimiter,omitempty"`
	// Scope, when set, is reported to the Emitter as the source's scope.
	Scope string `json:"scope,omitempty"`
}

// Attribute says where an attribute's value comes from and how to read
// it. In a mapping file a bare string is short for {"column": "..."}.
type Attribute struct {
	Column string `json:"column"`
	// Type is one of the Type constants. Omitted, CSV cells stay strings
	// and JSON values keep their JSON type.
	Type string `json:"type,omitempty"`
	// Separator splits list cells; only for TypeList, default ",".
	Separator string `json:"separator,omitempty"`
}

// Relation turns a column naming other CIs into Links.
type Relation struct {
	// Type is the relation type (DEPENDS_ON, RUNS_ON, MEMBER_OF...).
	Type string `json:"type"`
	// Column holds the identifier value of the related CI.
	Column string `json:"column"`
	// Kind is the identifier kind the cell's value is.
	Kind string `json:"kind"`
	// Direction is DirectionOut (default) or DirectionIn.
	Direction string `json:"direction,omitempty"`
	// Separator, when set, splits one cell into several targets. In JSON
	// an array of strings names several targets without it.
	Separator string `json:"separator,omitempty"`
}

// maxMappingBytes bounds LoadMapping: a mapping is a few kilobytes, so
// anything bigger is the wrong file.
const maxMappingBytes = 1 << 20

// These mirror the graph package's rules (which it does not export) so a
// mapping fails when loaded, not on its first row. The catalogue itself can
// be extended, so only the shape of class and type names is checked here.
var (
	identifierKindRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	classNameRE      = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)
	relationTypeRE   = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

// LoadMapping reads a mapping file strictly: unknown or repeated keys and
// values of the wrong JSON type are errors, because a misspelt key would
// otherwise silently drop a column from every import. Errors are
// *graph.Error values (INVALID_INPUT) whose Field is the mapping field at
// fault, such as `relations[1].kind` or `attributes["cpu"].type`.
func LoadMapping(r io.Reader) (Mapping, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMappingBytes+1))
	if err != nil {
		return Mapping{}, err
	}
	if len(data) > maxMappingBytes {
		return Mapping{}, graph.Invalid("", "mapping is larger than %d bytes", maxMappingBytes)
	}
	// Check the syntax on its own first: json.Unmarshal reports exact
	// offsets, and the key walker below may then assume well-formed JSON.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Mapping{}, graph.Invalid("", "%s: invalid JSON: %v", syntaxAt(data, err), err)
	}
	var m Mapping
	if err := m.decode(raw); err != nil {
		return Mapping{}, err
	}
	if err := m.Validate(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// syntaxAt locates a json.Unmarshal error in data.
func syntaxAt(data []byte, err error) string {
	lr := feed.NewLineReader(bytes.NewReader(data))
	_, _ = io.Copy(io.Discard, lr)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset < int64(len(data)) {
		return lr.At(se.Offset - 1) // Offset counts the offending byte
	}
	// The input ended too soon: point at its last character, not past
	// the final newline.
	return lr.At(lastNonSpace(data))
}

func lastNonSpace(b []byte) int64 {
	i := len(bytes.TrimRight(b, " \t\r\n")) - 1
	if i < 0 {
		return 0
	}
	return int64(i)
}

type member struct {
	key   string
	value json.RawMessage
}

// members lists an object's keys in file order, rejecting repeated keys
// (encoding/json would silently keep the last).
func members(raw json.RawMessage, field string, userKeys bool) ([]member, error) {
	if kind := feed.JSONKind(raw); kind != "an object" {
		return nil, graph.Invalid(field, "must be a JSON object, not %s", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, graph.Invalid(field, "%v", err)
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, graph.Invalid(field, "%v", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, graph.Invalid(field, "%v", err)
		}
		if seen[key] {
			f := keyField(field, key)
			if userKeys {
				f = entryField(field, key)
			}
			return nil, graph.Invalid(f, "key %q is given twice", key)
		}
		seen[key] = true
		out = append(out, member{key, v})
	}
	return out, nil
}

// keyField names a fixed key of a mapping object ("relations[0].kind");
// entryField names an entry of a user-keyed map (`attributes["cpu.cores"]`),
// quoted because attribute names often contain dots.
func keyField(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func entryField(field, key string) string { return fmt.Sprintf("%s[%q]", field, key) }

func unknownKey(field, key string, known []string) error {
	return graph.Invalid(keyField(field, key), "unknown key %q (known keys: %s)", key, strings.Join(known, ", "))
}

func decodeString(raw json.RawMessage, field string, dst *string) error {
	if kind := feed.JSONKind(raw); kind != "a string" {
		return graph.Invalid(field, "must be a string, not %s", kind)
	}
	return json.Unmarshal(raw, dst)
}

func decodeStringMap(raw json.RawMessage, field string) (map[string]string, error) {
	ms, err := members(raw, field, true)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ms))
	for _, mb := range ms {
		var s string
		if err := decodeString(mb.value, entryField(field, mb.key), &s); err != nil {
			return nil, err
		}
		out[mb.key] = s
	}
	return out, nil
}

var (
	mappingKeys   = []string{"attributes", "class", "classColumn", "classMap", "delimiter", "description", "environmentColumn", "identifiers", "key", "nameColumn", "ownerColumn", "relations", "scope"}
	attributeKeys = []string{"column", "separator", "type"}
	relationKeys  = []string{"column", "direction", "kind", "separator", "type"}
)

func (m *Mapping) decode(raw json.RawMessage) error {
	ms, err := members(raw, "", false)
	if err != nil {
		return err
	}
	plain := map[string]*string{
		"description": &m.Description, "class": &m.Class, "classColumn": &m.ClassColumn,
		"nameColumn": &m.NameColumn, "key": &m.Key, "ownerColumn": &m.OwnerColumn,
		"environmentColumn": &m.EnvironmentColumn, "delimiter": &m.Delimiter, "scope": &m.Scope,
	}
	for _, mb := range ms {
		if dst, ok := plain[mb.key]; ok {
			if err := decodeString(mb.value, mb.key, dst); err != nil {
				return err
			}
			continue
		}
		switch mb.key {
		case "classMap":
			m.ClassMap, err = decodeStringMap(mb.value, mb.key)
		case "identifiers":
			m.Identifiers, err = decodeStringMap(mb.value, mb.key)
		case "attributes":
			m.Attributes, err = decodeAttributes(mb.value)
		case "relations":
			m.Relations, err = decodeRelations(mb.value)
		default:
			err = unknownKey("", mb.key, mappingKeys)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeAttributes(raw json.RawMessage) (map[string]Attribute, error) {
	ms, err := members(raw, "attributes", true)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Attribute, len(ms))
	for _, mb := range ms {
		field := entryField("attributes", mb.key)
		var a Attribute
		switch kind := feed.JSONKind(mb.value); kind {
		case "a string":
			if err := json.Unmarshal(mb.value, &a.Column); err != nil {
				return nil, graph.Invalid(field, "%v", err)
			}
			out[mb.key] = a
			continue
		case "an object":
		default:
			return nil, graph.Invalid(field, "must be a column name or an object with column, type and separator, not %s", kind)
		}
		ams, err := members(mb.value, field, false)
		if err != nil {
			return nil, err
		}
		for _, am := range ams {
			f := field + "." + am.key
			switch am.key {
			case "column":
				err = decodeString(am.value, f, &a.Column)
			case "type":
				err = decodeString(am.value, f, &a.Type)
			case "separator":
				err = decodeString(am.value, f, &a.Separator)
			default:
				err = unknownKey(field, am.key, attributeKeys)
			}
			if err != nil {
				return nil, err
			}
		}
		out[mb.key] = a
	}
	return out, nil
}

func decodeRelations(raw json.RawMessage) ([]Relation, error) {
	if kind := feed.JSONKind(raw); kind != "an array" {
		return nil, graph.Invalid("relations", "must be a JSON array, not %s", kind)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, graph.Invalid("relations", "%v", err)
	}
	out := make([]Relation, 0, len(elems))
	for i, e := range elems {
		field := fmt.Sprintf("relations[%d]", i)
		ms, err := members(e, field, false)
		if err != nil {
			return nil, err
		}
		var rel Relation
		for _, mb := range ms {
			f := field + "." + mb.key
			switch mb.key {
			case "type":
				err = decodeString(mb.value, f, &rel.Type)
			case "column":
				err = decodeString(mb.value, f, &rel.Column)
			case "kind":
				err = decodeString(mb.value, f, &rel.Kind)
			case "direction":
				err = decodeString(mb.value, f, &rel.Direction)
			case "separator":
				err = decodeString(mb.value, f, &rel.Separator)
			default:
				err = unknownKey(field, mb.key, relationKeys)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, rel)
	}
	return out, nil
}

// Validate checks a mapping built in Go the same way LoadMapping checks a
// file. It reports the first problem, in the order fields are documented.
func (m Mapping) Validate() error {
	_, err := compile(m)
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// plan is a validated mapping, resolved for reading rows: every distinct
// column gets a slot, and the CSV and JSON readers only have to say what
// value and position each slot has in a row.
type plan struct {
	scope   string
	comma   rune
	columns []string // slot → column name or field path
	usedBy  []string // slot → first mapping field naming it, for messages
	slots   map[string]int

	class     string
	classSlot int // -1 when the class is constant
	classMap  map[string]string
	nameSlot  int
	ownerSlot int // -1 when not mapped
	envSlot   int // -1 when not mapped
	ids       []idSlot
	attrs     []attrSlot
	rels      []relSlot
}

type idSlot struct {
	kind string
	slot int
}

type attrSlot struct {
	name, typ, sep string
	slot           int
}

type relSlot struct {
	typ, kind, sep string
	in             bool
	slot           int
}

func (p *plan) slot(column, usedBy string) (int, error) {
	column = strings.TrimSpace(column)
	if column == "" {
		return 0, graph.Invalid(usedBy, "column must not be empty")
	}
	if s, ok := p.slots[column]; ok {
		return s, nil
	}
	p.slots[column] = len(p.columns)
	p.columns = append(p.columns, column)
	p.usedBy = append(p.usedBy, usedBy)
	return len(p.columns) - 1, nil
}

func compile(m Mapping) (*plan, error) {
	p := &plan{classSlot: -1, ownerSlot: -1, envSlot: -1, slots: map[string]int{}, comma: ','}
	var err error

	p.class = strings.TrimSpace(m.Class)
	if p.class != "" && !classNameRE.MatchString(p.class) {
		return nil, graph.Invalid("class", "class %q must match %s", m.Class, classNameRE)
	}
	if m.ClassColumn != "" {
		if p.classSlot, err = p.slot(m.ClassColumn, "classColumn"); err != nil {
			return nil, err
		}
	}
	if p.class == "" && p.classSlot < 0 {
		return nil, graph.Invalid("class", "set class (one class for every row) or classColumn (a column holding the class)")
	}
	if len(m.ClassMap) > 0 && p.classSlot < 0 {
		return nil, graph.Invalid("classMap", "classMap needs classColumn")
	}
	p.classMap = map[string]string{}
	for _, k := range sortedKeys(m.ClassMap) {
		field := entryField("classMap", k)
		v := strings.TrimSpace(m.ClassMap[k])
		if !classNameRE.MatchString(v) {
			return nil, graph.Invalid(field, "class %q must match %s", m.ClassMap[k], classNameRE)
		}
		lk := strings.ToLower(strings.TrimSpace(k))
		if lk == "" {
			return nil, graph.Invalid(field, "classMap keys must not be empty")
		}
		if old, ok := p.classMap[lk]; ok && old != v {
			return nil, graph.Invalid(field, "%q maps to both %s and %s (keys are compared case-insensitively)", k, old, v)
		}
		p.classMap[lk] = v
	}

	if strings.TrimSpace(m.NameColumn) == "" {
		return nil, graph.Invalid("nameColumn", "nameColumn is required: the column holding each row's display name")
	}
	if p.nameSlot, err = p.slot(m.NameColumn, "nameColumn"); err != nil {
		return nil, err
	}

	if len(m.Identifiers) == 0 {
		return nil, graph.Invalid("identifiers", "at least one identifier is required, as {\"kind\": \"column\"}, e.g. {\"serial\": \"Serial number\"}")
	}
	if len(m.Identifiers) > graph.MaxIdentifiers {
		return nil, graph.Invalid("identifiers", "at most %d identifiers", graph.MaxIdentifiers)
	}
	kinds := sortedKeys(m.Identifiers)
	key := kinds[0]
	if m.Key != "" {
		if _, ok := m.Identifiers[m.Key]; !ok {
			return nil, graph.Invalid("key", "key %q is not one of the identifier kinds (%s)", m.Key, strings.Join(kinds, ", "))
		}
		key = m.Key
	}
	// The key first, then the others in sorted order: Item.Identifiers[0]
	// is then exactly the identifier that names the row in its links.
	order := append([]string{key}, kinds...)
	for i, kind := range order {
		if i > 0 && kind == key {
			continue
		}
		field := entryField("identifiers", kind)
		if !identifierKindRE.MatchString(kind) {
			return nil, graph.Invalid(field, "identifier kind %q must match %s", kind, identifierKindRE)
		}
		s, err := p.slot(m.Identifiers[kind], field)
		if err != nil {
			return nil, err
		}
		p.ids = append(p.ids, idSlot{kind, s})
	}

	for _, name := range sortedKeys(m.Attributes) {
		a := m.Attributes[name]
		field := entryField("attributes", name)
		if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
			return nil, graph.Invalid(field, "attribute names must be non-empty and have no surrounding spaces")
		}
		switch a.Type {
		case "", TypeString, TypeNumber, TypeBool, TypeJSON:
			if a.Separator != "" {
				return nil, graph.Invalid(field+".separator", "separator applies only to type %q", TypeList)
			}
		case TypeList:
		default:
			return nil, graph.Invalid(field+".type", "unknown type %q (want string, number, bool, list or json)", a.Type)
		}
		s, err := p.slot(a.Column, field+".column")
		if err != nil {
			return nil, err
		}
		sep := a.Separator
		if a.Type == TypeList && sep == "" {
			sep = ","
		}
		p.attrs = append(p.attrs, attrSlot{name: name, typ: a.Type, sep: sep, slot: s})
	}

	if m.OwnerColumn != "" {
		if p.ownerSlot, err = p.slot(m.OwnerColumn, "ownerColumn"); err != nil {
			return nil, err
		}
	}
	if m.EnvironmentColumn != "" {
		if p.envSlot, err = p.slot(m.EnvironmentColumn, "environmentColumn"); err != nil {
			return nil, err
		}
	}

	for i, r := range m.Relations {
		field := fmt.Sprintf("relations[%d]", i)
		if !relationTypeRE.MatchString(r.Type) {
			return nil, graph.Invalid(field+".type", "relation type %q must match %s", r.Type, relationTypeRE)
		}
		if !identifierKindRE.MatchString(r.Kind) {
			return nil, graph.Invalid(field+".kind", "identifier kind %q must match %s (the kind of identifier the column's values are)", r.Kind, identifierKindRE)
		}
		var in bool
		switch r.Direction {
		case "", DirectionOut:
		case DirectionIn:
			in = true
		default:
			return nil, graph.Invalid(field+".direction", "unknown direction %q (want \"out\": row -%s-> target, or \"in\": target -%s-> row)", r.Direction, r.Type, r.Type)
		}
		s, err := p.slot(r.Column, field+".column")
		if err != nil {
			return nil, err
		}
		p.rels = append(p.rels, relSlot{typ: r.Type, kind: r.Kind, sep: r.Separator, in: in, slot: s})
	}

	if m.Delimiter != "" {
		c, size := utf8.DecodeRuneInString(m.Delimiter)
		if size != len(m.Delimiter) || c == utf8.RuneError || c == '\r' || c == '\n' || c == '"' {
			return nil, graph.Invalid("delimiter", "delimiter must be one character other than a quote or line break, like \";\" or \"\\t\"")
		}
		p.comma = c
	}
	p.scope = strings.TrimSpace(m.Scope)
	return p, nil
}

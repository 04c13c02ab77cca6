package tabular

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// row is one CSV row or JSON record as the shared builder sees it. CSV
// values are always strings; JSON values are what encoding/json decodes
// with UseNumber (string, json.Number, bool, nil, []any, map[string]any).
type row interface {
	// value returns the value of a slot; nil or "" when absent.
	value(slot int) any
	// at locates a slot's value for errors ("line 7").
	at(slot int) string
	// prefix starts every error message ("record 5: " for JSON, which
	// users find by index as much as by line).
	prefix() string
}

// rowError is an error about one value of a row.
func (p *plan) rowError(r row, slot int, format string, args ...any) error {
	return feed.Inputf(r.at(slot), p.columns[slot], r.prefix()+format, args...)
}

// build turns a row into an Item and the Links it reports, or the first
// problem with it, checking fields in the order the mapping documents them
// so the same bad row always gives the same error.
func (p *plan) build(r row, at string) (feed.Item, []feed.Link, error) {
	item := feed.Item{At: at}

	class := p.class
	if p.classSlot >= 0 {
		v, err := p.text(r, p.classSlot)
		if err != nil {
			return item, nil, err
		}
		if mapped, ok := p.classMap[strings.ToLower(v)]; ok {
			v = mapped
		}
		if v != "" {
			class = v
		}
		if class == "" {
			return item, nil, p.rowError(r, p.classSlot, "class is empty (set \"class\" in the mapping for a default)")
		}
		if !classNameRE.MatchString(class) {
			return item, nil, p.rowError(r, p.classSlot, "%q is not a class name: map it to one with classMap", class)
		}
	}
	item.Class = class

	name, err := p.text(r, p.nameSlot)
	if err != nil {
		return item, nil, err
	}
	if name == "" {
		return item, nil, p.rowError(r, p.nameSlot, "name is empty")
	}
	item.Name = name

	for _, id := range p.ids {
		v, err := p.text(r, id.slot)
		if err != nil {
			return item, nil, err
		}
		if v == "" {
			continue
		}
		if len(v) > graph.MaxIdentifierValue {
			return item, nil, p.rowError(r, id.slot, "identifier is longer than %d bytes", graph.MaxIdentifierValue)
		}
		item.Identifiers = append(item.Identifiers, graph.NormalizeIdentifier(graph.Identifier{Kind: id.kind, Value: v}))
	}
	if len(item.Identifiers) == 0 {
		cols := make([]string, len(p.ids))
		for i, id := range p.ids {
			cols[i] = p.columns[id.slot]
		}
		return item, nil, feed.Inputf(r.at(p.ids[0].slot), strings.Join(cols, ", "),
			"%sno identifier: %s %s empty", r.prefix(), quoteList(cols), plural(len(cols), "is", "are all"))
	}

	if p.ownerSlot >= 0 {
		if item.Owner, err = p.text(r, p.ownerSlot); err != nil {
			return item, nil, err
		}
	}
	if p.envSlot >= 0 {
		if item.Environment, err = p.text(r, p.envSlot); err != nil {
			return item, nil, err
		}
	}

	// A mapping with attributes always reports a (possibly empty) map: the
	// source then says "these are all my attributes for this CI", so a
	// cell emptied in the spreadsheet can be seen as removed.
	if len(p.attrs) > 0 {
		item.Attributes = make(map[string]any, len(p.attrs))
	}
	for _, a := range p.attrs {
		v, err := convert(r.value(a.slot), a.typ, a.sep)
		if err != nil {
			return item, nil, p.rowError(r, a.slot, "attribute %s: %v", a.name, err)
		}
		if v != nil {
			item.Attributes[a.name] = v
		}
	}

	self := item.Identifiers[0]
	var links []feed.Link
	seen := map[feed.Link]bool{}
	for _, rel := range p.rels {
		targets, err := p.targets(r, rel)
		if err != nil {
			return item, nil, err
		}
		for _, t := range targets {
			other := graph.NormalizeIdentifier(graph.Identifier{Kind: rel.kind, Value: t})
			l := feed.Link{From: self, Type: rel.typ, To: other, At: at}
			if rel.in {
				l.From, l.To = other, self
			}
			if !seen[l] {
				seen[l] = true
				links = append(links, l)
			}
		}
	}
	return item, links, nil
}

func quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = strconv.Quote(c)
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// text reads a slot as text: what names, identifiers, owners and relation
// targets are. JSON numbers keep their exact text (an asset number 1000042
// must not become 1.000042e+06).
func (p *plan) text(r row, slot int) (string, error) {
	s, ok := scalarText(r.value(slot))
	if !ok {
		return "", p.rowError(r, slot, "want text, found %s", valueKind(r.value(slot)))
	}
	return s, nil
}

// targets lists the identifier values a relation cell names.
func (p *plan) targets(r row, rel relSlot) ([]string, error) {
	var parts []string
	switch v := r.value(rel.slot).(type) {
	case []any:
		for _, e := range v {
			s, ok := scalarText(e)
			if !ok {
				return nil, p.rowError(r, rel.slot, "relation %s: want text or a list of text, found a list holding %s", rel.typ, valueKind(e))
			}
			parts = append(parts, s)
		}
	default:
		s, ok := scalarText(v)
		if !ok {
			return nil, p.rowError(r, rel.slot, "relation %s: want text or a list of text, found %s", rel.typ, valueKind(v))
		}
		if rel.sep != "" {
			parts = strings.Split(s, rel.sep)
		} else {
			parts = []string{s}
		}
	}
	out := parts[:0]
	for _, s := range parts {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if len(s) > graph.MaxIdentifierValue {
			return nil, p.rowError(r, rel.slot, "relation %s: identifier is longer than %d bytes", rel.typ, graph.MaxIdentifierValue)
		}
		out = append(out, s)
	}
	return out, nil
}

// scalarText turns a scalar into trimmed text; ok is false for lists and
// objects.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(x), true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// convert reads an attribute value by its mapping type. It returns nil for
// empty values (missing, null, blank text, a list with no items), which are
// omitted rather than stored as "".
func convert(v any, typ, sep string) (any, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		v = s
	}
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "":
		return normalize(v)
	case TypeString:
		s, ok := scalarText(v)
		if !ok {
			return nil, fmt.Errorf("want text, found %s", valueKind(v))
		}
		return s, nil
	case TypeNumber:
		switch x := v.(type) {
		case string:
			return parseNumber(x)
		case json.Number:
			return parseNumber(x.String())
		}
		return nil, fmt.Errorf("want a number, found %s", valueKind(v))
	case TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return parseBool(x)
		case json.Number:
			return parseBool(x.String())
		}
		return nil, fmt.Errorf("want true or false, found %s", valueKind(v))
	case TypeList:
		var parts []string
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				s, ok := scalarText(e)
				if !ok {
					return nil, fmt.Errorf("want a list of text, found a list holding %s", valueKind(e))
				}
				parts = append(parts, s)
			}
		default:
			s, ok := scalarText(x)
			if !ok {
				return nil, fmt.Errorf("want a list, found %s", valueKind(v))
			}
			parts = strings.Split(s, sep)
		}
		// []any, not []string: it is what attributes hold after Ripple's
		// JSON round trip, so reconciling compares like with like.
		var list []any
		for _, s := range parts {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		if len(list) == 0 {
			return nil, nil
		}
		return list, nil
	case TypeJSON:
		if s, ok := v.(string); ok {
			var out any
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, fmt.Errorf("not valid JSON: %v", err)
			}
			return out, nil
		}
		return normalize(v)
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

// normalize turns json.Number into float64 throughout a value, the type
// every number has once Ripple has stored it.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return parseNumber(x.String())
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return v, nil
}

// decimalRE is what spreadsheets and databases write for numbers. It
// keeps strconv.ParseFloat from accepting hex floats, "Inf" or "NaN",
// which JSON cannot store.
var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func parseNumber(s string) (any, error) {
	if !decimalRE.MatchString(s) {
		return nil, fmt.Errorf("%q is not a number", graph.Truncate(s, 40))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is out of range", graph.Truncate(s, 40))
	}
	return f, nil
}

func parseBool(s string) (any, error) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "on", "1":
		return true, nil
	case "false", "f", "no", "n", "off", "0":
		return false, nil
	}
	return nil, fmt.Errorf("%q is not true or false", graph.Truncate(s, 40))
}

package terraform

import (
	"encoding/json"
	"sort"
	"strconv"
)

// Limits on the "tf.attributes" copy. The graph accepts 64 KiB of
// attribute JSON per CI and 8 levels of nesting; keeping Terraform's share
// to half of that leaves room for the other tf.* keys and for attributes
// other sources contribute to the same CI.
const (
	// maxValueBytes drops single strings longer than this: IAM policies,
	// user_data, certificates and rendered templates are large, change
	// often and are not what a CMDB is asked about.
	maxValueBytes = 2 << 10
	// maxCopyBytes bounds the JSON size of the whole copy.
	maxCopyBytes = 32 << 10
	// maxDepth is graph.MaxAttributeNesting: the CI's attribute map is
	// level 1, "tf.attributes" level 2, a state attribute level 3. A
	// non-empty container at this level would put its elements deeper.
	maxDepth = 8
	// topDepth is the nesting level of a state attribute in the CI.
	topDepth = 3
)

// stepKind is the kind of one step of a sensitive attribute path.
type stepKind uint8

const (
	stepAttr  stepKind = iota // get_attr: an object attribute
	stepKey                   // index by string: a map element
	stepIndex                 // index by number: a list or tuple element
	stepOther                 // a set element or a step this package does not know
)

// step is one step of a path in "sensitive_attributes", which Terraform
// writes in cty's JSON path form:
//
//	[{"type":"get_attr","value":"input"},
//	 {"type":"index","value":{"value":0,"type":"number"}}]
type step struct {
	kind  stepKind
	name  string // stepAttr, stepKey
	index int    // stepIndex
}

// parseStep reads one path step. Shapes it does not recognize become
// stepOther, which redacts the whole collection the step would index into:
// a sensitive-path encoding a future Terraform introduces must hide too
// much, never leak.
func parseStep(raw json.RawMessage) step {
	var s struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return step{kind: stepOther}
	}
	switch s.Type {
	case "get_attr":
		var name string
		if json.Unmarshal(s.Value, &name) == nil {
			return step{kind: stepAttr, name: name}
		}
	case "index":
		var key struct {
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(s.Value, &key) != nil {
			break
		}
		var str string
		if json.Unmarshal(key.Value, &str) == nil {
			return step{kind: stepKey, name: str}
		}
		if n, err := strconv.Atoi(string(key.Value)); err == nil && n >= 0 {
			return step{kind: stepIndex, index: n}
		}
	}
	return step{kind: stepOther}
}

// marker replaces a redacted value until clean drops it. Marking first and
// removing afterwards keeps list indices of later paths valid when several
// paths point into the same list.
type marker struct{}

var redacted = &marker{}

func isRedacted(v any) bool {
	_, ok := v.(*marker)
	return ok
}

// isDynamic reports whether m is how Terraform stores a value of dynamic
// type (terraform_data's input, kubernetes_manifest's manifest): the value
// wrapped with its type. Sensitive paths name the inner value and skip the
// wrapper, so redaction must look through it.
func isDynamic(m map[string]any) bool {
	if len(m) != 2 {
		return false
	}
	_, hasValue := m["value"]
	_, hasType := m["type"]
	return hasValue && hasType
}

// redact marks the value at path p inside v and returns the (modified) v,
// or redacted when v itself must go. Whenever the path does not fit the
// data's shape (a scalar where a container should be, an index into a
// set), the whole container is redacted: guessing wrong must not leak.
func redact(v any, p []step) any {
	if len(p) == 0 {
		return redacted
	}
	s := p[0]
	if m, ok := v.(map[string]any); ok && isDynamic(m) {
		if s.kind == stepAttr && (s.name == "value" || s.name == "type") {
			// An object that merely looks like a wrapper; either reading
			// is possible, so hide both.
			return redacted
		}
		inner := redact(m["value"], p)
		if isRedacted(inner) {
			return redacted
		}
		m["value"] = inner
		return m
	}
	switch x := v.(type) {
	case nil:
		return nil // a null value hides nothing
	case *marker:
		return x
	case map[string]any:
		if s.kind != stepAttr && s.kind != stepKey {
			return redacted
		}
		child, ok := x[s.name]
		if !ok {
			return x
		}
		x[s.name] = redact(child, p[1:])
		return x
	case []any:
		if s.kind != stepIndex {
			return redacted
		}
		if s.index < len(x) {
			x[s.index] = redact(x[s.index], p[1:])
		}
		return x
	default:
		return redacted
	}
}

// clean copies v without redacted values, strings over maxValueBytes,
// empty object keys (the graph rejects them) and containers that would nest
// deeper than the graph allows. ok is false when v itself is dropped;
// trimmed is set when anything but a redacted value was dropped.
func clean(v any, depth int, trimmed *bool) (out any, ok bool) {
	switch x := v.(type) {
	case *marker:
		return nil, false
	case json.Number:
		// Attributes are decoded with UseNumber so that a number beyond
		// float64 (cty numbers are arbitrary precision) is kept as its
		// text instead of failing the import; the rest become float64,
		// the type the store gives every JSON number.
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f, true
		}
		return string(x), true
	case string:
		if len(x) > maxValueBytes {
			*trimmed = true
			return nil, false
		}
		return x, true
	case map[string]any:
		if len(x) > 0 && depth >= maxDepth {
			*trimmed = true
			return nil, false
		}
		m := make(map[string]any, len(x))
		for k, c := range x {
			if k == "" {
				*trimmed = true
				continue
			}
			if cv, ok := clean(c, depth+1, trimmed); ok {
				m[k] = cv
			}
		}
		return m, true
	case []any:
		if len(x) > 0 && depth >= maxDepth {
			*trimmed = true
			return nil, false
		}
		l := make([]any, 0, len(x))
		for _, c := range x {
			if cv, ok := clean(c, depth+1, trimmed); ok {
				l = append(l, cv)
			}
		}
		return l, true
	default:
		return x, true
	}
}

// fit keeps the copy under maxCopyBytes of JSON. When the whole copy is too
// big, only top-level scalars are kept (names, ids, sizes, flags are what a
// CMDB query needs); if even those are too big, scalars are kept in key
// order while they fit, so the result is the same on every run.
func fit(m map[string]any, trimmed *bool) map[string]any {
	if size(m) <= maxCopyBytes {
		return m
	}
	*trimmed = true
	keys := make([]string, 0, len(m))
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(keys))
	total := 2 // {}
	for _, k := range keys {
		n := size(k) + size(m[k]) + 2 // colon and comma
		if total+n > maxCopyBytes {
			continue
		}
		out[k] = m[k]
		total += n
	}
	return out
}

// size is the length of v's JSON encoding. v comes from encoding/json, so
// it always marshals.
func size(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return maxCopyBytes + 1
	}
	return len(b)
}

package embedded

import "github.com/ripple-cmdb/ripple/graph"

// cloneCI returns a copy of a stored CI that shares nothing mutable with it.
// Stored CIs are never modified in place, but callers of the CI reads may
// modify what they get, so everything those hand out is copied down to the
// last nested map. (Neighbourhood hands out the stored CIs read-only.)
func cloneCI(ci *graph.CI) graph.CI {
	out := *ci
	if ci.Identifiers != nil {
		out.Identifiers = append([]graph.Identifier(nil), ci.Identifiers...)
	}
	if ci.Attributes != nil {
		out.Attributes = cloneMap(ci.Attributes)
	}
	if ci.Provenance != nil {
		out.Provenance = make(map[string]graph.Origin, len(ci.Provenance))
		for k, o := range ci.Provenance {
			out.Provenance[k] = o
		}
	}
	return out
}

// cloneMap copies a JSON object. Attributes hold only what encoding/json
// produces, so maps and slices are the only reference types to copy.
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}

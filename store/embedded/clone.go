package embedded

import "github.com/ripple-cmdb/ripple/graph"

// cloneCI returns a copy of a stored CI that shares nothing mutable with it.
// Stored CIs are never modified in place, but callers may modify what they
// get, so everything handed out is copied down to the last nested map.
func cloneCI(ci *graph.CI) graph.CI {
	var slab []graph.Identifier
	return cloneCIWith(ci, &slab)
}

// cloneCIWith is cloneCI taking the Identifiers copy from the front of
// *slab when it has room, which lets a caller copying many CIs allocate
// their identifiers at once. Each copy is capped at its length, so a
// caller appending to one CI's identifiers cannot overwrite the next CI's.
func cloneCIWith(ci *graph.CI, slab *[]graph.Identifier) graph.CI {
	out := *ci
	if k := len(ci.Identifiers); k > 0 {
		s := *slab
		if cap(s)-len(s) < k {
			s = make([]graph.Identifier, 0, k)
		}
		start := len(s)
		s = append(s, ci.Identifiers...)
		out.Identifiers = s[start : start+k : start+k]
		*slab = s
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

package neo4j

import (
	"regexp"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// relType is a relation type name that has been checked against the
// catalogue and the name pattern, and so is safe to splice into Cypher
// (relationship types cannot be parameters). Query builders take relType,
// never string, so an unchecked name cannot reach a query by accident.
type relType string

// relTypeRE repeats the catalogue's name rule. The catalogue already
// enforces it; checking again here means the safety of splicing does not
// depend on code in another package staying as it is.
var relTypeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// checkRelType validates typ for splicing; field names the input at fault.
func checkRelType(cat *graph.Catalogue, field, typ string) (relType, error) {
	if err := cat.CheckRelationType(field, typ); err != nil {
		return "", err
	}
	if !relTypeRE.MatchString(typ) {
		return "", graph.Invalid(field, "relation type %q is not a valid name", typ)
	}
	return relType(typ), nil
}

// checkRelTypes validates a list of names from the catalogue itself (for
// example the result of TraversalTypes); field is used with the index.
func checkRelTypes(cat *graph.Catalogue, field string, names []string) ([]relType, error) {
	out := make([]relType, 0, len(names))
	for i, n := range names {
		t, err := checkRelType(cat, graph.FieldIndex(field, i), n)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// typeAlternation renders "A|B|C" for a relationship pattern.
func typeAlternation(types []relType) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = string(t)
	}
	return strings.Join(parts, "|")
}

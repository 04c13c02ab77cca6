package neo4j

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Property names of (:CI) nodes. Two are derived from the name so that
// Neo4j agrees with Go, and so with the embedded store, to the byte:
//
//   - nameLower: the Search filter lower-cases with Go's rules on both
//     sides; Cypher's toLower follows Java's, which differs on a few runes.
//   - sortKey: the ListCIs order (name, id) as one string, hex(name) + " " +
//     id. Cypher compares strings by UTF-16 code unit, so "😀" sorts before
//     "\uFF01" in Neo4j but after it in Go; hex digits compare the same
//     everywhere, in exactly Go's byte order. The space sorts below every
//     hex digit, so a name that is a prefix of another sorts first, and
//     equal names fall back to the id. One property with one range index
//     turns the keyset condition into a plain range seek read in index
//     order (a (name, id) pair with an OR made the planner scan and sort).
const (
	propID          = "id"
	propName        = "name"
	propNameLower   = "nameLower"
	propSortKey     = "sortKey"
	propClass       = "class"
	propStatus      = "status"
	propCriticality = "criticality"
	propEnvironment = "environment"
	propOwner       = "owner"
	propAttrs       = "attrs"
	propIdentifiers = "identifiers"
	propProvenance  = "provenance"
	propCreatedAt   = "createdAt"
	propUpdatedAt   = "updatedAt"
)

// ciRow is the property map written for a CI. Times are int64 Unix
// microseconds: graph.Now() has microsecond precision, so this round-trips
// exactly, and it sidesteps the zone a Neo4j datetime comes back with.
// Attributes, identifiers and provenance are JSON strings: Neo4j properties
// cannot hold maps, and the identifier order must survive.
func ciRow(ci graph.CI) (map[string]any, error) {
	var attrs any // nil removes the property on SET c = row
	if len(ci.Attributes) > 0 {
		b, err := json.Marshal(ci.Attributes)
		if err != nil {
			return nil, fmt.Errorf("encode attributes of CI %s: %w", ci.ID, err)
		}
		attrs = string(b)
	}
	var prov any // nil removes the property on SET c = row
	if len(ci.Provenance) > 0 {
		b, err := json.Marshal(ci.Provenance)
		if err != nil {
			return nil, fmt.Errorf("encode provenance of CI %s: %w", ci.ID, err)
		}
		prov = string(b)
	}
	idents := ci.Identifiers
	if idents == nil {
		idents = []graph.Identifier{}
	}
	ib, err := json.Marshal(idents)
	if err != nil {
		return nil, fmt.Errorf("encode identifiers of CI %s: %w", ci.ID, err)
	}
	return map[string]any{
		propID:          ci.ID,
		propName:        ci.Name,
		propNameLower:   strings.ToLower(ci.Name),
		propSortKey:     sortKey(ci.Name, ci.ID),
		propClass:       ci.Class,
		propStatus:      string(ci.Status),
		propCriticality: string(ci.Criticality),
		propEnvironment: ci.Environment,
		propOwner:       ci.Owner,
		propAttrs:       attrs,
		propIdentifiers: string(ib),
		propProvenance:  prov,
		propCreatedAt:   ci.CreatedAt.UnixMicro(),
		propUpdatedAt:   ci.UpdatedAt.UnixMicro(),
	}, nil
}

// ciFromNode decodes a (:CI) node written by ciRow.
func ciFromNode(n neo4j.Node) (graph.CI, error) {
	f := nodeFields(n)
	ci := graph.CI{
		ID:          f.str(propID),
		Name:        f.str(propName),
		Class:       f.str(propClass),
		Status:      graph.Status(f.str(propStatus)),
		Criticality: graph.Criticality(f.str(propCriticality)),
		Environment: f.str(propEnvironment),
		Owner:       f.str(propOwner),
		CreatedAt:   f.micros(propCreatedAt),
		UpdatedAt:   f.micros(propUpdatedAt),
	}
	identJSON := f.str(propIdentifiers)
	attrs, prov := f.optRaw(propAttrs), f.optRaw(propProvenance)
	if f.err != nil {
		return graph.CI{}, fmt.Errorf("decode CI node %s: %w", n.ElementId, f.err)
	}
	if attrs != nil {
		if err := json.Unmarshal(attrs, &ci.Attributes); err != nil {
			return graph.CI{}, fmt.Errorf("decode CI %s attributes: %w", ci.ID, err)
		}
		if len(ci.Attributes) == 0 {
			ci.Attributes = nil
		}
	}
	if prov != nil {
		if err := json.Unmarshal(prov, &ci.Provenance); err != nil {
			return graph.CI{}, fmt.Errorf("decode CI %s provenance: %w", ci.ID, err)
		}
		if len(ci.Provenance) == 0 {
			ci.Provenance = nil
		}
	}
	if err := json.Unmarshal([]byte(identJSON), &ci.Identifiers); err != nil {
		return graph.CI{}, fmt.Errorf("decode CI %s identifiers: %w", ci.ID, err)
	}
	if len(ci.Identifiers) == 0 {
		ci.Identifiers = nil
	}
	return ci, nil
}

// sortKey is the ListCIs sort key of a CI; see propSortKey.
func sortKey(name, id string) string { return hex.EncodeToString([]byte(name)) + " " + id }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// identifierKey is the unique key of an (:Identifier) node. Kinds match
// ^[a-z][a-z0-9-]*$, so the first colon always ends the kind and the key is
// unambiguous.
func identifierKey(id graph.Identifier) string { return id.Kind + ":" + id.Value }

// recordCI reads the CI node of a row, returned as c.
func recordCI(rec *neo4j.Record) (graph.CI, error) { return nodeColumn(rec, "c", ciFromNode) }

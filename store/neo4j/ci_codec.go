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
	var (
		ci  graph.CI
		err error
	)
	str := func(key string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = neo4j.GetProperty[string](n, key)
		if err != nil {
			err = fmt.Errorf("property %s: %w", key, err)
		}
		return v
	}
	micros := func(key string) time.Time {
		if err != nil {
			return time.Time{}
		}
		var v int64
		v, err = neo4j.GetProperty[int64](n, key)
		if err != nil {
			err = fmt.Errorf("property %s: %w", key, err)
		}
		return fromMicros(v)
	}
	ci.ID = str(propID)
	ci.Name = str(propName)
	ci.Class = str(propClass)
	ci.Status = graph.Status(str(propStatus))
	ci.Criticality = graph.Criticality(str(propCriticality))
	ci.Environment = str(propEnvironment)
	ci.Owner = str(propOwner)
	identJSON := str(propIdentifiers)
	ci.CreatedAt = micros(propCreatedAt)
	ci.UpdatedAt = micros(propUpdatedAt)
	if err != nil {
		return graph.CI{}, fmt.Errorf("decode CI node %s: %w", n.ElementId, err)
	}
	if _, ok := n.Props[propAttrs]; ok {
		s, err := neo4j.GetProperty[string](n, propAttrs)
		if err != nil {
			return graph.CI{}, fmt.Errorf("decode CI %s attributes: %w", ci.ID, err)
		}
		if err := json.Unmarshal([]byte(s), &ci.Attributes); err != nil {
			return graph.CI{}, fmt.Errorf("decode CI %s attributes: %w", ci.ID, err)
		}
		if len(ci.Attributes) == 0 {
			ci.Attributes = nil
		}
	}
	if _, ok := n.Props[propProvenance]; ok {
		s, err := neo4j.GetProperty[string](n, propProvenance)
		if err != nil {
			return graph.CI{}, fmt.Errorf("decode CI %s provenance: %w", ci.ID, err)
		}
		if err := json.Unmarshal([]byte(s), &ci.Provenance); err != nil {
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

// recordCI reads a CI node returned under key.
func recordCI(rec *neo4j.Record, key string) (graph.CI, error) {
	n, isNil, err := neo4j.GetRecordValue[neo4j.Node](rec, key)
	if err != nil {
		return graph.CI{}, fmt.Errorf("read %s: %w", key, err)
	}
	if isNil {
		return graph.CI{}, fmt.Errorf("read %s: unexpected null", key)
	}
	return ciFromNode(n)
}

// recordString reads a string column; null reads as "".
func recordString(rec *neo4j.Record, key string) (string, error) {
	v, _, err := neo4j.GetRecordValue[string](rec, key)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// recordInt reads an integer column; null reads as 0.
func recordInt(rec *neo4j.Record, key string) (int64, error) {
	v, _, err := neo4j.GetRecordValue[int64](rec, key)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// recordBool reads a boolean column; null reads as false.
func recordBool(rec *neo4j.Record, key string) (bool, error) {
	v, _, err := neo4j.GetRecordValue[bool](rec, key)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// recordList reads a list column whose items all have type T. The driver
// has no typed getter for list items, so each is checked, never assumed.
func recordList[T any](rec *neo4j.Record, key string) ([]T, error) {
	raw, _, err := neo4j.GetRecordValue[[]any](rec, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	out := make([]T, len(raw))
	for i, v := range raw {
		x, ok := v.(T)
		if !ok {
			return nil, fmt.Errorf("read %s[%d]: expected %T, got %T", key, i, x, v)
		}
		out[i] = x
	}
	return out, nil
}

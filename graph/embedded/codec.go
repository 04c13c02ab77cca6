package embedded

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// On-disk layout. Every bucket is a pure function of the CIs bucket plus the
// relations bucket, except that the identifiers bucket is kept so that a
// corrupted or hand-edited file is caught at open (load cross-checks it)
// instead of silently re-deriving ownership.
var (
	bucketMeta   = []byte("meta")
	bucketCIs    = []byte("cis")         // ci id → CI JSON
	bucketRels   = []byte("relations")   // from|type|to → Relation JSON
	bucketIdents = []byte("identifiers") // kind NUL value → ci id

	keySchema = []byte("schema")
)

// schemaVersion is bumped whenever the layout above changes incompatibly;
// Open refuses files written with another version rather than misreading
// them.
const schemaVersion = "1"

// relSep cannot occur in a CI id (a UUID) or a relation type name
// ([A-Z0-9_]), so a relation key splits unambiguously.
const relSep = "|"

func relKey(k graph.RelationKey) []byte {
	return []byte(k.From + relSep + k.Type + relSep + k.To)
}

func parseRelKey(b []byte) (graph.RelationKey, error) {
	parts := strings.Split(string(b), relSep)
	if len(parts) != 3 {
		return graph.RelationKey{}, fmt.Errorf("malformed relation key %q", b)
	}
	return graph.RelationKey{From: parts[0], Type: parts[1], To: parts[2]}, nil
}

// identKey puts the kind first: kinds match ^[a-z][a-z0-9-]*$ and so never
// contain the NUL separator, while values may contain anything.
func identKey(id graph.Identifier) []byte {
	return []byte(id.Kind + "\x00" + id.Value)
}

func parseIdentKey(b []byte) (graph.Identifier, error) {
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return graph.Identifier{}, fmt.Errorf("malformed identifier key %q", b)
	}
	return graph.Identifier{Kind: string(b[:i]), Value: string(b[i+1:])}, nil
}

func encodeCI(ci *graph.CI) ([]byte, error) {
	b, err := json.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encode ci %s: %w", ci.ID, err)
	}
	return b, nil
}

// decodeCI reads a CI record. Timestamps were written in UTC ("Z"), which
// encoding/json parses back to UTC, so they compare equal and report UTC.
func decodeCI(b []byte) (*graph.CI, error) {
	var ci graph.CI
	if err := json.Unmarshal(b, &ci); err != nil {
		return nil, fmt.Errorf("decode ci: %w", err)
	}
	if len(ci.Attributes) == 0 {
		ci.Attributes = nil
	}
	if len(ci.Identifiers) == 0 {
		ci.Identifiers = nil
	}
	return &ci, nil
}

func encodeRel(r graph.Relation) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode relation %s: %w", relKey(r.Key()), err)
	}
	return b, nil
}

func decodeRel(b []byte) (graph.Relation, error) {
	var r graph.Relation
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decode relation: %w", err)
	}
	return r, nil
}

package neo4j

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// recordValue reads a column of type T; null reads as the zero value.
func recordValue[T neo4j.RecordValue](rec *neo4j.Record, key string) (T, error) {
	v, _, err := neo4j.GetRecordValue[T](rec, key)
	if err != nil {
		return v, fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// nodeColumn decodes the node in column key of a row, which must not be
// null.
func nodeColumn[T any](rec *neo4j.Record, key string, decode func(neo4j.Node) (T, error)) (T, error) {
	n, isNil, err := neo4j.GetRecordValue[neo4j.Node](rec, key)
	if err == nil && isNil {
		err = fmt.Errorf("unexpected null")
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("read %s: %w", key, err)
	}
	return decode(n)
}

// recordList reads a list column whose items all have type T; null reads
// as nil.
func recordList[T any](rec *neo4j.Record, key string) ([]T, error) {
	raw, _, err := neo4j.GetRecordValue[[]any](rec, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return listItems[T]("read "+key, raw)
}

// listItems checks that every item of a list read from the driver has type
// T: the driver has no typed getter for list items, so each is checked,
// never assumed. what names the list in errors.
func listItems[T any](what string, raw []any) ([]T, error) {
	out := make([]T, len(raw))
	for i, v := range raw {
		x, ok := v.(T)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: expected %T, got %T", what, i, x, v)
		}
		out[i] = x
	}
	return out, nil
}

// fields reads the properties of one node, or the columns of one result
// row, one after another and keeps the first error, so that a decoder
// reads every field and checks once. A node property read with str, int or
// micros must exist; the opt readers and has are for properties a node may
// lack. A row's null column reads as the zero value.
type fields struct {
	node neo4j.Node
	row  *neo4j.Record
	err  error
}

func nodeFields(n neo4j.Node) *fields         { return &fields{node: n} }
func rowFields(rec *neo4j.Record) *fields     { return &fields{row: rec} }
func (f *fields) str(key string) string       { return field[string](f, key) }
func (f *fields) int(key string) int64        { return field[int64](f, key) }
func (f *fields) micros(key string) time.Time { return fromMicros(f.int(key)) }

// field reads one value of type T.
func field[T neo4j.PropertyValue](f *fields, key string) T {
	var v T
	if f.err != nil {
		return v
	}
	if f.row != nil {
		v, f.err = recordValue[T](f.row, key)
		return v
	}
	v, err := neo4j.GetProperty[T](f.node, key)
	if err != nil {
		f.err = fmt.Errorf("property %s: %w", key, err)
	}
	return v
}

// has reports whether the node has the property (the row a non-null
// column).
func (f *fields) has(key string) bool {
	if f.row != nil {
		v, ok := f.row.Get(key)
		return ok && v != nil
	}
	v, ok := f.node.Props[key]
	return ok && v != nil
}

// optMicros reads a time the node may lack; absent reads as nil.
func (f *fields) optMicros(key string) *time.Time {
	if f.err != nil || !f.has(key) {
		return nil
	}
	t := f.micros(key)
	if f.err != nil {
		return nil
	}
	return &t
}

// optStr reads a string the node may lack; absent reads as "".
func (f *fields) optStr(key string) string {
	if f.err != nil || !f.has(key) {
		return ""
	}
	return f.str(key)
}

// optRaw reads a JSON document stored as a string the node may lack;
// absent reads as nil.
func (f *fields) optRaw(key string) json.RawMessage {
	if f.err != nil || !f.has(key) {
		return nil
	}
	return json.RawMessage(f.str(key))
}

// strings reads a list of strings; absent (or null) reads as nil.
func (f *fields) strings(key string) []string {
	if f.err != nil || !f.has(key) {
		return nil
	}
	raw := field[[]any](f, key)
	if f.err != nil || raw == nil {
		return nil
	}
	out, err := listItems[string]("property "+key, raw)
	f.err = err
	return out
}

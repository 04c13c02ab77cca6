package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// stream reads one file. The top level is one or more JSON objects (kubectl
// prints one; concatenated dumps are accepted too), each either a List,
// whose "items" are decoded one element at a time so memory stays bounded by
// the largest object, or a single object.
type stream struct {
	p    *Parser
	ctx  context.Context
	file string
	emit feed.Emitter
	lr   *feed.LineReader
	dec  *json.Decoder
	n    int64 // bytes read from the input, for errors at its end
}

// Read counts what the decoder reads, so a truncated file's error points at
// its last byte rather than at the last complete token.
func (s *stream) Read(b []byte) (int, error) {
	n, err := s.lr.Read(b)
	s.n += int64(n)
	return n, err
}

// located maps an offset inside a decoded value back to the input, so type
// errors found after the value was read still point into the file.
type located struct {
	raw   []byte
	pos   func(off int64) int64
	field string // "items[3]", or "" for a top-level object
}

func (s *stream) run(r io.Reader) error {
	s.lr = feed.NewLineReader(r)
	s.dec = json.NewDecoder(s)
	for n := 0; ; n++ {
		tok, err := s.dec.Token()
		if err == io.EOF {
			if n == 0 {
				return feed.Inputf(s.lr.At(0), "", "empty input: want the JSON of `kubectl get ... -o json`")
			}
			return nil
		}
		if err != nil {
			return s.decodeErr(err, "")
		}
		if tok != json.Delim('{') {
			return feed.Inputf(s.lr.At(s.dec.InputOffset()-1), "", "want a JSON object (a kubectl List or a single object), found %s", tokenName(tok))
		}
		if err := s.topObject(); err != nil {
			return err
		}
	}
}

// topObject reads the rest of a top-level object whose "{" was consumed.
// A List's "items" are streamed as they come; its other fields are small and
// kept, and if no "items" turns up they are the single object itself.
func (s *stream) topObject() error {
	type field struct {
		key   string
		raw   json.RawMessage
		start int64
	}
	objStart := s.dec.InputOffset() - 1
	var fields []field
	var listKind, listAPIVersion string
	sawItems := false
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return s.decodeErr(err, "")
		}
		key, _ := tok.(string)
		if key == "items" {
			sawItems = true
			if err := s.items(listKind, listAPIVersion); err != nil {
				return err
			}
			continue
		}
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return s.decodeErr(err, key)
		}
		start := s.dec.InputOffset() - int64(len(raw))
		fields = append(fields, field{key, raw, start})
		// A typed list (PodList from the API, not kubectl) omits kind and
		// apiVersion on its items; they follow from the list's own when
		// that comes first, as the API server writes it.
		switch key {
		case "kind":
			var k string
			if json.Unmarshal(raw, &k) == nil {
				listKind = k
			}
		case "apiVersion":
			var v string
			if json.Unmarshal(raw, &v) == nil {
				listAPIVersion = v
			}
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing "}"
		return s.decodeErr(err, "")
	}
	if sawItems {
		return nil
	}
	if strings.HasSuffix(listKind, "List") {
		return nil // a List without items: nothing in it
	}
	// A single object: put its fields back together, remembering where
	// each came from so errors still point into the file.
	type segment struct{ at, start, n int64 }
	var buf []byte
	var segs []segment
	buf = append(buf, '{')
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(f.key)
		buf = append(buf, k...)
		buf = append(buf, ':')
		segs = append(segs, segment{int64(len(buf)), f.start, int64(len(f.raw))})
		buf = append(buf, f.raw...)
	}
	buf = append(buf, '}')
	pos := func(off int64) int64 {
		for _, sg := range segs {
			if off >= sg.at && off <= sg.at+sg.n {
				return sg.start + off - sg.at
			}
		}
		return objStart
	}
	return s.object(located{raw: buf, pos: pos}, "", "")
}

// items streams the elements of a List's "items" array.
func (s *stream) items(listKind, listAPIVersion string) error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.decodeErr(err, "items")
	}
	if tok == nil {
		return nil // "items": null, as some tools write an empty list
	}
	if tok != json.Delim('[') {
		return feed.Inputf(s.lr.At(s.dec.InputOffset()-1), "items", "items must be an array, found %s", tokenName(tok))
	}
	itemKind, itemAPIVersion := "", ""
	if strings.HasSuffix(listKind, "List") && listKind != "List" {
		itemKind, itemAPIVersion = strings.TrimSuffix(listKind, "List"), listAPIVersion
	}
	for i := 0; s.dec.More(); i++ {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		field := fmt.Sprintf("items[%d]", i)
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return s.decodeErr(err, field)
		}
		start := s.dec.InputOffset() - int64(len(raw))
		loc := located{raw: raw, pos: func(off int64) int64 { return start + off }, field: field}
		if err := s.object(loc, itemKind, itemAPIVersion); err != nil {
			return err
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing "]"
		return s.decodeErr(err, "items")
	}
	return nil
}

// decodeErr turns a decoder error into an *feed.InputError at the
// place the decoder stopped. Read errors of the underlying reader are not
// the file's fault and are returned wrapped.
func (s *stream) decodeErr(err error, field string) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &feed.InputError{At: s.lr.At(s.syntaxOffset()), Field: field, Message: "invalid JSON: " + strings.TrimPrefix(syn.Error(), "json: ")}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &feed.InputError{At: s.lr.At(max(s.n-1, 0)), Field: field, Message: "unexpected end of input: the file is truncated"}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &feed.InputError{At: s.lr.At(s.dec.InputOffset()), Field: joinField(field, te.Field), Message: typeMessage(te)}
	}
	return fmt.Errorf("kubernetes: reading %s: %w", s.file, err)
}

// syntaxOffset finds the byte a syntax error is at. json.Decoder's
// SyntaxError.Offset counts only the bytes its Decode calls scanned, not
// the delimiters Token consumed, so it cannot be used as an input offset.
// The failed value is still in the decoder's buffer from InputOffset on:
// scanning it again on its own gives the error's offset within it.
func (s *stream) syntaxOffset() int64 {
	start := s.dec.InputOffset()
	rest, _ := io.ReadAll(s.dec.Buffered())
	var raw json.RawMessage
	var syn *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(rest)).Decode(&raw); errors.As(err, &syn) && syn.Offset > 0 {
		return start + syn.Offset - 1
	}
	// Token's own errors (a missing comma or colon) are at InputOffset.
	return start
}

// unmarshal decodes loc's value into v, turning a type mismatch into an
// *feed.InputError that names the object, the field and the position.
func (s *stream) unmarshal(loc located, what string, v any) error {
	err := json.Unmarshal(loc.raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		msg := typeMessage(te)
		if what != "" {
			msg = what + ": " + msg
		}
		// Offset is just past the mismatched literal, or just past the
		// opening bracket of an object or array: one back is inside it.
		return &feed.InputError{At: s.lr.At(loc.pos(max(te.Offset-1, 0))), Field: joinField(loc.field, te.Field), Message: msg}
	}
	// The value was read by the decoder already, so anything else is a bug
	// in a type here; report it against the object rather than panic.
	return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: loc.field, Message: strings.TrimPrefix(err.Error(), "json: ")}
}

// fieldErr reports a value of the wrong shape found after decoding (a
// quantity or port that is neither string nor number), at the object.
func (s *stream) fieldErr(loc located, what, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if what != "" {
		msg = what + ": " + msg
	}
	return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, field), Message: msg}
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// typeMessage says in JSON terms, not Go's, what was found and wanted.
func typeMessage(te *json.UnmarshalTypeError) string {
	found := te.Value
	switch found {
	case "string", "number", "object", "array":
		found = article(found)
	case "bool":
		found = "a boolean"
	}
	want := "a different type"
	if te.Type != nil {
		switch te.Type.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "a boolean"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "an integer"
		case reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Map, reflect.Struct:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "an array"
		}
	}
	if te.Field == "" {
		return fmt.Sprintf("found %s, want %s", found, want)
	}
	return fmt.Sprintf("%s is %s, want %s", te.Field, found, want)
}

func article(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

func tokenName(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			return "an array"
		case '{':
			return "an object"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

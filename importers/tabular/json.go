package tabular

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// NewJSON returns a parser for JSON exports read with m: either one
// top-level array of objects or JSON Lines (one object per line), told
// apart by the first non-space character. Mapping columns are field paths:
// "hardware.serial" is the serial field of the hardware object, and a
// key that itself contains dots is matched whole first. Records are
// decoded one at a time, so the file is never held in memory.
func NewJSON(m Mapping) feed.Parser { return newParser(m, (*plan).parseJSON) }

// tracker remembers how much was read and where the last non-space byte
// was, so a truncated file is reported where it stops rather than after
// its trailing newline.
type tracker struct {
	r            io.Reader
	n            int64
	lastNonSpace int64
}

func (t *tracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if i := len(bytes.TrimRight(p[:n], " \t\r\n")); i > 0 {
		t.lastNonSpace = t.n + int64(i) - 1
	}
	t.n += int64(n)
	return n, err
}

func (p *plan) parseJSON(ctx context.Context, r io.Reader, emit feed.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &tracker{r: r}
	lr := feed.NewLineReader(t)
	br := bufio.NewReader(lr)

	// Find the first non-space byte by hand: it decides the format, and
	// the bytes skipped are the base of every decoder offset below.
	var base int64
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
		base += int64(len(utf8BOM))
	}
	var first byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return feed.Inputf(lr.At(base), "", "empty input: want a JSON array of objects or JSON Lines")
		}
		if err != nil {
			return err
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			base++
			continue
		}
		_ = br.UnreadByte()
		first = c
		break
	}
	array := first == '['
	if !array && first != '{' {
		return feed.Inputf(lr.At(base), "", "want a JSON array of objects or JSON Lines (one object per line), found %q", first)
	}

	dec := json.NewDecoder(br)
	dec.UseNumber()
	pos := func(off int64) string { return lr.At(base + off) }
	truncated := func(what string) error {
		return feed.Inputf(lr.At(t.lastNonSpace), "", "unexpected end of input %s: the file is cut off", what)
	}
	if array {
		if _, err := dec.Token(); err != nil {
			return err // cannot happen: the '[' is buffered
		}
	}
	if p.scope != "" {
		if err := emit.Scope(p.scope); err != nil {
			return err
		}
	}

	row := &jsonRow{p: p}
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if array && !dec.More() {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if !array && err == io.EOF {
				return nil
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				// Cut off after a record's comma, or inside a record.
				rest, _ := io.ReadAll(dec.Buffered())
				if array && len(bytes.Trim(rest, " \t\r\n,")) == 0 {
					return truncated("before the closing ]")
				}
				return truncated(fmt.Sprintf("in record %d", n))
			}
			return jsonSyntaxError(dec, err, pos, n)
		}
		// The raw value excludes the whitespace and comma before it, so
		// its start is its end minus its length.
		at := pos(dec.InputOffset() - int64(len(raw)))
		if raw[0] != '{' {
			return feed.Inputf(at, "", "record %d: want an object, found %s", n, feed.JSONKind(raw))
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			return feed.Inputf(at, "", "record %d: %v", n, err) // cannot happen: raw is valid
		}
		row.obj, row.loc, row.n = obj, at, n
		item, links, err := p.build(row, at)
		if err != nil {
			return err
		}
		if err := emit.Item(item); err != nil {
			return err
		}
		for _, l := range links {
			if err := emit.Link(l); err != nil {
				return err
			}
		}
	}

	// The array must close, and nothing may follow it: a second array
	// glued on would otherwise be silently ignored.
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated("before the closing ]")
	}
	if err != nil {
		return jsonSyntaxError(dec, err, pos, 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != ']' {
		return feed.Inputf(pos(dec.InputOffset()), "", "want ] after the last record, found %v", tok)
	}
	// Scan what follows by hand: the decoder's offsets after a token
	// point past it, not at it.
	end := dec.InputOffset()
	rest := bufio.NewReader(io.MultiReader(dec.Buffered(), br))
	for {
		c, err := rest.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return feed.Inputf(pos(end), "", "unexpected data after the closing ] of the array")
		}
		end++
	}
}

// jsonSyntaxError locates a decoder error. json.Decoder's SyntaxError
// offsets do not count bytes consumed as tokens (the array's '[' and
// commas), so the failing value is re-scanned from the decoder's position
// with json.Unmarshal, whose offsets are exact.
func jsonSyntaxError(dec *json.Decoder, err error, pos func(int64) string, n int) error {
	what := "after the last record"
	if n > 0 {
		what = "in record " + strconv.Itoa(n)
	}
	start := dec.InputOffset()
	rest, _ := io.ReadAll(dec.Buffered())
	k := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
	off := start + int64(k)
	var raw json.RawMessage
	if d := json.NewDecoder(bytes.NewReader(rest[k:])); d.Decode(&raw) != nil {
		// The value itself is bad: find the byte at fault.
		var se *json.SyntaxError
		if e := json.Unmarshal(rest[k:], &raw); errors.As(e, &se) && se.Offset > 0 {
			off += se.Offset - 1
		}
	}
	msg := err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg = se.Error()
	}
	return feed.Inputf(pos(off), "", "%s: invalid JSON: %s", what, strings.TrimPrefix(msg, "json: "))
}

type jsonRow struct {
	p   *plan
	obj map[string]any
	loc string
	n   int
}

func (r *jsonRow) value(slot int) any { return lookup(r.obj, r.p.columns[slot]) }

// at is the record's position for every field: finding each field's own
// offset would mean tokenizing records by hand, and the record's start
// plus the field path is enough to find it.
func (r *jsonRow) at(int) string { return r.loc }

func (r *jsonRow) prefix() string { return "record " + strconv.Itoa(r.n) + ": " }

// lookup resolves a dotted field path. Exports that flatten nested data
// use keys with dots in them ("hardware.serial"), so at each level the
// whole remaining path is tried as a key before splitting at a dot, left
// to right. A number segment indexes a list ("addresses.0"). A missing
// field is nil, like null.
func lookup(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		if e, ok := x[path]; ok {
			return e
		}
		for i := 0; i < len(path); i++ {
			if path[i] != '.' {
				continue
			}
			if e, ok := x[path[:i]]; ok {
				if found := lookup(e, path[i+1:]); found != nil {
					return found
				}
			}
		}
	case []any:
		head, rest, more := strings.Cut(path, ".")
		i, err := strconv.Atoi(head)
		if err != nil || i < 0 || i >= len(x) || head != strconv.Itoa(i) {
			return nil
		}
		if !more {
			return x[i]
		}
		return lookup(x[i], rest)
	}
	return nil
}

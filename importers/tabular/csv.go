package tabular

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// NewCSV returns a parser for CSV files with a header row, read with m.
// Mapped columns are found by header name (exact, after trimming spaces),
// so the order of columns does not matter and unmapped columns are
// ignored. An invalid mapping makes every Parse fail with m's validation
// error.
func NewCSV(m Mapping) feed.Parser { return newParser(m, (*plan).parseCSV) }

// newParser compiles a mapping into a parser reading with parse.
func newParser(m Mapping, parse func(*plan, context.Context, io.Reader, feed.Emitter) error) feed.Parser {
	p, err := compile(m)
	return feed.ParserFunc(func(ctx context.Context, file string, r io.Reader, emit feed.Emitter) error {
		if err != nil {
			return fmt.Errorf("tabular mapping: %w", err)
		}
		perr := parse(p, ctx, r, emit)
		var ie *feed.InputError
		if errors.As(perr, &ie) && ie.File == "" {
			ie.File = file
		}
		return perr
	})
}

// utf8BOM is what Excel puts before "CSV UTF-8" exports; csv.Reader would
// take it as part of the first header name (or, before a quote, reject
// the header as a bare quote).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (p *plan) parseCSV(ctx context.Context, r io.Reader, emit feed.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == string(utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma = p.comma
	// Streaming: the reader reuses one slice for every row; nothing below
	// keeps it past the row.
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return feed.Inputf("line 1", "", "empty file: a header row naming the columns is required")
	}
	if err != nil {
		return csvError(err, nil, 0)
	}
	// Normally "line 1"; csv.Reader skips blank lines before the header.
	headerLine, _ := cr.FieldPos(0)
	headerAt := fmt.Sprintf("line %d", headerLine)
	names := make([]string, len(header))
	index := map[string]int{}
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
		if _, dup := index[names[i]]; !dup {
			index[names[i]] = i
		}
	}
	cols := make([]int, len(p.columns))
	var missing []int
	for slot, col := range p.columns {
		i, ok := index[col]
		if !ok {
			missing = append(missing, slot)
			continue
		}
		for j := i + 1; j < len(names); j++ {
			if names[j] == col {
				return feed.Inputf(headerAt, col, "column %q (%s) appears twice in the header, as columns %d and %d", col, p.usedBy[slot], i+1, j+1)
			}
		}
		cols[slot] = i
	}
	if len(missing) > 0 {
		first := missing[0]
		msg := fmt.Sprintf("column %q (%s) is not in the header", p.columns[first], p.usedBy[first])
		if len(missing) > 1 {
			var more []string
			for _, s := range missing[1:] {
				more = append(more, strconv.Quote(p.columns[s]))
			}
			msg += "; also missing: " + strings.Join(more, ", ")
		}
		msg += "; the header has: " + quoteList(names)
		if p.comma == ',' && len(names) == 1 && strings.ContainsAny(names[0], ";\t") {
			msg += ` (is the file separated by ";" or tabs? set "delimiter" in the mapping)`
		}
		return feed.Inputf(headerAt, p.columns[first], "%s", msg)
	}

	if p.scope != "" {
		if err := emit.Scope(p.scope); err != nil {
			return err
		}
	}
	row := &csvRow{cr: cr, cols: cols}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err, rec, len(header))
		}
		// Spreadsheets export rows that only ever had formatting as a run
		// of delimiters; they hold no CI.
		if blank(rec) {
			continue
		}
		row.rec = rec
		for slot, i := range cols {
			if !utf8.ValidString(rec[i]) {
				return p.rowError(row, slot, "not valid UTF-8: export the file as UTF-8")
			}
		}
		line, _ := cr.FieldPos(0)
		at := fmt.Sprintf("line %d", line)
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
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvError turns encoding/csv's errors into InputErrors; anything else
// (a failing reader) is returned as it is.
func csvError(err error, rec []string, headerLen int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return feed.Inputf(fmt.Sprintf("line %d", pe.StartLine), "", "row has %d fields, the header has %d (an unquoted delimiter or quote in a cell?)", len(rec), headerLen)
	}
	msg := pe.Err.Error()
	if pe.StartLine != pe.Line {
		// An unclosed quote swallows the rest of the file: the row where
		// it opened is what the user has to look at.
		msg += fmt.Sprintf(" (the row starts on line %d)", pe.StartLine)
	}
	return feed.Inputf(fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "", "%s", msg)
}

type csvRow struct {
	cr   *csv.Reader
	cols []int // slot → index in the row
	rec  []string
}

func (r *csvRow) value(slot int) any { return r.rec[r.cols[slot]] }

func (r *csvRow) at(slot int) string {
	line, _ := r.cr.FieldPos(r.cols[slot])
	return fmt.Sprintf("line %d", line)
}

func (r *csvRow) prefix() string { return "" }

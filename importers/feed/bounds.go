package feed

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLineBytes bounds one line of input. Every format Ripple reads is
// line-oriented as its tools write it (CSV rows, nmap's XML, kubectl's and
// Terraform's indented JSON), and the decoders hold a whole line (a CSV
// record, a JSON or XML token) in memory: without a bound, one huge field
// costs memory in proportion to the field, not to the run. A longer line is
// refused as an *InputError naming it; minified JSON longer than this is
// pretty-printed first (jq . file.json).
const MaxLineBytes = 8 << 20

// MaxExcerptBytes bounds how much of the input a message quotes: errors
// are answered and recorded, and must not carry the input back.
const MaxExcerptBytes = 256

// Excerpt returns s cut to at most n bytes (on a UTF-8 boundary), saying
// how long it was when it is cut.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}

// LineLimiter wraps a reader and fails it, with an *InputError naming the
// line, as soon as a line grows past its limit; Err returns that error once
// it happened, so a caller can put it before whatever the decoder made of
// the failed read.
type LineLimiter struct {
	r    io.Reader
	max  int
	line int   // 1-based number of the line being read
	cur  int   // bytes of that line read so far
	err  error // the *InputError, once the limit is hit
}

// LimitLines wraps r so that no line is longer than max bytes.
func LimitLines(r io.Reader, max int) *LineLimiter {
	return &LineLimiter{r: r, max: max, line: 1}
}

// Read implements io.Reader.
func (l *LineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.line++
			l.cur = 0
			continue
		}
		l.cur++
		if l.cur > l.max {
			l.err = Inputf(fmt.Sprintf("line %d", l.line), "",
				"line %d is longer than %d bytes: a field or value this large is not discovery data (minified JSON: pretty-print it first)", l.line, l.max)
			// Hand over what precedes the limit; the next read fails.
			return i, nil
		}
	}
	return n, err
}

// Err returns the *InputError of an overlong line, or nil.
func (l *LineLimiter) Err() *InputError {
	if l.err == nil {
		return nil
	}
	return l.err.(*InputError)
}

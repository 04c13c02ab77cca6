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
// line, as soon as a line grows past its limit or holds bytes that are not
// UTF-8; Err returns that error once it happened, so a caller can put it
// before whatever the decoder made of the failed read. Invalid UTF-8 is
// refused here, once for every format, because the decoders would not:
// encoding/json turns it into U+FFFD and encoding/csv passes it on, and
// either way a CI's name would be stored as something the source never
// said.
type LineLimiter struct {
	r    io.Reader
	max  int
	line int   // 1-based number of the line being read
	cur  int   // bytes of that line read so far
	err  error // the *InputError, once the limit is hit
	// partial holds the first bytes of a multi-byte character that the
	// last read ended in the middle of.
	partial []byte
}

// LimitLines wraps r so that no line is longer than max bytes and every
// line is UTF-8.
func LimitLines(r io.Reader, max int) *LineLimiter {
	return &LineLimiter{r: r, max: max, line: 1}
}

// Read implements io.Reader.
func (l *LineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		c := p[i]
		if c == '\n' && len(l.partial) == 0 {
			l.line++
			l.cur = 0
			i++
			continue
		}
		if l.cur+1 > l.max {
			l.err = Inputf(fmt.Sprintf("line %d", l.line), "",
				"line %d is longer than %d bytes: a field or value this large is not discovery data (minified JSON: pretty-print it first)", l.line, l.max)
			// Hand over what precedes the limit; the next read fails.
			return i, nil
		}
		size := 1
		if c >= utf8.RuneSelf || len(l.partial) > 0 {
			var ok bool
			if size, ok = l.rune(p[i:n], err != nil); !ok {
				l.err = Inputf(fmt.Sprintf("line %d", l.line), "",
					"line %d is not valid UTF-8 (byte %d of the line): convert the file to UTF-8", l.line, l.cur+1)
				return i, nil
			}
		}
		l.cur += size
		i += size
	}
	if err == io.EOF && len(l.partial) > 0 {
		l.err = Inputf(fmt.Sprintf("line %d", l.line), "",
			"line %d ends in the middle of a UTF-8 character: convert the file to UTF-8", l.line)
		return n, nil
	}
	return n, err
}

// rune checks the character starting at b[0] (continuing l.partial, if a
// read ended inside one) and returns how many bytes of b it takes. A
// character cut by the end of b is kept in l.partial for the next read
// unless last says no more reads will come.
func (l *LineLimiter) rune(b []byte, last bool) (int, bool) {
	have := len(l.partial)
	buf := append(l.partial, b[:min(len(b), utf8.UTFMax-have)]...)
	if !utf8.FullRune(buf) && !last && len(b) < utf8.UTFMax-have {
		l.partial = buf
		return len(b), true
	}
	r, size := utf8.DecodeRune(buf)
	l.partial = l.partial[:0]
	if r == utf8.RuneError && size <= 1 {
		return 0, false
	}
	return size - have, true
}

// Err returns the *InputError of an overlong line, or nil.
func (l *LineLimiter) Err() *InputError {
	if l.err == nil {
		return nil
	}
	return l.err.(*InputError)
}

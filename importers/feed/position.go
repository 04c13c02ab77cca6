package feed

import (
	"fmt"
	"io"
	"sort"
)

// LineReader wraps a reader and remembers where its lines start, so a
// streaming decoder's byte offset (json.Decoder.InputOffset) can be turned
// into the "line L, column C" users see in their editor. It keeps one int64
// per line read, not the text.
type LineReader struct {
	r      io.Reader
	read   int64
	starts []int64 // byte offsets of the starts of lines 2, 3, ...
}

// NewLineReader wraps r.
func NewLineReader(r io.Reader) *LineReader { return &LineReader{r: r} }

// Read implements io.Reader.
func (l *LineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.starts = append(l.starts, l.read+int64(i)+1)
		}
	}
	l.read += int64(n)
	return n, err
}

// Position returns the 1-based line and column of a byte offset already
// read.
func (l *LineReader) Position(offset int64) (line, col int) {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > offset })
	start := int64(0)
	if i > 0 {
		start = l.starts[i-1]
	}
	return i + 1, int(offset-start) + 1
}

// At formats the position of a byte offset as "line L, column C".
func (l *LineReader) At(offset int64) string {
	line, col := l.Position(offset)
	return fmt.Sprintf("line %d, column %d", line, col)
}

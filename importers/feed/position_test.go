package feed

import (
	"io"
	"strings"
	"testing"
)

func TestLineReaderPosition(t *testing.T) {
	lr := NewLineReader(strings.NewReader("ab\ncde\n\nf"))
	if _, err := io.ReadAll(lr); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		offset    int64
		line, col int
	}{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {6, 2, 4}, {7, 3, 1}, {8, 4, 1},
	}
	for _, tc := range tests {
		line, col := lr.Position(tc.offset)
		if line != tc.line || col != tc.col {
			t.Errorf("Position(%d) = %d,%d, want %d,%d", tc.offset, line, col, tc.line, tc.col)
		}
	}
}

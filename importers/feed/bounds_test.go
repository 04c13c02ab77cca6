package feed

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineLimiter(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		at       string // "" = no error
	}{
		{"short lines", "ab\ncd\n", 2, ""},
		{"first line too long", "abc\n", 2, "line 1"},
		{"third line too long", "a\nb\ncdef", 3, "line 3"},
		{"no newline at the end", "abc", 3, ""},
		{"UTF-8", "café\n☕ 🚀\n", 20, ""},
		{"a byte that is not UTF-8 on line 2", "ok\ncaf\xe9\n", 20, "line 2"},
		{"a truncated character before a newline", "a\nb\n\xe2\x98\nc", 20, "line 3"},
		{"a truncated character at the end", "a\n\xf0\x9f\x9a", 20, "line 2"},
		{"an encoded surrogate", "\xed\xa0\x80", 20, "line 1"},
		{"an overlong slash", "\xc0\xaf", 20, "line 1"},
	} {
		// One byte per read too, so that characters are cut between reads.
		for _, reader := range []func(string) io.Reader{
			func(s string) io.Reader { return strings.NewReader(s) },
			func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		} {
			t.Run(tc.name, func(t *testing.T) {
				lim := LimitLines(reader(tc.in), tc.max)
				got, err := io.ReadAll(lim)
				var ie *InputError
				switch {
				case tc.at == "" && err != nil:
					t.Fatalf("error %v", err)
				case tc.at == "" && string(got) != tc.in:
					t.Fatalf("read %q", got)
				case tc.at != "" && (!errors.As(err, &ie) || ie.At != tc.at || lim.Err() != ie):
					t.Fatalf("error %v, Err %v", err, lim.Err())
				}
			})
		}
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt("short", 10); got != "short" {
		t.Errorf("short: %q", got)
	}
	got := Excerpt(strings.Repeat("é", 10), 5) // 2-byte runes: cut at 4
	if !strings.HasPrefix(got, "éé…") || !strings.Contains(got, "20 bytes") {
		t.Errorf("cut: %q", got)
	}
}

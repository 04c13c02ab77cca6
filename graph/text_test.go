package graph

import "testing"

func TestCheckJSONText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		bad      bool
	}{
		{"ASCII", `{"name": "web-1"}`, false},
		{"UTF-8", `{"name": "café ☕ 🚀"}`, false},
		{"escapes", `{"name": "caf\u00e9 \ud83d\ude80 \\ud800 \"\\"}`, false},
		{"a byte that is not UTF-8", "{\"name\": \"caf\xe9\"}", true},
		{"a truncated sequence", "{\"name\": \"\xe2\x98\"}", true},
		{"an overlong encoding", "{\"name\": \"\xc0\xaf\"}", true},
		{"a surrogate encoded as UTF-8", "{\"name\": \"\xed\xa0\x80\"}", true},
		{"a lone high surrogate escape", `{"name": "\ud800"}`, true},
		{"a high surrogate before another escape", `{"name": "\ud800\n"}`, true},
		{"a lone low surrogate escape", `{"name": "\udc00x"}`, true},
		{"a high surrogate at the end", `"\uD83D`, true},
	} {
		err := CheckJSONText("input", "the body", []byte(tc.in))
		if (err != nil) != tc.bad {
			t.Errorf("%s: %v, want refused=%v", tc.name, err, tc.bad)
		}
		if err != nil && (ErrorCode(err) != CodeInvalidInput || ErrorField(err) != "input") {
			t.Errorf("%s: %v is not INVALID_INPUT on input", tc.name, err)
		}
	}
}

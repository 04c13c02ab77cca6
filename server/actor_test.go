package server

import (
	"strings"
	"testing"
)

func TestValidActor(t *testing.T) {
	for _, tc := range []struct {
		actor string
		want  bool
	}{
		{"alice", true},
		{"Bob Builder <bob@example.com>", true},
		{"Zoë", true},
		{strings.Repeat("é", 128), true},
		{"", false},
		{"   ", false},
		{strings.Repeat("a", 129), false},
		{"line\nbreak", false},
		{"tab\there", false},
		{"nul\x00", false},
		{"bad utf8 \xff", false},
	} {
		if got := validActor(tc.actor); got != tc.want {
			t.Errorf("validActor(%q) = %v, want %v", tc.actor, got, tc.want)
		}
	}
}

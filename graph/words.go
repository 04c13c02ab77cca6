package graph

import "strings"

// Noun is how messages name a record of the kind: lower case ("incident",
// "change", "import run"), except the acronym SLA. Messages never show the
// upper-case kind, which is an identifier, not a word.
func (k RecordKind) Noun() string {
	if k == KindSLA {
		return "SLA"
	}
	return strings.ToLower(strings.ReplaceAll(string(k), "_", " "))
}

// RecordNotFound reports a missing record of a kind, the one wording both
// stores and the services use: `change "<id>" not found`.
func RecordNotFound(field string, kind RecordKind, id string) *Error {
	return NotFound(field, kind.Noun(), id)
}

// Article returns word with its indefinite article: "an incident", "a
// change", "an APPROVED change", "an SLA". It goes by the first letter (and
// spells out the acronyms messages use), which is right for the words
// Ripple's messages put after an article: record kinds, states, types and
// classes.
func Article(word string) string {
	switch {
	case word == "":
		return word
	case strings.HasPrefix(word, "SLA"):
		return "an " + word
	case strings.ContainsRune("aeiouAEIOU", rune(word[0])):
		return "an " + word
	}
	return "a " + word
}

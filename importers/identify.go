package importers

import (
	"maps"
	"slices"
)

// Identification rules are shared by everything that finds a CI from what
// a source reports about it: the import engine (an item's identifiers,
// rules per class) and event ingestion (identifiers made from an alert's
// labels, rules from its mapping). One copy of what a rule means lives here.

// RuleMatch is the outcome of the first identification rule that applies.
type RuleMatch struct {
	// Rule is the index of that rule, -1 when no rule applies.
	Rule int
	// CIs are the rule's candidates, sorted: one is a match, more are an
	// ambiguity to report, never to guess.
	CIs []string
}

// FirstRule applies rules in order, strongest first, and stops at the first
// that applies. byKind(i) gives, for rule i, each identifier kind the
// reporter has mapped to the CIs owning its values of that kind (kinds it
// lacks or nobody owns are absent); most callers return one map for every
// rule.
func FirstRule(rules [][]string, byKind func(rule int) map[string][]string) RuleMatch {
	for i, rule := range rules {
		if cands, applicable := RuleCandidates(rule, byKind(i)); applicable {
			return RuleMatch{Rule: i, CIs: cands}
		}
	}
	return RuleMatch{Rule: -1}
}

// RuleCandidates returns the CIs owning, for every kind of the rule, one of
// the reporter's values of that kind; applicable is false when a kind is
// missing or its values are owned by nobody (and for an empty rule). A rule whose kinds are all
// owned, but by different CIs, contradicts itself: it applies, and every
// owner is a candidate, which makes it ambiguous rather than skipped.
func RuleCandidates(rule []string, byKind map[string][]string) (cands []string, applicable bool) {
	if len(rule) == 0 {
		return nil, false // nothing to match by
	}
	var set map[string]bool
	for _, kind := range rule {
		if len(byKind[kind]) == 0 {
			return nil, false
		}
		next := map[string]bool{}
		for _, ci := range byKind[kind] {
			if set == nil || set[ci] {
				next[ci] = true
			}
		}
		set = next
	}
	if len(set) == 0 {
		all := map[string]bool{}
		for _, kind := range rule {
			for _, ci := range byKind[kind] {
				all[ci] = true
			}
		}
		return slices.Sorted(maps.Keys(all)), true
	}
	return slices.Sorted(maps.Keys(set)), true
}

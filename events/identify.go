package events

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
)

// identification is what matching an event to a CI found: the CI and the
// rule, or why there is none.
type identification struct {
	CI, Rule, Reason string
}

// maxNameMatches bounds the CIs read to match one name: names are not
// unique, and a search that finds this many is too broad to trust.
const maxNameMatches = 2 * graph.MaxPageSize

// Identifiers lists the identifiers an event names its CI by: those the
// monitor gave, then those the mapping's rules make from its labels, each
// once.
func (s *Service) Identifiers(e *Event) []graph.Identifier {
	out := slices.Clone(e.Identifiers)
	for _, ids := range s.rendered(e.Labels) {
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// rendered makes each rule's identifiers from labels; a rule that cannot
// be made (a label is missing) gets nil.
func (s *Service) rendered(labels map[string]string) [][]graph.Identifier {
	out := make([][]graph.Identifier, len(s.Mapping.Rules))
	for i, r := range s.Mapping.Rules {
		ids := make([]graph.Identifier, 0, len(r.Identifiers))
		for _, t := range r.Identifiers {
			id, ok := s.Mapping.render(t, labels)
			if !ok {
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		out[i] = ids
	}
	return out
}

// identify finds the CI an event is about. The identifiers the monitor
// gave come first: the CI owning them, when exactly one does. Then the
// mapping's rules, in order, with the import engine's rule semantics
// (importers.FirstRule): the first rule whose identifiers are all owned
// decides, and if its identifiers point at several CIs the event stays
// unmapped rather than be pinned on a guess. Names are looked up only when
// the rules before them found nothing.
func (s *Service) identify(ctx context.Context, e *Event) (identification, error) {
	rules := s.rendered(e.Labels)
	var lookup []graph.Identifier
	for _, ids := range append([][]graph.Identifier{e.Identifiers}, rules...) {
		for _, id := range ids {
			if id.Kind != KindName {
				lookup = append(lookup, id)
			}
		}
	}
	owned, err := s.Store.LookupIdentifiers(ctx, lookup)
	if err != nil {
		return identification{}, fmt.Errorf("look up the identifiers of event %s: %w", e.ID, err)
	}
	owners := func(id graph.Identifier) ([]string, error) {
		if id.Kind == KindName {
			return s.ciNamed(ctx, id.Value)
		}
		if ci, ok := owned[id]; ok {
			return []string{ci}, nil
		}
		return nil, nil
	}

	if len(e.Identifiers) > 0 {
		held := map[string]bool{}
		for _, id := range e.Identifiers {
			cis, err := owners(id)
			if err != nil {
				return identification{}, err
			}
			for _, ci := range cis {
				held[ci] = true
			}
		}
		switch cis := slices.Sorted(maps.Keys(held)); len(cis) {
		case 1:
			return identification{CI: cis[0], Rule: "identifiers"}, nil
		case 0:
		default:
			return identification{Reason: fmt.Sprintf("its identifiers %s belong to %d different CIs (%s): not guessed",
				describeIDs(e.Identifiers), len(cis), strings.Join(cis, ", "))}, nil
		}
	}

	kinds := make([][]string, len(rules))
	for i, ids := range rules {
		for _, id := range ids {
			kinds[i] = append(kinds[i], id.Kind)
		}
	}
	var lookupErr error
	byKind := func(i int) map[string][]string {
		m := map[string][]string{}
		if lookupErr != nil {
			return m
		}
		for _, id := range rules[i] {
			cis, err := owners(id)
			if err != nil {
				lookupErr = err
				return map[string][]string{}
			}
			m[id.Kind] = append(m[id.Kind], cis...)
		}
		if classes := s.Mapping.Rules[i].Classes; len(classes) > 0 {
			if m, lookupErr = s.ofClasses(ctx, m, classes); lookupErr != nil {
				return map[string][]string{}
			}
		}
		return m
	}
	match := importers.FirstRule(kinds, byKind)
	if lookupErr != nil {
		return identification{}, lookupErr
	}
	switch {
	case len(match.CIs) == 1:
		return identification{CI: match.CIs[0], Rule: s.Mapping.Rules[match.Rule].Name}, nil
	case len(match.CIs) > 1:
		return identification{Reason: fmt.Sprintf("rule %q: %s point at %d different CIs (%s): not guessed",
			s.Mapping.Rules[match.Rule].Name, describeIDs(rules[match.Rule]), len(match.CIs), strings.Join(match.CIs, ", "))}, nil
	}
	var tried []graph.Identifier
	for _, ids := range append([][]graph.Identifier{e.Identifiers}, rules...) {
		for _, id := range ids {
			if !slices.Contains(tried, id) {
				tried = append(tried, id)
			}
		}
	}
	if len(tried) == 0 {
		return identification{Reason: "no identification rule applies: the event lacks the labels they use"}, nil
	}
	return identification{Reason: "no CI has " + describeIDs(tried)}, nil
}

// ciNamed returns the CIs whose name is name, ignoring case.
func (s *Service) ciNamed(ctx context.Context, name string) ([]string, error) {
	var out []string
	p := graph.Page{First: graph.MaxPageSize}
	for read := 0; read < maxNameMatches; {
		page, err := s.Store.ListCIs(ctx, graph.CIFilter{Search: name}, p)
		if err != nil {
			return nil, fmt.Errorf("find CIs named %q: %w", name, err)
		}
		for _, ci := range page.CIs {
			if strings.EqualFold(ci.Name, name) {
				out = append(out, ci.ID)
			}
		}
		read += len(page.CIs)
		if !page.HasNextPage || len(page.CIs) == 0 {
			return out, nil
		}
		p.After = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
	}
	return out, nil
}

// ofClasses keeps the owners of the given classes.
func (s *Service) ofClasses(ctx context.Context, byKind map[string][]string, classes []string) (map[string][]string, error) {
	var ids []string
	for _, cis := range byKind {
		ids = append(ids, cis...)
	}
	if len(ids) == 0 {
		return byKind, nil
	}
	found, err := s.Store.CIsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read candidate CIs: %w", err)
	}
	out := map[string][]string{}
	for kind, cis := range byKind {
		for _, ci := range cis {
			if c, ok := found[ci]; ok && slices.Contains(classes, c.Class) {
				out[kind] = append(out[kind], ci)
			}
		}
	}
	return out, nil
}

func describeIDs(ids []graph.Identifier) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Kind + "=" + id.Value
	}
	return strings.Join(parts, ", ")
}

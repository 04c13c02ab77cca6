package importers

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// collector is the Emitter the engine hands to parsers. It validates each
// item as it arrives (so a bad row fails the run with its location, before
// anything is planned), folds items that share an identifier into one (the
// same pod in two dump files, a host listed twice), and keeps the links.
type collector struct {
	cat   *graph.Catalogue
	file  string // the file being parsed, for error messages
	files []string
	scope string
	// scopeFile is where the scope was declared, to explain disagreements.
	scopeFile string
	// overridden is set when the run's scope is the user's, not the files'.
	overridden bool

	items []*Item
	owner map[graph.Identifier]int // identifier → index in items
	links []Link
}

func newCollector(cat *graph.Catalogue) *collector {
	return &collector{cat: cat, owner: map[graph.Identifier]int{}}
}

func (c *collector) Scope(scope string) error {
	if c.overridden || scope == "" || scope == c.scope {
		return nil // the user named the scope: files may declare others
	}
	if c.scope != "" {
		return &InputError{File: c.file, Field: "scope",
			Message: fmt.Sprintf("scope %q differs from %q declared by %s: one run imports one scope", scope, c.scope, c.scopeFile)}
	}
	c.scope, c.scopeFile = scope, c.file
	return nil
}

func (c *collector) Item(it Item) error {
	if err := c.check(&it); err != nil {
		return err
	}
	// Errors below carry the file in InputError.File; what is kept for
	// the plan names it in At, as a run may read many files.
	at := it.At
	it.At = c.where(at)
	idx := -1
	for _, id := range it.Identifiers {
		if j, ok := c.owner[id]; ok {
			if idx >= 0 && idx != j {
				return c.errorf(at, "identifiers", "%s shares identifiers with two different items (%s and %s)",
					describe(it), c.items[idx].At, c.items[j].At)
			}
			idx = j
		}
	}
	if idx < 0 {
		cp := it
		cp.Identifiers = slices.Clone(it.Identifiers)
		cp.Attributes = maps.Clone(it.Attributes)
		c.items = append(c.items, &cp)
		idx = len(c.items) - 1
	} else if err := c.fold(c.items[idx], it); err != nil {
		return err
	}
	for _, id := range it.Identifiers {
		c.owner[id] = idx
	}
	return nil
}

// fold merges a second report of the same CI into the first: identifiers
// add up, later attribute values win, and the class must agree.
func (c *collector) fold(into *Item, it Item) error {
	if into.Class != it.Class {
		return c.errorf(c.bare(it.At), "class", "%s is also reported at %s as a %s", describe(it), into.At, into.Class)
	}
	for _, id := range it.Identifiers {
		if !slices.Contains(into.Identifiers, id) {
			into.Identifiers = append(into.Identifiers, id)
		}
	}
	if len(into.Identifiers) > graph.MaxIdentifiers {
		return c.errorf(c.bare(it.At), "identifiers", "%s has more than %d identifiers once merged with %s", describe(it), graph.MaxIdentifiers, into.At)
	}
	if it.Name != "" {
		into.Name = it.Name
	}
	if it.Owner != "" {
		into.Owner = it.Owner
	}
	if it.Environment != "" {
		into.Environment = it.Environment
	}
	if len(it.Attributes) > 0 && into.Attributes == nil {
		into.Attributes = map[string]any{}
	}
	for k, v := range it.Attributes {
		into.Attributes[k] = v
	}
	return nil
}

func (c *collector) Link(l Link) error {
	l.From, l.To = graph.NormalizeIdentifier(l.From), graph.NormalizeIdentifier(l.To)
	if err := c.cat.CheckRelationType("type", l.Type); err != nil {
		return c.errorf(l.At, "type", "%s", graph.ErrorMessage(err))
	}
	if l.Fallback != (graph.Identifier{}) {
		l.Fallback = graph.NormalizeIdentifier(l.Fallback)
	}
	for _, to := range []graph.Identifier{l.To, l.Fallback} {
		if l.From == to {
			return c.errorf(l.At, "to", "a %s link from %s:%s to itself", l.Type, l.From.Kind, l.From.Value)
		}
	}
	l.At = c.where(l.At)
	c.links = append(c.links, l)
	return nil
}

// where prefixes a location with the current file's name.
func (c *collector) where(at string) string {
	if c.file == "" {
		return at
	}
	if at == "" {
		return filepath.Base(c.file)
	}
	return filepath.Base(c.file) + ": " + at
}

// bare undoes where, for errors that name the file on their own.
func (c *collector) bare(at string) string {
	return strings.TrimPrefix(at, filepath.Base(c.file)+": ")
}

// check validates an item the way the store will validate the CI it
// becomes, so that a bad value fails the run with the item's location.
func (c *collector) check(it *Item) error {
	if len(it.Identifiers) == 0 {
		return c.errorf(it.At, "identifiers", "%s has no identifier: without one a re-import could not find it again", describe(*it))
	}
	for i, id := range it.Identifiers {
		it.Identifiers[i] = graph.NormalizeIdentifier(id)
	}
	attrs, err := graph.NormalizeAttributes(it.Attributes)
	if err != nil {
		return c.errorf(it.At, graph.ErrorField(err), "%s: %s", describe(*it), graph.ErrorMessage(err))
	}
	it.Attributes = attrs
	in := graph.CIInput{Name: &it.Name, Class: &it.Class, Attributes: it.Attributes, Identifiers: it.Identifiers}
	if it.Owner != "" {
		in.Owner = &it.Owner
	}
	if it.Environment != "" {
		in.Environment = &it.Environment
	}
	if err := c.cat.ValidateCIInput(in); err != nil {
		return c.errorf(it.At, graph.ErrorField(err), "%s: %s", describe(*it), graph.ErrorMessage(err))
	}
	return nil
}

func (c *collector) errorf(at, field, format string, args ...any) *InputError {
	return &InputError{File: c.file, At: at, Field: field, Message: fmt.Sprintf(format, args...)}
}

func describe(it Item) string {
	if it.Name != "" {
		return fmt.Sprintf("%s %q", it.Class, it.Name)
	}
	return it.Class
}

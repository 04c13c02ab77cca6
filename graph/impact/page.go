package impact

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// ImpactedPage is one page of a blast radius's impacted CIs, in their
// order (distance, then name, then id), with Relay's page flags.
type ImpactedPage struct {
	Impacted        []Impacted
	HasNextPage     bool
	HasPreviousPage bool
}

// PageImpacted returns the page of br.Impacted that p asks for. Cursors
// (ImpactedCursor) are keys in the impacted order, not positions, so a
// client paging through a radius that changes meanwhile never sees an item
// twice. Errors: INVALID_INPUT (bad size or cursor, as graph.CheckPage).
func (br *BlastRadius) PageImpacted(p graph.Page) (ImpactedPage, error) {
	p, err := graph.CheckPage(p)
	if err != nil {
		return ImpactedPage{}, err
	}
	cursor, field := p.Cursor()
	var key impactedKey
	if cursor != "" {
		if key, err = decodeImpactedCursor(field, cursor); err != nil {
			return ImpactedPage{}, err
		}
	}
	lo, hi, hasNext, hasPrev := graph.PageWindow(len(br.Impacted), p, func(i int) int {
		return keyOf(br.Impacted[i]).compare(key)
	})
	return ImpactedPage{Impacted: br.Impacted[lo:hi], HasNextPage: hasNext, HasPreviousPage: hasPrev}, nil
}

// ImpactedCursor is the opaque cursor just after im in the impacted order.
func ImpactedCursor(im Impacted) string {
	raw := "i1\x00" + strconv.Itoa(im.Distance) + "\x00" + im.CI.ID + "\x00" + im.CI.Name
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// impactedKey is an impacted CI's place in the impacted order.
type impactedKey struct {
	distance int
	name, id string
}

func keyOf(im Impacted) impactedKey {
	return impactedKey{distance: im.Distance, name: im.CI.Name, id: im.CI.ID}
}

func (k impactedKey) compare(o impactedKey) int {
	if c := cmp.Compare(k.distance, o.distance); c != 0 {
		return c
	}
	switch {
	case graph.CursorLess(k.name, k.id, o.name, o.id):
		return -1
	case graph.CursorLess(o.name, o.id, k.name, k.id):
		return 1
	}
	return 0
}

// decodeImpactedCursor reads a cursor made by ImpactedCursor. The name
// comes last: ids never contain a NUL, names are not trusted to.
func decodeImpactedCursor(field, cursor string) (impactedKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.SplitN(string(b), "\x00", 4)
	if err == nil && len(parts) == 4 && parts[0] == "i1" && graph.CheckID(field, parts[2]) == nil {
		if d, err := strconv.Atoi(parts[1]); err == nil && d >= 0 {
			return impactedKey{distance: d, id: parts[2], name: parts[3]}, nil
		}
	}
	return impactedKey{}, graph.Invalid(field, "invalid cursor %q", graph.Truncate(cursor, 64))
}

// EffectCount is how many impacted CIs have one effect.
type EffectCount struct {
	Effect Effect
	Count  int
}

// ClassCount is how many impacted CIs are of one class.
type ClassCount struct {
	Class string
	Count int
}

// ByEffect counts the impacted CIs of each effect, worst first; effects
// no CI has are left out.
func (br *BlastRadius) ByEffect() []EffectCount {
	var n [Down + 1]int
	for _, im := range br.Impacted {
		n[im.Effect]++
	}
	out := []EffectCount{}
	for e := Down; e > Up; e-- {
		if n[e] > 0 {
			out = append(out, EffectCount{Effect: e, Count: n[e]})
		}
	}
	return out
}

// ByClass counts the impacted CIs of each class, most first, then by
// class name.
func (br *BlastRadius) ByClass() []ClassCount {
	n := map[string]int{}
	for _, im := range br.Impacted {
		n[im.CI.Class]++
	}
	out := make([]ClassCount, 0, len(n))
	for class, c := range n {
		out = append(out, ClassCount{Class: class, Count: c})
	}
	slices.SortFunc(out, func(a, b ClassCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Class, b.Class)
	})
	return out
}

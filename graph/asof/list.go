package asof

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Lister is what an as-of listing reads besides a View's Source.
type Lister interface {
	ListCIs(ctx context.Context, f graph.CIFilter, p graph.Page) (graph.CIPage, error)
}

// ListCIs returns one page of the CIs that existed at the instant, as they
// were, matching the filter as they were, ordered by (name, id) like
// Store.ListCIs; forward only. The CIs touched since the instant come from
// the changes since (their state then is their oldest entry's Before); the
// others are as the store lists them now. Errors: INVALID_INPUT ("last" or
// "before" when paging back, and those of Store.ListCIs).
func (v *View) ListCIs(ctx context.Context, l Lister, f graph.CIFilter, p graph.Page) (graph.CIPage, error) {
	if p.Backward() {
		field := "last"
		if p.Before != "" {
			field = "before"
		}
		return graph.CIPage{}, graph.Invalid(field, "as-of listings page forward only (first/after)")
	}
	p, keyName, keyID, err := v.Catalogue().CheckListCIs(f, p)
	if err != nil {
		return graph.CIPage{}, err
	}
	then, err := v.touchedSince(ctx)
	if err != nil {
		return graph.CIPage{}, err
	}
	after := func(ci graph.CI) bool {
		return keyID == "" || graph.CursorLess(keyName, keyID, ci.Name, ci.ID)
	}
	// The touched CIs as they were, and how many of them count in the
	// filter then and now.
	var merged []graph.CI
	ids := make([]string, 0, len(then))
	thenMatching := 0
	for id, ci := range then {
		ids = append(ids, id)
		if ci != nil && f.Matches(*ci) {
			thenMatching++
			if after(*ci) {
				merged = append(merged, *ci)
			}
		}
	}
	nowMatching := 0
	if len(ids) > 0 {
		now, err := v.src.CIsByIDs(ctx, ids)
		if err != nil {
			return graph.CIPage{}, err
		}
		for _, ci := range now {
			if f.Matches(ci) {
				nowMatching++
			}
		}
	}
	// The untouched ones, as listed now, until the page is full.
	want := p.First + 1
	page := graph.Page{First: graph.MaxPageSize, After: p.After}
	total := -1
	for untouched := 0; untouched < want; {
		cur, err := l.ListCIs(ctx, f, page)
		if err != nil {
			return graph.CIPage{}, err
		}
		if total < 0 {
			total = cur.TotalCount
		}
		for _, ci := range cur.CIs {
			if _, ok := then[ci.ID]; !ok {
				merged = append(merged, ci)
				untouched++
			}
		}
		if !cur.HasNextPage || len(cur.CIs) == 0 {
			break
		}
		page.After = graph.EncodeCursor(cur.CIs[len(cur.CIs)-1])
	}
	slices.SortFunc(merged, func(a, b graph.CI) int {
		if graph.CursorLess(a.Name, a.ID, b.Name, b.ID) {
			return -1
		}
		return 1
	})
	out := graph.CIPage{HasPreviousPage: p.After != "", TotalCount: total - nowMatching + thenMatching}
	if len(merged) > p.First {
		merged, out.HasNextPage = merged[:p.First], true
	}
	// Read the page through the view, which also notes missing history.
	pageIDs := make([]string, len(merged))
	for i, ci := range merged {
		pageIDs[i] = ci.ID
	}
	got, err := v.CIsByIDs(ctx, pageIDs)
	if err != nil {
		return graph.CIPage{}, err
	}
	out.CIs = make([]graph.CI, 0, len(merged))
	for _, id := range pageIDs {
		if ci, ok := got[id]; ok {
			out.CIs = append(out.CIs, ci)
		}
	}
	return out, nil
}

// touchedSince returns the CIs written since the instant, each with its
// state then (nil: it did not exist), from the graph changes since.
func (v *View) touchedSince(ctx context.Context) (map[string]*graph.CI, error) {
	out := map[string]*graph.CI{}
	p := graph.Page{First: graph.MaxPageSize}
	// Entries are stamped when written; a minute's slack covers a clock
	// read just before a write commits.
	until := time.Now().Add(time.Minute)
	for {
		page, err := v.src.GraphChanges(ctx, v.at, until, p)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Entries {
			if e.SubjectKind != graph.SubjectCI {
				continue
			}
			if _, seen := out[e.SubjectID]; seen {
				continue
			}
			out[e.SubjectID] = nil
			if e.Before != nil {
				var ci graph.CI
				if err := json.Unmarshal(e.Before, &ci); err == nil {
					out[e.SubjectID] = &ci
				}
			}
		}
		if !page.HasNextPage || len(page.Entries) == 0 {
			return out, nil
		}
		p.After = graph.IDCursor(page.Entries[len(page.Entries)-1].ID)
	}
}

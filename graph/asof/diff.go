package asof

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// ChangeKind says how a CI or relation differs between two instants.
type ChangeKind string

// The change kinds.
const (
	Added   ChangeKind = "ADDED"
	Removed ChangeKind = "REMOVED"
	Changed ChangeKind = "CHANGED"
)

// Change is how one CI or relation differs between two instants: its value
// at the first and at the second, and who changed it in between.
type Change struct {
	Kind        ChangeKind
	SubjectKind graph.AuditSubject
	// SubjectID is the CI id or the relation's RelationSubjectID.
	SubjectID string
	// Relation is set for relations.
	Relation *graph.RelationKey
	// Before and After are the values at the two instants (JSON; nil when
	// absent then).
	Before, After json.RawMessage
	// Fields lists, for a changed CI, the top-level fields that differ
	// (attributes by key: attributes.<key>), sorted.
	Fields []string
	// Actors are who wrote the changes, in order of first change.
	Actors []string
	// ImportSources are the import sources among the actors.
	ImportSources []string
	// ImportRuns are the ids of the import runs that wrote the changes, in
	// order of first change (entries written before runs were recorded on
	// the audit trail have none).
	ImportRuns []string
	// Entries counts the audit entries between the instants; FirstAt and
	// LastAt are the first and the last one's times, FirstEntry the first
	// one's id (the change's place in the listing).
	Entries         int
	FirstAt, LastAt time.Time
	FirstEntry      string
}

// Diff is what changed in the graph between two instants.
type Diff struct {
	From, To time.Time
	// Changes are ordered by their first entry (oldest first).
	Changes []Change
	// Gaps are entries that lack the value a diff needs.
	Gaps []Gap
}

// Between lists the CIs and relations added, removed and changed between
// from and to. A CI or relation created and removed in between is no
// difference and is left out, as is one changed and changed back.
func Between(ctx context.Context, src graph.GraphHistory, from, to time.Time) (Diff, error) {
	d := Diff{From: from, To: to}
	bySubject := map[string]*Change{}
	var order []string
	p := graph.Page{First: graph.MaxPageSize}
	for {
		page, err := src.GraphChanges(ctx, from, to, p)
		if err != nil {
			return Diff{}, fmt.Errorf("read graph changes: %w", err)
		}
		for _, e := range page.Entries {
			c := bySubject[e.SubjectID]
			if c == nil {
				c = &Change{SubjectKind: e.SubjectKind, SubjectID: e.SubjectID, Before: e.Before,
					FirstAt: e.At, FirstEntry: e.ID}
				if !hasBefore(e) {
					d.Gaps = append(d.Gaps, Gap{Subject: e.SubjectID,
						Reason: fmt.Sprintf("%s entry %s at %s records no value before it", e.Action, e.ID, stamp(e.At))})
				}
				bySubject[e.SubjectID] = c
				order = append(order, e.SubjectID)
			}
			c.After, c.LastAt = e.After, e.At
			c.Entries++
			if !slices.Contains(c.Actors, e.Actor) {
				c.Actors = append(c.Actors, e.Actor)
				if src, ok := strings.CutPrefix(e.Actor, graph.ImportActorPrefix); ok {
					c.ImportSources = append(c.ImportSources, src)
				}
			}
			if e.ImportRun != "" && !slices.Contains(c.ImportRuns, e.ImportRun) {
				c.ImportRuns = append(c.ImportRuns, e.ImportRun)
			}
		}
		if !page.HasNextPage || len(page.Entries) == 0 {
			break
		}
		p.After = graph.IDCursor(page.Entries[len(page.Entries)-1].ID)
	}
	for _, id := range order {
		c := bySubject[id]
		switch {
		case c.Before == nil && c.After == nil:
			continue
		case c.Before == nil:
			c.Kind = Added
		case c.After == nil:
			c.Kind = Removed
		default:
			c.Kind = Changed
			if c.SubjectKind == graph.SubjectCI {
				c.Fields = changedFields(c.Before, c.After)
				if len(c.Fields) == 0 {
					continue
				}
			} else if bytes.Equal(c.Before, c.After) {
				continue
			}
		}
		if c.SubjectKind == graph.SubjectRelation {
			if k, ok := relationKey(c.SubjectID); ok {
				c.Relation = &k
			}
		}
		d.Changes = append(d.Changes, *c)
	}
	return d, nil
}

// hasBefore reports whether an entry holds the value before it, as every
// entry but a creation must.
func hasBefore(e graph.AuditEntry) bool {
	return e.Before != nil || e.Action == graph.ActionCreate || e.Action == graph.ActionRelate
}

// changedFields compares two CI values field by field; updatedAt and
// provenance, which move with every change, are left out.
func changedFields(before, after json.RawMessage) []string {
	var b, a map[string]any
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return []string{"(unreadable)"}
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if k == "updatedAt" || k == "provenance" || reflect.DeepEqual(b[k], a[k]) {
			continue
		}
		ba, _ := b[k].(map[string]any)
		aa, _ := a[k].(map[string]any)
		if k == "attributes" && (ba != nil || aa != nil) {
			for _, ak := range slices.Sorted(maps.Keys(merge(ba, aa))) {
				if !reflect.DeepEqual(ba[ak], aa[ak]) {
					out = append(out, "attributes."+ak)
				}
			}
			continue
		}
		out = append(out, k)
	}
	return out
}

func merge(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, b)
	return out
}

// Page returns the changes after the cursor p.After (an IDCursor of a
// change's FirstEntry), at most p.First of them (default size applied),
// and whether more follow. Errors: INVALID_INPUT ("first", "after",
// "last": forward only).
func (d Diff) Page(p graph.Page) (page []Change, hasNext bool, err error) {
	p, afterID, err := graph.CheckGraphChanges(d.From, d.To, p)
	if err != nil {
		return nil, false, err
	}
	i := 0
	if afterID != "" {
		i, _ = slices.BinarySearchFunc(d.Changes, afterID, func(c Change, id string) int {
			return strings.Compare(c.FirstEntry, id)
		})
		if i < len(d.Changes) && d.Changes[i].FirstEntry == afterID {
			i++
		}
	}
	rest := d.Changes[i:]
	if len(rest) > p.First {
		return rest[:p.First], true, nil
	}
	return rest, false, nil
}

// Count returns the number of changes of a kind.
func (d Diff) Count(k ChangeKind) int {
	n := 0
	for _, c := range d.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Package asof reconstructs the configuration graph as it was at an instant
// from the audit trail, which holds every CI and relation write with the
// value before and after it (graph.Store).
//
// The reconstruction replays history backwards from the present: a CI or
// relation untouched since the instant is as it is now; one touched since
// was as the Before of its oldest entry after the instant says (nil: it did
// not exist). That reads only the history after the instant, and only that
// of the ids a question reaches: a View answers point-in-time traversals
// lazily, one breadth-first level at a time, through the same
// graph.Traverser interface the blast radius and dependency analyses
// already take, so they run unchanged on the past.
//
// Where the trail cannot vouch for an answer the View says so (Gaps): a
// CI with no recorded history, or whose history starts after the instant
// without its creation (it predates Ripple's records), and entries
// missing the value an undo needs.
package asof

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Source is what a View reads: the graph as it is now and its history.
type Source interface {
	graph.Traverser
	graph.GraphHistory
	CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error)
	RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error)
}

// Gap is one reason an as-of answer may differ from the graph as it was.
type Gap struct {
	// Subject is the CI id or relation subject id the gap is about.
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
}

// CheckInstant refuses an instant in the future (field names the argument).
func CheckInstant(field string, at, now time.Time) error {
	if at.After(now) {
		return graph.Invalid(field, "%s (%s) is in the future", field, at.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// View is the graph as it was at one instant. It caches what it reads, so
// use one per question (request); it is safe for concurrent use.
type View struct {
	src Source
	at  time.Time

	mu        sync.Mutex
	timelines map[string]*graph.Timeline // nil value: no history
	gaps      map[string]string
}

// At returns the graph as it was at instant at.
func At(src Source, at time.Time) *View {
	return &View{src: src, at: at.UTC(), timelines: map[string]*graph.Timeline{}, gaps: map[string]string{}}
}

// Instant returns the instant the view shows.
func (v *View) Instant() time.Time { return v.at }

// Catalogue returns the store's catalogue.
func (v *View) Catalogue() *graph.Catalogue { return v.src.Catalogue() }

// Gaps returns what the view could not vouch for among what it was asked,
// sorted by subject. Empty means history was complete for every answer.
func (v *View) Gaps() []Gap {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Gap, 0, len(v.gaps))
	for s, r := range v.gaps {
		out = append(out, Gap{Subject: s, Reason: r})
	}
	slices.SortFunc(out, func(a, b Gap) int { return strings.Compare(a.Subject, b.Subject) })
	return out
}

func (v *View) gap(subject, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.gaps[subject]; !ok {
		v.gaps[subject] = fmt.Sprintf(format, args...)
	}
}

// load returns the timelines of ids, reading the ones not cached yet.
func (v *View) load(ctx context.Context, ids []string) (map[string]*graph.Timeline, error) {
	v.mu.Lock()
	var missing []string
	for _, id := range ids {
		if _, ok := v.timelines[id]; !ok {
			missing = append(missing, id)
		}
	}
	v.mu.Unlock()
	if len(missing) > 0 {
		missing = dedupe(missing)
		got, err := v.src.Timelines(ctx, missing, v.at)
		if err != nil {
			return nil, fmt.Errorf("read history as of %s: %w", v.at.Format(time.RFC3339), err)
		}
		v.mu.Lock()
		for _, id := range missing {
			if tl, ok := got[id]; ok {
				v.timelines[id] = &tl
			} else {
				v.timelines[id] = nil
			}
		}
		v.mu.Unlock()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]*graph.Timeline, len(ids))
	for _, id := range ids {
		out[id] = v.timelines[id]
	}
	return out, nil
}

// CIsByIDs returns the CIs among ids that existed at the instant, as they
// were then.
func (v *View) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if graph.CheckID("id", id) == nil {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return map[string]graph.CI{}, nil
	}
	now, err := v.src.CIsByIDs(ctx, valid)
	if err != nil {
		return nil, err
	}
	tls, err := v.load(ctx, valid)
	if err != nil {
		return nil, err
	}
	out := make(map[string]graph.CI, len(valid))
	for _, id := range valid {
		cur, exists := now[id]
		var curp *graph.CI
		if exists {
			curp = &cur
		}
		if ci := v.ciAt(id, curp, tls[id], true); ci != nil {
			out[id] = *ci
		}
	}
	return out, nil
}

// GetCI returns one CI as it was. Errors: INVALID_INPUT, NOT_FOUND (also
// when it exists now but did not then).
func (v *View) GetCI(ctx context.Context, id string) (graph.CI, error) {
	if err := graph.CheckID("id", id); err != nil {
		return graph.CI{}, err
	}
	got, err := v.CIsByIDs(ctx, []string{id})
	if err != nil {
		return graph.CI{}, err
	}
	ci, ok := got[id]
	if !ok {
		return graph.CI{}, graph.NotFound("id", "CI", id)
	}
	return ci, nil
}

// ciAt undoes the CI's changes after the instant: its oldest CI entry
// since then holds the value it had (Before; nil when that entry created
// it). Untouched since, it was as it is now. whole false decodes only
// what a traversal shows of it (decodeCI).
func (v *View) ciAt(id string, now *graph.CI, tl *graph.Timeline, whole bool) *graph.CI {
	if tl == nil {
		if now != nil {
			v.gap(id, "no recorded history: the CI predates Ripple's audit trail, so it is shown as it is now")
		}
		return now
	}
	state := now
	if i := slices.IndexFunc(tl.Since, func(e graph.AuditEntry) bool {
		return e.SubjectKind == graph.SubjectCI && e.SubjectID == id
	}); i >= 0 {
		e := tl.Since[i]
		state = nil
		switch {
		case e.Before != nil:
			ci, err := v.decodeCI(e.Before, whole)
			if err != nil {
				v.gap(id, "%s entry %s at %s holds an unreadable value: %v", e.Action, e.ID, stamp(e.At), err)
				return nil
			}
			state = &ci
		case e.Action != graph.ActionCreate:
			v.gap(id, "%s entry %s at %s records no value before it", e.Action, e.ID, stamp(e.At))
		}
	}
	if state != nil && !tl.First.At.Before(v.at) && !isCreation(tl.First, id) {
		v.gap(id, "history starts at %s with %s, after the instant and without the CI's creation: its earlier state is not recorded", stamp(tl.First.At), tl.First.Action)
	}
	return state
}

// headJSON is the part of a CI's JSON that a traversal shows: its head,
// and its attributes left undecoded (a redundancy group's hold its
// threshold of healthy members).
type headJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Class       string            `json:"class"`
	Criticality graph.Criticality `json:"criticality"`
	Owner       string            `json:"owner"`
	Attributes  json.RawMessage   `json:"attributes"`
}

// decodeCI decodes a CI's JSON whole, or (whole false) only its head and,
// for a redundancy group, its attributes: what a traversal's nodes carry
// (graph.Node). A year back nearly every CI a traversal reaches has
// changed since, so this decoding is most of a past traversal's own work;
// the identifiers, provenance and timestamps it skips are most of a CI.
func (v *View) decodeCI(b []byte, whole bool) (graph.CI, error) {
	var ci graph.CI
	if whole {
		err := json.Unmarshal(b, &ci)
		return ci, err
	}
	var h headJSON
	if err := json.Unmarshal(b, &h); err != nil {
		return ci, err
	}
	ci = graph.CI{ID: h.ID, Name: h.Name, Class: h.Class, Criticality: h.Criticality, Owner: h.Owner}
	if cl, ok := v.Catalogue().Class(h.Class); ok && cl.RedundancyGroup && len(h.Attributes) > 0 {
		if err := json.Unmarshal(h.Attributes, &ci.Attributes); err != nil {
			return ci, err
		}
	}
	return ci, nil
}

func isCreation(e graph.AuditEntry, id string) bool {
	return e.SubjectKind == graph.SubjectCI && e.SubjectID == id && e.Action == graph.ActionCreate
}

// RelationsOf returns each CI's relations at the instant in the given
// direction and types (all when empty), sorted by (type, from, to). Ids
// that had none map to nothing.
func (v *View) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	if len(ids) == 0 {
		return map[string][]graph.Relation{}, nil
	}
	now, err := v.src.RelationsOf(ctx, ids, dir, types)
	if err != nil {
		return nil, err
	}
	tls, err := v.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]graph.Relation, len(ids))
	for _, id := range dedupe(slices.Clone(ids)) {
		if list := v.relationsAt(id, now[id], tls[id], dir, types); len(list) > 0 {
			list = slices.Clone(list)
			slices.SortFunc(list, compareRelations)
			out[id] = list
		}
	}
	return out, nil
}

// relationsAt turns id's relations now (in one direction and types) into
// its relations at the instant, in no particular order, by undoing the ones
// its timeline shows touched since. Without such entries (most CIs) that is
// now itself, returned as is.
func (v *View) relationsAt(id string, now []graph.Relation, tl *graph.Timeline, dir graph.Direction, types []string) []graph.Relation {
	if tl == nil || !slices.ContainsFunc(tl.Since, func(e graph.AuditEntry) bool { return e.SubjectKind == graph.SubjectRelation }) {
		return now
	}
	set := make(map[graph.RelationKey]graph.Relation, len(now))
	for _, r := range now {
		set[r.Key()] = r
	}
	v.undoRelations(id, tl.Since, dir, types, set)
	list := make([]graph.Relation, 0, len(set))
	for _, r := range set {
		list = append(list, r)
	}
	return list
}

// undoRelations sets each relation of id touched after the instant to what
// its oldest entry since says it was.
func (v *View) undoRelations(id string, since []graph.AuditEntry, dir graph.Direction, types []string, set map[graph.RelationKey]graph.Relation) {
	seen := map[string]bool{}
	for _, e := range since {
		if e.SubjectKind != graph.SubjectRelation || seen[e.SubjectID] {
			continue
		}
		seen[e.SubjectID] = true
		k, ok := relationKey(e.SubjectID)
		if !ok || !matches(k, id, dir, types) {
			continue
		}
		switch {
		case e.Before != nil:
			var r graph.Relation
			if err := json.Unmarshal(e.Before, &r); err != nil {
				v.gap(e.SubjectID, "%s entry %s at %s holds an unreadable value: %v", e.Action, e.ID, stamp(e.At), err)
				delete(set, k)
				continue
			}
			set[k] = r
		case e.Action == graph.ActionRelate:
			delete(set, k)
		default:
			v.gap(e.SubjectID, "%s entry %s at %s records no value before it", e.Action, e.ID, stamp(e.At))
			delete(set, k)
		}
	}
}

func matches(k graph.RelationKey, id string, dir graph.Direction, types []string) bool {
	if len(types) > 0 && !slices.Contains(types, k.Type) {
		return false
	}
	switch dir {
	case graph.Outgoing:
		return k.From == id
	case graph.Incoming:
		return k.To == id
	default:
		return k.From == id || k.To == id
	}
}

// relationKey splits a RelationSubjectID.
func relationKey(subject string) (graph.RelationKey, bool) {
	parts := strings.Split(subject, "|")
	if len(parts) != 3 {
		return graph.RelationKey{}, false
	}
	return graph.RelationKey{From: parts[0], Type: parts[1], To: parts[2]}, true
}

func compareRelations(a, b graph.Relation) int {
	return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func dedupe(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

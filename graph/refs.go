package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Referential integrity between records and CIs.
//
// A record links the CIs it is about (Record.Links). While a record is
// live — an open incident, a change that may still happen, an SLA, a
// problem not yet closed — it holds those CIs: deleting one would leave it
// pointing at nothing. Store.DeleteCI therefore refuses to delete a held
// CI, in the same transaction as the delete, and Store.ForceDeleteCI
// deletes it anyway. Either way the records keep their links (history
// stays true) and a link to a deleted CI resolves to its Tombstone.
//
// This file is the one place that says which records hold a CI; both
// stores apply it (the embedded store through HoldsCIs, Neo4j by passing
// HoldingRule to its query), and the conformance suite checks every kind
// and state against both.

// releasedStates lists, for each record kind that holds the CIs it links,
// the final states in which it no longer does. A kind that is absent never
// holds: a window's scope is bounded in time and an import run only
// reports. An unknown state holds, so a state added later protects its
// CIs until it is listed here. CANCELLED is the final state of a change
// withdrawn before it ran.
var releasedStates = map[RecordKind][]string{
	KindIncident: {"RESOLVED", "CLOSED"},
	KindProblem:  {"CLOSED"},
	KindChange:   {"CLOSED", "REJECTED", "CANCELLED"},
	KindSLA:      {},
}

// HoldsCIs reports whether a record of this kind in this state holds the
// CIs it links.
func HoldsCIs(kind RecordKind, state string) bool {
	released, holds := releasedStates[kind]
	if !holds {
		return false
	}
	for _, s := range released {
		if s == state {
			return false
		}
	}
	return true
}

// HoldingRule returns, for each kind of record that can hold a CI, the
// states in which it does not: the rule of HoldsCIs as data, for stores
// that evaluate it in their own query language. The caller owns the copy.
func HoldingRule() map[RecordKind][]string {
	out := make(map[RecordKind][]string, len(releasedStates))
	for k, v := range releasedStates {
		out[k] = append([]string{}, v...)
	}
	return out
}

// Holder is a record that holds a CI.
type Holder struct {
	Kind  RecordKind `json:"kind"`
	ID    string     `json:"id"`
	State string     `json:"state"`
	// Title is the record's title (or name), when its document has one.
	Title string `json:"title,omitempty"`
}

// HolderOf describes a record as a holder.
func HolderOf(rec Record) Holder {
	return Holder{Kind: rec.Kind, ID: rec.ID, State: rec.State, Title: RecordTitle(rec.Doc)}
}

// RecordTitle returns the "title" (incidents, problems, changes) or else
// the "name" (SLAs, windows) at the top of a record's document, which is
// how a record is named to a person; "" when it has neither.
func RecordTitle(doc json.RawMessage) string {
	var d struct {
		Title string `json:"title"`
		Name  string `json:"name"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	if d.Title != "" {
		return d.Title
	}
	return d.Name
}

// holderKinds is the order in which holders are counted and listed.
var holderKinds = []RecordKind{KindIncident, KindChange, KindProblem, KindSLA}

// MaxListedHolders bounds the holders a CONFLICT lists one by one; its
// counts always cover all of them.
const MaxListedHolders = 20

// HeldError is the CONFLICT (field "id") of a delete refused because
// records hold the CI. Its Details carry the CI ("ci": id and name), the
// holders ("holders", at most MaxListedHolders, by kind then id), how many
// of each kind there are ("counts") and in all ("total").
func HeldError(ci CI, holders []Holder) *Error {
	hs := append([]Holder(nil), holders...)
	rank := map[RecordKind]int{}
	for i, k := range holderKinds {
		rank[k] = i
	}
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].Kind != hs[j].Kind {
			return rank[hs[i].Kind] < rank[hs[j].Kind]
		}
		return hs[i].ID < hs[j].ID
	})
	counts := map[string]int{}
	for _, h := range hs {
		counts[string(h.Kind)]++
	}
	var parts []string
	for _, k := range holderKinds {
		if n := counts[string(k)]; n > 0 {
			parts = append(parts, holderCount(k, n))
		}
	}
	var named []string
	for _, h := range hs[:min(len(hs), 3)] {
		if h.Title != "" {
			named = append(named, fmt.Sprintf("%s %q (%s)", h.Kind, h.Title, h.State))
		} else {
			named = append(named, fmt.Sprintf("%s %s (%s)", h.Kind, h.ID, h.State))
		}
	}
	if len(hs) > 3 {
		named = append(named, fmt.Sprintf("and %d more", len(hs)-3))
	}
	e := Errorf(CodeConflict, "id",
		"CI %q is still referenced by %s: %s; close or re-point them, retire the CI instead, or force the delete (their references then show it as deleted)",
		ci.Name, strings.Join(parts, ", "), strings.Join(named, ", "))
	e.Details = map[string]any{
		"ci":      map[string]string{"id": ci.ID, "name": ci.Name},
		"holders": hs[:min(len(hs), MaxListedHolders)],
		"counts":  counts,
		"total":   len(hs),
	}
	return e
}

func holderCount(k RecordKind, n int) string {
	noun := map[RecordKind]string{KindIncident: "open incident", KindChange: "change not closed",
		KindProblem: "problem not closed", KindSLA: "SLA"}[k]
	if n == 1 {
		return "1 " + noun
	}
	plural := map[RecordKind]string{KindIncident: "open incidents", KindChange: "changes not closed",
		KindProblem: "problems not closed", KindSLA: "SLAs"}[k]
	return fmt.Sprintf("%d %s", n, plural)
}

// DeleteMode says what deleting a CI does about the records that hold it.
type DeleteMode string

// Delete modes.
const (
	// DeleteProtect deletes the CI only if no record holds it, else fails
	// with HeldError (NetBox's protected delete).
	DeleteProtect DeleteMode = "PROTECT"
	// DeleteRetire keeps the CI, its relations and every reference to it,
	// and sets its status to RETIRED (retire, don't delete).
	DeleteRetire DeleteMode = "RETIRE"
	// DeleteForce deletes the CI whatever holds it; the holders keep their
	// links, which resolve to the CI's tombstone.
	DeleteForce DeleteMode = "FORCE"
)

// RemoveCI deletes or retires a CI as mode says ("" is DeleteProtect).
// Errors: those of DeleteCI, ForceDeleteCI or UpsertCI, and INVALID_INPUT
// ("mode") for an unknown mode.
func RemoveCI(ctx context.Context, s Store, id string, mode DeleteMode) error {
	switch mode {
	case "", DeleteProtect:
		return s.DeleteCI(ctx, id)
	case DeleteForce:
		_, err := s.ForceDeleteCI(ctx, id)
		return err
	case DeleteRetire:
		if err := CheckID("id", id); err != nil {
			return err
		}
		retired := StatusRetired
		_, err := s.UpsertCI(ctx, CIInput{ID: id, Status: &retired})
		return err
	}
	return Invalid("mode", "unknown delete mode %q (want PROTECT, RETIRE or FORCE)", mode)
}

// Tombstone is what remains of a deleted CI: its id and the name and class
// it had when it was deleted, when and by whom.
type Tombstone struct {
	ID        string
	Name      string
	Class     string
	DeletedAt time.Time
	DeletedBy string
}

// Tombstones returns the tombstones of the deleted CIs among ids; live,
// unknown and malformed ids are absent. A tombstone is the DELETE entry
// the store audited in the transaction that deleted the CI (Before is the
// CI as it was), which is always the newest entry about its id: nothing
// can relate to, or be written about, a CI that no longer exists.
func Tombstones(ctx context.Context, s RecordStore, ids []string) (map[string]Tombstone, error) {
	out := map[string]Tombstone{}
	for _, id := range ids {
		if _, done := out[id]; done || CheckID("id", id) != nil {
			continue
		}
		page, err := s.History(ctx, id, Page{First: 1})
		if err != nil {
			return nil, fmt.Errorf("tombstone of CI %s: %w", id, err)
		}
		if len(page.Entries) == 0 {
			continue
		}
		e := page.Entries[0]
		if e.Action != ActionDelete || e.SubjectKind != SubjectCI || e.SubjectID != id {
			continue
		}
		var last CI
		if err := json.Unmarshal(e.Before, &last); err != nil {
			return nil, Internal(err, "decode the last state of deleted CI %s", id)
		}
		out[id] = Tombstone{ID: id, Name: last.Name, Class: last.Class, DeletedAt: e.At, DeletedBy: e.Actor}
	}
	return out, nil
}

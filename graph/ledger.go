package graph

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// An import scope is what one discovery source fully reports in one run: a
// Kubernetes cluster, an nmap target range, a Terraform state lineage, a CSV
// export's name. The ledger remembers, per scope, which CIs and relations
// the source reported and when, so that a complete run can tell what has
// disappeared since (stale) without touching what other sources or other
// scopes report. Runs of one scope are fenced by a generation number so two
// concurrent runs cannot both apply staleness computed from the same past.

// ScopeKey names one scope of one source.
type ScopeKey struct {
	Source string
	Scope  string
}

// Compare orders scope keys by source, then scope: the order in which
// stores list a subject's sightings across scopes.
func (k ScopeKey) Compare(o ScopeKey) int {
	if c := strings.Compare(k.Source, o.Source); c != 0 {
		return c
	}
	return strings.Compare(k.Scope, o.Scope)
}

// CompareSightings orders the sightings of one scope: CIs by id first, then
// relations in RelationKey order.
func CompareSightings(a, b Sighting) int {
	switch {
	case a.Relation == nil && b.Relation == nil:
		return strings.Compare(a.CI, b.CI)
	case a.Relation == nil:
		return -1
	case b.Relation == nil:
		return 1
	case a.Relation.Less(*b.Relation):
		return -1
	case b.Relation.Less(*a.Relation):
		return 1
	}
	return 0
}

// ScopeState is the ledger's header for a scope.
type ScopeState struct {
	ScopeKey
	// Generation counts the ledger writes applied to the scope (0 =
	// never). A run reads it before planning and its first ledger write
	// expects it unchanged (a run applied in several batches bumps it once
	// per batch, each batch expecting the previous one's).
	Generation int64
	// LastRun is the id of the last applied run and LastApplied its time.
	LastRun     string
	LastApplied time.Time
}

// Sighting says that a source reported a CI (CI set) or a relation
// (Relation set) in a scope.
type Sighting struct {
	ScopeKey
	CI       string
	Relation *RelationKey
	// FirstSeen and LastSeen are the times of the first and the last run
	// that reported the subject; LastRun is the latter's id.
	FirstSeen time.Time
	LastSeen  time.Time
	LastRun   string
	// Missed counts the applied runs since LastRun that did not report the
	// subject: it is stale when Missed > 0.
	Missed int
}

// Stale reports whether the last applied run of the scope missed the
// subject.
func (s Sighting) Stale() bool { return s.Missed > 0 }

// LedgerWrite is the ledger part of an import run's batch, applied after
// the batch's upserts, relates and unrelates, in the same transaction.
type LedgerWrite struct {
	ScopeKey
	// ExpectGeneration is the generation the run read; the write fails with
	// CONFLICT (field "ledger.generation") if another run was applied since,
	// and stores ExpectGeneration+1 otherwise.
	ExpectGeneration int64
	RunID            string
	At               time.Time
	// Seen CIs and relations get LastSeen = At, LastRun = RunID, Missed = 0
	// (FirstSeen = At when new). Every ref must resolve, like the batch's.
	SeenCIs       []CIRef
	SeenRelations []BatchRelation
	// SeenCurrent sees again, as if listed in SeenCIs and SeenRelations,
	// every sighting of the scope still current (Missed 0) once this
	// write's missed counts and forgets are applied. A complete run names
	// every subject it did not see in Missed or Forget, so it sets this
	// instead of listing all it saw again: a re-import that changes
	// nothing then names no sighting at all. Stores may apply it lazily
	// (a stamp on the scope that reads resolve), never visibly so.
	SeenCurrent bool
	// Missed sets the Missed count of existing sightings.
	MissedCIs       []MissedCI
	MissedRelations []MissedRelation
	// Forget drops sightings (of retired CIs, removed relations). Unknown
	// ones are ignored.
	ForgetCIs       []string
	ForgetRelations []RelationKey
}

// MissedCI sets the Missed count of a CI sighting.
type MissedCI struct {
	CI     string
	Missed int
}

// MissedRelation sets the Missed count of a relation sighting.
type MissedRelation struct {
	Relation RelationKey
	Missed   int
}

// LedgerStore is the import ledger every Store keeps. DeleteCI drops the
// sightings of the CI and of its relations; Unrelate and the batch's
// unrelates drop the sightings of the relations they remove.
type LedgerStore interface {
	// Scope returns a scope's header; an unknown scope has Generation 0.
	// Errors: INVALID_INPUT (bad source or scope).
	Scope(ctx context.Context, key ScopeKey) (ScopeState, error)

	// Sightings returns every sighting of a scope, CIs first, each group
	// ordered by subject (CI id, then relation key order).
	Sightings(ctx context.Context, key ScopeKey) ([]Sighting, error)

	// SightingsOf returns the CI sightings of each CI in ids, across all
	// scopes, ordered by (source, scope). CIs never reported map to nothing.
	SightingsOf(ctx context.Context, ids []string) (map[string][]Sighting, error)

	// RelationSightings returns the sightings of each relation in keys,
	// across all scopes, ordered by (source, scope): a relation's
	// provenance. Relations never reported map to nothing.
	RelationSightings(ctx context.Context, keys []RelationKey) (map[RelationKey][]Sighting, error)

	// LookupIdentifiers returns the id of the CI owning each identifier;
	// identifiers nobody owns are absent. Values are normalized first, and
	// the result is keyed by the identifiers as given.
	LookupIdentifiers(ctx context.Context, ids []Identifier) (map[Identifier]string, error)
}

// Limits of scope keys.
const (
	MaxSourceLen = 64
	MaxScopeLen  = 256
)

var sourceRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)

// CheckScopeKey validates a scope key; field prefixes the error field.
func CheckScopeKey(field string, k ScopeKey) error {
	if err := CheckSource(field+"source", k.Source); err != nil {
		return err
	}
	if k.Scope == "" {
		return Invalid(field+"scope", "scope is required")
	}
	if len(k.Scope) > MaxScopeLen {
		return Invalid(field+"scope", "scope is longer than %d bytes", MaxScopeLen)
	}
	if !utf8.ValidString(k.Scope) || strings.IndexFunc(k.Scope, unicode.IsControl) >= 0 {
		return Invalid(field+"scope", "scope must be UTF-8 text without control characters")
	}
	return nil
}

// CheckSource validates a source name: lower-case letters, digits, '.',
// '_' and '-', starting with a letter. SourceManual is reserved for edits
// made by people: an import calling itself that would outrank them.
func CheckSource(field, s string) error {
	if !sourceRE.MatchString(s) {
		return Invalid(field, "source %q must match %s", Truncate(s, 80), sourceRE)
	}
	if s == SourceManual {
		return Invalid(field, "source %q is reserved for edits made through the API", s)
	}
	return nil
}

// ValidateLedgerWrite checks a ledger write's shape before any store is
// touched (refs are resolved by the store).
func ValidateLedgerWrite(w *LedgerWrite) error {
	if err := CheckScopeKey("ledger.", w.ScopeKey); err != nil {
		return err
	}
	if w.ExpectGeneration < 0 {
		return Invalid("ledger.generation", "generation must not be negative")
	}
	if err := CheckID("ledger.runId", w.RunID); err != nil {
		return err
	}
	if w.At.IsZero() {
		return Invalid("ledger.at", "the run time is required")
	}
	if y := w.At.UTC().Year(); y < 1970 || y > 9999 {
		return Invalid("ledger.at", "run time %v is out of range", w.At)
	}
	for i, m := range w.MissedCIs {
		if err := CheckID(fieldf("ledger.missedCIs[%d].ci", i), m.CI); err != nil {
			return err
		}
		if m.Missed < 0 {
			return Invalid(fieldf("ledger.missedCIs[%d].missed", i), "missed must not be negative")
		}
	}
	for i, m := range w.MissedRelations {
		if m.Missed < 0 {
			return Invalid(fieldf("ledger.missedRelations[%d].missed", i), "missed must not be negative")
		}
	}
	return nil
}

func fieldf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

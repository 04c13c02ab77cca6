// Package graph holds Ripple's domain: configuration items (CIs), typed
// relations between them, the class and relation-type catalogue, domain
// errors and the Store interface that every storage backend implements.
// It imports nothing of Ripple's and knows nothing of GraphQL or drivers.
package graph

import (
	"time"
)

// Status is a CI's lifecycle state.
type Status string

// Lifecycle states, in the order a CI usually passes through them.
const (
	StatusPlanned     Status = "PLANNED"
	StatusInstalled   Status = "INSTALLED"
	StatusInService   Status = "IN_SERVICE"
	StatusMaintenance Status = "MAINTENANCE"
	StatusRetired     Status = "RETIRED"
)

// Statuses lists every valid Status.
var Statuses = []Status{StatusPlanned, StatusInstalled, StatusInService, StatusMaintenance, StatusRetired}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Criticality says how much the business cares when a CI fails.
type Criticality string

// Criticality levels, lowest first.
const (
	CriticalityLow      Criticality = "LOW"
	CriticalityMedium   Criticality = "MEDIUM"
	CriticalityHigh     Criticality = "HIGH"
	CriticalityCritical Criticality = "CRITICAL"
)

// Criticalities lists every valid Criticality, lowest first.
var Criticalities = []Criticality{CriticalityLow, CriticalityMedium, CriticalityHigh, CriticalityCritical}

// Valid reports whether c is a known criticality.
func (c Criticality) Valid() bool {
	for _, v := range Criticalities {
		if c == v {
			return true
		}
	}
	return false
}

// Identifier is an external key of a CI (serial number, FQDN, IP, MAC,
// Kubernetes UID, cloud resource id...). A (Kind, Value) pair belongs to at
// most one CI.
type Identifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// CI is a configuration item.
type CI struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Class       string         `json:"class"`
	Status      Status         `json:"status"`
	Criticality Criticality    `json:"criticality"`
	Environment string         `json:"environment,omitempty"`
	Owner       string         `json:"owner,omitempty"`
	Attributes  map[string]any `json:"attributes,omitempty"`
	Identifiers []Identifier   `json:"identifiers,omitempty"`
	// Provenance says, per field, which source set the current value and
	// since when: keys are "name", "status", "criticality", "environment",
	// "owner" and "attributes.<key>" for each top-level attribute.
	Provenance map[string]Origin `json:"provenance,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
}

// SourceManual names edits made through the API rather than by an import.
const SourceManual = "manual"

// Origin is where a field's current value came from.
type Origin struct {
	// Source is an import source name, or SourceManual.
	Source string `json:"source"`
	// Scope is the import scope that reported it ("" for manual edits).
	Scope string    `json:"scope,omitempty"`
	Since time.Time `json:"since"`
}

// CIInput creates or updates a CI. Nil pointer fields are left unchanged on
// update and take their defaults on create.
//
// Matching: with ID set the CI with that id is updated (NOT_FOUND if there is
// none). Without ID, the identifiers are looked up: if they all point to one
// existing CI it is updated, if they point to several CIs the input is
// ambiguous (CONFLICT), and if none matches a new CI is created.
//
// Identifiers are merged into the CI's existing set, never replaced, so an
// upsert from one source cannot silently drop another source's keys.
type CIInput struct {
	ID          string
	Name        *string
	Class       *string
	Status      *Status
	Criticality *Criticality
	Environment *string
	Owner       *string
	// Attributes, when non-nil, replaces the CI's attribute object.
	Attributes  map[string]any
	Identifiers []Identifier
	// Source and Scope name who is writing, for the provenance of the
	// fields this input changes; an empty Source means SourceManual.
	Source string
	Scope  string
}

// Relation is a typed, directed edge: From -Type-> To.
type Relation struct {
	From      string    `json:"from"`
	Type      string    `json:"type"`
	To        string    `json:"to"`
	CreatedAt time.Time `json:"createdAt"`
}

// RelationKey identifies a relation; there is at most one relation per key.
type RelationKey struct {
	From string
	Type string
	To   string
}

// Key returns the relation's identity.
func (r Relation) Key() RelationKey { return RelationKey{From: r.From, Type: r.Type, To: r.To} }

// Direction selects relations by which end a CI is on.
type Direction string

// Directions for relation queries.
const (
	Outgoing Direction = "OUTGOING" // the CI is the relation's From
	Incoming Direction = "INCOMING" // the CI is the relation's To
	Both     Direction = "BOTH"
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == Outgoing || d == Incoming || d == Both }

// Less orders relation keys by (Type, From, To): the order in which stores
// return a CI's relations.
func (k RelationKey) Less(o RelationKey) bool {
	if k.Type != o.Type {
		return k.Type < o.Type
	}
	if k.From != o.From {
		return k.From < o.From
	}
	return k.To < o.To
}

package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Input limits. They keep one request from bloating the store and are part
// of the documented API.
const (
	MaxNameLen          = 256
	MaxShortFieldLen    = 128 // environment, owner
	MaxIdentifiers      = 64
	MaxIdentifierValue  = 512
	MaxAttributesBytes  = 64 << 10
	MaxAttributeNesting = 8
)

var identifierKindRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// NewID returns a fresh CI id: a UUIDv7, so ids sort roughly by creation.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// CheckID rejects anything that is not a canonical lower-case UUID.
func CheckID(field, id string) error {
	if id == "" {
		return Invalid(field, "id is required")
	}
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return Invalid(field, "malformed id %q (want a lower-case UUID)", Truncate(id, 64))
	}
	return nil
}

// NormalizeIdentifier trims the value and lower-cases kinds whose values are
// case-insensitive in the real world (DNS names, MAC addresses), so that
// "Web-1.Example.com" and "web-1.example.com" identify the same CI.
func NormalizeIdentifier(id Identifier) Identifier {
	id.Kind = strings.TrimSpace(id.Kind)
	id.Value = strings.TrimSpace(id.Value)
	switch id.Kind {
	case "fqdn", "hostname", "mac", "email":
		id.Value = strings.ToLower(id.Value)
	}
	return id
}

// ValidateCIInput checks an input's shape against the catalogue before any
// store is touched. Whether name and class are present is checked later, by
// MergeCI, once the store knows if the input creates a CI.
func (c *Catalogue) ValidateCIInput(in CIInput) error {
	if in.ID != "" {
		if err := CheckID("id", in.ID); err != nil {
			return err
		}
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			return Invalid("name", "name must not be empty")
		}
		if utf8.RuneCountInString(name) > MaxNameLen {
			return Invalid("name", "name is longer than %d characters", MaxNameLen)
		}
		if strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return Invalid("name", "name must not contain control characters")
		}
	}
	if in.Class != nil {
		if err := c.CheckClass("class", *in.Class); err != nil {
			return err
		}
	}
	if in.Status != nil && !in.Status.Valid() {
		return Invalid("status", "unknown status %q", *in.Status)
	}
	if in.Criticality != nil && !in.Criticality.Valid() {
		return Invalid("criticality", "unknown criticality %q", *in.Criticality)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"environment", in.Environment}, {"owner", in.Owner}} {
		if f.v != nil && utf8.RuneCountInString(*f.v) > MaxShortFieldLen {
			return Invalid(f.name, "%s is longer than %d characters", f.name, MaxShortFieldLen)
		}
	}
	if in.Attributes != nil {
		if err := checkAttributes(in.Attributes); err != nil {
			return err
		}
	}
	if in.Source != "" && in.Source != SourceManual {
		if err := CheckScopeKey("", ScopeKey{Source: in.Source, Scope: in.Scope}); err != nil {
			return err
		}
	}
	if len(in.Identifiers) > MaxIdentifiers {
		return Invalid("identifiers", "at most %d identifiers per CI", MaxIdentifiers)
	}
	seen := map[Identifier]bool{}
	for i, raw := range in.Identifiers {
		id := NormalizeIdentifier(raw)
		field := fmt.Sprintf("identifiers[%d]", i)
		if !identifierKindRE.MatchString(id.Kind) {
			return Invalid(field+".kind", "identifier kind %q must match %s", Truncate(id.Kind, 40), identifierKindRE)
		}
		if id.Value == "" {
			return Invalid(field+".value", "identifier value must not be empty")
		}
		if len(id.Value) > MaxIdentifierValue {
			return Invalid(field+".value", "identifier value is longer than %d bytes", MaxIdentifierValue)
		}
		if seen[id] {
			return Invalid(field, "identifier %s=%s is listed twice", id.Kind, id.Value)
		}
		seen[id] = true
	}
	return nil
}

func checkAttributes(attrs map[string]any) error {
	b, err := json.Marshal(attrs)
	if err != nil {
		return Invalid("attributes", "attributes must be a JSON object: %v", err)
	}
	if len(b) > MaxAttributesBytes {
		return Invalid("attributes", "attributes are %d bytes of JSON, more than the limit of %d", len(b), MaxAttributesBytes)
	}
	var depth func(v any, d int) error
	depth = func(v any, d int) error {
		if d > MaxAttributeNesting {
			return Invalid("attributes", "attributes nest deeper than %d levels", MaxAttributeNesting)
		}
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if k == "" {
					return Invalid("attributes", "attribute names must not be empty")
				}
				if err := depth(vv, d+1); err != nil {
					return err
				}
			}
		case []any:
			for _, vv := range x {
				if err := depth(vv, d+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return depth(attrs, 1)
}

// CheckIdentifierMatch is the rule for an upsert without an id that found
// existing by one of its identifiers: a class other than existing's is a
// CONFLICT. The identifier then names another kind of thing than the
// caller thinks it does, and taking the input as an update would quietly
// rename and reclassify that CI. Naming the CI by id is an update like any
// other (the import engine's class refinement does that), and reclassifyCI
// changes a class on purpose. The error names the identifier and, in its
// details, the CI.
func CheckIdentifierMatch(in CIInput, existing *CI) error {
	if existing == nil || in.ID != "" || in.Class == nil || *in.Class == existing.Class {
		return nil
	}
	field, matched := "identifiers", Identifier{}
	for j, raw := range in.Identifiers {
		if id := NormalizeIdentifier(raw); hasIdentifier(existing.Identifiers, id) {
			field, matched = FieldIndex("identifiers", j), id
			break
		}
	}
	return &Error{
		Code:  CodeConflict,
		Field: field,
		Message: fmt.Sprintf("identifier %s=%s belongs to CI %s %q of class %s, not %s: update that CI by id, or change its class with reclassifyCI",
			matched.Kind, matched.Value, existing.ID, existing.Name, existing.Class, *in.Class),
		Details: map[string]any{"ci": map[string]any{"id": existing.ID, "name": existing.Name, "class": existing.Class}},
	}
}

// MergeCI applies a validated input to an existing CI (nil when creating)
// and reports whether anything changed. It is the single definition of
// upsert semantics that every store uses, so stores cannot drift apart.
// UpdatedAt moves only when something changed, which keeps re-imports of
// identical data free of spurious updates.
func MergeCI(existing *CI, in CIInput, now time.Time) (CI, bool, error) {
	var ci CI
	creating := existing == nil
	if creating {
		if in.Name == nil {
			return CI{}, false, Invalid("name", "name is required to create a CI")
		}
		if in.Class == nil {
			return CI{}, false, Invalid("class", "class is required to create a CI")
		}
		ci = CI{ID: in.ID, Status: StatusInService, Criticality: CriticalityMedium, CreatedAt: now}
		if ci.ID == "" {
			ci.ID = NewID()
		}
	} else {
		ci = cloneCI(*existing)
	}
	before := cloneCI(ci)
	if in.Name != nil {
		ci.Name = strings.TrimSpace(*in.Name)
	}
	if in.Class != nil {
		ci.Class = *in.Class
	}
	if in.Status != nil {
		ci.Status = *in.Status
	}
	if in.Criticality != nil {
		ci.Criticality = *in.Criticality
	}
	if in.Environment != nil {
		ci.Environment = strings.TrimSpace(*in.Environment)
	}
	if in.Owner != nil {
		ci.Owner = strings.TrimSpace(*in.Owner)
	}
	if in.Attributes != nil {
		// Round-trip through JSON so every store keeps the same value types
		// (float64 numbers, []any arrays) whatever the caller passed.
		attrs, err := normalizeAttributes(in.Attributes)
		if err != nil {
			return CI{}, false, err
		}
		ci.Attributes = attrs
	}
	for _, raw := range in.Identifiers {
		id := NormalizeIdentifier(raw)
		if !hasIdentifier(ci.Identifiers, id) {
			ci.Identifiers = append(ci.Identifiers, id)
		}
	}
	if len(ci.Identifiers) > MaxIdentifiers {
		return CI{}, false, Invalid("identifiers", "a CI may have at most %d identifiers", MaxIdentifiers)
	}
	changed := creating || !sameCI(before, ci)
	if changed {
		ci.UpdatedAt = now
		trackProvenance(creating, before, &ci, Origin{Source: in.Source, Scope: in.Scope, Since: now})
	}
	return ci, changed, nil
}

// trackProvenance stamps the fields whose value this write changed with the
// writer's origin, and forgets the origin of attributes that were removed.
// Fields written with their current value keep their origin: the source
// that first set a value stays its owner until the value changes.
func trackProvenance(creating bool, before CI, ci *CI, o Origin) {
	if o.Source == "" {
		o.Source, o.Scope = SourceManual, ""
	}
	prov := make(map[string]Origin, len(ci.Provenance)+len(ci.Attributes)+5)
	for k, v := range ci.Provenance {
		prov[k] = v
	}
	stamp := func(field string, changed bool) {
		if creating || changed {
			prov[field] = o
		}
	}
	stamp(FieldName, before.Name != ci.Name)
	stamp(FieldStatus, before.Status != ci.Status)
	stamp(FieldCriticality, before.Criticality != ci.Criticality)
	if ci.Environment != "" {
		stamp(FieldEnvironment, before.Environment != ci.Environment)
	} else {
		delete(prov, FieldEnvironment)
	}
	if ci.Owner != "" {
		stamp(FieldOwner, before.Owner != ci.Owner)
	} else {
		delete(prov, FieldOwner)
	}
	for k, v := range ci.Attributes {
		old, had := before.Attributes[k]
		stamp(AttributeField(k), !had || !reflect.DeepEqual(old, v))
	}
	for k := range before.Attributes {
		if _, ok := ci.Attributes[k]; !ok {
			delete(prov, AttributeField(k))
		}
	}
	if len(prov) == 0 {
		prov = nil
	}
	ci.Provenance = prov
}

// Provenance keys of the CI fields sources may own.
const (
	FieldName        = "name"
	FieldStatus      = "status"
	FieldCriticality = "criticality"
	FieldEnvironment = "environment"
	FieldOwner       = "owner"
	attributePrefix  = "attributes."
)

// AttributeField is the provenance key of a top-level attribute.
func AttributeField(key string) string { return attributePrefix + key }

func normalizeAttributes(attrs map[string]any) (map[string]any, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, Invalid("attributes", "attributes must be a JSON object: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, Invalid("attributes", "attributes must be a JSON object: %v", err)
	}
	return out, nil
}

func hasIdentifier(list []Identifier, id Identifier) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// cloneCI copies the CI's slices and top-level attribute map. Nested
// attribute values stay shared: stores treat stored CIs as immutable.
func cloneCI(c CI) CI {
	c.Identifiers = append([]Identifier(nil), c.Identifiers...)
	if c.Provenance != nil {
		m := make(map[string]Origin, len(c.Provenance))
		for k, v := range c.Provenance {
			m[k] = v
		}
		c.Provenance = m
	}
	if c.Attributes != nil {
		m := make(map[string]any, len(c.Attributes))
		for k, v := range c.Attributes {
			m[k] = v
		}
		c.Attributes = m
	}
	return c
}

// sameCI compares what a write can change; provenance follows the values,
// so two CIs with the same values are the same whoever wrote them.
func sameCI(a, b CI) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	a.Provenance, b.Provenance = nil, nil
	if len(a.Attributes) == 0 {
		a.Attributes = nil
	}
	if len(b.Attributes) == 0 {
		b.Attributes = nil
	}
	return reflect.DeepEqual(a, b)
}

// NormalizeAttributes returns attributes in the form every store returns
// them (JSON values: float64 numbers, []any arrays, map[string]any
// objects), so callers can compare what they are about to write with what
// is stored.
func NormalizeAttributes(attrs map[string]any) (map[string]any, error) {
	return normalizeAttributes(attrs)
}

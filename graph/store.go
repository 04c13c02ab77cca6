package graph

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
)

// Store is what every storage backend implements. All methods are safe for
// concurrent use. Writes are atomic: a method that returns an error has
// changed nothing. Errors are *Error values (or wrap one) with the codes
// documented on each method; anything else is a bug in the store.
//
// The conformance suite in store/storetest pins these semantics down; read
// it alongside this interface.
//
// Every successful write that changes something appends audit entries (see
// RecordStore) in the same transaction: CREATE/UPDATE/DELETE of a CI
// (Before/After are the CI as JSON, About = [ci id]), RELATE/UNRELATE of a
// relation (Before/After are the Relation as JSON, SubjectID =
// RelationSubjectID, About = [subject, from, to]). Writes that change
// nothing (identical upserts, relating an existing relation) add nothing,
// and neither does the import ledger (Batch.Ledger), which moves on every
// run and is its own record of what was seen when.
type Store interface {
	Traverser
	RecordStore
	LedgerStore
	GraphHistory

	// UpsertCI creates or updates one CI; see CIInput for matching rules.
	// Concurrent upserts matching the same identifiers yield one CI: a
	// writer that loses the race to create it updates the winner's.
	// Errors: INVALID_INPUT (bad field), NOT_FOUND (ID given but unknown),
	// CONFLICT (an identifier belongs to another CI, or the identifiers
	// match several CIs).
	UpsertCI(ctx context.Context, in CIInput) (UpsertResult, error)

	// Apply runs a batch of upserts, relates and unrelates in one
	// transaction, in that order: all of it happens or none of it does.
	// Every CIRef must resolve (NOT_FOUND otherwise, unlike the lenient
	// single Unrelate); error fields are prefixed with the item, e.g.
	// "upserts[3].name" or "relate[0].to".
	Apply(ctx context.Context, b Batch) (BatchResult, error)

	// GetCI returns one CI. Errors: INVALID_INPUT (malformed id), NOT_FOUND.
	GetCI(ctx context.Context, id string) (CI, error)

	// CIsByIDs returns the CIs that exist among ids, keyed by id. Unknown
	// or malformed ids are simply absent: this feeds dataloaders.
	CIsByIDs(ctx context.Context, ids []string) (map[string]CI, error)

	// ListCIs returns one page of CIs matching the filter, ordered by
	// (name, id), forward (first/after) or back (last/before). Keyset
	// pagination: items inserted while a client pages never cause
	// duplicates or skip items that existed before.
	// Errors: INVALID_INPUT (bad cursor in field "after" or "before", bad
	// "first" or "last", both directions mixed).
	ListCIs(ctx context.Context, f CIFilter, p Page) (CIPage, error)

	// DeleteCI removes a CI with its relations and identifiers, unless
	// records hold it (HoldsCIs: open incidents, changes not final, SLAs,
	// problems not closed). The check runs in the delete's transaction, so
	// no record can come to hold the CI between the check and the delete.
	// Records that link the CI without holding it keep their links, which
	// from then on resolve to its tombstone (Tombstones).
	// Errors: INVALID_INPUT, NOT_FOUND, CONFLICT (HeldError, naming and
	// counting the holders in its Details).
	DeleteCI(ctx context.Context, id string) error

	// ForceDeleteCI removes a CI like DeleteCI whatever holds it, and
	// returns the holders it overrode (in no particular order). They keep
	// their links, as tombstones: a record outlives the CIs it is about.
	// Errors: INVALID_INPUT, NOT_FOUND.
	ForceDeleteCI(ctx context.Context, id string) ([]Holder, error)

	// Relate creates From -Type-> To, or returns the existing relation.
	// Errors: INVALID_INPUT (unknown type, class combination the catalogue
	// forbids, self-relation), NOT_FOUND (field "from" or "to").
	Relate(ctx context.Context, from, typ, to string) (Relation, error)

	// Unrelate removes a relation and reports whether it existed.
	// Errors: INVALID_INPUT (malformed id, unknown type).
	Unrelate(ctx context.Context, from, typ, to string) (bool, error)

	// RelationsOf returns, for each CI id, its relations in the given
	// direction, optionally restricted to some types (all when empty).
	// Ids without relations map to nothing. Feeds dataloaders.
	RelationsOf(ctx context.Context, ids []string, dir Direction, types []string) (map[string][]Relation, error)

	// GraphVersion returns an opaque token for the state of the
	// configuration graph: CIs (identifiers included) and relations. Every
	// write that changes the graph (an upsert that changes a CI, a delete,
	// a relate that creates, an unrelate that removes, an Apply batch that
	// does any of those) moves it, in the same transaction; writes that
	// change nothing, record writes and ledger writes leave it. Equal
	// tokens mean no graph write committed in between, across every process
	// sharing the store, so results derived from the graph alone may be
	// cached under it. Compare tokens for equality only.
	GraphVersion(ctx context.Context) (string, error)

	// Ping reports whether the store can answer queries (readiness).
	Ping(ctx context.Context) error

	// Close releases the store's resources. Afterwards every method fails
	// with UNAVAILABLE; closing again is harmless.
	Close(ctx context.Context) error
}

// Traverser is the part of a Store that the graph algorithms read (blast
// radius, dependencies): the catalogue and breadth-first neighbourhoods.
type Traverser interface {
	// Neighbourhood expands breadth-first from the seeds along the relation
	// types that carry failure, walking each the way failure flows
	// (Downstream) or against it (Upstream), and returns the nodes reached
	// within MaxDepth plus every traversable edge found while expanding.
	// Each node is visited once whatever the number of paths to it.
	// Errors: INVALID_INPUT (bad seed id, unknown type, depth out of range),
	// NOT_FOUND (field "ciIds[i]" when a seed does not exist).
	//
	// Nodes carry CI heads, not whole CIs (see Node): the algorithms need
	// no more, and a response loads what it shows of the CIs it returns.
	Neighbourhood(ctx context.Context, q NeighbourhoodQuery) (Subgraph, error)

	// Catalogue returns the catalogue the store validates against.
	Catalogue() *Catalogue
}

// UpsertResult reports what an upsert did.
type UpsertResult struct {
	CI      CI
	Created bool
	// Changed is false when the input matched the stored CI exactly.
	Changed bool
}

// CIRef names a CI inside a batch: by id, or by one of its identifiers
// (which lets a batch relate CIs it creates in the same transaction).
type CIRef struct {
	ID         string
	Identifier *Identifier
}

// BatchRelation is a relation whose ends are CIRefs.
type BatchRelation struct {
	From CIRef
	Type string
	To   CIRef
}

// Batch is a multi-part write applied atomically by Store.Apply.
type Batch struct {
	Upserts  []CIInput
	Relate   []BatchRelation
	Unrelate []BatchRelation
	// Ledger, when set, records what an import run saw (see LedgerWrite).
	Ledger *LedgerWrite
}

// BatchResult reports what a batch did. CIs follows the order of
// Batch.Upserts.
type BatchResult struct {
	CIs              []CI
	Created          int
	Updated          int
	Unchanged        int
	RelationsCreated int
	RelationsRemoved int
}

// CIFilter selects CIs; empty fields match everything.
type CIFilter struct {
	Class       string
	Status      Status
	Environment string
	Owner       string
	// Search matches a case-insensitive substring of the name.
	Search string
	// Identifier matches CIs having an identifier with exactly this value
	// (of any kind).
	Identifier string
}

// CIPage is one page of a CI listing, with Relay's page flags (see
// PageWindow).
type CIPage struct {
	CIs             []CI
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// Traversal depth limits for Neighbourhood.
const (
	DefaultMaxDepth = 10
	MaxTraversal    = 32
)

// TraversalDirection says which way Neighbourhood walks.
type TraversalDirection int

const (
	// Downstream follows failure: from a CI to what breaks when it breaks.
	Downstream TraversalDirection = iota
	// Upstream goes against failure: from a CI to what it needs.
	Upstream
)

// NeighbourhoodQuery parameterises Store.Neighbourhood.
type NeighbourhoodQuery struct {
	Seeds     []string
	Direction TraversalDirection
	// MaxDepth bounds the number of hops (1..MaxTraversal).
	MaxDepth int
	// Types restricts traversal to these relation types; empty means every
	// propagating type in the catalogue.
	Types []string
}

// CIHead is the part of a CI the graph algorithms read and report: what
// names and classifies it. A traversal returns heads, not whole CIs, and a
// response that shows more of a CI loads it (CIsByIDs) for what it returns
// only: reading, sending and decoding every reached CI whole was most of the
// cost of a large blast radius.
type CIHead struct {
	ID          string
	Name        string
	Class       string
	Criticality Criticality
	// Owner is the team that runs the CI: root cause learns monitoring
	// coverage and noise per owner.
	Owner string
}

// Head returns the CI's head.
func (c CI) Head() CIHead {
	return CIHead{ID: c.ID, Name: c.Name, Class: c.Class, Criticality: c.Criticality, Owner: c.Owner}
}

// Node is a CI reached by a traversal: its head and what the traversal
// found about it.
type Node struct {
	CI CIHead
	// Depth is the BFS hop count from the nearest seed (0 for seeds).
	Depth int
	// Members is, for redundancy groups, the number of CIs that are members
	// of it through any grouping relation (reached by the traversal or not).
	Members int
	// Attributes are, for redundancy groups, the CI's attributes, which
	// hold the threshold of healthy members (impact.RequiredHealthy).
	// Stores leave them nil for other classes; a caller that needs other
	// attributes loads the CIs. Read-only: a store may share the map with
	// its own copy.
	Attributes map[string]any
}

// Subgraph is the result of a traversal: nodes by id and the traversable
// edges among them, in their stored orientation (From -Type-> To), each once
// and in no particular order.
type Subgraph struct {
	Nodes map[string]*Node
	Edges []Relation
}

// Now is the store clock: UTC and truncated to microseconds so that every
// backend round-trips it exactly.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// CheckListCIs validates a ListCIs request, filter first, then the page
// (either direction, default size applied), and returns the (name, id)
// key of the page's cursor: the key the page starts after, or, paging
// back, ends before (both empty without a cursor).
func (c *Catalogue) CheckListCIs(f CIFilter, p Page) (page Page, keyName, keyID string, err error) {
	if err := c.CheckFilter(f); err != nil {
		return p, "", "", err
	}
	if p, err = checkPageSize(p); err != nil {
		return p, "", "", err
	}
	cursor, field := p.Cursor()
	if cursor == "" {
		return p, "", "", nil
	}
	keyName, keyID, err = decodeCursor(field, cursor)
	return p, keyName, keyID, err
}

// CheckNeighbourhoodQuery validates a traversal request and fills defaults.
// CheckMaxDepth refuses a traversal depth outside 1..MaxTraversal. APIs
// call it on a depth the client gave explicitly, since a query's zero
// depth means the default.
func CheckMaxDepth(d int) error {
	if d < 1 || d > MaxTraversal {
		return Invalid("maxDepth", "maxDepth must be between 1 and %d", MaxTraversal)
	}
	return nil
}

func (c *Catalogue) CheckNeighbourhoodQuery(q NeighbourhoodQuery) (NeighbourhoodQuery, error) {
	if len(q.Seeds) == 0 {
		return q, Invalid("ciIds", "at least one CI id is required")
	}
	for i, id := range q.Seeds {
		if err := CheckID(FieldIndex("ciIds", i), id); err != nil {
			return q, err
		}
	}
	if q.MaxDepth == 0 {
		q.MaxDepth = DefaultMaxDepth
	}
	if err := CheckMaxDepth(q.MaxDepth); err != nil {
		return q, err
	}
	if _, _, err := c.TraversalTypes(q.Types); err != nil {
		return q, err
	}
	return q, nil
}

// EncodeCursor makes the opaque cursor that points just after ci in the
// (name, id) order.
func EncodeCursor(ci CI) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1\x00" + ci.Name + "\x00" + ci.ID))
}

// DecodeCursor returns the (name, id) key a cursor points after.
func DecodeCursor(cursor string) (name, id string, err error) {
	return decodeCursor("after", cursor)
}

func decodeCursor(field, cursor string) (name, id string, err error) {
	b, derr := base64.RawURLEncoding.DecodeString(cursor)
	// Split at the last NUL: ids never contain one, names are not trusted to.
	rest, ok := strings.CutPrefix(string(b), "v1\x00")
	i := strings.LastIndexByte(rest, 0)
	if derr != nil || !ok || i < 0 || CheckID(field, rest[i+1:]) != nil {
		return "", "", Invalid(field, "invalid cursor %q", Truncate(cursor, 64))
	}
	return rest[:i], rest[i+1:], nil
}

// CursorLess reports whether (name, id) sorts before (name2, id2).
func CursorLess(name, id, name2, id2 string) bool {
	if name != name2 {
		return name < name2
	}
	return id < id2
}

// CheckFilter validates a CI filter against the catalogue.
func (c *Catalogue) CheckFilter(f CIFilter) error {
	if f.Class != "" {
		if err := c.CheckClass("filter.class", f.Class); err != nil {
			return err
		}
	}
	if f.Status != "" && !f.Status.Valid() {
		return Invalid("filter.status", "unknown status %q", f.Status)
	}
	return nil
}

// Matches reports whether a CI passes the filter, for CIs held in memory
// (as-of listings); stores apply the same conditions in their queries.
func (f CIFilter) Matches(ci CI) bool {
	switch {
	case f.Class != "" && ci.Class != f.Class,
		f.Status != "" && ci.Status != f.Status,
		f.Environment != "" && ci.Environment != f.Environment,
		f.Owner != "" && ci.Owner != f.Owner,
		f.Search != "" && !strings.Contains(strings.ToLower(ci.Name), strings.ToLower(f.Search)):
		return false
	}
	if f.Identifier == "" {
		return true
	}
	for _, id := range ci.Identifiers {
		if id.Value == f.Identifier {
			return true
		}
	}
	return false
}

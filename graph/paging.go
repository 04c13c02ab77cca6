package graph

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

// Page limits for every listing.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Page asks for one page of a keyset listing, Relay style: First items
// after the cursor After ("" = from the start), or Last items before the
// cursor Before ("" = up to the end). Either way the items come in the
// listing's order. A zero size means DefaultPageSize.
type Page struct {
	First int
	After string
	Last  int
	// Before pages back: the items just before this cursor.
	Before string
}

// Backward reports whether p pages back (last/before).
func (p Page) Backward() bool { return p.Last != 0 || p.Before != "" }

// Size returns the number of items p asks for, whichever the direction.
func (p Page) Size() int {
	if p.Backward() {
		return p.Last
	}
	return p.First
}

// Cursor returns the cursor p pages from ("" for none) and the field it
// came in, which is the field at fault when it is invalid.
func (p Page) Cursor() (cursor, field string) {
	if p.Backward() {
		return p.Before, "before"
	}
	return p.After, "after"
}

// CheckPage validates a page of an in-memory listing (see PageWindow): no
// mixed directions, a size in range (DefaultPageSize when zero).
func CheckPage(p Page) (Page, error) { return checkPageSize(p) }

// checkPageSize rejects pages mixing the two directions, checks the size
// and applies the default one.
func checkPageSize(p Page) (Page, error) {
	const how = "page forward with first/after or back with last/before"
	switch {
	case p.First != 0 && p.Last != 0:
		return p, Invalid("last", "first and last cannot be combined: %s", how)
	case p.After != "" && p.Before != "":
		return p, Invalid("before", "after and before cannot be combined: %s", how)
	case p.First != 0 && p.Before != "":
		return p, Invalid("before", "before cannot be combined with first: %s", how)
	case p.Last != 0 && p.After != "":
		return p, Invalid("after", "after cannot be combined with last: %s", how)
	}
	size, field := &p.First, "first"
	if p.Backward() {
		size, field = &p.Last, "last"
	}
	switch {
	case *size == 0:
		*size = DefaultPageSize
	case *size < 0:
		return p, Invalid(field, "%s must not be negative", field)
	case *size > MaxPageSize:
		return p, Invalid(field, "%s must be at most %d", field, MaxPageSize)
	}
	return p, nil
}

// PageWindow picks the items page p selects from all n matches of a
// listing, in listing order: items [lo, hi), and whether items follow and
// precede them. cmp(i) compares the i-th item with p's cursor (negative:
// it sorts before the cursor); it is not called without a cursor.
//
// Paging forward, hasPrev is simply whether a cursor was given, and paging
// back hasNext is: Relay allows that, and it is what a store answering
// with one keyset query can tell without a second one.
func PageWindow(n int, p Page, cmp func(i int) int) (lo, hi int, hasNext, hasPrev bool) {
	if p.Backward() {
		hi = n
		if p.Before != "" {
			hi = sort.Search(n, func(i int) bool { return cmp(i) >= 0 })
		}
		lo = max(0, hi-p.Last)
		return lo, hi, p.Before != "", lo > 0
	}
	if p.After != "" {
		lo = sort.Search(n, func(i int) bool { return cmp(i) > 0 })
	}
	hi = min(n, lo+p.First)
	return lo, hi, hi < n, p.After != ""
}

// RecordSort names what a record listing is sorted by; every sort breaks
// ties by id, so the order is total and keyset paging exact.
type RecordSort string

// The record sorts.
const (
	// SortCreated is creation order: by id, which for records made by
	// NewID is creation order. The zero RecordSort means this.
	SortCreated RecordSort = "CREATED"
	// SortUpdated is by UpdatedAt. A record updated while a client pages
	// moves, like any keyset listing on a mutable key.
	SortUpdated RecordSort = "UPDATED"
	// SortStart is by Start (an incident's opening, a change's planned
	// start); records without a Start come last either way.
	SortStart RecordSort = "START"
)

// RecordOrder is a record listing's order. The zero value is newest
// created first.
type RecordOrder struct {
	By        RecordSort
	Ascending bool
}

// noStartLast and noStartFirst are the keys of records without a Start:
// after every other in either direction.
const (
	noStartLast  = int64(1<<63 - 1)
	noStartFirst = -1 << 63
)

// normal fills the default sort.
func (o RecordOrder) normal() RecordOrder {
	if o.By == "" {
		o.By = SortCreated
	}
	return o
}

// Check validates the order.
func (o RecordOrder) Check() error {
	switch o.normal().By {
	case SortCreated, SortUpdated, SortStart:
		return nil
	}
	return Invalid("orderBy.field", "unknown sort %q", o.By)
}

// Key returns r's sort key, whose order (then the id's) is the listing's:
// 0 for creation order, Unix microseconds otherwise.
func (o RecordOrder) Key(r *Record) int64 {
	switch o.normal().By {
	case SortUpdated:
		return r.UpdatedAt.UnixMicro()
	case SortStart:
		switch {
		case r.Start != nil:
			return r.Start.UnixMicro()
		case o.Ascending:
			return noStartLast
		default:
			return noStartFirst
		}
	}
	return 0
}

// NoStartKey is the key of records without a Start under o.
func (o RecordOrder) NoStartKey() int64 { return o.Key(&Record{}) }

// Compare orders (key, id) pairs the way the listing does: negative when
// the first comes first.
func (o RecordOrder) Compare(key int64, id string, key2 int64, id2 string) int {
	c := 0
	switch {
	case key < key2:
		c = -1
	case key > key2:
		c = 1
	default:
		c = strings.Compare(id, id2)
	}
	if !o.Ascending {
		c = -c
	}
	return c
}

func (o RecordOrder) String() string {
	o = o.normal()
	if o.Ascending {
		return string(o.By) + " ASC"
	}
	return string(o.By) + " DESC"
}

// RecordCursor makes the opaque cursor of r in a listing in order o. It
// names the order, so that a cursor is only good for the order it came
// from.
func RecordCursor(o RecordOrder, r Record) string {
	s := "r2\x00" + o.String() + "\x00" + strconv.FormatInt(o.Key(&r), 10) + "\x00" + r.ID
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// RecordKeyset is a checked request for a page of records: the order, the
// page with its size set, and the key of its cursor, if any.
type RecordKeyset struct {
	Order  RecordOrder
	Page   Page
	Cursor bool
	Key    int64
	ID     string
}

// CheckListRecords validates a ListRecords request, kind first, then its
// order and page (either direction, default size applied), and returns
// the decoded keyset. A cursor made for another order, or for another
// listing, is INVALID_INPUT on the field that carried it.
func CheckListRecords(kind RecordKind, o RecordOrder, p Page) (RecordKeyset, error) {
	if err := CheckRecordKind(kind); err != nil {
		return RecordKeyset{}, err
	}
	return checkRecordList(o, p)
}

func checkRecordList(o RecordOrder, p Page) (RecordKeyset, error) {
	if err := o.Check(); err != nil {
		return RecordKeyset{}, err
	}
	p, err := checkPageSize(p)
	if err != nil {
		return RecordKeyset{}, err
	}
	ks := RecordKeyset{Order: o.normal(), Page: p}
	cursor, field := p.Cursor()
	if cursor == "" {
		return ks, nil
	}
	b, derr := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.Split(string(b), "\x00")
	if derr != nil || len(parts) != 4 || parts[0] != "r2" || CheckID(field, parts[3]) != nil {
		return RecordKeyset{}, Invalid(field, "invalid cursor %q", Truncate(cursor, 64))
	}
	if parts[1] != ks.Order.String() {
		return RecordKeyset{}, Invalid(field, "the cursor is from a listing in %s order, not %s", Truncate(parts[1], 32), ks.Order)
	}
	if ks.Key, err = strconv.ParseInt(parts[2], 10, 64); err != nil {
		return RecordKeyset{}, Invalid(field, "invalid cursor %q", Truncate(cursor, 64))
	}
	ks.Cursor, ks.ID = true, parts[3]
	return ks, nil
}

// Cmp compares r with the keyset's cursor in listing order (see Compare).
func (ks RecordKeyset) Cmp(r *Record) int {
	return ks.Order.Compare(ks.Order.Key(r), r.ID, ks.Key, ks.ID)
}

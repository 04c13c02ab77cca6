package graph

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestRecordCursors(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	r := Record{ID: NewID(), Start: &start, UpdatedAt: start.Add(time.Hour)}
	startAsc := RecordOrder{By: SortStart, Ascending: true}
	ks, err := checkRecordList(startAsc, Page{Last: 3, Before: RecordCursor(startAsc, r)})
	if err != nil || !ks.Cursor || ks.ID != r.ID || ks.Key != start.UnixMicro() || ks.Cmp(&r) != 0 {
		t.Fatalf("round trip: %+v, %v", ks, err)
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte("r2\x00START ASC\x00soon\x00" + r.ID))
	for _, tc := range []struct {
		name   string
		order  RecordOrder
		page   Page
		field  string
		reason string
	}{
		{"another direction", RecordOrder{By: SortStart}, Page{After: RecordCursor(startAsc, r)}, "after", "from a listing in START ASC order"},
		{"the default order", RecordOrder{}, Page{Before: RecordCursor(startAsc, r)}, "before", "not CREATED DESC"},
		{"a key that is no number", startAsc, Page{After: forged}, "after", "invalid cursor"},
		{"an id cursor", RecordOrder{}, Page{After: IDCursor(r.ID)}, "after", "invalid cursor"},
		{"an unknown sort", RecordOrder{By: "PRIORITY"}, Page{}, "orderBy.field", "unknown sort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkRecordList(tc.order, tc.page)
			if ErrorCode(err) != CodeInvalidInput || ErrorField(err) != tc.field || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want INVALID_INPUT on %s saying %q", err, tc.field, tc.reason)
			}
		})
	}
}

func TestRecordsWithoutStartComeLast(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	with, without := Record{ID: "b", Start: &start}, Record{ID: "a"}
	for _, o := range []RecordOrder{{By: SortStart}, {By: SortStart, Ascending: true}} {
		if o.Compare(o.Key(&with), with.ID, o.Key(&without), without.ID) >= 0 {
			t.Errorf("%s: a record without a start sorts first", o)
		}
	}
}

func TestPageWindow(t *testing.T) {
	items := []int{10, 20, 30, 40, 50}
	cmpWith := func(c int) func(i int) int { return func(i int) int { return items[i] - c } }
	for _, tc := range []struct {
		name           string
		p              Page
		cursor         int
		lo, hi         int
		hasNext, hasPr bool
	}{
		{"first two", Page{First: 2}, 0, 0, 2, true, false},
		{"after 20", Page{First: 2, After: "x"}, 20, 2, 4, true, true},
		{"after a key that is gone", Page{First: 9, After: "x"}, 25, 2, 5, false, true},
		{"last two", Page{Last: 2}, 0, 3, 5, false, true},
		{"two before 40", Page{Last: 2, Before: "x"}, 40, 1, 3, true, true},
		{"all before 30", Page{Last: 9, Before: "x"}, 30, 0, 2, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, next, prev := PageWindow(len(items), tc.p, cmpWith(tc.cursor))
			if lo != tc.lo || hi != tc.hi || next != tc.hasNext || prev != tc.hasPr {
				t.Fatalf("got [%d,%d) next=%v prev=%v", lo, hi, next, prev)
			}
		})
	}
}

package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, name := range []string{"web-1", "", "with\x00nul", "ünïcode 😀"} {
		ci := CI{ID: NewID(), Name: name}
		n, id, err := DecodeCursor(EncodeCursor(ci))
		if err != nil || n != name || id != ci.ID {
			t.Errorf("round trip of %q: got %q %q %v", name, n, id, err)
		}
	}
	for _, bad := range []string{"", "!!", "djE", EncodeCursor(CI{ID: "not-a-uuid", Name: "x"})} {
		if _, _, err := DecodeCursor(bad); ErrorCode(err) != CodeInvalidInput || ErrorField(err) != "after" {
			t.Errorf("DecodeCursor(%q) = %v, want INVALID_INPUT on after", bad, err)
		}
	}
}

func TestCatalogueExtend(t *testing.T) {
	base := DefaultCatalogue()
	tests := []struct {
		name, overlay string
		wantField     string
		check         func(t *testing.T, c *Catalogue)
	}{
		{"make CONNECTS_TO propagate", `{"relationTypes":[{"name":"CONNECTS_TO","propagation":"TO_SOURCE"}]}`, "",
			func(t *testing.T, c *Catalogue) {
				if rt, _ := c.RelationType(RelConnectsTo); rt.Propagation != PropagateToSource {
					t.Fatalf("CONNECTS_TO propagation %s", rt.Propagation)
				}
			}},
		{"new class and type", `{"classes":[{"name":"Firewall"}],"relationTypes":[{"name":"PROTECTED_BY","propagation":"TO_SOURCE","toClasses":["Firewall"]}]}`, "",
			func(t *testing.T, c *Catalogue) {
				if err := c.CheckRelation("PROTECTED_BY", ClassServer, "Firewall"); err != nil {
					t.Fatal(err)
				}
				if err := c.CheckRelation("PROTECTED_BY", ClassServer, ClassRack); err == nil {
					t.Fatal("PROTECTED_BY to a Rack accepted")
				}
			}},
		{"bad type name", `{"relationTypes":[{"name":"bad name"}]}`, "relationTypes[6].name", nil},
		{"unknown class reference", `{"relationTypes":[{"name":"X","toClasses":["Nope"]}]}`, "relationTypes[6]", nil},
		{"grouping must flow to the group", `{"relationTypes":[{"name":"PART_OF","propagation":"TO_SOURCE","grouping":true}]}`, "relationTypes[6].grouping", nil},
		{"unknown field", `{"relationTypez":[]}`, "catalogue", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := base.Extend(strings.NewReader(tt.overlay))
			if tt.wantField != "" {
				if ErrorCode(err) != CodeInvalidInput || ErrorField(err) != tt.wantField {
					t.Fatalf("got %v (field %q), want INVALID_INPUT on %q", err, ErrorField(err), tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			if rt, _ := base.RelationType(RelConnectsTo); rt.Propagation != PropagateNone {
				t.Fatal("Extend changed the base catalogue")
			}
		})
	}
}

func TestRenameFieldSeesThroughWrapping(t *testing.T) {
	wrapped := fmt.Errorf("load: %w", NotFound("id", "change", "x"))
	got := RenameField(wrapped, "id", "changeId")
	if ErrorField(got) != "changeId" || ErrorCode(got) != CodeNotFound {
		t.Fatalf("got %v (field %q)", got, ErrorField(got))
	}
	if other := Invalid("name", "bad"); RenameField(other, "id", "changeId") != error(other) {
		t.Fatal("renamed an error on another field")
	}
	plain := errors.New("boom")
	if RenameField(plain, "id", "x") != plain {
		t.Fatal("changed a non-domain error")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 3, "too…"},
		{"ab€cd", 3, "ab…"}, // € is three bytes from index 2: never cut inside it
		{"ab€cd", 5, "ab€…"},
		{"€", 1, "…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := Truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// TestEachRecordPage lists a newest-first listing of more than two pages
// and checks that every record is seen once, in order, and that an error
// stops the reading.
func TestEachRecordPage(t *testing.T) {
	var all []Record
	for range 2*MaxPageSize + 3 {
		all = append(all, Record{ID: NewID()})
	}
	list := func(p Page) (RecordPage, error) {
		start := 0
		if p.After != "" {
			ks, err := checkRecordList(RecordOrder{}, p)
			if err != nil {
				return RecordPage{}, err
			}
			after := ks.ID
			for all[start].ID != after {
				start++
			}
			start++
		}
		end := min(start+p.First, len(all))
		return RecordPage{Records: all[start:end], HasNextPage: end < len(all), TotalCount: len(all)}, nil
	}
	var seen []string
	calls := 0
	err := EachRecordPage(RecordOrder{}, func(p Page) (RecordPage, error) {
		calls++
		page, err := list(p)
		for _, r := range page.Records {
			seen = append(seen, r.ID)
		}
		return page, err
	})
	if err != nil || calls != 3 || len(seen) != len(all) {
		t.Fatalf("%d calls, %d records seen of %d, %v", calls, len(seen), len(all), err)
	}
	for i, id := range seen {
		if id != all[i].ID {
			t.Fatalf("record %d is %s, want %s", i, id, all[i].ID)
		}
	}
	boom := errors.New("boom")
	calls = 0
	err = EachRecordPage(RecordOrder{}, func(p Page) (RecordPage, error) {
		calls++
		if p.After != "" {
			return RecordPage{}, boom
		}
		return list(p)
	})
	if !errors.Is(err, boom) || calls != 2 {
		t.Fatalf("after %d calls: %v, want boom after 2", calls, err)
	}
}

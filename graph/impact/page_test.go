package impact

import (
	"fmt"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestPageImpacted(t *testing.T) {
	br := &BlastRadius{}
	for i, name := range []string{"a", "b", "b", "a", "c"} {
		d := 1 + i/3
		br.Impacted = append(br.Impacted, Impacted{CI: graph.CIHead{ID: fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", i), Name: name, Class: "Application"}, Distance: d, Effect: Down})
	}
	var got []string
	p := graph.Page{First: 2}
	for range len(br.Impacted) {
		pg, err := br.PageImpacted(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Impacted) == 0 || pg.HasPreviousPage != (p.After != "") {
			t.Fatalf("page after %q: %+v", p.After, pg)
		}
		for _, im := range pg.Impacted {
			got = append(got, fmt.Sprintf("%s@%d", im.CI.Name, im.Distance))
		}
		if !pg.HasNextPage {
			break
		}
		p.After = ImpactedCursor(pg.Impacted[len(pg.Impacted)-1])
	}
	if fmt.Sprint(got) != "[a@1 b@1 b@1 a@2 c@2]" {
		t.Fatalf("pages: %v", got)
	}
	for _, tt := range []struct {
		name  string
		p     graph.Page
		field string
	}{
		{"garbage cursor", graph.Page{After: "not-a-cursor"}, "after"},
		{"a CI list's cursor", graph.Page{After: graph.EncodeCursor(graph.CI{ID: br.Impacted[0].CI.ID, Name: "a"})}, "after"},
		{"too big", graph.Page{First: graph.MaxPageSize + 1}, "first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := br.PageImpacted(tt.p)
			if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tt.field {
				t.Fatalf("err %v, want INVALID_INPUT on %s", err, tt.field)
			}
		})
	}
	if by := br.ByEffect(); len(by) != 1 || by[0] != (EffectCount{Effect: Down, Count: 5}) {
		t.Fatalf("byEffect %+v", by)
	}
	if by := br.ByClass(); len(by) != 1 || by[0] != (ClassCount{Class: "Application", Count: 5}) {
		t.Fatalf("byClass %+v", by)
	}
}

package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

var listCases = []testCase{
	{"PagesInNameOrder", func(ctx context.Context, t *testing.T, s graph.Store) {
		var want []string
		for i := 0; i < 23; i++ {
			// Zero-padded names in shuffled creation order; two share a
			// name so the id tie-break is exercised.
			name := fmt.Sprintf("host-%02d", (i*7)%23)
			if i == 22 {
				name = "host-05"
			}
			want = append(want, mustCI(ctx, t, s, name, graph.ClassServer).Name)
		}
		sort.Strings(want)
		got := collect(ctx, t, s, graph.CIFilter{}, 5, nil)
		if fmt.Sprint(names(got)) != fmt.Sprint(want) {
			t.Fatalf("pages gave %v, want %v", names(got), want)
		}
	}},
	{"ConcurrentInsertsNeitherDuplicateNorSkip", func(ctx context.Context, t *testing.T, s graph.Store) {
		before := map[string]bool{}
		for i := 0; i < 30; i++ {
			before[mustCI(ctx, t, s, fmt.Sprintf("m-%02d", i), graph.ClassServer).ID] = true
		}
		inserted := 0
		got := collect(ctx, t, s, graph.CIFilter{}, 7, func() {
			// Between pages, insert CIs that sort before, inside and after
			// the remaining range.
			for _, n := range []string{"a-early", "m-15x", "z-late"} {
				mustCI(ctx, t, s, fmt.Sprintf("%s-%d", n, inserted), graph.ClassServer)
				inserted++
			}
		})
		seen := map[string]bool{}
		for _, ci := range got {
			if seen[ci.ID] {
				t.Fatalf("CI %s (%s) returned twice", ci.Name, ci.ID)
			}
			seen[ci.ID] = true
		}
		for id := range before {
			if !seen[id] {
				t.Fatalf("CI %s existed before paging began but was skipped", id)
			}
		}
		for i := 1; i < len(got); i++ {
			if !graph.CursorLess(got[i-1].Name, got[i-1].ID, got[i].Name, got[i].ID) {
				t.Fatalf("page order broken at %s, %s", got[i-1].Name, got[i].Name)
			}
		}
	}},
	{"Filters", func(ctx context.Context, t *testing.T, s graph.Store) {
		mustUpsert(ctx, t, s, graph.CIInput{Name: ptr("Web-Prod-1"), Class: ptr(graph.ClassServer), Environment: ptr("prod"), Owner: ptr("web"),
			Identifiers: []graph.Identifier{ident("ip", "10.0.0.1")}})
		mustUpsert(ctx, t, s, graph.CIInput{Name: ptr("web-test-1"), Class: ptr(graph.ClassServer), Environment: ptr("test"), Owner: ptr("web"),
			Status: ptr(graph.StatusMaintenance)})
		mustUpsert(ctx, t, s, graph.CIInput{Name: ptr("orders-db"), Class: ptr(graph.ClassDatabase), Environment: ptr("prod"), Owner: ptr("dba"),
			Identifiers: []graph.Identifier{ident("fqdn", "orders-db.example.com")}})
		tests := []struct {
			name   string
			filter graph.CIFilter
			want   []string
		}{
			{"all", graph.CIFilter{}, []string{"Web-Prod-1", "orders-db", "web-test-1"}},
			{"class", graph.CIFilter{Class: graph.ClassServer}, []string{"Web-Prod-1", "web-test-1"}},
			{"status", graph.CIFilter{Status: graph.StatusMaintenance}, []string{"web-test-1"}},
			{"environment", graph.CIFilter{Environment: "prod"}, []string{"Web-Prod-1", "orders-db"}},
			{"owner", graph.CIFilter{Owner: "dba"}, []string{"orders-db"}},
			{"search is case-insensitive", graph.CIFilter{Search: "WEB"}, []string{"Web-Prod-1", "web-test-1"}},
			{"search substring", graph.CIFilter{Search: "ders-d"}, []string{"orders-db"}},
			{"identifier of any kind", graph.CIFilter{Identifier: "10.0.0.1"}, []string{"Web-Prod-1"}},
			{"identifier fqdn", graph.CIFilter{Identifier: "orders-db.example.com"}, []string{"orders-db"}},
			{"combined", graph.CIFilter{Class: graph.ClassServer, Environment: "prod", Search: "web"}, []string{"Web-Prod-1"}},
			{"nothing", graph.CIFilter{Owner: "nobody"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := s.ListCIs(ctx, tt.filter, graph.Page{First: 1})
				if err != nil {
					t.Fatal(err)
				}
				if page.TotalCount != len(tt.want) {
					t.Fatalf("totalCount %d, want %d", page.TotalCount, len(tt.want))
				}
				if got := names(collect(ctx, t, s, tt.filter, 2, nil)); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
	}},
	{"BadPagingAndFilters", func(ctx context.Context, t *testing.T, s graph.Store) {
		mustCI(ctx, t, s, "a", graph.ClassServer)
		tests := []struct {
			name   string
			filter graph.CIFilter
			page   graph.Page
			field  string
		}{
			{"garbage cursor", graph.CIFilter{}, graph.Page{After: "%%%"}, "after"},
			{"well-encoded nonsense cursor", graph.CIFilter{}, graph.Page{After: "djEAYQB4"}, "after"},
			{"negative first", graph.CIFilter{}, graph.Page{First: -1}, "first"},
			{"huge first", graph.CIFilter{}, graph.Page{First: graph.MaxPageSize + 1}, "first"},
			{"unknown class", graph.CIFilter{Class: "Toaster"}, graph.Page{}, "filter.class"},
			{"unknown status", graph.CIFilter{Status: "GONE"}, graph.Page{}, "filter.status"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.ListCIs(ctx, tt.filter, tt.page)
				wantErr(t, err, graph.CodeInvalidInput, tt.field)
			})
		}
	}},
	{"DefaultPageSize", func(ctx context.Context, t *testing.T, s graph.Store) {
		var b graph.Batch
		for i := 0; i < graph.DefaultPageSize+5; i++ {
			b.Upserts = append(b.Upserts, input(fmt.Sprintf("n%03d", i), graph.ClassContainer))
		}
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.CIs) != graph.DefaultPageSize || !page.HasNextPage || page.TotalCount != graph.DefaultPageSize+5 {
			t.Fatalf("got %d CIs, next=%v, total=%d", len(page.CIs), page.HasNextPage, page.TotalCount)
		}
	}},
}

// collect pages through a listing, calling between (if set) after each
// page, and returns everything seen.
func collect(ctx context.Context, t *testing.T, s graph.Store, f graph.CIFilter, size int, between func()) []graph.CI {
	t.Helper()
	var all []graph.CI
	after := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("paging does not terminate")
		}
		page, err := s.ListCIs(ctx, f, graph.Page{First: size, After: after})
		if err != nil {
			t.Fatalf("ListCIs(after=%q): %v", after, err)
		}
		if len(page.CIs) > size {
			t.Fatalf("page of %d CIs, asked for %d", len(page.CIs), size)
		}
		all = append(all, page.CIs...)
		if !page.HasNextPage {
			return all
		}
		if len(page.CIs) == 0 {
			t.Fatalf("empty page claims a next page")
		}
		after = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
		if between != nil {
			between()
		}
	}
}

func names(cis []graph.CI) []string {
	out := make([]string, len(cis))
	for i, c := range cis {
		out[i] = c.Name
	}
	return out
}

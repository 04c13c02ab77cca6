package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
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
		mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr("Web-Prod-1"), Class: Ptr(graph.ClassServer), Environment: Ptr("prod"), Owner: Ptr("web"),
			Identifiers: []graph.Identifier{Ident("ip", "10.0.0.1")}})
		mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr("web-test-1"), Class: Ptr(graph.ClassServer), Environment: Ptr("test"), Owner: Ptr("web"),
			Status: Ptr(graph.StatusMaintenance)})
		mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr("orders-db"), Class: Ptr(graph.ClassDatabase), Environment: Ptr("prod"), Owner: Ptr("dba"),
			Identifiers: []graph.Identifier{Ident("fqdn", "orders-db.example.com")}})
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
				WantErr(t, err, graph.CodeInvalidInput, tt.field)
			})
		}
	}},
	{"OrdersByteWiseLikeGo", func(ctx context.Context, t *testing.T, s graph.Store) {
		// Cypher alone would put the emoji (a UTF-16 surrogate pair) before
		// U+FF01; Go's byte order puts it after. Upper case sorts before lower.
		want := []string{"\uFF01bang", "😀smile", "zeta", "Zeta", "émile", "a", "a"}
		for _, n := range want {
			mustCI(ctx, t, s, n, graph.ClassServer)
		}
		sort.Strings(want)
		got := collect(ctx, t, s, graph.CIFilter{}, 2, nil)
		for i := 1; i < len(got); i++ {
			if !graph.CursorLess(got[i-1].Name, got[i-1].ID, got[i].Name, got[i].ID) {
				t.Fatalf("order broken at %q/%q", got[i-1].Name, got[i].Name)
			}
		}
		if fmt.Sprint(names(got)) != fmt.Sprint(want) {
			t.Fatalf("got %q, want %q", names(got), want)
		}
	}},
	{"AgainstReference", listAgainstReference},
	{"DefaultPageSize", func(ctx context.Context, t *testing.T, s graph.Store) {
		var b graph.Batch
		for i := 0; i < graph.DefaultPageSize+5; i++ {
			b.Upserts = append(b.Upserts, Input(fmt.Sprintf("n%03d", i), graph.ClassContainer))
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

// listAgainstReference pages through random data with every filter and
// compares with a brute-force sort-and-filter.
func listAgainstReference(ctx context.Context, t *testing.T, s graph.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	classes := []string{graph.ClassServer, graph.ClassDatabase, graph.ClassApplication}
	envs := []string{"prod", "test", ""}
	var b graph.Batch
	for i := 0; i < 300; i++ {
		// Few distinct names, so that (name, id) ties are common.
		in := Input(fmt.Sprintf("%s-%02d", []string{"Web", "web", "db", "Ωmega"}[rng.IntN(4)], rng.IntN(20)),
			classes[rng.IntN(len(classes))], Ident("serial", fmt.Sprint(i)))
		in.Environment = Ptr(envs[rng.IntN(len(envs))])
		if i%10 == 0 {
			// Each value is held by two CIs under different kinds.
			kind := []string{"ip", "asset-tag"}[(i/10)%2]
			in.Identifiers = append(in.Identifiers, Ident(kind, fmt.Sprintf("v%d", i/20)))
		}
		b.Upserts = append(b.Upserts, in)
	}
	res, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	all := res.CIs
	if res.Created != len(b.Upserts) {
		t.Fatalf("created %d CIs, want %d", res.Created, len(b.Upserts))
	}
	tests := []graph.CIFilter{
		{},
		{Class: graph.ClassServer},
		{Environment: "prod", Search: "WEB"},
		{Search: "ωMEGA"},
		{Identifier: "v0"},
		{Identifier: "7"},
		{Identifier: "v3", Class: graph.ClassDatabase},
		{Identifier: "v4", Search: "nothing-like-this"},
		{Owner: "nobody"},
	}
	for _, f := range tests {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []string
			for _, ci := range all {
				if referenceMatch(ci, f) {
					want = append(want, ci.ID)
				}
			}
			sortByNameID(all, want)
			for _, size := range []int{1, 7, graph.MaxPageSize} {
				var got []string
				after := ""
				for {
					page, err := s.ListCIs(ctx, f, graph.Page{First: size, After: after})
					if err != nil {
						t.Fatal(err)
					}
					if page.TotalCount != len(want) {
						t.Fatalf("size %d: totalCount %d, want %d", size, page.TotalCount, len(want))
					}
					for _, ci := range page.CIs {
						got = append(got, ci.ID)
					}
					if !page.HasNextPage {
						break
					}
					after = graph.EncodeCursor(page.CIs[len(page.CIs)-1])
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("size %d: got %d ids, want %d in (name, id) order", size, len(got), len(want))
				}
			}
		})
	}
}

func referenceMatch(ci graph.CI, f graph.CIFilter) bool {
	if f.Class != "" && ci.Class != f.Class || f.Environment != "" && ci.Environment != f.Environment ||
		f.Owner != "" && ci.Owner != f.Owner || f.Status != "" && ci.Status != f.Status ||
		!strings.Contains(strings.ToLower(ci.Name), strings.ToLower(f.Search)) {
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

func sortByNameID(all []graph.CI, ids []string) {
	name := map[string]string{}
	for _, ci := range all {
		name[ci.ID] = ci.Name
	}
	sort.Slice(ids, func(i, j int) bool { return graph.CursorLess(name[ids[i]], ids[i], name[ids[j]], ids[j]) })
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

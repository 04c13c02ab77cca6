// Package querybench measures what the GraphQL endpoint costs for queries
// the text limits refuse against queries it runs (issue 10: 19,000 copies
// of one field took 17 s of CPU in validation).
//
//	go test ./bench/querybench -run '^$' -bench . -benchtime 20x -v
package querybench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/embedded"
)

func duplicated(field string, n int) string {
	return "{ cis(first: 1) { " + strings.Repeat(field+" ", n) + "} }"
}

// BenchmarkQueryText times whole /graphql requests (HTTP handler, embedded
// store holding one CI) side by side in one run: the 19,000-field query
// that is refused, a small query that runs, the widest query the default
// limits let through (the worst case for validation), and
// 5,000 duplicated fields with the text limits lifted (what the refusal
// saves: before, this is what every such request cost).
func BenchmarkQueryText(b *testing.B) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, b.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	name, class := "web-1", "Server"
	if _, err := st.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{{Name: &name, Class: &class,
		Identifiers: []graph.Identifier{{Kind: "hostname", Value: name}}}}}); err != nil {
		b.Fatal(err)
	}
	svc := app.New(st, importers.DefaultPolicy())
	limited := server.NewHandler(svc, server.Config{Logger: zerolog.Nop()})
	lifted := server.NewHandler(svc, server.Config{Logger: zerolog.Nop(), GraphQL: resolvers.Options{
		Text: resolvers.TextLimits{Tokens: 1 << 30, Selections: 1 << 30, SelectionsPerSet: 1 << 30, Nesting: 1 << 30}}})

	// 5 fragments of 98 fields each, all spread into one selection set:
	// under every default limit, and 490 fields for the overlap rule to
	// compare pairwise.
	var widest strings.Builder
	widest.WriteString("{ cis(first: 1) { ")
	for i := range 5 {
		fmt.Fprintf(&widest, "...F%d ", i)
	}
	widest.WriteString("} }")
	for i := range 5 {
		fmt.Fprintf(&widest, " fragment F%d on CIConnection { %s}", i, strings.Repeat("totalCount ", 98))
	}

	for _, tc := range []struct {
		name    string
		handler http.Handler
		query   string
		code    string // expected error code, "" for a query that runs
	}{
		{"refused_19000_duplicated_fields", limited, duplicated("totalCount", 19000), resolvers.ErrQueryLimit},
		{"small_query", limited, `{ cis(first: 10) { totalCount edges { node { id name class } } } }`, ""},
		{"widest_allowed_490_fields", limited, widest.String(), ""},
		{"unlimited_5000_duplicated_fields", lifted, duplicated("totalCount", 5000), ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]string{"query": tc.query})
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				code := post(b, tc.handler, body)
				total += time.Since(start)
				if code != tc.code {
					b.Fatalf("error code %q, want %q", code, tc.code)
				}
			}
			b.Logf("%-34s %7d bytes  %10.3f ms per request", tc.name, len(body), float64(total.Microseconds())/1000/float64(b.N))
		})
	}
}

// post sends one /graphql request and returns its first error's code.
func post(b *testing.B, h http.Handler, body []byte) string {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct {
		Errors []struct {
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		b.Fatalf("status %d, body not JSON: %v", rec.Code, err)
	}
	if len(out.Errors) == 0 {
		return ""
	}
	code, _ := out.Errors[0].Extensions["code"].(string)
	return code
}

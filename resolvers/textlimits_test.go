package resolvers

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// duplicatedFields is the query of issue 10: one field repeated n times in
// one selection set, whose validation is quadratic in n.
func duplicatedFields(n int) string {
	return "{ cis(first: 1) { " + strings.Repeat("totalCount ", n) + "} }"
}

func TestTextLimitCounts(t *testing.T) {
	small := TextLimits{Tokens: 60, Selections: 6, SelectionsPerSet: 3, Nesting: 3}
	for _, tc := range []struct {
		name, query string
		limit       string // "" when the query passes
	}{
		{"fields at every limit", `{ a { b c d } e { f } }`, ""},
		{"aliases count once", `{ x: a { y: b z: c } }`, ""},
		{"arguments, object values and lists are not selections",
			`query($v: In = {a: 1, b: [2, 3], c: {d: 4, e: 5, f: 6}}) { a(x: {p: 1, q: 2, r: 3, s: 4}) { b } }`, ""},
		{"directives are not selections", `{ a @include(if: true) @skip(if: false) { b } c @deprecated }`, ""},
		{"type conditions and fragment names are not selections",
			`{ ... on T { a } ...F } fragment F on T { b c }`, ""},
		{"four in one set", `{ a b c d }`, "selectionsPerSet"},
		{"fragment spreads are selections", `{ a ...F ... on T { b } ...G }`, "selectionsPerSet"},
		{"seven in all", `{ a { b c } d { e f } g }`, "selections"},
		{"four levels of braces", `{ a { b { c { d } } } }`, "nesting"},
		{"an inline fragment nests", `{ a { ... on T { b { c } } } }`, "nesting"},
		{"deep values do not nest selections", `{ a(x: {p: {q: {r: {s: 1}}}}) }`, ""},
		{"too many tokens", `{ a(x: [` + strings.Repeat("1 ", 60) + `]) }`, "tokens"},
		{"malformed text is left to the parser", `{ a } } } {`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := textLimit{small}.check(tc.query)
			switch {
			case tc.limit == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.limit != "" && err == nil:
				t.Fatalf("passed, want the %s limit", tc.limit)
			case err != nil:
				if got := err.Extensions["limit"]; got != tc.limit || err.Extensions["code"] != ErrQueryLimit {
					t.Errorf("extensions %v, want limit %s and code %s", err.Extensions, tc.limit, ErrQueryLimit)
				}
			}
		})
	}
}

// TestTextLimitDefaultsLetRealQueriesThrough checks the defaults against
// the operations clients really send: every operation of the console and
// GraphiQL's introspection query, each of which must also be a valid
// operation on the schema (so the extraction is not vacuous).
func TestTextLimitDefaultsLetRealQueriesThrough(t *testing.T) {
	src, err := os.ReadFile("../web/src/api/operations.ts")
	if err != nil {
		t.Fatal(err)
	}
	// Every operation is a graphql(`...`) template without substitutions.
	ops := regexp.MustCompile("(?s)graphql\\(`(.*?)`\\)").FindAllStringSubmatch(string(src), -1)
	if len(ops) < 20 {
		t.Fatalf("found %d operations in operations.ts", len(ops))
	}
	intro, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	fragments := map[string]string{} // the console's shared fragments, by name
	queries := map[string]string{"introspection": string(intro)}
	opName := regexp.MustCompile(`^\s*(?:query|mutation|fragment)\s+(\w+)`)
	for _, m := range ops {
		name := opName.FindStringSubmatch(m[1])
		if name == nil {
			t.Fatalf("an operation without a name: %s", m[1])
		}
		if strings.HasPrefix(strings.TrimSpace(m[1]), "fragment") {
			fragments[name[1]] = m[1]
			continue
		}
		queries[name[1]] = m[1]
	}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexityRoot()})
	limits := textLimit{TextLimits{}.withDefaults()}
	for name, q := range queries {
		if name != "introspection" {
			for f, text := range fragments {
				if strings.Contains(q, "..."+f) {
					q += text
				}
			}
		}
		if _, errs := gqlparser.LoadQuery(es.Schema(), q); errs != nil {
			t.Errorf("%s does not validate: %v", name, errs)
			continue
		}
		if err := limits.check(q); err != nil {
			t.Errorf("%s refused by the defaults: %v", name, err)
		}
	}
}

func TestTextLimitRefusesDuplicatedFields(t *testing.T) {
	err := textLimit{TextLimits{}.withDefaults()}.check(duplicatedFields(19000))
	if err == nil || err.Extensions["code"] != ErrQueryLimit || err.Extensions["limit"] != "selectionsPerSet" {
		t.Fatalf("19,000 duplicated fields: %v", err)
	}
	if err.Extensions["max"] != DefaultMaxSelectionsPerSet || !strings.Contains(err.Message, "100") {
		t.Errorf("the error does not name the limit: %v %v", err.Message, err.Extensions)
	}
}

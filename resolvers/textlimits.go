package resolvers

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
)

// Default bounds on a query's text, checked before it is parsed. The
// largest real operations (the console's and GraphiQL's introspection
// query, textlimits_test.go) have under 200 tokens, 90 selections, 16 in
// one selection set and 10 levels of braces. Selections cost validation
// time quadratic in how many end up in one set (fragments spread side by
// side add up): the widest query these let through, 500 fields in one set,
// validates in about 60 ms, where 2,000 took a second
// (bench/querybench).
const (
	DefaultMaxTokens              = 20000
	DefaultMaxSelections          = 500
	DefaultMaxSelectionsPerSet    = 100
	DefaultMaxSelectionSetNesting = 32
)

// ErrQueryLimit is the code of an operation refused by a text limit; the
// error's extensions name the limit ("tokens", "selections",
// "selectionsPerSet", "nesting") and its maximum.
const ErrQueryLimit = "QUERY_LIMIT_EXCEEDED"

func init() {
	errcode.RegisterErrorType(ErrQueryLimit, errcode.KindProtocol)
}

// TextLimits bound the text of one operation document.
type TextLimits struct {
	// Tokens bounds the document's tokens (punctuators, names, values).
	Tokens int
	// Selections bounds fields, fragment spreads and inline fragments
	// written in the document.
	Selections int
	// SelectionsPerSet bounds the selections written in one selection set
	// (between one pair of braces).
	SelectionsPerSet int
	// Nesting bounds how deeply selection sets nest in the text (the
	// parser recurses once per level).
	Nesting int
}

func (l TextLimits) withDefaults() TextLimits {
	if l.Tokens <= 0 {
		l.Tokens = DefaultMaxTokens
	}
	if l.Selections <= 0 {
		l.Selections = DefaultMaxSelections
	}
	if l.SelectionsPerSet <= 0 {
		l.SelectionsPerSet = DefaultMaxSelectionsPerSet
	}
	if l.Nesting <= 0 {
		l.Nesting = DefaultMaxSelectionSetNesting
	}
	return l
}

// textLimit is the handler extension that checks TextLimits before gqlgen
// parses and validates the query. Validation is where the cost is: its
// overlapping-fields rule compares every pair of fields in a selection
// set, so 19,000 copies of one field took 17 s of CPU, and the complexity
// and depth limits only run after it. One pass of the lexer is linear in
// the text and stops at the first limit passed, and it runs on every
// request, cached query or not, so varying the text gains nothing.
type textLimit struct{ TextLimits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = textLimit{}

func (textLimit) ExtensionName() string                          { return "TextLimit" }
func (textLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (l textLimit) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	return l.check(params.Query)
}

// scope is what an open brace, parenthesis or bracket started.
type scope uint8

const (
	selectionSet scope = iota // { ... } of fields
	valueScope                // ( ... ) of arguments or variables, { ... } of an object value, [ ... ] of a list
)

// check lexes query once. It needs no grammar beyond telling selection sets
// from values: a brace opens a selection set unless it is inside
// parentheses (arguments, variable definitions) or another value. Inside a
// selection set a name starts a selection unless it follows ":" (the field
// an alias names), "@" (a directive), "..." (a fragment name, or "on") or
// "on" after "..." (a type condition). Malformed text is left to the
// parser, which stops at the first error.
func (l textLimit) check(query string) *gqlerror.Error {
	lex := lexer.New(&ast.Source{Input: query})
	var (
		stack       []scope
		perSet      []int // selections so far in each open selection set
		sets        int   // selection sets open
		tokens      int
		selections  int
		prev, prev2 lexer.Token
	)
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil
		}
		tokens++
		if tokens > l.Tokens {
			return queryLimitError("tokens", l.Tokens, "the query has more than %d tokens, the limit", l.Tokens)
		}
		inValue := len(stack) > 0 && stack[len(stack)-1] == valueScope
		switch tok.Kind {
		case lexer.BraceL:
			if inValue {
				stack = append(stack, valueScope)
				break
			}
			stack = append(stack, selectionSet)
			perSet = append(perSet, 0)
			sets++
			if sets > l.Nesting {
				return queryLimitError("nesting", l.Nesting, "selection sets nest more than %d levels deep, the limit", l.Nesting)
			}
		case lexer.ParenL, lexer.BracketL:
			stack = append(stack, valueScope)
		case lexer.BraceR, lexer.ParenR, lexer.BracketR:
			if len(stack) == 0 {
				return nil // unbalanced: the parser says where
			}
			if stack[len(stack)-1] == selectionSet {
				perSet = perSet[:len(perSet)-1]
				sets--
			}
			stack = stack[:len(stack)-1]
		case lexer.Name, lexer.Spread:
			if sets == 0 || inValue || !startsSelection(tok, prev, prev2) {
				break
			}
			selections++
			if selections > l.Selections {
				return queryLimitError("selections", l.Selections, "the query has more than %d selections (fields and fragments), the limit", l.Selections)
			}
			perSet[len(perSet)-1]++
			if perSet[len(perSet)-1] > l.SelectionsPerSet {
				return queryLimitError("selectionsPerSet", l.SelectionsPerSet, "one selection set has more than %d selections (fields and fragments), the limit", l.SelectionsPerSet)
			}
		}
		prev2, prev = prev, tok
	}
}

// startsSelection says whether tok, a name or "..." directly inside a
// selection set, begins a selection, given the two tokens before it.
func startsSelection(tok, prev, prev2 lexer.Token) bool {
	if tok.Kind == lexer.Spread {
		return true
	}
	switch prev.Kind {
	case lexer.Colon, lexer.At, lexer.Spread:
		return false
	case lexer.Name:
		return !(prev.Value == "on" && prev2.Kind == lexer.Spread)
	}
	return true
}

func queryLimitError(limit string, max int, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf("%s: the query was refused before parsing", fmt.Sprintf(format, args...))
	errcode.Set(err, ErrQueryLimit)
	err.Extensions["limit"] = limit
	err.Extensions["max"] = max
	return err
}

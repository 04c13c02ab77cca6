// Package feed is the contract between a format's parser and the import
// engine: a Parser reads one source file and feeds what it reports, as
// Items and Links, to an Emitter; malformed input is an *InputError that
// says where. Parsers (importers/nmap, kubernetes, terraform, tabular)
// compile against this package only, not against the engine's planning
// and ledger code.
package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// Item is one CI as a source reports it, before identification.
type Item struct {
	// Class is a catalogue class name (Server, Pod, CloudResource...).
	Class string
	// Name is the display name the source knows the CI by.
	Name string
	// Identifiers are the external keys the source knows (at least one).
	// Links name an item by any of them.
	Identifiers []graph.Identifier
	// Attributes are the facts the source reports; keys the source owns
	// should carry its prefix ("k8s.labels", "tf.type") so precedence rules
	// can name them. Nil means the source reports no attributes.
	Attributes map[string]any
	// Environment and Owner are "" when the source does not report them.
	Environment string
	Owner       string
	// At says where the source defines the item ("line 12",
	// "host 127.0.0.2", "items[3]"), for error messages and plans.
	At string
}

// Link is a relation the source reports. Each end names a CI by one of its
// identifiers: an item of the same run, or a CI already in the store.
type Link struct {
	From graph.Identifier
	Type string
	To   graph.Identifier
	// Fallback, when set, names another CI the link may point to when To
	// names none: a coarser target for the same relation (the Deployment
	// of a Pod whose ReplicaSet the dump leaves out). The run's own items
	// are tried first (To, then Fallback), then the store's CIs in the
	// same order.
	Fallback graph.Identifier
	At       string
}

// Emitter receives what a parser reads, in source order.
type Emitter interface {
	// Scope reports the scope the source itself declares (a Kubernetes
	// cluster's identity, a Terraform lineage, an nmap target list). The
	// user's --scope overrides it; files of one run must agree.
	Scope(scope string) error
	Item(Item) error
	Link(Link) error
}

// Parser reads one source file. It streams: it never needs the whole input
// in memory. Malformed input is reported as an *InputError naming where in
// the file and which field is at fault.
type Parser interface {
	Parse(ctx context.Context, file string, r io.Reader, emit Emitter) error
}

// Finisher is implemented by parsers that hold some links back until every
// file of a run is read (a Kubernetes Service's selector may match pods in
// a later dump).
type Finisher interface {
	Finish(ctx context.Context, emit Emitter) error
}

// ParserFunc adapts a function to Parser.
type ParserFunc func(ctx context.Context, file string, r io.Reader, emit Emitter) error

// Parse calls f.
func (f ParserFunc) Parse(ctx context.Context, file string, r io.Reader, emit Emitter) error {
	return f(ctx, file, r, emit)
}

// InputError says what is wrong with a source file and where.
type InputError struct {
	File string // the file name as given, "" when unknown
	// At locates the problem: "line 12", "line 12, column 4", "element
	// <host> #3", "items[4] (Pod default/web-1)".
	At string
	// Field names the source field or column at fault ("addr", "uid",
	// "resources[2].instances[0].attributes.id"); may be empty.
	Field   string
	Message string
}

// Inputf returns an *InputError.
func Inputf(at, field, format string, args ...any) *InputError {
	return &InputError{At: at, Field: field, Message: fmt.Sprintf(format, args...)}
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.At != "" {
		b.WriteString(e.At)
		b.WriteString(": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Message)
	return b.String()
}

// JSONKind names a raw JSON value's type for error messages ("an object",
// "a string", ...; "nothing" for no value), so every parser words a
// wrong-type error alike.
func JSONKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Package importers turns discovery sources into changes to the
// configuration graph: a parser (one subpackage per format, written
// against the contract in importers/feed) streams normalized Items and
// Links, and the engine identifies them against the store, reconciles
// attributes by source precedence, plans creates, updates, new and removed
// relations and staleness for the run's scope, and applies exactly that
// plan: in one transaction, or in batches on a store that bounds a
// transaction's memory (see apply.go).
package importers

import "github.com/ripple-cmdb/ripple/importers/feed"

// The engine reads what parsers feed it. These are the feed contract's
// types under the names the engine and its callers use; they are the same
// types (aliases), so a parser needs only importers/feed.
type (
	// Item is one CI as a source reports it (feed.Item).
	Item = feed.Item
	// Link is a relation a source reports (feed.Link).
	Link = feed.Link
	// Emitter receives what a parser reads (feed.Emitter).
	Emitter = feed.Emitter
	// Parser reads one source file (feed.Parser).
	Parser = feed.Parser
	// InputError says what is wrong with a source file and where
	// (feed.InputError).
	InputError = feed.InputError
)

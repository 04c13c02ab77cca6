// Package app wires Ripple's services over one store, in one place: the
// ITSM service, the analyst and the one import engine with its policy.
// cmd/ripple builds them once per process and hands them to the server
// (the GraphQL API and the HTTP import endpoint then share one engine and
// one policy) or runs an import with them; the tests that build a server
// (server/apitest, cmd/ripple's) call the same New, so the binary and its
// tests wire alike.
//
// It is a package of its own, rather than part of cmd/ripple (which tests
// of other packages cannot import) or of server (a local `ripple import`
// needs the engine without HTTP), and it sits above the services it wires
// and below the adapters that serve them.
package app

import (
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/report"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/store/observed"
)

// Services are what every way in (GraphQL, HTTP imports, the CLI) shares.
type Services struct {
	Store graph.Store
	// ITSM applies the record rules over Store; Analyst runs the change,
	// root-cause and SLA analyses through it.
	ITSM    *itsm.Service
	Analyst *analysis.Analyst
	// Reports computes service reports (GraphQL and the CSV endpoint).
	Reports *report.Reporter
	// Imports is the one import engine, with the policy New was given.
	Imports *importers.Engine
	// Events maps monitoring events to CIs and raises their incidents
	// (events.DefaultMapping unless the caller sets Events.Mapping before
	// serving).
	Events *events.Service
}

// New builds the services over st; imports identify, reconcile and retire
// by policy (formats.DefaultPolicy, or a --policy file read over it).
func New(st graph.Store, policy importers.Policy) *Services {
	svc := itsm.New(st)
	analyst := analysis.New(svc)
	return &Services{
		Store:   st,
		ITSM:    svc,
		Analyst: analyst,
		Reports: report.New(analyst),
		Imports: &importers.Engine{Store: st, Policy: policy},
		Events:  events.New(svc, events.DefaultMapping()),
	}
}

// Observers are told of the services' work: the store calls and the
// import runs (metrics, traces). Zero fields observe nothing.
type Observers struct {
	// Store observes every call to the store, which is named StoreName
	// ("embedded", "neo4j") in what it records.
	Store     observed.Observer
	StoreName string
	// ImportFinished is told of every import run recorded
	// (importers.Engine.Finished).
	ImportFinished func(importers.Run)
}

// NewObserved is New over st wrapped by store/observed, so that every
// service's store calls (GraphQL, HTTP imports, events, reports) are
// observed alike, with the engine telling o of the runs it finishes.
func NewObserved(st graph.Store, policy importers.Policy, o Observers) *Services {
	if o.Store != nil {
		st = observed.Wrap(st, o.StoreName, o.Store)
	}
	svc := New(st, policy)
	svc.Imports.Finished = o.ImportFinished
	return svc
}

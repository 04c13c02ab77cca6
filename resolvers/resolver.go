// Package resolvers implements Ripple's GraphQL API: thin resolvers that
// translate arguments, call the store or graph/impact, and leave error
// mapping to the one presenter in errors.go. The executor is generated into
// resolvers/generated from schema/*.graphqls.
package resolvers

import (
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/importers"
)

// Resolver is the root resolver; it holds what every request shares.
type Resolver struct {
	Store graph.Store
	// ITSM applies the record rules over Store; Analyst runs the change,
	// root-cause and SLA analyses through it.
	ITSM    *itsm.Service
	Analyst *analysis.Analyst
	// Imports runs the import mutations over Store, with
	// importers.DefaultPolicy unless SetImportPolicy changed it.
	Imports *importers.Engine
	// Monitoring maps monitoring events to CIs and raises their incidents
	// through ITSM.
	Monitoring *events.Service
}

// NewResolver returns the root resolver over a store.
func NewResolver(s graph.Store) *Resolver {
	svc := itsm.New(s)
	return &Resolver{Store: s, ITSM: svc, Analyst: analysis.New(svc),
		Imports:    &importers.Engine{Store: s, Policy: importers.DefaultPolicy()},
		Monitoring: events.New(svc, events.DefaultMapping())}
}

// SetImportPolicy makes the import mutations identify, reconcile and retire
// by p instead of importers.DefaultPolicy. Call it before serving.
func (r *Resolver) SetImportPolicy(p importers.Policy) {
	r.Imports.Policy = p
}

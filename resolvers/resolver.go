// Package resolvers implements Ripple's GraphQL API: thin resolvers that
// translate arguments, call the store or graph/impact, and leave error
// mapping to the one presenter in errors.go. The executor is generated into
// resolvers/generated from schema/*.graphqls.
package resolvers

import (
	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/report"
	"github.com/ripple-cmdb/ripple/importers"
)

// Resolver is the root resolver; it holds what every request shares: the
// services app.New wired, nothing built here.
type Resolver struct {
	Store graph.Store
	// ITSM applies the record rules over Store; Analyst runs the change,
	// root-cause and SLA analyses through it.
	ITSM    *itsm.Service
	Analyst *analysis.Analyst
	Reports *report.Reporter
	// Imports runs the import mutations: the same engine, with the same
	// policy, as the HTTP import endpoint.
	Imports *importers.Engine
	// Monitoring maps monitoring events to CIs and raises their incidents
	// through ITSM.
	Monitoring *events.Service
}

// NewResolver returns the root resolver over the wired services.
func NewResolver(svc *app.Services) *Resolver {
	return &Resolver{Store: svc.Store, ITSM: svc.ITSM, Analyst: svc.Analyst, Reports: svc.Reports, Imports: svc.Imports,
		Monitoring: svc.Events}
}

package itsm

import "github.com/ripple-cmdb/ripple/graph"

// The CIs each kind of record references, with the role of each: what the
// store links the record to (and so what holds those CIs against deletion
// while the record is live, graph.HoldsCIs), and what a reader is shown as
// the record's CI references, deleted CIs included.

// Links are the incident's affected CIs, then the services it impacts.
func (inc *Incident) Links() []graph.RecordLink {
	affects, _ := links(RoleAffects, "affectedCiIds", inc.AffectedCIs)
	services, _ := links(RoleService, "services", inc.Services)
	return append(affects, services...)
}

// Links is the problem's root-cause CI, if it has one.
func (p *Problem) Links() []graph.RecordLink {
	if p.RootCauseCI == "" {
		return nil
	}
	return []graph.RecordLink{{Role: RoleRoot, CI: p.RootCauseCI}}
}

// Links are the change's targets.
func (c *Change) Links() []graph.RecordLink {
	targets, _ := links(RoleTargets, "targetCiIds", c.TargetCIs)
	return targets
}

// Links is the SLA's service.
func (a *SLA) Links() []graph.RecordLink {
	return []graph.RecordLink{{Role: RoleService, CI: a.ServiceID}}
}

// Links are the window's scope.
func (w *Window) Links() []graph.RecordLink {
	scope, _ := links(RoleScope, "scope", w.Scope)
	return scope
}

package rootcause

import (
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

var t0 = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

// build makes a subgraph from "from TYPE to" lines. Classes follow the id's
// prefix (svc, app, vm, hv, rack, db, srv, g = Cluster needing two healthy
// members, m = VM); anything else is an Application. Names are the ids in
// upper case, so tests can tell names from ids in evidence.
func build(lines ...string) graph.Subgraph {
	s := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	classes := []struct{ prefix, class string }{
		{"svc", graph.ClassApplicationService}, {"app", graph.ClassApplication}, {"vm", graph.ClassVirtualMachine},
		{"hv", graph.ClassHypervisor}, {"rack", graph.ClassRack}, {"db", graph.ClassDatabase},
		{"srv", graph.ClassServer}, {"g", graph.ClassCluster}, {"m", graph.ClassVirtualMachine},
	}
	node := func(id string) {
		if s.Nodes[id] != nil {
			return
		}
		ci := graph.CI{ID: id, Name: strings.ToUpper(id), Class: graph.ClassApplication}
		for _, c := range classes {
			if strings.HasPrefix(id, c.prefix) {
				ci.Class = c.class
				break
			}
		}
		if ci.Class == graph.ClassCluster {
			ci.Attributes = map[string]any{"minHealthy": 2.0}
		}
		s.Nodes[id] = &graph.Node{CI: ci.Head(), Attributes: ci.Attributes}
	}
	for _, l := range lines {
		f := strings.Fields(l)
		node(f[0])
		node(f[2])
		s.Edges = append(s.Edges, graph.Relation{From: f[0], Type: f[1], To: f[2]})
		if f[1] == graph.RelMemberOf {
			s.Nodes[f[2]].Members++
		}
	}
	return s
}

// inc is an incident on one CI opened at t0+after.
func inc(id, ci string, outage bool, impact int, after time.Duration) Incident {
	return Incident{ID: id, AffectedCIs: []string{ci}, Outage: outage, Impact: impact, OpenedAt: t0.Add(after)}
}

func rank(t *testing.T, sub graph.Subgraph, in Input) []Candidate {
	t.Helper()
	if in.Now.IsZero() {
		in.Now = t0.Add(time.Hour)
	}
	return Rank(graph.DefaultCatalogue(), sub, in, Options{Limit: -1})
}

func find(cands []Candidate, ci string) (int, Candidate) {
	for i, c := range cands {
		if c.CI == ci {
			return i, c
		}
	}
	return -1, Candidate{}
}

func evidence(c Candidate, kind string) []Evidence {
	var out []Evidence
	for _, e := range c.Evidence {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func ids(cands []Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.CI
	}
	return out
}

// firstOf returns whichever of a and b ranks higher.
func firstOf(cands []Candidate, a, b string) string {
	ia, _ := find(cands, a)
	ib, _ := find(cands, b)
	if ia >= 0 && (ib < 0 || ia < ib) {
		return a
	}
	return b
}

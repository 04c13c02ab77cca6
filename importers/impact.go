package importers

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// maxImpactServices bounds the services an impact delta reports on.
const maxImpactServices = 100

// impactDelta finds the services whose upstream dependencies the plan
// changes: it reads the current graph around the CIs the plan touches,
// overlays the plan's new and removed relations, and compares each
// service's dependency closure before and after. Retired CIs count as lost.
func (p *planner) impactDelta(ctx context.Context, added []addedRelation) ([]ServiceImpact, error) {
	retired := map[string]bool{}
	for _, r := range p.plan.Retired {
		retired[r.ID] = true
	}
	touched := map[string]bool{}
	for _, r := range added {
		for _, e := range []endRef{r.from, r.to} {
			if e.id != "" {
				touched[e.id] = true
			}
		}
	}
	for _, r := range p.plan.batch.Unrelate {
		touched[r.From.ID], touched[r.To.ID] = true, true
	}
	for id := range retired {
		touched[id] = true
	}
	if len(touched) == 0 && len(added) == 0 {
		return nil, nil
	}
	ov := newOverlay(p.cat)
	names := map[string]CIEnd{}
	note := func(ci graph.CIHead) { names[ci.ID] = CIEnd{ID: ci.ID, Name: ci.Name, Class: ci.Class} }
	var services []string
	isService := map[string]bool{}
	addService := func(id, class string) {
		if p.cat.IsService(class) && !isService[id] {
			isService[id] = true
			services = append(services, id)
		}
	}
	// Services downstream of what changes, before and after the plan.
	if len(touched) > 0 {
		down, err := p.store.Neighbourhood(ctx, graph.NeighbourhoodQuery{
			Seeds: slices.Sorted(maps.Keys(touched)), Direction: graph.Downstream, MaxDepth: graph.DefaultMaxDepth})
		if err != nil {
			return nil, err
		}
		for id, n := range down.Nodes {
			note(n.CI)
			addService(id, n.CI.Class)
		}
		ov.addAll(down.Edges)
	}
	newKey := func(e endRef) string {
		if e.id != "" {
			return e.id
		}
		return "new:" + refKey(e.ref)
	}
	for _, r := range added {
		for _, e := range []endRef{r.from, r.to} {
			k := newKey(e)
			if _, ok := names[k]; !ok {
				names[k] = e.end()
			}
			addService(k, e.class)
		}
	}
	removed := map[graph.RelationKey]bool{}
	for _, r := range p.plan.batch.Unrelate {
		removed[graph.RelationKey{From: r.From.ID, Type: r.Type, To: r.To.ID}] = true
	}
	after := ov.clone()
	for _, r := range added {
		after.add(newKey(r.from), r.typ, newKey(r.to))
	}
	for k := range removed {
		after.remove(k.From, k.Type, k.To)
	}
	seeds := slices.Sorted(maps.Keys(touched))
	afterSeeds := slices.Clone(seeds)
	for _, r := range added {
		afterSeeds = append(afterSeeds, newKey(r.from), newKey(r.to))
	}
	// Everything downstream of the seeds before the plan is already among
	// the services noted above; after it, one walk from all seeds at once
	// (a first import adds every relation: a walk per relation would be
	// quadratic).
	for _, s := range after.reach(afterSeeds, false) {
		if n, ok := names[s]; ok {
			addService(s, n.Class)
		}
	}
	if len(services) == 0 {
		return nil, nil
	}
	// Map order is random: sort, so plans list the same services in the
	// same order.
	slices.SortFunc(services, func(a, b string) int {
		if c := strings.Compare(names[a].Name, names[b].Name); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if len(services) > maxImpactServices {
		services = services[:maxImpactServices]
	}
	// Upstream closures: one read covers every service and every existing
	// end of a new relation, whose own dependencies a service may gain.
	var upSeeds []string
	for _, s := range services {
		if !strings.HasPrefix(s, "new:") {
			upSeeds = append(upSeeds, s)
		}
	}
	for _, r := range added {
		for _, e := range []endRef{r.from, r.to} {
			if e.id != "" {
				upSeeds = append(upSeeds, e.id)
			}
		}
	}
	slices.Sort(upSeeds)
	upSeeds = slices.Compact(upSeeds)
	before := newOverlay(p.cat)
	if len(upSeeds) > 0 {
		up, err := p.store.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: upSeeds, Direction: graph.Upstream, MaxDepth: graph.DefaultMaxDepth})
		if err != nil {
			return nil, err
		}
		for _, n := range up.Nodes {
			note(n.CI)
		}
		before.addAll(up.Edges)
	}
	afterUp := before.clone()
	for _, r := range added {
		afterUp.add(newKey(r.from), r.typ, newKey(r.to))
	}
	for k := range removed {
		afterUp.remove(k.From, k.Type, k.To)
	}
	var out []ServiceImpact
	for _, s := range services {
		b := setOf(before.reach([]string{s}, true))
		a := setOf(afterUp.reach([]string{s}, true))
		delete(b, s)
		delete(a, s)
		si := ServiceImpact{Service: names[s]}
		for _, id := range slices.Sorted(maps.Keys(a)) {
			if !b[id] {
				si.Gained = append(si.Gained, names[id])
			}
		}
		for _, id := range slices.Sorted(maps.Keys(b)) {
			if !a[id] || retired[id] {
				si.Lost = append(si.Lost, names[id])
			}
		}
		if len(si.Gained)+len(si.Lost) > 0 {
			out = append(out, si)
		}
	}
	return out, nil
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// overlay is an in-memory failure-flow graph: down[x] lists what fails when
// x fails, up[x] what x needs.
type overlay struct {
	cat      *graph.Catalogue
	down, up map[string]map[string]int // counts: parallel relations of several types
}

func newOverlay(cat *graph.Catalogue) *overlay {
	return &overlay{cat: cat, down: map[string]map[string]int{}, up: map[string]map[string]int{}}
}

func (o *overlay) clone() *overlay {
	c := newOverlay(o.cat)
	for k, v := range o.down {
		c.down[k] = maps.Clone(v)
	}
	for k, v := range o.up {
		c.up[k] = maps.Clone(v)
	}
	return c
}

// flow returns the relation's failure flow (cause → effect), ok false for
// relations failures do not cross.
func (o *overlay) flow(from, typ, to string) (cause, effect string, ok bool) {
	rt, known := o.cat.RelationType(typ)
	if !known {
		return "", "", false
	}
	switch rt.Propagation {
	case graph.PropagateToSource:
		return to, from, true
	case graph.PropagateToTarget:
		return from, to, true
	}
	return "", "", false
}

func (o *overlay) add(from, typ, to string) {
	c, e, ok := o.flow(from, typ, to)
	if !ok {
		return
	}
	if o.down[c] == nil {
		o.down[c] = map[string]int{}
	}
	if o.up[e] == nil {
		o.up[e] = map[string]int{}
	}
	o.down[c][e]++
	o.up[e][c]++
}

func (o *overlay) remove(from, typ, to string) {
	c, e, ok := o.flow(from, typ, to)
	if !ok || o.down[c][e] == 0 {
		return
	}
	o.down[c][e]--
	o.up[e][c]--
	if o.down[c][e] == 0 {
		delete(o.down[c], e)
		delete(o.up[e], c)
	}
}

func (o *overlay) addAll(edges []graph.Relation) {
	for _, r := range edges {
		o.add(r.From, r.Type, r.To)
	}
}

// reach returns the nodes reachable from seeds (seeds included), walking
// up (what they need) or down (what fails with them).
func (o *overlay) reach(seeds []string, upward bool) []string {
	adj := o.down
	if upward {
		adj = o.up
	}
	// Seeds repeat (a CI at an end of many new relations is a seed once
	// per relation): each is queued once, or a hub would be walked once
	// per relation it gains, which is quadratic.
	seen := make(map[string]bool, len(seeds))
	queue := make([]string, 0, len(seeds))
	for _, s := range seeds {
		if !seen[s] {
			seen[s] = true
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for y := range adj[x] {
			if !seen[y] {
				seen[y] = true
				queue = append(queue, y)
			}
		}
	}
	return slices.Collect(maps.Keys(seen))
}

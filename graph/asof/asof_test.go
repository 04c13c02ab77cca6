package asof_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/asof"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// tick returns an instant strictly between the writes before and after it
// (writes stamp graph.Now()).
func tick() time.Time {
	time.Sleep(3 * time.Millisecond)
	at := graph.Now()
	time.Sleep(3 * time.Millisecond)
	return at
}

func upsert(ctx context.Context, t *testing.T, s graph.Store, in graph.CIInput) graph.CI {
	t.Helper()
	r, err := s.UpsertCI(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return r.CI
}

func ci(ctx context.Context, t *testing.T, s graph.Store, name, class string) graph.CI {
	t.Helper()
	return upsert(ctx, t, s, graph.CIInput{Name: &name, Class: &class})
}

func relate(ctx context.Context, t *testing.T, s graph.Store, from graph.CI, typ string, to graph.CI) {
	t.Helper()
	if _, err := s.Relate(ctx, from.ID, typ, to.ID); err != nil {
		t.Fatal(err)
	}
}

func blastNames(t *testing.T, tr graph.Traverser, seed string) []string {
	t.Helper()
	br, err := impact.ComputeBlastRadius(context.Background(), tr, []string{seed}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, im := range br.Impacted {
		out = append(out, fmt.Sprintf("%s:%s", im.CI.Name, im.Effect))
	}
	slices.Sort(out)
	return out
}

// history builds, at known instants: t0 (nothing) < db, app; app → db
// < t1 < web; web → app; db renamed < t2 < app → db removed; web deleted
// < t3.
type history struct {
	db, app, web   graph.CI
	t0, t1, t2, t3 time.Time
	// run is the import run that created web.
	run string
}

func build(t *testing.T, s graph.Store) history {
	ctx := graph.WithActor(context.Background(), "alice")
	var h history
	h.t0 = tick()
	h.db = ci(ctx, t, s, "db", graph.ClassDatabase)
	h.app = ci(ctx, t, s, "app", graph.ClassApplication)
	relate(ctx, t, s, h.app, graph.RelDependsOn, h.db)
	h.t1 = tick()
	h.run = graph.NewID()
	h.web = ci(graph.WithImportRun(ctx, "nmap", h.run), t, s, "web", graph.ClassApplication)
	relate(ctx, t, s, h.web, graph.RelDependsOn, h.app)
	upsert(ctx, t, s, graph.CIInput{ID: h.db.ID, Name: ptr("db-primary")})
	h.t2 = tick()
	if _, err := s.Unrelate(ctx, h.app.ID, graph.RelDependsOn, h.db.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCI(ctx, h.web.ID); err != nil {
		t.Fatal(err)
	}
	h.t3 = tick()
	return h
}

func TestBlastRadiusAsOf(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		h := build(t, s)
		if got := blastNames(t, s, h.db.ID); len(got) != 0 {
			t.Fatalf("now: db impacts %v, want nothing (app no longer depends on it)", got)
		}
		cases := []struct {
			at   time.Time
			want []string
		}{
			{h.t1, []string{"app:DOWN"}},             // before web and web → app
			{h.t2, []string{"app:DOWN", "web:DOWN"}}, // web deleted since, relation removed since
			{h.t3, nil},
		}
		for _, c := range cases {
			v := asof.At(s, c.at)
			if got := blastNames(t, v, h.db.ID); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("as of %s: db impacts %v, want %v", c.at, got, c.want)
			}
			if gaps := v.Gaps(); len(gaps) != 0 {
				t.Errorf("as of %s: gaps %v, want complete history", c.at, gaps)
			}
		}
		if _, err := impact.ComputeBlastRadius(context.Background(), asof.At(s, h.t0), []string{h.db.ID}, 0, nil); graph.ErrorCode(err) != graph.CodeNotFound || graph.ErrorField(err) != "ciIds[0]" {
			t.Errorf("as of t0, before db existed: %v, want NOT_FOUND ciIds[0]", err)
		}
		// Dependencies go the other way on the same view.
		deps, err := impact.ComputeDependencies(context.Background(), asof.At(s, h.t2), h.web.ID, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range deps {
			names = append(names, d.CI.Name)
		}
		if fmt.Sprint(names) != "[app db-primary]" {
			t.Errorf("as of t2, web needs %v, want [app db-primary]", names)
		}
	})
}

func TestCIsAsOf(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		h := build(t, s)
		for _, c := range []struct {
			at   time.Time
			want map[string]string // id → name; absent: did not exist
		}{
			{h.t0, map[string]string{}},
			{h.t1, map[string]string{h.db.ID: "db", h.app.ID: "app"}},
			{h.t2, map[string]string{h.db.ID: "db-primary", h.app.ID: "app", h.web.ID: "web"}},
			{h.t3, map[string]string{h.db.ID: "db-primary", h.app.ID: "app"}},
		} {
			got, err := asof.At(s, c.at).CIsByIDs(ctx, []string{h.db.ID, h.app.ID, h.web.ID})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			for id, ci := range got {
				names[id] = ci.Name
			}
			if fmt.Sprint(names) != fmt.Sprint(c.want) {
				t.Errorf("as of %s: %v, want %v", c.at, names, c.want)
			}
		}
		rels, err := asof.At(s, h.t2).RelationsOf(ctx, []string{h.app.ID}, graph.Both, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rels[h.app.ID]) != 2 {
			t.Errorf("as of t2, app has relations %v, want app → db and web → app", rels[h.app.ID])
		}
	})
}

func TestDiff(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		h := build(t, s)
		d, err := asof.Between(context.Background(), s, h.t1, h.t3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range d.Changes {
			got = append(got, fmt.Sprintf("%s %s %v %v %v", c.Kind, c.SubjectKind, c.Fields, c.Actors, c.ImportSources))
		}
		// web and web → app came and went in between: no difference.
		want := []string{
			"CHANGED CI [name] [alice] []",
			"REMOVED RELATION [] [alice] []",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("diff (t1, t3]:\n got %v\nwant %v", got, want)
		}
		d, err = asof.Between(context.Background(), s, h.t1, h.t2)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Changes) != 3 || d.Changes[0].Kind != asof.Added || fmt.Sprint(d.Changes[0].ImportSources) != "[nmap]" ||
			fmt.Sprint(d.Changes[0].ImportRuns) != "["+h.run+"]" || len(d.Changes[1].ImportRuns) != 0 {
			t.Fatalf("diff (t1, t2]: %+v", d.Changes)
		}
	})
}

func TestFutureInstant(t *testing.T) {
	now := time.Now()
	if err := asof.CheckInstant("asOf", now.Add(time.Hour), now); graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != "asOf" {
		t.Fatalf("future asOf: %v", err)
	}
	if err := asof.CheckInstant("asOf", now.Add(-time.Hour), now); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// startedAt is a real store whose audit trail starts at an instant: what a
// store holding data from before Ripple recorded history looks like (no
// store can be made to write a CI without auditing it).
type startedAt struct {
	graph.Store
	horizon time.Time
}

func (s startedAt) Timelines(ctx context.Context, ids []string, since time.Time) (map[string]graph.Timeline, error) {
	all, err := s.Store.Timelines(ctx, ids, since)
	if err != nil {
		return nil, err
	}
	out := map[string]graph.Timeline{}
	for id, tl := range all {
		full, err := s.Store.History(ctx, id, graph.Page{First: graph.MaxPageSize})
		if err != nil {
			return nil, err
		}
		var kept []graph.AuditEntry
		for _, e := range full.Entries {
			if e.At.After(s.horizon) {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			continue
		}
		tl.First = kept[len(kept)-1] // History is newest first
		tl.Since = slices.DeleteFunc(tl.Since, func(e graph.AuditEntry) bool { return !e.At.After(s.horizon) })
		out[id] = tl
	}
	return out, nil
}

func TestHistoryMissing(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		db := ci(ctx, t, s, "db", graph.ClassDatabase)
		app := ci(ctx, t, s, "app", graph.ClassApplication)
		relate(ctx, t, s, app, graph.RelDependsOn, db)
		before := tick()
		horizon := tick()
		upsert(ctx, t, s, graph.CIInput{ID: app.ID, Owner: ptr("team-a")})
		web := ci(ctx, t, s, "web", graph.ClassApplication)
		after := tick()
		src := startedAt{Store: s, horizon: horizon}

		v := asof.At(src, after)
		if _, err := v.CIsByIDs(ctx, []string{db.ID, app.ID, web.ID}); err != nil {
			t.Fatal(err)
		}
		gaps := map[string]string{}
		for _, g := range v.Gaps() {
			gaps[g.Subject] = g.Reason
		}
		// db has no history at all; app's starts after its creation, but
		// before the instant, so what happened since is recorded; web was
		// created under the trail.
		if len(gaps) != 1 || gaps[db.ID] == "" {
			t.Errorf("as of after the horizon: gaps %v, want db only", gaps)
		}

		v = asof.At(src, before)
		got, err := v.CIsByIDs(ctx, []string{db.ID, app.ID, web.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[app.ID].Owner != "" {
			t.Errorf("as of before the horizon: %v", got)
		}
		gaps = map[string]string{}
		for _, g := range v.Gaps() {
			gaps[g.Subject] = g.Reason
		}
		if len(gaps) != 2 || gaps[db.ID] == "" || gaps[app.ID] == "" {
			t.Errorf("as of before the horizon: gaps %v, want db and app", gaps)
		}
	})
}

// A redundancy group's members are counted at the instant: with one member
// its failure takes the group down; with a second added since, only
// degrades it.
func TestRedundancyAsOf(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		cluster := ci(ctx, t, s, "cluster", graph.ClassCluster)
		m1 := ci(ctx, t, s, "m1", graph.ClassServer)
		app := ci(ctx, t, s, "app", graph.ClassApplication)
		relate(ctx, t, s, m1, graph.RelMemberOf, cluster)
		relate(ctx, t, s, app, graph.RelDependsOn, cluster)
		t1 := tick()
		m2 := ci(ctx, t, s, "m2", graph.ClassServer)
		relate(ctx, t, s, m2, graph.RelMemberOf, cluster)
		if got := fmt.Sprint(blastNames(t, s, m1.ID)); got != "[app:DEGRADED cluster:DEGRADED]" {
			t.Errorf("now: m1 down gives %s", got)
		}
		if got := fmt.Sprint(blastNames(t, asof.At(s, t1), m1.ID)); got != "[app:DOWN cluster:DOWN]" {
			t.Errorf("as of t1: m1 down gives %s", got)
		}
	})
}

// model is the test's own record of the graph, kept beside the store's.
type model struct {
	names map[string]string // id → name
	rels  map[graph.RelationKey]bool
}

func (m model) clone() model {
	c := model{names: map[string]string{}, rels: map[graph.RelationKey]bool{}}
	for k, v := range m.names {
		c.names[k] = v
	}
	for k := range m.rels {
		c.rels[k] = true
	}
	return c
}

// neighbourhood is the oracle: a breadth-first walk over a recorded graph,
// returning "name@depth" per node, "from>type>to" per edge and
// "name#members" per redundancy group, sorted.
func (m model) neighbourhood(cat *graph.Catalogue, seed string, dir graph.TraversalDirection, maxDepth int) []string {
	toSource, toTarget, _ := cat.TraversalTypes(nil)
	inTypes, outTypes := toSource, toTarget
	if dir == graph.Upstream {
		inTypes, outTypes = toTarget, toSource
	}
	depth := map[string]int{seed: 0}
	frontier := []string{seed}
	var out []string
	for d := 0; d < maxDepth && len(frontier) > 0; d++ {
		var next []string
		for _, id := range frontier {
			for k := range m.rels {
				peer := ""
				switch {
				case k.To == id && slices.Contains(inTypes, k.Type):
					peer = k.From
				case k.From == id && slices.Contains(outTypes, k.Type):
					peer = k.To
				default:
					continue
				}
				out = append(out, m.names[k.From]+">"+k.Type+">"+m.names[k.To])
				if _, ok := depth[peer]; !ok {
					depth[peer] = d + 1
					next = append(next, peer)
				}
			}
		}
		frontier = next
	}
	for id, d := range depth {
		out = append(out, fmt.Sprintf("%s@%d", m.names[id], d))
		members := 0
		for k := range m.rels {
			if k.To == id && slices.Contains(cat.GroupingTypes(), k.Type) {
				members++
			}
		}
		if members > 0 {
			out = append(out, fmt.Sprintf("%s#%d", m.names[id], members))
		}
	}
	slices.Sort(out)
	return out
}

func viewNeighbourhood(t *testing.T, tr graph.Traverser, seed string, dir graph.TraversalDirection, maxDepth int) []string {
	t.Helper()
	sub, err := tr.Neighbourhood(context.Background(), graph.NeighbourhoodQuery{Seeds: []string{seed}, Direction: dir, MaxDepth: maxDepth})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range sub.Nodes {
		out = append(out, fmt.Sprintf("%s@%d", n.CI.Name, n.Depth))
		if n.Members > 0 {
			out = append(out, fmt.Sprintf("%s#%d", n.CI.Name, n.Members))
		}
	}
	name := func(id string) string {
		if n, ok := sub.Nodes[id]; ok {
			return n.CI.Name
		}
		return "?" + id
	}
	for _, e := range sub.Edges {
		out = append(out, name(e.From)+">"+e.Type+">"+name(e.To))
	}
	slices.Sort(out)
	return out
}

// TestNeighbourhoodAsOfMatchesRecordedGraphs churns a small graph at
// random (relations added and removed, CIs deleted and created, groups
// gaining and losing members) and checks every past traversal, at several
// depths and both directions, against a walk over the graph the test
// recorded at that instant.
func TestNeighbourhoodAsOfMatchesRecordedGraphs(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(3, 14))
		m := model{names: map[string]string{}, rels: map[graph.RelationKey]bool{}}
		var apps, groups []string
		serial := 0
		newCI := func(class string) string {
			serial++
			c := ci(ctx, t, s, fmt.Sprintf("%s-%d", class, serial), class)
			m.names[c.ID] = c.Name
			return c.ID
		}
		for range 10 {
			apps = append(apps, newCI(graph.ClassApplication))
		}
		for range 2 {
			groups = append(groups, newCI(graph.ClassCluster))
		}
		link := func(from, typ, to string) {
			if _, err := s.Relate(ctx, from, typ, to); err != nil {
				t.Fatal(err)
			}
			m.rels[graph.RelationKey{From: from, Type: typ, To: to}] = true
		}
		unlink := func(k graph.RelationKey) {
			if _, err := s.Unrelate(ctx, k.From, k.Type, k.To); err != nil {
				t.Fatal(err)
			}
			delete(m.rels, k)
		}
		type snapshot struct {
			at time.Time
			m  model
		}
		var snaps []snapshot
		for round := range 10 {
			for range 6 {
				from, to := apps[rng.IntN(len(apps))], apps[rng.IntN(len(apps))]
				if from != to {
					link(from, graph.RelDependsOn, to)
				}
			}
			link(apps[rng.IntN(len(apps))], graph.RelMemberOf, groups[rng.IntN(len(groups))])
			keys := slices.SortedFunc(func(yield func(graph.RelationKey) bool) {
				for k := range m.rels {
					if !yield(k) {
						return
					}
				}
			}, func(a, b graph.RelationKey) int { return strings.Compare(a.From+a.Type+a.To, b.From+b.Type+b.To) })
			for _, k := range keys {
				if rng.IntN(4) == 0 {
					unlink(k)
				}
			}
			if round%3 == 2 {
				// A CI goes, with its relations, and a new one comes.
				i := rng.IntN(len(apps))
				gone := apps[i]
				if err := s.DeleteCI(ctx, gone); err != nil {
					t.Fatal(err)
				}
				for k := range m.rels {
					if k.From == gone || k.To == gone {
						delete(m.rels, k)
					}
				}
				delete(m.names, gone)
				apps[i] = newCI(graph.ClassApplication)
			}
			snaps = append(snaps, snapshot{at: tick(), m: m.clone()})
		}
		cat := s.Catalogue()
		checked := 0
		for i, snap := range snaps {
			v := asof.At(s, snap.at)
			for id := range snap.m.names {
				for _, dir := range []graph.TraversalDirection{graph.Downstream, graph.Upstream} {
					for _, depth := range []int{1, 2, graph.DefaultMaxDepth} {
						want := snap.m.neighbourhood(cat, id, dir, depth)
						if got := viewNeighbourhood(t, v, id, dir, depth); !slices.Equal(got, want) {
							t.Fatalf("round %d, direction %v from %s to depth %d:\n got %v\nwant %v", i, dir, snap.m.names[id], depth, got, want)
						}
						checked++
					}
				}
			}
			if gaps := v.Gaps(); len(gaps) != 0 {
				t.Errorf("round %d: gaps %v, want complete history", i, gaps)
			}
		}
		if checked == 0 {
			t.Fatal("no traversal checked")
		}
	})
}

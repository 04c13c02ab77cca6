package correlate_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/correlate"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// estate: vm-1, vm-2 run on hv-01; vm-3, vm-4, vm-5 on hv-02; vm-2 … vm-5
// depend on the storage array san-1; app-a depends on vm-1 and vm-2.
type estate map[string]graph.CI

type fixture struct {
	s    graph.Store
	svc  *itsm.Service
	corr *correlate.Service
	e    estate
}

func setup(t *testing.T, s graph.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	svc := itsm.New(s)
	now := testNow
	svc.Now = func() time.Time { now = now.Add(time.Second); return now }
	corr := correlate.New(analysis.New(svc), correlate.Options{Delay: time.Millisecond})
	corr.OnError = func(err error) { t.Errorf("correlation pass: %v", err) }
	svc.IncidentChanged = corr.IncidentChanged
	t.Cleanup(corr.Wait)
	e := estate{}
	add := func(name, class string) {
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: &name, Class: &class})
		if err != nil {
			t.Fatal(err)
		}
		e[name] = res.CI
	}
	rel := func(from, typ, to string) {
		if _, err := s.Relate(ctx, e[from].ID, typ, e[to].ID); err != nil {
			t.Fatal(err)
		}
	}
	add("hv-01", graph.ClassHypervisor)
	add("hv-02", graph.ClassHypervisor)
	add("san-1", graph.ClassStorageVolume)
	add("app-a", graph.ClassApplication)
	for i, vm := range []string{"vm-1", "vm-2", "vm-3", "vm-4", "vm-5"} {
		add(vm, graph.ClassVirtualMachine)
		rel(vm, graph.RelRunsOn, map[bool]string{true: "hv-01", false: "hv-02"}[i < 2])
		if i > 0 {
			rel(vm, graph.RelDependsOn, "san-1")
		}
	}
	rel("app-a", graph.RelDependsOn, "vm-1")
	rel("app-a", graph.RelDependsOn, "vm-2")
	return &fixture{s: s, svc: svc, corr: corr, e: e}
}

// raise opens an incident on a CI, minutesAgo before testNow.
func (f *fixture) raise(t *testing.T, ci string, minutesAgo int) *itsm.Incident {
	t.Helper()
	opened := testNow.Add(-time.Duration(minutesAgo) * time.Minute)
	inc, err := f.svc.CreateIncident(context.Background(), itsm.CreateIncidentInput{Title: ci + " down", AffectedCIs: []string{f.e[ci].ID},
		Impact: ptr(1), Urgency: ptr(2), OpenedAt: &opened, OutageStart: &opened})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (f *fixture) get(t *testing.T, id string) *itsm.Incident {
	t.Helper()
	f.corr.Wait()
	inc, err := f.svc.GetIncident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (f *fixture) groups(t *testing.T) []*itsm.Incident {
	t.Helper()
	f.corr.Wait()
	ps, _, err := f.svc.ListIncidents(context.Background(), itsm.IncidentFilter{Open: true, Major: true}, graph.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func (f *fixture) children(t *testing.T, parent string) []string {
	t.Helper()
	kids, _, err := f.svc.ListIncidents(context.Background(), itsm.IncidentFilter{Parent: parent}, graph.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range kids {
		out = append(out, k.ID)
	}
	slices.Sort(out)
	return out
}

func ids(incs ...*itsm.Incident) []string {
	var out []string
	for _, inc := range incs {
		out = append(out, inc.ID)
	}
	slices.Sort(out)
	return out
}

func TestGroupsIncidentsOneCauseExplains(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		f := setup(t, s)
		// A patch on hv-01 ended half an hour before the incidents.
		requested := testNow.Add(-3 * time.Hour)
		ch, err := f.svc.CreateChange(ctx, itsm.CreateChangeInput{Title: "Patch hv-01", Type: itsm.ChangeStandard, TargetCIs: []string{f.e["hv-01"].ID},
			PlannedStart: testNow.Add(-time.Hour), PlannedEnd: testNow.Add(-30 * time.Minute), RequestedAt: &requested})
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range []itsm.ChangeState{itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview} {
			if _, err := f.svc.TransitionChangeAt(ctx, ch.ID, st, "", "", testNow.Add(time.Duration(-90+30*i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		vm1 := f.raise(t, "vm-1", 9)
		vm2 := f.raise(t, "vm-2", 8)
		app := f.raise(t, "app-a", 7)
		noise := f.raise(t, "vm-4", 120) // two hours earlier: outside any window with them

		groups := f.groups(t)
		if len(groups) != 1 {
			t.Fatalf("%d groups, want 1", len(groups))
		}
		p := groups[0]
		if !p.Major || p.Correlation == nil || p.Correlation.CauseCI != f.e["hv-01"].ID || p.AffectedCIs[0] != f.e["hv-01"].ID {
			t.Fatalf("major incident %+v, want hv-01 as its cause", p.Correlation)
		}
		if p.Correlation.SuspectedChangeID != ch.ID || !strings.Contains(p.Description, "Patch hv-01") {
			t.Fatalf("suspected change %q, description %q; want the patch", p.Correlation.SuspectedChangeID, p.Description)
		}
		if p.Priority != itsm.P2 || p.Correlation.Onset != vm1.OpenedAt || len(p.Correlation.Evidence) == 0 {
			t.Fatalf("priority %s onset %v evidence %d", p.Priority, p.Correlation.Onset, len(p.Correlation.Evidence))
		}
		if got, want := f.children(t, p.ID), ids(vm1, vm2, app); !slices.Equal(got, want) {
			t.Fatalf("children %v, want %v", got, want)
		}
		g := f.get(t, app.ID).Grouping
		if g == nil || g.ParentID != p.ID || g.Distance != 2 || len(g.Path) != 3 || g.Path[0] != f.e["hv-01"].ID || g.Path[2] != f.e["app-a"].ID ||
			g.Offset != 2*time.Minute || g.Effect != "DOWN" {
			t.Fatalf("app-a's grouping %+v, want hv-01 → vm → app-a, 2 minutes after the onset", g)
		}
		if f.get(t, noise.ID).Grouping != nil {
			t.Fatal("the incident two hours earlier was grouped")
		}

		// Nothing new: a pass writes nothing.
		sum, err := f.corr.Correlate(ctx)
		if err != nil || sum.Groups != 1 || sum.Opened+sum.Updated+sum.Grouped+sum.MovedOut+sum.Resolved != 0 {
			t.Fatalf("idle pass: %+v, %v", sum, err)
		}
	})
}

func TestChildThatStopsFittingMovesOut(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		f := setup(t, s)
		vm1 := f.raise(t, "vm-1", 10)
		vm2 := f.raise(t, "vm-2", 9)
		groups := f.groups(t)
		if len(groups) != 1 || groups[0].Correlation.CauseCI != f.e["hv-01"].ID {
			t.Fatalf("groups %d, want one caused by hv-01", len(groups))
		}
		parent := groups[0].ID
		// vm-3 … vm-5 fail too: the storage array they share with vm-2
		// explains four incidents, hv-01 only two.
		vm3, vm4, vm5 := f.raise(t, "vm-3", 8), f.raise(t, "vm-4", 8), f.raise(t, "vm-5", 7)
		groups = f.groups(t)
		if len(groups) != 1 || groups[0].ID != parent || groups[0].Correlation.CauseCI != f.e["san-1"].ID {
			t.Fatalf("groups %d (%v), want the same group, now caused by san-1", len(groups), groups[0].Correlation)
		}
		if got, want := f.children(t, parent), ids(vm2, vm3, vm4, vm5); !slices.Equal(got, want) {
			t.Fatalf("children %v, want %v", got, want)
		}
		if f.get(t, vm1.ID).Grouping != nil {
			t.Fatal("vm-1 stays in a group its cause no longer explains")
		}
		if g := f.get(t, vm2.ID).Grouping; g.CauseCI != f.e["san-1"].ID || g.Distance != 1 {
			t.Fatalf("vm-2's grouping %+v, want san-1 at distance 1", g)
		}
	})
}

func TestResolution(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		f := setup(t, s)
		resolve := func(id, note string) {
			t.Helper()
			if _, err := f.svc.TransitionIncident(ctx, id, itsm.IncidentInProgress, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.TransitionIncident(ctx, id, itsm.IncidentResolved, note); err != nil {
				t.Fatal(err)
			}
		}
		// Every child resolves: the major incident follows.
		vm1, vm2 := f.raise(t, "vm-1", 10), f.raise(t, "vm-2", 9)
		groups := f.groups(t)
		if len(groups) != 1 {
			t.Fatalf("%d groups, want 1", len(groups))
		}
		parent := groups[0].ID
		resolve(vm1.ID, "")
		if f.get(t, parent).State != itsm.IncidentNew {
			t.Fatal("the major incident resolved with a child still open")
		}
		resolve(vm2.ID, "")
		if p := f.get(t, parent); p.State != itsm.IncidentResolved || !strings.Contains(p.Transitions[len(p.Transitions)-1].Note, "Every incident of the group is resolved") {
			t.Fatalf("major incident %s after its children resolved", p.State)
		}
		if got := f.children(t, parent); len(got) != 2 {
			t.Fatalf("resolved children %v, want both kept in the group", got)
		}

		// Someone resolves the major incident: its open children follow.
		vm3, vm4, vm5 := f.raise(t, "vm-3", 5), f.raise(t, "vm-4", 5), f.raise(t, "vm-5", 4)
		groups = f.groups(t)
		// (hv-02 rather than san-1: vm-2 on the array is fine now.)
		if len(groups) != 1 || groups[0].Correlation.CauseCI != f.e["hv-02"].ID {
			t.Fatalf("groups %d, want one caused by hv-02", len(groups))
		}
		resolve(groups[0].ID, "SAN controller replaced")
		for _, inc := range []*itsm.Incident{vm3, vm4, vm5} {
			got := f.get(t, inc.ID)
			if got.State != itsm.IncidentResolved || !strings.Contains(got.Transitions[len(got.Transitions)-1].Note, "SAN controller replaced") {
				t.Fatalf("child %s after its major incident resolved, note %q", got.State, got.Transitions[len(got.Transitions)-1].Note)
			}
		}
		if len(f.groups(t)) != 0 {
			t.Fatal("open groups after everything resolved")
		}
	})
}

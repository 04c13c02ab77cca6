package importers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// feed is a scripted source: the engine tests are about identification,
// reconciliation and staleness, so they state items directly; the parsers
// are tested on real tools' output in their own packages.
type feed struct {
	scope string
	items []importers.Item
	links []importers.Link
	// failAfter, when > 0, fails the read after that many items, as a
	// truncated file would.
	failAfter int
}

func (f feed) read(ctx context.Context, emit importers.Emitter) error {
	if f.scope != "" {
		if err := emit.Scope(f.scope); err != nil {
			return err
		}
	}
	for i, it := range f.items {
		if f.failAfter > 0 && i == f.failAfter {
			return &importers.InputError{At: fmt.Sprintf("line %d", i+1), Field: "host", Message: "unexpected end of input"}
		}
		if err := emit.Item(it); err != nil {
			return err
		}
	}
	for _, l := range f.links {
		if err := emit.Link(l); err != nil {
			return err
		}
	}
	return nil
}

func id(kind, value string) graph.Identifier { return graph.Identifier{Kind: kind, Value: value} }

func host(n int, attrs map[string]any) importers.Item {
	return importers.Item{Class: graph.ClassServer, Name: fmt.Sprintf("host-%d", n),
		Identifiers: []graph.Identifier{id("ip", fmt.Sprintf("10.0.0.%d", n))}, Attributes: attrs,
		At: fmt.Sprintf("host %d", n)}
}

func hosts(ns ...int) []importers.Item {
	var out []importers.Item
	for _, n := range ns {
		out = append(out, host(n, map[string]any{"nmap.os": "Linux", "nmap.ports": []any{22, 80}}))
	}
	return out
}

// clock is a test clock advanced by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func (c *clock) tick()          { c.t = c.t.Add(time.Hour) }

func newEngine(s graph.Store) (*importers.Engine, *clock) {
	c := &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	return &importers.Engine{Store: s, Policy: importers.DefaultPolicy(), Now: c.now}, c
}

func mustRun(t *testing.T, e *importers.Engine, req importers.Request, f feed) (importers.Run, *importers.Plan) {
	t.Helper()
	run, plan, err := e.Run(context.Background(), req, f.read)
	if err != nil {
		t.Fatalf("run %+v: %v", req, err)
	}
	return run, plan
}

var nmapReq = importers.Request{Format: "nmap", Scope: "nmap:10.0.0.0/24"}

func ciByIdent(t *testing.T, s graph.Store, ident graph.Identifier) graph.CI {
	t.Helper()
	page, err := s.ListCIs(context.Background(), graph.CIFilter{Identifier: ident.Value}, graph.Page{First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.CIs) != 1 {
		t.Fatalf("%d CIs with identifier %v, want 1", len(page.CIs), ident)
	}
	return page.CIs[0]
}

func wantCounts(t *testing.T, run importers.Run, want importers.Counts) {
	t.Helper()
	got := run.Counts
	got.Items, got.Links = 0, 0
	if got != want {
		t.Fatalf("counts = %+v, want %+v (problems: %+v)", got, want, run.Plan.Problems)
	}
}

func TestReimportChangesNothing(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		src := feed{items: append(hosts(1, 2), importers.Item{Class: graph.ClassApplication, Name: "shop",
			Identifiers: []graph.Identifier{id("hostname", "shop")}, At: "app"}),
			links: []importers.Link{{From: id("hostname", "shop"), Type: graph.RelRunsOn, To: id("ip", "10.0.0.1"), At: "link 1"}}}
		run, _ := mustRun(t, e, nmapReq, src)
		if run.Outcome != importers.OutcomeSucceeded {
			t.Fatalf("outcome %s", run.Outcome)
		}
		wantCounts(t, run, importers.Counts{Created: 3, RelationsCreated: 1})
		h1 := ciByIdent(t, s, id("ip", "10.0.0.1"))
		hist, _ := s.History(context.Background(), h1.ID, graph.Page{First: 100})
		c.tick()
		run, _ = mustRun(t, e, nmapReq, src)
		wantCounts(t, run, importers.Counts{Unchanged: 3})
		again := ciByIdent(t, s, id("ip", "10.0.0.1"))
		if !again.UpdatedAt.Equal(h1.UpdatedAt) {
			t.Fatalf("re-import touched the CI: updatedAt %v → %v", h1.UpdatedAt, again.UpdatedAt)
		}
		hist2, _ := s.History(context.Background(), h1.ID, graph.Page{First: 100})
		if len(hist2.Entries) != len(hist.Entries) {
			t.Fatalf("re-import added %d audit entries", len(hist2.Entries)-len(hist.Entries))
		}
		// The ledger did move: the second run saw everything.
		sg, err := s.Sightings(context.Background(), graph.ScopeKey{Source: "nmap", Scope: nmapReq.Scope})
		if err != nil || len(sg) != 4 {
			t.Fatalf("sightings %+v, %v: want 3 CIs and 1 relation", sg, err)
		}
		for _, x := range sg {
			if x.LastRun != run.ID {
				t.Fatalf("sighting %+v not stamped by the second run %s", x, run.ID)
			}
		}
	})
}

func TestDroppedHostGoesStaleThenRetiredThenBack(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		e.Policy.RetireAfterRuns = 2
		mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3)})
		gone := ciByIdent(t, s, id("ip", "10.0.0.3"))

		c.tick()
		run, plan := mustRun(t, e, nmapReq, feed{items: hosts(1, 2)})
		wantCounts(t, run, importers.Counts{Unchanged: 2, Stale: 1})
		if plan.Stale[0].ID != gone.ID || plan.Stale[0].Missed != 1 {
			t.Fatalf("stale = %+v, want host-3 missed once", plan.Stale)
		}
		if ci := ciByIdent(t, s, id("ip", "10.0.0.3")); ci.Status != graph.StatusInService {
			t.Fatalf("stale CI status %s, want still IN_SERVICE", ci.Status)
		}

		c.tick()
		run, _ = mustRun(t, e, nmapReq, feed{items: hosts(1, 2)})
		wantCounts(t, run, importers.Counts{Unchanged: 2, Retired: 1})
		retired := ciByIdent(t, s, id("ip", "10.0.0.3"))
		if retired.Status != graph.StatusRetired || retired.Provenance[graph.FieldStatus].Source != "nmap" {
			t.Fatalf("after 2 missed runs: status %s by %+v, want RETIRED by nmap", retired.Status, retired.Provenance[graph.FieldStatus])
		}
		hist, _ := s.History(context.Background(), retired.ID, graph.Page{First: 1})
		if hist.Entries[0].Actor != "import:nmap" {
			t.Fatalf("retirement audited as %q, want import:nmap", hist.Entries[0].Actor)
		}

		c.tick()
		run, plan = mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3)})
		wantCounts(t, run, importers.Counts{Unchanged: 2, Updated: 1})
		if ch := plan.Updates[0].Changes; len(ch) != 1 || ch[0].Field != graph.FieldStatus || ch[0].New != "IN_SERVICE" {
			t.Fatalf("comeback changes = %+v, want status back to IN_SERVICE", ch)
		}
	})
}

func TestFailedRunWritesNothingAndMarksNothingStale(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		e.Policy.MaxStaleFraction = 0 // the safety valve must not be what saves the day
		mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3)})
		c.tick()
		// A truncated scan: host 1 changed, then the file ends mid-host.
		changed := hosts(1, 2, 3)
		changed[0].Attributes["nmap.os"] = "FreeBSD"
		run, plan, err := e.Run(context.Background(), nmapReq, feed{items: changed, failAfter: 1}.read)
		var ie *importers.InputError
		if !errors.As(err, &ie) || ie.At != "line 2" || ie.Field != "host" {
			t.Fatalf("error = %v, want the input error at line 2, field host", err)
		}
		if run.Outcome != importers.OutcomeFailed || run.ErrorAt != "line 2" || run.ErrorField != "host" || plan != nil {
			t.Fatalf("run = %+v, want FAILED at line 2", run)
		}
		if ci := ciByIdent(t, s, id("ip", "10.0.0.1")); ci.Attributes["nmap.os"] != "Linux" {
			t.Fatalf("failed run wrote host-1: %v", ci.Attributes)
		}
		sg, err := s.Sightings(context.Background(), graph.ScopeKey{Source: "nmap", Scope: nmapReq.Scope})
		if err != nil || len(sg) != 3 {
			t.Fatalf("sightings %+v, %v: want the 3 hosts", sg, err)
		}
		for _, x := range sg {
			if x.Stale() {
				t.Fatalf("failed run marked %+v stale", x)
			}
		}
		got, err := importers.GetRun(context.Background(), s, run.ID)
		if err != nil || got.Outcome != importers.OutcomeFailed || got.Error == "" {
			t.Fatalf("recorded run = %+v, %v", got, err)
		}
	})
}

func TestPrecedenceAndProvenance(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		e.Policy.Precedence.Default = []string{graph.SourceManual, "cmdb-export", "nmap"}
		e.Policy.Precedence.Fields = append(e.Policy.Precedence.Fields,
			importers.FieldPrecedence{Pattern: "attributes.os", Sources: []string{"cmdb-export", "nmap"}})
		nmapHost := host(1, map[string]any{"os": "Linux 5.x (guess)", "nmap.ports": []any{22}})
		nmapHost.Owner = "nobody"
		mustRun(t, e, nmapReq, feed{items: []importers.Item{nmapHost}})
		ci := ciByIdent(t, s, id("ip", "10.0.0.1"))
		// A person sets the owner; nmap keeps reporting its own value.
		if _, err := s.UpsertCI(context.Background(), graph.CIInput{ID: ci.ID, Owner: ptr("payments-team")}); err != nil {
			t.Fatal(err)
		}
		c.tick()
		export := importers.Item{Class: graph.ClassServer, Name: "pay-db-1",
			Identifiers: []graph.Identifier{id("ip", "10.0.0.1"), id("serial", "SN-77")},
			Attributes:  map[string]any{"os": "RHEL 9.4"}, At: "line 2"}
		run, _ := mustRun(t, e, importers.Request{Format: "csv", Source: "cmdb-export", Scope: "assets.csv"}, feed{items: []importers.Item{export}})
		wantCounts(t, run, importers.Counts{Updated: 1})
		c.tick()
		run, plan := mustRun(t, e, nmapReq, feed{items: []importers.Item{nmapHost}})
		if run.Counts.Updated != 0 {
			t.Fatalf("nmap re-run updated %+v, want nothing: the export outranks it on os, the person on owner", plan.Updates)
		}
		got := ciByIdent(t, s, id("ip", "10.0.0.1"))
		checks := []struct{ field, value, source string }{
			{graph.FieldOwner, "payments-team", graph.SourceManual},
			{graph.AttributeField("os"), "RHEL 9.4", "cmdb-export"},
			{graph.AttributeField("nmap.ports"), "", "nmap"},
			{graph.FieldName, "pay-db-1", "cmdb-export"},
		}
		for _, ck := range checks {
			o := got.Provenance[ck.field]
			if o.Source != ck.source {
				t.Errorf("provenance[%s] = %+v, want %s", ck.field, o, ck.source)
			}
		}
		if got.Owner != "payments-team" || got.Attributes["os"] != "RHEL 9.4" {
			t.Fatalf("owner %q os %v, want the person's owner and the export's os", got.Owner, got.Attributes["os"])
		}
		if o := got.Provenance[graph.AttributeField("os")]; o.Scope != "assets.csv" {
			t.Fatalf("os provenance scope %q, want assets.csv", o.Scope)
		}
		// Both sources' sightings are kept: when each last saw the CI.
		of, _ := s.SightingsOf(context.Background(), []string{got.ID})
		if len(of[got.ID]) != 2 {
			t.Fatalf("sightings of the CI = %+v, want one per source", of[got.ID])
		}
	})
}

func TestDuplicateIdentifiersAcrossSourcesMerge(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, _ := newEngine(s)
		mustRun(t, e, nmapReq, feed{items: []importers.Item{{Class: graph.ClassServer, Name: "10.0.0.9",
			Identifiers: []graph.Identifier{id("ip", "10.0.0.9"), id("mac", "AA:BB:CC:00:00:09")}, At: "host 1"}}})
		run, _ := mustRun(t, e, importers.Request{Format: "json", Source: "inventory", Scope: "dc1"},
			feed{items: []importers.Item{{Class: graph.ClassServer, Name: "db-9.example.com",
				Identifiers: []graph.Identifier{id("mac", "aa:bb:cc:00:00:09"), id("serial", "SN-9"), id("fqdn", "db-9.example.com")},
				At:          "records[0]"}}})
		wantCounts(t, run, importers.Counts{Updated: 1})
		page, _ := s.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{First: 10})
		if page.TotalCount != 1 {
			t.Fatalf("%d CIs, want the two reports merged into one", page.TotalCount)
		}
		if n := len(page.CIs[0].Identifiers); n != 4 {
			t.Fatalf("merged CI has identifiers %v, want 4", page.CIs[0].Identifiers)
		}
	})
}

func TestAmbiguousMatchesAreReported(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		mustRun(t, e, nmapReq, feed{items: []importers.Item{
			{Class: graph.ClassServer, Name: "a", Identifiers: []graph.Identifier{id("ip", "10.0.0.1")}, At: "host 1"},
			{Class: graph.ClassServer, Name: "b", Identifiers: []graph.Identifier{id("fqdn", "b.example.com")}, At: "host 2"},
		}})
		c.tick()
		// One item claims a's ip and b's fqdn: merging would steal one.
		run, plan := mustRun(t, e, importers.Request{Format: "csv", Source: "csv", Scope: "x.csv"}, feed{items: []importers.Item{
			{Class: graph.ClassServer, Name: "ab", Identifiers: []graph.Identifier{id("ip", "10.0.0.1"), id("fqdn", "b.example.com")}, At: "line 2"},
			{Class: graph.ClassServer, Name: "c", Identifiers: []graph.Identifier{id("ip", "10.0.0.3")}, At: "line 3"},
		}})
		if run.Outcome != importers.OutcomePartial || len(plan.Problems) != 1 {
			t.Fatalf("outcome %s problems %+v, want PARTIAL with one problem", run.Outcome, plan.Problems)
		}
		pr := plan.Problems[0]
		if pr.Code != importers.ProblemAmbiguous || pr.At != "line 2" || len(pr.CIs) != 2 {
			t.Fatalf("problem = %+v, want AMBIGUOUS at line 2 naming both CIs", pr)
		}
		wantCounts(t, run, importers.Counts{Created: 1, Problems: 1})
		// Strict mode refuses the whole run.
		_, _, err := e.Run(context.Background(), importers.Request{Format: "csv", Source: "csv", Scope: "y.csv", Strict: true}, feed{items: []importers.Item{
			{Class: graph.ClassServer, Name: "ab", Identifiers: []graph.Identifier{id("ip", "10.0.0.1"), id("fqdn", "b.example.com")}, At: "line 2"},
			{Class: graph.ClassServer, Name: "d", Identifiers: []graph.Identifier{id("ip", "10.0.0.4")}, At: "line 3"},
		}}.read)
		if err == nil {
			t.Fatal("strict run with an ambiguous item succeeded")
		}
		page, _ := s.ListCIs(context.Background(), graph.CIFilter{Identifier: "10.0.0.4"}, graph.Page{First: 1})
		if page.TotalCount != 0 {
			t.Fatal("strict run wrote the good item")
		}
	})
}

func TestPartialRunMarksNothingStale(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3)})
		c.tick()
		// host 1 claims host 3's fqdn too: an item the run cannot
		// reconcile, so what the run misses (host 2) may be what it failed
		// to read.
		mustRun(t, e, importers.Request{Format: "csv", Source: "csv", Scope: "x.csv"}, feed{items: []importers.Item{
			{Class: graph.ClassServer, Name: "three", Identifiers: []graph.Identifier{id("ip", "10.0.0.3"), id("fqdn", "three.example.com")}}}})
		c.tick()
		run, _ := mustRun(t, e, nmapReq, feed{items: []importers.Item{hosts(3)[0],
			{Class: graph.ClassServer, Name: "host-1", Identifiers: []graph.Identifier{id("ip", "10.0.0.1"), id("fqdn", "three.example.com")}, At: "host 1"}}})
		if run.Outcome != importers.OutcomePartial || run.Counts.Stale != 0 || run.Counts.Problems != 1 {
			t.Fatalf("run %s counts %+v, want PARTIAL and nothing stale", run.Outcome, run.Counts)
		}
	})
}

// TestUnresolvedLinksDoNotWithholdStaleness: a link to something neither
// the input nor the store holds (a dump of Pods names their claims) is
// recorded and counted, but the run is complete: what it no longer reports
// goes stale. A later run that brings the missing CI resolves the link.
func TestUnresolvedLinksDoNotWithholdStaleness(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3)})
		c.tick()
		dangling := []importers.Link{{From: id("ip", "10.0.0.1"), Type: graph.RelDependsOn, To: id("ip", "10.9.9.9"), At: "link 1"}}
		run, plan := mustRun(t, e, nmapReq, feed{items: hosts(1, 3), links: dangling})
		if run.Outcome != importers.OutcomeSucceeded || !plan.Complete {
			t.Fatalf("run %s complete %v problems %+v, want SUCCEEDED", run.Outcome, plan.Complete, plan.Problems)
		}
		wantCounts(t, run, importers.Counts{Unchanged: 2, Stale: 1, UnresolvedLinks: 1})
		if len(plan.Unresolved) != 1 {
			t.Fatalf("unresolved = %+v", plan.Unresolved)
		}
		if u := plan.Unresolved[0]; u.End != "to" || u.To != id("ip", "10.9.9.9") || u.At != "link 1" || u.Type != graph.RelDependsOn {
			t.Fatalf("unresolved link = %+v", u)
		}
		rec, err := importers.GetRun(context.Background(), s, run.ID)
		if err != nil || rec.Counts.UnresolvedLinks != 1 || len(rec.Plan.Unresolved) != 1 {
			t.Fatalf("run record: %+v, %v", rec.Counts, err)
		}
		// Strict refuses unresolved links as it refuses problems.
		strict := nmapReq
		strict.Strict = true
		if _, _, err := e.Run(context.Background(), strict, feed{items: hosts(1, 3), links: dangling}.read); err == nil {
			t.Fatal("strict run with an unresolved link succeeded")
		}
		// The missing CI arrives: the same link now resolves.
		c.tick()
		run, _ = mustRun(t, e, nmapReq, feed{items: append(hosts(1, 3), host(9, nil)), links: []importers.Link{
			{From: id("ip", "10.0.0.1"), Type: graph.RelDependsOn, To: id("ip", "10.0.0.9"), At: "link 1"}}})
		if run.Counts.RelationsCreated != 1 || run.Counts.UnresolvedLinks != 0 {
			t.Fatalf("counts %+v, want the link created", run.Counts)
		}
	})
}

// TestLinkFallback: a link whose To names nothing takes its fallback; the
// run's items beat the store's CIs, and To beats the fallback.
func TestLinkFallback(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		e, c := newEngine(s)
		req := importers.Request{Format: "kubernetes", Scope: "lab"}
		pod := importers.Item{Class: graph.ClassPod, Name: "shop/web-1", Identifiers: []graph.Identifier{id("k8s-uid", "pod-1")}}
		deploy := importers.Item{Class: graph.ClassKubernetesWorkload, Name: "shop/web", Identifiers: []graph.Identifier{id("k8s-uid", "deploy")}}
		rs := importers.Item{Class: graph.ClassKubernetesWorkload, Name: "shop/web-abc", Identifiers: []graph.Identifier{id("k8s-uid", "rs")}}
		link := importers.Link{From: id("k8s-uid", "pod-1"), Type: graph.RelMemberOf, To: id("k8s-uid", "rs"), Fallback: id("k8s-uid", "deploy")}
		memberOf := func(uid string) []string {
			t.Helper()
			ci := ciByIdent(t, s, id("k8s-uid", uid))
			rels, err := s.RelationsOf(ctx, []string{ci.ID}, graph.Outgoing, nil)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rels[ci.ID] {
				if r.Type == graph.RelMemberOf {
					got, err := s.GetCI(ctx, r.To)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, got.Name)
				}
			}
			return out
		}
		// The ReplicaSet is in the dump: the pod is its member.
		run, _ := mustRun(t, e, req, feed{items: []importers.Item{pod, deploy, rs}, links: []importers.Link{link}})
		if got := memberOf("pod-1"); run.Counts.UnresolvedLinks != 0 || len(got) != 1 || got[0] != "shop/web-abc" {
			t.Fatalf("with the ReplicaSet: member of %v (counts %+v)", got, run.Counts)
		}
		// A dump without ReplicaSets: the Deployment of the run wins over
		// the ReplicaSet the store still has.
		c.tick()
		run, _ = mustRun(t, e, req, feed{items: []importers.Item{pod, deploy}, links: []importers.Link{link}})
		if got := memberOf("pod-1"); run.Counts.RelationsCreated != 1 || run.Counts.UnresolvedLinks != 0 || len(got) != 2 {
			t.Fatalf("without the ReplicaSet: member of %v (counts %+v)", got, run.Counts)
		}
		// Neither in the run: the store's ReplicaSet, To, comes first.
		c.tick()
		pod2 := importers.Item{Class: graph.ClassPod, Name: "shop/web-2", Identifiers: []graph.Identifier{id("k8s-uid", "pod-2")}}
		link.From = id("k8s-uid", "pod-2")
		run, _ = mustRun(t, e, importers.Request{Format: "kubernetes", Scope: "lab-pods"}, feed{items: []importers.Item{pod2}, links: []importers.Link{link}})
		if got := memberOf("pod-2"); run.Counts.UnresolvedLinks != 0 || len(got) != 1 || got[0] != "shop/web-abc" {
			t.Fatalf("pods only: member of %v (counts %+v)", got, run.Counts)
		}
	})
}

func TestDryRunPlansImpactWithoutWriting(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		e, c := newEngine(s)
		svc, err := s.UpsertCI(ctx, graph.CIInput{Name: ptr("Checkout"), Class: ptr(graph.ClassBusinessService),
			Identifiers: []graph.Identifier{id("service", "checkout")}})
		if err != nil {
			t.Fatal(err)
		}
		k8s := importers.Request{Format: "kubernetes", Scope: "prod"}
		pod := func(n int, node string) importers.Item {
			return importers.Item{Class: graph.ClassPod, Name: fmt.Sprintf("shop/web-%d", n),
				Identifiers: []graph.Identifier{id("k8s-uid", fmt.Sprintf("pod-%d", n))}, At: fmt.Sprintf("items[%d]", n)}
		}
		node := func(name string) importers.Item {
			return importers.Item{Class: graph.ClassKubernetesNode, Name: name,
				Identifiers: []graph.Identifier{id("k8s-name", "prod/Node//"+name)}, At: name}
		}
		runsOn := func(n int, node string) importers.Link {
			return importers.Link{From: id("k8s-uid", fmt.Sprintf("pod-%d", n)), Type: graph.RelRunsOn, To: id("k8s-name", "prod/Node//"+node)}
		}
		svcLink := importers.Link{From: id("service", "checkout"), Type: graph.RelDependsOn, To: id("k8s-uid", "pod-1")}
		mustRun(t, e, k8s, feed{items: []importers.Item{pod(1, "n1"), node("n1"), node("n2")},
			links: []importers.Link{runsOn(1, "n1"), svcLink}})
		c.tick()
		before := countAll(t, s)
		dry := k8s
		dry.DryRun = true
		run, plan := mustRun(t, e, dry, feed{items: []importers.Item{pod(1, "n2"), node("n1"), node("n2")},
			links: []importers.Link{runsOn(1, "n2"), svcLink}})
		if run.Outcome != importers.OutcomePlanned {
			t.Fatalf("outcome %s, want PLANNED", run.Outcome)
		}
		if countAll(t, s) != before {
			t.Fatal("dry run wrote to the graph")
		}
		if len(plan.NewRelations) != 1 || plan.NewRelations[0].To.Name != "n2" || plan.StaleRelations != 1 {
			t.Fatalf("plan relations new=%+v stale=%d, want web-1 RUNS_ON n2 new and the old one stale", plan.NewRelations, plan.StaleRelations)
		}
		if len(plan.Impact) != 1 || plan.Impact[0].Service.ID != svc.CI.ID ||
			len(plan.Impact[0].Gained) != 1 || plan.Impact[0].Gained[0].Name != "n2" {
			t.Fatalf("impact = %+v, want Checkout gaining n2", plan.Impact)
		}
		// The stale relation is removed after the retirement limit; then
		// Checkout loses n1.
		e.Policy.RetireAfterRuns = 1
		run, plan = mustRun(t, e, k8s, feed{items: []importers.Item{pod(1, "n2"), node("n1"), node("n2")},
			links: []importers.Link{runsOn(1, "n2"), svcLink}})
		wantCounts(t, run, importers.Counts{Unchanged: 3, RelationsCreated: 1, RelationsRemoved: 1})
		if len(plan.Impact) != 1 || len(plan.Impact[0].Lost) != 1 || plan.Impact[0].Lost[0].Name != "n1" {
			t.Fatalf("impact = %+v, want Checkout losing n1 and gaining n2", plan.Impact)
		}
		runs, _, total, err := importers.ListRuns(ctx, s, importers.RunFilter{Source: "kubernetes", Scope: "prod"}, graph.Page{First: 10})
		if err != nil || total != 3 || runs[0].ID != run.ID || runs[1].Outcome != importers.OutcomePlanned {
			t.Fatalf("ListRuns = %d runs (total %d), %v; want 3 newest first", len(runs), total, err)
		}
	})
}

func countAll(t *testing.T, s graph.Store) int {
	t.Helper()
	page, err := s.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{First: graph.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(page.CIs))
	for i, c := range page.CIs {
		ids[i] = c.ID
	}
	rels, err := s.RelationsOf(context.Background(), ids, graph.Outgoing, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := page.TotalCount * 1000
	for _, l := range rels {
		n += len(l)
	}
	return n
}

func TestScopeRequiredAndMalformedItems(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, _ := newEngine(s)
		_, _, err := e.Run(context.Background(), importers.Request{Format: "csv"}, feed{items: hosts(1)}.read)
		if graph.ErrorField(err) != "scope" {
			t.Fatalf("no scope: %v, want an error on field scope", err)
		}
		bad := host(1, nil)
		bad.Class = "Toaster"
		_, _, err = e.Run(context.Background(), nmapReq, feed{items: []importers.Item{host(2, nil), bad}}.read)
		var ie *importers.InputError
		if !errors.As(err, &ie) || ie.At != "host 1" || ie.Field != "class" {
			t.Fatalf("unknown class: %v, want an input error at host 1 on class", err)
		}
		if countAll(t, s) != 0 {
			t.Fatal("a rejected run wrote CIs")
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestEmptyScanDoesNotStaleTheScope(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		mustRun(t, e, nmapReq, feed{items: hosts(1, 2, 3, 4)})
		c.tick()
		// The scanner lost the network: only one host answered.
		run, plan := mustRun(t, e, nmapReq, feed{items: hosts(1)})
		if run.Outcome != importers.OutcomePartial || run.Counts.Stale != 0 || len(plan.Problems) != 1 ||
			plan.Problems[0].Code != importers.ProblemTooStale {
			t.Fatalf("run %s counts %+v problems %+v, want PARTIAL with TOO_STALE and nothing stale", run.Outcome, run.Counts, plan.Problems)
		}
		// A policy that allows it marks them stale.
		e.Policy.MaxStaleFraction = 0
		c.tick()
		run, _ = mustRun(t, e, nmapReq, feed{items: hosts(1)})
		if run.Outcome != importers.OutcomeSucceeded || run.Counts.Stale != 3 {
			t.Fatalf("run %s counts %+v, want 3 stale", run.Outcome, run.Counts)
		}
	})
}

// failingStore fails the nth Apply, as a database that goes away mid-run.
type failingStore struct {
	graph.Store
	calls, failAt int
}

func (f *failingStore) Apply(ctx context.Context, b graph.Batch) (graph.BatchResult, error) {
	f.calls++
	if f.calls == f.failAt {
		return graph.BatchResult{}, graph.Unavailable(errors.New("connection reset"), "the database went away")
	}
	return f.Store.Apply(ctx, b)
}

func TestBatchedApply(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		e.BatchSize = 2
		e.Policy.RetireAfterRuns = 1
		e.Policy.MaxStaleFraction = 0
		items := append(hosts(1, 2, 3, 4, 5), importers.Item{Class: graph.ClassApplication, Name: "shop",
			Identifiers: []graph.Identifier{id("hostname", "shop")}, At: "app"})
		links := []importers.Link{
			{From: id("hostname", "shop"), Type: graph.RelRunsOn, To: id("ip", "10.0.0.1")},
			{From: id("hostname", "shop"), Type: graph.RelRunsOn, To: id("ip", "10.0.0.2")},
			{From: id("hostname", "shop"), Type: graph.RelRunsOn, To: id("ip", "10.0.0.3")},
		}
		run, _ := mustRun(t, e, nmapReq, feed{items: items, links: links})
		wantCounts(t, run, importers.Counts{Created: 6, RelationsCreated: 3})
		c.tick()
		run, _ = mustRun(t, e, nmapReq, feed{items: items, links: links})
		wantCounts(t, run, importers.Counts{Unchanged: 6})

		// The database goes away in the middle of a run that drops host 5
		// and a relation and changes host 1: the run fails, nothing is
		// stale or retired, and running it again finishes the job.
		c.tick()
		changed := append(hosts(1, 2, 3, 4), items[5])
		changed[0].Attributes["nmap.os"] = "FreeBSD"
		fs := &failingStore{Store: s, failAt: 2} // the batch that retires host 5
		e.Store = fs
		run, _, err := e.Run(context.Background(), nmapReq, feed{items: changed, links: links[:2]}.read)
		if err == nil || run.Outcome != importers.OutcomeInterrupted || !strings.Contains(run.Error, "run the import again") {
			t.Fatalf("run through a failing store: %v, outcome %s, error %q", err, run.Outcome, run.Error)
		}
		if ci := ciByIdent(t, s, id("ip", "10.0.0.5")); ci.Status != graph.StatusInService {
			t.Fatalf("a failed run retired host 5")
		}
		sg, err := s.Sightings(context.Background(), graph.ScopeKey{Source: "nmap", Scope: nmapReq.Scope})
		if err != nil || len(sg) != 9 {
			t.Fatalf("sightings %d, %v: want 6 CIs and 3 relations", len(sg), err)
		}
		for _, x := range sg {
			if x.Stale() {
				t.Fatalf("a failed run marked %+v stale", x)
			}
		}
		e.Store = s
		c.tick()
		run, _ = mustRun(t, e, nmapReq, feed{items: changed, links: links[:2]})
		if run.Counts.Retired != 1 || run.Counts.RelationsRemoved != 1 || run.Counts.Created != 0 {
			t.Fatalf("re-run after the failure: %+v, want host 5 retired and one relation removed", run.Counts)
		}
		if ci := ciByIdent(t, s, id("ip", "10.0.0.1")); ci.Attributes["nmap.os"] != "FreeBSD" {
			t.Fatalf("host 1 os %v after the re-run", ci.Attributes["nmap.os"])
		}
	})
}

func TestRetirementRespectsOthers(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		e, c := newEngine(s)
		e.Policy.RetireAfterRuns = 1
		e.Policy.MaxStaleFraction = 0
		app := importers.Item{Class: graph.ClassApplication, Name: "shop", Identifiers: []graph.Identifier{id("hostname", "shop")}, At: "app"}
		link := importers.Link{From: id("hostname", "shop"), Type: graph.RelRunsOn, To: id("ip", "10.0.0.1")}
		mustRun(t, e, nmapReq, feed{items: append(hosts(1, 2), app), links: []importers.Link{link}})
		// Another source reports the same relation.
		mustRun(t, e, importers.Request{Format: "csv", Source: "cmdb-export", Scope: "apps.csv"},
			feed{items: append(hosts(1), app), links: []importers.Link{link}})
		// A person puts host 2 into maintenance.
		h2 := ciByIdent(t, s, id("ip", "10.0.0.2"))
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: h2.ID, Status: ptr(graph.StatusMaintenance)}); err != nil {
			t.Fatal(err)
		}
		c.tick()
		// nmap no longer sees host 2 nor the relation.
		run, plan := mustRun(t, e, nmapReq, feed{items: append(hosts(1), app)})
		if run.Counts.Retired != 0 || run.Counts.RelationsRemoved != 0 {
			t.Fatalf("counts %+v: want nothing retired or removed", run.Counts)
		}
		if len(plan.Stale) != 1 || plan.Stale[0].StatusOwnedBy != graph.SourceManual {
			t.Fatalf("stale %+v, want host 2 kept by its manual status", plan.Stale)
		}
		if got := ciByIdent(t, s, id("ip", "10.0.0.2")); got.Status != graph.StatusMaintenance {
			t.Fatalf("host 2 status %s, want the person's MAINTENANCE", got.Status)
		}
		rels, err := s.RelationsOf(ctx, []string{ciByIdent(t, s, id("hostname", "shop")).ID}, graph.Outgoing, nil)
		if err != nil || len(rels) != 1 {
			t.Fatalf("relations %+v, %v: want the relation the export still reports", rels, err)
		}
		// "manual" is not a name an import may take.
		_, _, err = e.Run(ctx, importers.Request{Format: "csv", Source: graph.SourceManual, Scope: "x"}, feed{items: hosts(1)}.read)
		if graph.ErrorField(err) != "source" {
			t.Fatalf("source manual: %v, want an error on source", err)
		}
	})
}

func TestReusedAddressIsNotMerged(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		req := importers.Request{Format: "json", Source: "inventory", Scope: "dc1"}
		server := func(serial string) importers.Item {
			return importers.Item{Class: graph.ClassServer, Name: "db-" + serial,
				Identifiers: []graph.Identifier{id("serial", serial), id("ip", "10.0.0.5")}, At: "records[0]"}
		}
		mustRun(t, e, req, feed{items: []importers.Item{server("OLD-1")}})
		c.tick()
		// New hardware got the old box's address.
		run, plan := mustRun(t, e, req, feed{items: []importers.Item{server("NEW-2")}})
		if len(plan.Problems) != 1 || plan.Problems[0].Code != importers.ProblemAmbiguous ||
			!strings.Contains(plan.Problems[0].Message, "serial") || run.Counts.Updated != 0 {
			t.Fatalf("problems %+v counts %+v: want the new serial reported, not merged", plan.Problems, run.Counts)
		}
		if ci := ciByIdent(t, s, id("serial", "OLD-1")); len(ci.Identifiers) != 2 {
			t.Fatalf("old CI identifiers %v: the new serial must not be added", ci.Identifiers)
		}
	})
}

// TestMachinesAcrossSources: host-like items meet by the host identifiers
// every importer shares, and a cloud instance, like a serial number, tells
// two machines apart when only a weaker rule (a reused address) matched.
func TestMachinesAcrossSources(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e, c := newEngine(s)
		tf := importers.Request{Format: "terraform", Scope: "tf:lineage"}
		vm := func(addr, instance, ip string) importers.Item {
			return importers.Item{Class: graph.ClassVirtualMachine, Name: addr,
				Identifiers: []graph.Identifier{id("tf-address", "lineage/"+addr), id("cloud-instance", "aws:"+instance), id("ip", ip)},
				At:          addr}
		}
		// nmap saw the host first, as a Server.
		mustRun(t, e, nmapReq, feed{items: hosts(5)})
		c.tick()
		run, _ := mustRun(t, e, tf, feed{items: []importers.Item{vm("aws_instance.a", "i-1", "10.0.0.5")}})
		wantCounts(t, run, importers.Counts{Updated: 1})
		ci := ciByIdent(t, s, id("ip", "10.0.0.5"))
		if ci.Class != graph.ClassVirtualMachine || ci.Name != "aws_instance.a" {
			t.Fatalf("the scanned host, once Terraform reports it: %s %q, want the VirtualMachine", ci.Class, ci.Name)
		}
		// Replaced at the same address (a new instance): the state address
		// ranks above the instance, so it is the same CI.
		c.tick()
		run, _ = mustRun(t, e, tf, feed{items: []importers.Item{vm("aws_instance.a", "i-2", "10.0.0.5")}})
		wantCounts(t, run, importers.Counts{Updated: 1})
		// Another instance on the address, at another state address:
		// matched only by its IP, its instance differs: not merged.
		c.tick()
		run, plan := mustRun(t, e, importers.Request{Format: "terraform", Scope: "tf:other"},
			feed{items: []importers.Item{vm("aws_instance.b", "i-3", "10.0.0.5")}})
		if len(plan.Problems) != 1 || plan.Problems[0].Code != importers.ProblemAmbiguous ||
			!strings.Contains(plan.Problems[0].Message, "cloud-instance") || run.Counts.Updated+run.Counts.Created != 0 {
			t.Fatalf("problems %+v counts %+v: want the other instance reported, not merged", plan.Problems, run.Counts)
		}
		// A CloudResource imported before its type was mapped becomes what
		// it is; nothing else changes class.
		c.tick()
		db := importers.Item{Class: graph.ClassCloudResource, Name: "main-db", Identifiers: []graph.Identifier{id("cloud-id", "arn:db")}}
		mustRun(t, e, importers.Request{Format: "terraform", Scope: "tf:db"}, feed{items: []importers.Item{db}})
		db.Class = graph.ClassDatabase
		run, _ = mustRun(t, e, importers.Request{Format: "terraform", Scope: "tf:db"}, feed{items: []importers.Item{db}})
		if got := ciByIdent(t, s, id("cloud-id", "arn:db")); got.Class != graph.ClassDatabase || run.Plan.Updates[0].Changes[0].Field != "class" {
			t.Fatalf("refined: %s, changes %+v", got.Class, run.Plan.Updates)
		}
		db.Class = graph.ClassApplication
		run, _ = mustRun(t, e, importers.Request{Format: "terraform", Scope: "tf:db"}, feed{items: []importers.Item{db}})
		if got := ciByIdent(t, s, id("cloud-id", "arn:db")); got.Class != graph.ClassDatabase || run.Counts.Unchanged != 1 {
			t.Fatalf("a Database reported as an Application: %s, counts %+v", got.Class, run.Counts)
		}
	})
}

// TestInterruptedRunCountsWhatWasWritten: a store that fails part-way
// leaves a run whose counts are the batches written, not the plan, and the
// run returned is the run recorded.
func TestInterruptedRunCountsWhatWasWritten(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		e, _ := newEngine(s)
		e.BatchSize = 2 // one upsert and its sighting per batch
		e.Store = &failingStore{Store: s, failAt: 4}
		run, _, err := e.Run(ctx, nmapReq, feed{items: hosts(1, 2, 3, 4, 5, 6)}.read)
		var intr *importers.InterruptedError
		if !errors.As(err, &intr) || run.Outcome != importers.OutcomeInterrupted {
			t.Fatalf("run through a failing store: %v, outcome %s", err, run.Outcome)
		}
		cis, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		if cis.TotalCount != 3 || run.Counts.Created != 3 || run.Counts.Items != 6 {
			t.Fatalf("%d CIs written, run counts %+v: want 3 created of 6 items", cis.TotalCount, run.Counts)
		}
		stored, err := importers.GetRun(ctx, s, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Outcome != run.Outcome || stored.Counts != run.Counts || stored.Error != run.Error || stored.Progress != nil || stored.Heartbeat != nil {
			t.Fatalf("stored %s %+v %q, returned %s %+v %q", stored.Outcome, stored.Counts, stored.Error, run.Outcome, run.Counts, run.Error)
		}
	})
}

// TestReclaimAbandonedRun: a RUNNING run whose lease expired is recovered
// by the next run of its scope as INTERRUPTED, with the batches its
// scope's generation says were committed; a live one is left alone.
func TestReclaimAbandonedRun(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		e, c := newEngine(s)
		// A run of the scope wrote one batch (generation 0 → 1) of the
		// two its record lists, then its process died.
		mustRun(t, e, nmapReq, feed{items: hosts(1)})
		started := c.now()
		abandoned := importers.Run{ID: graph.NewID(), Format: "nmap", Source: "nmap", Scope: nmapReq.Scope, Started: started,
			Heartbeat: &started, Outcome: importers.OutcomeRunning, Counts: importers.Counts{Items: 5, Created: 5},
			Progress: &importers.Progress{FirstGeneration: 0, Batches: []importers.Counts{{Created: 2}, {Created: 3}}}}
		doc, err := json.Marshal(abandoned)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutRecord(ctx, graph.Record{Kind: graph.KindImportRun, ID: abandoned.ID, State: importers.OutcomeRunning,
			Start: &started, Refs: []string{"source:nmap", "scope:" + nmapReq.Scope, "run:nmap\x00" + nmapReq.Scope}, Doc: doc}, 0); err != nil {
			t.Fatal(err)
		}
		// Within its lease it is left alone.
		if n, err := e.Reclaim(ctx, importers.RunFilter{}); err != nil || n != 0 {
			t.Fatalf("reclaimed a live run: %d, %v", n, err)
		}
		c.t = c.t.Add(e.Lease() + time.Second)
		if run, _ := mustRun(t, e, nmapReq, feed{items: hosts(1)}); run.Outcome != importers.OutcomeSucceeded {
			t.Fatalf("next run: %s", run.Outcome)
		}
		got, err := importers.GetRun(ctx, s, abandoned.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Outcome != importers.OutcomeInterrupted || got.Finished == nil || got.Counts.Created != 2 || got.Counts.Items != 5 ||
			!strings.Contains(got.Error, "1 of 2 batches were written") {
			t.Fatalf("abandoned run: %s %v %+v %q", got.Outcome, got.Finished, got.Counts, got.Error)
		}
	})
}

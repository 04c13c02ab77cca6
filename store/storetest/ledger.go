package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

var ledgerCases = []testCase{
	{"provenance stamps changed fields and keeps owners of unchanged ones", testProvenance},
	{"unknown scope is empty", testUnknownScope},
	{"run records sightings by identifier refs", testLedgerFirstRun},
	{"second run updates last seen, missed and forgets", testLedgerSecondRun},
	{"a run sees every current sighting at once", testLedgerSeenCurrent},
	{"stale generation is a conflict and writes nothing", testLedgerFence},
	{"unresolved sighting ref writes nothing", testLedgerUnresolvedRef},
	{"bad ledger input names the field", testLedgerValidation},
	{"deleting a CI or a relation drops its sightings", testLedgerCleanup},
	{"scopes are independent", testLedgerScopes},
	{"relation sightings across scopes", testRelationSightings},
	{"lookup identifiers", testLookupIdentifiers},
	{"ledger writes are not audited", testLedgerNotAudited},
	{"a run sees relations its batch makes, not those it removes", testLedgerBatchRelations},
	{"unresolved or malformed refs name the ref", testLedgerRefErrors},
	{"provenance reads the same on every read path", testProvenanceReadPaths},
}

var scopeA = graph.ScopeKey{Source: "nmap", Scope: "nmap:127.0.0.2-4"}

// ledgerTime is a fixed, whole-millisecond time: every store keeps at least
// millisecond precision.
var ledgerTime = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func ledger(gen int64, at time.Time) *graph.LedgerWrite {
	return &graph.LedgerWrite{ScopeKey: scopeA, ExpectGeneration: gen, RunID: graph.NewID(), At: at}
}

func mustApply(ctx context.Context, t *testing.T, s graph.Store, b graph.Batch) graph.BatchResult {
	t.Helper()
	res, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func mustSightings(ctx context.Context, t *testing.T, s graph.Store, k graph.ScopeKey) []graph.Sighting {
	t.Helper()
	got, err := s.Sightings(ctx, k)
	if err != nil {
		t.Fatalf("Sightings(%v): %v", k, err)
	}
	return got
}

func sameTime(a, b time.Time) bool { return a.Equal(b) }

func testProvenance(ctx context.Context, t *testing.T, s graph.Store) {
	in := Input("web-1", graph.ClassServer, Ident("ip", "127.0.0.2"))
	in.Attributes = map[string]any{"nmap.os": "Linux", "nmap.ports": []any{22.0}}
	in.Owner = Ptr("ops")
	in.Source, in.Scope = "nmap", "nmap:a"
	created := mustUpsert(ctx, t, s, in)
	for _, f := range []string{graph.FieldName, graph.FieldStatus, graph.FieldCriticality, graph.FieldOwner,
		graph.AttributeField("nmap.os"), graph.AttributeField("nmap.ports")} {
		o, ok := created.Provenance[f]
		if !ok || o.Source != "nmap" || o.Scope != "nmap:a" || o.Since.IsZero() {
			t.Fatalf("provenance[%s] = %+v, %v; want nmap/nmap:a", f, o, ok)
		}
	}
	if _, ok := created.Provenance[graph.FieldEnvironment]; ok {
		t.Fatalf("provenance has environment though none is set: %+v", created.Provenance)
	}
	// A manual edit of the owner takes the owner only; the same attributes
	// written again by another source keep their first owner.
	upd := graph.CIInput{ID: created.ID, Owner: Ptr("payments-team"),
		Attributes: map[string]any{"nmap.os": "Linux", "k8s.kind": "Node"}}
	res, err := s.UpsertCI(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	got := mustGet(ctx, t, s, created.ID)
	if !res.Changed {
		t.Fatal("update reported unchanged")
	}
	checks := map[string]string{
		graph.FieldOwner:                   graph.SourceManual,
		graph.FieldName:                    "nmap",
		graph.AttributeField("nmap.os"):    "nmap",
		graph.AttributeField("k8s.kind"):   graph.SourceManual,
		graph.AttributeField("nmap.ports"): "",
	}
	for f, want := range checks {
		o, ok := got.Provenance[f]
		if want == "" {
			if ok {
				t.Errorf("provenance[%s] = %+v after the attribute was removed", f, o)
			}
			continue
		}
		if o.Source != want {
			t.Errorf("provenance[%s].source = %q, want %q", f, o.Source, want)
		}
	}
	if got.Provenance[graph.FieldOwner].Scope != "" {
		t.Errorf("manual origin has a scope: %+v", got.Provenance[graph.FieldOwner])
	}
	// An identical write changes nothing, provenance included.
	res, err = s.UpsertCI(ctx, graph.CIInput{ID: created.ID, Owner: Ptr("payments-team"), Source: "csv", Scope: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.CI.Provenance[graph.FieldOwner].Source != graph.SourceManual {
		t.Fatalf("identical write changed=%v provenance %+v", res.Changed, res.CI.Provenance[graph.FieldOwner])
	}
}

func testUnknownScope(ctx context.Context, t *testing.T, s graph.Store) {
	st, err := s.Scope(ctx, scopeA)
	if err != nil {
		t.Fatal(err)
	}
	if st.Generation != 0 || st.LastRun != "" || st.ScopeKey != scopeA {
		t.Fatalf("Scope = %+v, want generation 0", st)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 0 {
		t.Fatalf("Sightings = %+v, want none", got)
	}
	_, err = s.Scope(ctx, graph.ScopeKey{Source: "Bad Source", Scope: "x"})
	WantErr(t, err, graph.CodeInvalidInput, "source")
}

// firstRun imports two hosts and an app running on one of them.
func firstRun(ctx context.Context, t *testing.T, s graph.Store) (host1, host2, app graph.CI, run *graph.LedgerWrite) {
	t.Helper()
	run = ledger(0, ledgerTime)
	run.SeenCIs = []graph.CIRef{byIdent("ip", "127.0.0.2"), byIdent("ip", "127.0.0.3"), byIdent("hostname", "shop")}
	rel := graph.BatchRelation{From: byIdent("hostname", "shop"), Type: graph.RelRunsOn, To: byIdent("ip", "127.0.0.2")}
	run.SeenRelations = []graph.BatchRelation{rel}
	res := mustApply(ctx, t, s, graph.Batch{
		Upserts: []graph.CIInput{
			Input("host-1", graph.ClassServer, Ident("ip", "127.0.0.2")),
			Input("host-2", graph.ClassServer, Ident("ip", "127.0.0.3")),
			Input("shop", graph.ClassApplication, Ident("hostname", "shop")),
		},
		Relate: []graph.BatchRelation{rel},
		Ledger: run,
	})
	return res.CIs[0], res.CIs[1], res.CIs[2], run
}

func testLedgerFirstRun(ctx context.Context, t *testing.T, s graph.Store) {
	host1, host2, app, run := firstRun(ctx, t, s)
	st, err := s.Scope(ctx, scopeA)
	if err != nil {
		t.Fatal(err)
	}
	if st.Generation != 1 || st.LastRun != run.RunID || !sameTime(st.LastApplied, ledgerTime) {
		t.Fatalf("Scope = %+v, want generation 1 by run %s at %v", st, run.RunID, ledgerTime)
	}
	got := mustSightings(ctx, t, s, scopeA)
	if len(got) != 4 {
		t.Fatalf("Sightings = %+v, want 3 CIs and 1 relation", got)
	}
	ids := sortedIDs(host1, host2, app)
	for i, id := range ids {
		sg := got[i]
		if sg.CI != id || sg.Relation != nil || sg.ScopeKey != scopeA || sg.LastRun != run.RunID ||
			!sameTime(sg.FirstSeen, ledgerTime) || !sameTime(sg.LastSeen, ledgerTime) || sg.Missed != 0 {
			t.Fatalf("sighting %d = %+v, want CI %s seen by run %s", i, sg, id, run.RunID)
		}
	}
	want := graph.RelationKey{From: app.ID, Type: graph.RelRunsOn, To: host1.ID}
	if r := got[3]; r.CI != "" || r.Relation == nil || *r.Relation != want || r.LastRun != run.RunID {
		t.Fatalf("relation sighting = %+v, want %+v", r, want)
	}
	of, err := s.SightingsOf(ctx, []string{host1.ID, graph.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(of) != 1 || len(of[host1.ID]) != 1 || of[host1.ID][0].ScopeKey != scopeA {
		t.Fatalf("SightingsOf = %+v, want one sighting of host-1", of)
	}
}

func sortedIDs(cis ...graph.CI) []string {
	ids := make([]string, len(cis))
	for i, c := range cis {
		ids[i] = c.ID
	}
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j] < ids[i] {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	return ids
}

func testLedgerSecondRun(ctx context.Context, t *testing.T, s graph.Store) {
	host1, host2, app, _ := firstRun(ctx, t, s)
	later := ledgerTime.Add(time.Hour)
	run := ledger(1, later)
	run.SeenCIs = []graph.CIRef{{ID: host1.ID}}
	run.MissedCIs = []graph.MissedCI{{CI: host2.ID, Missed: 1}}
	run.ForgetCIs = []string{app.ID, graph.NewID()}
	rk := graph.RelationKey{From: app.ID, Type: graph.RelRunsOn, To: host1.ID}
	run.MissedRelations = []graph.MissedRelation{{Relation: rk, Missed: 2}}
	mustApply(ctx, t, s, graph.Batch{Ledger: run})
	got := mustSightings(ctx, t, s, scopeA)
	if len(got) != 3 {
		t.Fatalf("Sightings = %+v, want host-1, host-2 and the relation", got)
	}
	byCI := map[string]graph.Sighting{}
	var rel graph.Sighting
	for _, sg := range got {
		if sg.Relation != nil {
			rel = sg
		} else {
			byCI[sg.CI] = sg
		}
	}
	h1 := byCI[host1.ID]
	if !sameTime(h1.FirstSeen, ledgerTime) || !sameTime(h1.LastSeen, later) || h1.LastRun != run.RunID || h1.Missed != 0 {
		t.Fatalf("host-1 sighting = %+v, want first %v last %v", h1, ledgerTime, later)
	}
	h2 := byCI[host2.ID]
	if !h2.Stale() || h2.Missed != 1 || !sameTime(h2.LastSeen, ledgerTime) || h2.LastRun == run.RunID {
		t.Fatalf("host-2 sighting = %+v, want missed 1, last seen by the first run", h2)
	}
	if rel.Missed != 2 || rel.Relation == nil || *rel.Relation != rk {
		t.Fatalf("relation sighting = %+v, want missed 2", rel)
	}
	st, _ := s.Scope(ctx, scopeA)
	if st.Generation != 2 || st.LastRun != run.RunID {
		t.Fatalf("Scope = %+v, want generation 2", st)
	}
}

// testLedgerSeenCurrent: SeenCurrent sees again what is current after the
// write's misses, on every read path; a sighting missed later keeps the
// run that last saw it, and one seen again explicitly takes the new run.
func testLedgerSeenCurrent(ctx context.Context, t *testing.T, s graph.Store) {
	host1, host2, app, first := firstRun(ctx, t, s)
	rk := graph.RelationKey{From: app.ID, Type: graph.RelRunsOn, To: host1.ID}
	type want struct {
		last   time.Time
		run    string
		missed int
	}
	check := func(step string, wants map[string]want, rel want) {
		t.Helper()
		got := mustSightings(ctx, t, s, scopeA)
		if len(got) != 4 {
			t.Fatalf("%s: Sightings = %+v, want 3 CIs and the relation", step, got)
		}
		of, err := s.SightingsOf(ctx, []string{host1.ID, host2.ID, app.ID})
		if err != nil {
			t.Fatal(err)
		}
		rels, err := s.RelationSightings(ctx, []graph.RelationKey{rk})
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range got {
			w, other := rel, rels[rk]
			if sg.Relation == nil {
				w, other = wants[sg.CI], of[sg.CI]
			}
			if len(other) != 1 || !sameSighting(other[0], sg) {
				t.Fatalf("%s: sighting %+v reads %+v by subject", step, sg, other)
			}
			if !sameTime(sg.LastSeen, w.last) || sg.LastRun != w.run || sg.Missed != w.missed || !sameTime(sg.FirstSeen, ledgerTime) {
				t.Fatalf("%s: sighting %+v, want last seen %v by %s, missed %d", step, sg, w.last, w.run, w.missed)
			}
		}
	}
	// Run 2 misses host-2 and sees the rest by the stamp alone.
	t2 := ledgerTime.Add(time.Hour)
	run2 := ledger(1, t2)
	run2.MissedCIs = []graph.MissedCI{{CI: host2.ID, Missed: 1}}
	run2.SeenCurrent = true
	mustApply(ctx, t, s, graph.Batch{Ledger: run2})
	check("run 2", map[string]want{host1.ID: {t2, run2.RunID, 0}, host2.ID: {ledgerTime, first.RunID, 1}, app.ID: {t2, run2.RunID, 0}},
		want{t2, run2.RunID, 0})
	// Run 3 misses host-1 (last seen by run 2's stamp) and sees host-2
	// again by name.
	t3 := t2.Add(time.Hour)
	run3 := ledger(2, t3)
	run3.SeenCIs = []graph.CIRef{{ID: host2.ID}}
	run3.MissedCIs = []graph.MissedCI{{CI: host1.ID, Missed: 1}}
	run3.SeenCurrent = true
	mustApply(ctx, t, s, graph.Batch{Ledger: run3})
	check("run 3", map[string]want{host1.ID: {t2, run2.RunID, 1}, host2.ID: {t3, run3.RunID, 0}, app.ID: {t3, run3.RunID, 0}},
		want{t3, run3.RunID, 0})
	// Run 4 names only the relation and stamps nothing: the others keep
	// run 3's stamp.
	t4 := t3.Add(time.Hour)
	run4 := ledger(3, t4)
	run4.SeenRelations = []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelRunsOn, To: graph.CIRef{ID: host1.ID}}}
	mustApply(ctx, t, s, graph.Batch{Ledger: run4})
	check("run 4", map[string]want{host1.ID: {t2, run2.RunID, 1}, host2.ID: {t3, run3.RunID, 0}, app.ID: {t3, run3.RunID, 0}},
		want{t4, run4.RunID, 0})
}

// sameSighting compares sightings by value, relation keys included.
func sameSighting(a, b graph.Sighting) bool {
	if (a.Relation == nil) != (b.Relation == nil) || (a.Relation != nil && *a.Relation != *b.Relation) {
		return false
	}
	a.Relation, b.Relation = nil, nil
	return a.ScopeKey == b.ScopeKey && a.CI == b.CI && a.LastRun == b.LastRun && a.Missed == b.Missed &&
		a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen)
}

func testLedgerFence(ctx context.Context, t *testing.T, s graph.Store) {
	firstRun(ctx, t, s)
	run := ledger(0, ledgerTime.Add(time.Hour)) // read before the first run applied
	run.SeenCIs = []graph.CIRef{byIdent("ip", "127.0.0.9")}
	_, err := s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{Input("late", graph.ClassServer, Ident("ip", "127.0.0.9"))},
		Ledger:  run,
	})
	WantErr(t, err, graph.CodeConflict, "ledger.generation")
	if n := countCIs(ctx, t, s); n != 3 {
		t.Fatalf("%d CIs after a fenced-off run, want the first run's 3", n)
	}
	if st, _ := s.Scope(ctx, scopeA); st.Generation != 1 {
		t.Fatalf("generation %d after a fenced-off run, want 1", st.Generation)
	}
}

func testLedgerUnresolvedRef(ctx context.Context, t *testing.T, s graph.Store) {
	run := ledger(0, ledgerTime)
	run.SeenCIs = []graph.CIRef{byIdent("ip", "127.0.0.2"), byIdent("ip", "10.9.9.9")}
	_, err := s.Apply(ctx, graph.Batch{
		Upserts: []graph.CIInput{Input("host-1", graph.ClassServer, Ident("ip", "127.0.0.2"))},
		Ledger:  run,
	})
	WantErr(t, err, graph.CodeNotFound, "ledger.seenCIs[1]")
	if n := countCIs(ctx, t, s); n != 0 {
		t.Fatalf("%d CIs after a failed batch, want 0", n)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 0 {
		t.Fatalf("sightings after a failed batch: %+v", got)
	}
	run = ledger(0, ledgerTime)
	run.SeenRelations = []graph.BatchRelation{{From: byIdent("ip", "127.0.0.2"), Type: graph.RelRunsOn, To: byIdent("ip", "127.0.0.3")}}
	_, err = s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{
		Input("a", graph.ClassApplication, Ident("ip", "127.0.0.2")),
		Input("b", graph.ClassServer, Ident("ip", "127.0.0.3")),
	}, Ledger: run})
	WantErr(t, err, graph.CodeNotFound, "ledger.seenRelations[0]")
}

func testLedgerValidation(ctx context.Context, t *testing.T, s graph.Store) {
	tests := []struct {
		name  string
		edit  func(w *graph.LedgerWrite)
		field string
	}{
		{"bad source", func(w *graph.LedgerWrite) { w.Source = "NMAP!" }, "ledger.source"},
		{"no scope", func(w *graph.LedgerWrite) { w.Scope = "" }, "ledger.scope"},
		{"bad run id", func(w *graph.LedgerWrite) { w.RunID = "run-1" }, "ledger.runId"},
		{"no time", func(w *graph.LedgerWrite) { w.At = time.Time{} }, "ledger.at"},
		{"time out of range", func(w *graph.LedgerWrite) { w.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "ledger.at"},
		{"control character in scope", func(w *graph.LedgerWrite) { w.Scope = "prod\x00eu" }, "ledger.scope"},
		{"invalid UTF-8 in scope", func(w *graph.LedgerWrite) { w.Scope = "export-\xff.csv" }, "ledger.scope"},
		{"negative missed", func(w *graph.LedgerWrite) {
			w.MissedCIs = []graph.MissedCI{{CI: graph.NewID(), Missed: -1}}
		}, "ledger.missedCIs[0].missed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := ledger(0, ledgerTime)
			tc.edit(w)
			_, err := s.Apply(ctx, graph.Batch{Ledger: w})
			WantErr(t, err, graph.CodeInvalidInput, tc.field)
		})
	}
}

func testLedgerCleanup(ctx context.Context, t *testing.T, s graph.Store) {
	host1, host2, app, _ := firstRun(ctx, t, s)
	if _, err := s.Unrelate(ctx, app.ID, graph.RelRunsOn, host1.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 3 {
		t.Fatalf("after Unrelate: %+v, want the 3 CI sightings only", got)
	}
	if _, err := s.Relate(ctx, app.ID, graph.RelRunsOn, host2.ID); err != nil {
		t.Fatal(err)
	}
	run := ledger(1, ledgerTime.Add(time.Minute))
	run.SeenRelations = []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelRunsOn, To: graph.CIRef{ID: host2.ID}}}
	mustApply(ctx, t, s, graph.Batch{Ledger: run})
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 4 {
		t.Fatalf("before DeleteCI: %+v, want 3 CIs and 1 relation", got)
	}
	if err := s.DeleteCI(ctx, host2.ID); err != nil {
		t.Fatal(err)
	}
	got := mustSightings(ctx, t, s, scopeA)
	if len(got) != 2 {
		t.Fatalf("after DeleteCI: %+v, want host-1 and shop only", got)
	}
	for _, sg := range got {
		if sg.CI == host2.ID || sg.Relation != nil {
			t.Fatalf("sighting %+v survived the deletion of host-2", sg)
		}
	}
	of, err := s.SightingsOf(ctx, []string{host2.ID})
	if err != nil || len(of) != 0 {
		t.Fatalf("SightingsOf(deleted) = %+v, %v", of, err)
	}
}

func testLedgerScopes(ctx context.Context, t *testing.T, s graph.Store) {
	host1, _, _, _ := firstRun(ctx, t, s)
	other := graph.ScopeKey{Source: "kubernetes", Scope: "prod"}
	run := &graph.LedgerWrite{ScopeKey: other, RunID: graph.NewID(), At: ledgerTime, SeenCIs: []graph.CIRef{{ID: host1.ID}}}
	mustApply(ctx, t, s, graph.Batch{Ledger: run})
	if got := mustSightings(ctx, t, s, other); len(got) != 1 || got[0].CI != host1.ID {
		t.Fatalf("Sightings(other) = %+v", got)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 4 {
		t.Fatalf("Sightings(A) = %d sightings after another scope's run, want 4", len(got))
	}
	of, err := s.SightingsOf(ctx, []string{host1.ID})
	if err != nil {
		t.Fatal(err)
	}
	list := of[host1.ID]
	if len(list) != 2 || list[0].Source != "kubernetes" || list[1].Source != "nmap" {
		t.Fatalf("SightingsOf = %+v, want kubernetes then nmap", list)
	}
	if st, _ := s.Scope(ctx, scopeA); st.Generation != 1 {
		t.Fatalf("another scope's run moved A's generation to %d", st.Generation)
	}
}

func testLookupIdentifiers(ctx context.Context, t *testing.T, s graph.Store) {
	a := mustCI(ctx, t, s, "a", graph.ClassServer, Ident("fqdn", "a.example.com"), Ident("ip", "10.0.0.1"))
	b := mustCI(ctx, t, s, "b", graph.ClassServer, Ident("serial", "SN-1"))
	q := []graph.Identifier{Ident("fqdn", " A.Example.COM"), Ident("ip", "10.0.0.1"), Ident("serial", "SN-1"),
		Ident("serial", "sn-1"), Ident("ip", "10.0.0.2")}
	got, err := s.LookupIdentifiers(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := map[graph.Identifier]string{q[0]: a.ID, q[1]: a.ID, q[2]: b.ID}
	if len(got) != len(want) {
		t.Fatalf("LookupIdentifiers = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("LookupIdentifiers[%v] = %q, want %q", k, got[k], v)
		}
	}
	if got, err := s.LookupIdentifiers(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("LookupIdentifiers(nil) = %v, %v", got, err)
	}
}

func testLedgerNotAudited(ctx context.Context, t *testing.T, s graph.Store) {
	host1, _, _, _ := firstRun(ctx, t, s)
	before, err := s.History(ctx, host1.ID, graph.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	run := ledger(1, ledgerTime.Add(time.Hour))
	run.SeenCIs = []graph.CIRef{{ID: host1.ID}}
	res := mustApply(ctx, t, s, graph.Batch{
		Upserts: []graph.CIInput{{ID: host1.ID, Name: Ptr("host-1")}},
		Ledger:  run,
	})
	if res.Unchanged != 1 {
		t.Fatalf("result %+v, want the identical upsert unchanged", res)
	}
	after, err := s.History(ctx, host1.ID, graph.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Entries) != len(before.Entries) {
		t.Fatalf("history grew from %d to %d entries on a ledger-only change", len(before.Entries), len(after.Entries))
	}
}

func testRelationSightings(ctx context.Context, t *testing.T, s graph.Store) {
	host1, _, app, run := firstRun(ctx, t, s)
	rk := graph.RelationKey{From: app.ID, Type: graph.RelRunsOn, To: host1.ID}
	other := &graph.LedgerWrite{ScopeKey: graph.ScopeKey{Source: "csv", Scope: "apps.csv"}, RunID: graph.NewID(), At: ledgerTime,
		SeenRelations: []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelRunsOn, To: graph.CIRef{ID: host1.ID}}}}
	mustApply(ctx, t, s, graph.Batch{Ledger: other})
	unknown := graph.RelationKey{From: host1.ID, Type: graph.RelDependsOn, To: app.ID}
	got, err := s.RelationSightings(ctx, []graph.RelationKey{rk, unknown})
	if err != nil {
		t.Fatal(err)
	}
	list := got[rk]
	if len(got) != 1 || len(list) != 2 || list[0].Source != "csv" || list[1].Source != "nmap" || list[1].LastRun != run.RunID ||
		list[0].Relation == nil || *list[0].Relation != rk || list[0].CI != "" {
		t.Fatalf("RelationSightings = %+v, want csv then nmap for %+v", got, rk)
	}
	if got, err := s.RelationSightings(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("RelationSightings(nil) = %v, %v", got, err)
	}
}

// testLedgerBatchRelations: a run may see relations its batch creates, by
// identifiers only the store knows, but not those its batch removes; batch
// unrelates and DeleteCI drop relation sightings in every scope.
func testLedgerBatchRelations(ctx context.Context, t *testing.T, s graph.Store) {
	other := graph.ScopeKey{Source: "kubernetes", Scope: "prod"}
	app := mustCI(ctx, t, s, "app", graph.ClassApplication, Ident("hostname", "app"))
	srv := mustCI(ctx, t, s, "srv", graph.ClassServer, Ident("serial", "S1"))
	rel := graph.BatchRelation{From: byIdent("hostname", " APP"), Type: graph.RelRunsOn, To: byIdent("serial", "S1")}
	otherRun := func(gen int64) *graph.LedgerWrite {
		return &graph.LedgerWrite{ScopeKey: other, ExpectGeneration: gen, RunID: graph.NewID(), At: ledgerTime,
			SeenRelations: []graph.BatchRelation{rel}}
	}

	// Created and seen in one batch, by identifiers the batch never upserts.
	run := ledger(0, ledgerTime)
	run.SeenCIs = []graph.CIRef{byIdent("hostname", "app"), {ID: srv.ID}, {ID: app.ID}}
	run.SeenRelations = []graph.BatchRelation{rel, rel}
	res := mustApply(ctx, t, s, graph.Batch{Relate: []graph.BatchRelation{rel}, Ledger: run})
	if res.RelationsCreated != 1 {
		t.Fatalf("Apply = %+v, want the relation created", res)
	}
	got := mustSightings(ctx, t, s, scopeA)
	if len(got) != 3 || got[2].Relation == nil || got[0].CI > got[1].CI {
		t.Fatalf("Sightings = %+v, want 2 CIs (by id) then the relation", got)
	}
	for _, sg := range got {
		if !sg.FirstSeen.Equal(run.At) || sg.FirstSeen.Location() != time.UTC || sg.LastRun != run.RunID {
			t.Fatalf("sighting %+v: want first seen %v (UTC) by %s", sg, run.At, run.RunID)
		}
	}
	mustApply(ctx, t, s, graph.Batch{Ledger: otherRun(0)})

	// Removed and seen in one batch: the relation does not exist after it.
	run = ledger(1, ledgerTime)
	run.SeenRelations = []graph.BatchRelation{rel}
	_, err := s.Apply(ctx, graph.Batch{Unrelate: []graph.BatchRelation{rel}, Ledger: run})
	WantErr(t, err, graph.CodeNotFound, "ledger.seenRelations[0]")
	if n := len(mustSightings(ctx, t, s, other)); n != 1 {
		t.Fatalf("a failed batch dropped sightings: %d left in %v", n, other)
	}

	// A batch unrelate drops the relation's sightings in both scopes.
	if res := mustApply(ctx, t, s, graph.Batch{Unrelate: []graph.BatchRelation{rel}}); res.RelationsRemoved != 1 {
		t.Fatalf("Apply(unrelate) = %+v, want 1 removed", res)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 2 || got[1].Relation != nil {
		t.Fatalf("after unrelate: %+v, want the CI sightings only", got)
	}
	if got := mustSightings(ctx, t, s, other); len(got) != 0 {
		t.Fatalf("after unrelate: %+v in %v, want none", got, other)
	}

	// DeleteCI drops the sightings of relations it is the target of.
	mustApply(ctx, t, s, graph.Batch{Relate: []graph.BatchRelation{rel}, Ledger: otherRun(1)})
	if err := s.DeleteCI(ctx, srv.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustSightings(ctx, t, s, other); len(got) != 0 {
		t.Fatalf("after deleting the relation's target: %+v, want none", got)
	}
	if got := mustSightings(ctx, t, s, scopeA); len(got) != 1 || got[0].CI != app.ID {
		t.Fatalf("after deleting srv: %+v, want app only", got)
	}
}

// testLedgerRefErrors: an unresolved end of a seen relation is NOT_FOUND
// on that end; malformed refs are INVALID_INPUT; nothing is written.
func testLedgerRefErrors(ctx context.Context, t *testing.T, s graph.Store) {
	app := mustCI(ctx, t, s, "app", graph.ClassApplication)
	other := mustCI(ctx, t, s, "other", graph.ClassApplication)
	mustRelate(ctx, t, s, app, graph.RelDependsOn, other)
	missing := graph.NewID()
	tests := []struct {
		name  string
		edit  func(w *graph.LedgerWrite)
		code  graph.Code
		field string
	}{
		{"missing CI", func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{{ID: app.ID}, {ID: missing}} }, graph.CodeNotFound, "ledger.seenCIs[1]"},
		{"empty ref", func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{{}} }, graph.CodeInvalidInput, "ledger.seenCIs[0]"},
		{"malformed id", func(w *graph.LedgerWrite) { w.SeenCIs = []graph.CIRef{{ID: "nope"}} }, graph.CodeInvalidInput, "ledger.seenCIs[0]"},
		{"missing relation end", func(w *graph.LedgerWrite) {
			w.SeenRelations = []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: graph.RelRunsOn, To: graph.CIRef{ID: missing}}}
		}, graph.CodeNotFound, "ledger.seenRelations[0].to"},
		{"missing relation before a missing end", func(w *graph.LedgerWrite) {
			w.SeenRelations = []graph.BatchRelation{
				{From: graph.CIRef{ID: other.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: app.ID}},
				{From: graph.CIRef{ID: app.ID}, Type: graph.RelRunsOn, To: graph.CIRef{ID: missing}},
			}
		}, graph.CodeNotFound, "ledger.seenRelations[0]"},
		{"missing relation after a good one", func(w *graph.LedgerWrite) {
			w.SeenCIs = []graph.CIRef{{ID: app.ID}, {ID: other.ID}}
			w.SeenRelations = []graph.BatchRelation{
				{From: graph.CIRef{ID: app.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: other.ID}},
				{From: graph.CIRef{ID: other.ID}, Type: graph.RelDependsOn, To: graph.CIRef{ID: app.ID}},
			}
		}, graph.CodeNotFound, "ledger.seenRelations[1]"},
		{"unknown relation type", func(w *graph.LedgerWrite) {
			w.SeenRelations = []graph.BatchRelation{{From: graph.CIRef{ID: app.ID}, Type: "NOPE", To: graph.CIRef{ID: missing}}}
		}, graph.CodeInvalidInput, "ledger.seenRelations[0].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ledger(0, ledgerTime)
			tt.edit(w)
			_, err := s.Apply(ctx, graph.Batch{Ledger: w})
			WantErr(t, err, tt.code, tt.field)
		})
	}
	if st, err := s.Scope(ctx, scopeA); err != nil || st.Generation != 0 {
		t.Fatalf("Scope = %+v, %v after failed runs", st, err)
	}
}

// testProvenanceReadPaths: every read path returns the provenance the
// upsert computed, exactly, and clearing attributes drops their origins.
func testProvenanceReadPaths(ctx context.Context, t *testing.T, s graph.Store) {
	in := Input("web", graph.ClassServer, Ident("ip", "10.0.0.1"))
	in.Attributes = map[string]any{"os": "Linux"}
	in.Source, in.Scope = "nmap", "nmap:10.0.0.0/24"
	res, err := s.UpsertCI(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := res.CI.Provenance
	if len(want) != 4 || want[graph.AttributeField("os")].Source != "nmap" {
		t.Fatalf("upsert provenance = %+v", want)
	}
	check := func(how string, ci graph.CI) {
		t.Helper()
		if len(ci.Provenance) != len(want) {
			t.Fatalf("%s: provenance %+v, want %+v", how, ci.Provenance, want)
		}
		for k, o := range want {
			g := ci.Provenance[k]
			if g.Source != o.Source || g.Scope != o.Scope || !g.Since.Equal(o.Since) {
				t.Fatalf("%s: provenance[%s] = %+v, want %+v", how, k, g, o)
			}
		}
	}
	check("GetCI", mustGet(ctx, t, s, res.CI.ID))
	byID, err := s.CIsByIDs(ctx, []string{res.CI.ID})
	if err != nil {
		t.Fatal(err)
	}
	check("CIsByIDs", byID[res.CI.ID])
	page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{})
	if err != nil || len(page.CIs) != 1 {
		t.Fatalf("ListCIs = %+v, %v", page, err)
	}
	check("ListCIs", page.CIs[0])
	// A traversal returns CI heads, without provenance (graph.Node).
	sub, err := s.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{res.CI.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if head := sub.Nodes[res.CI.ID].CI; head != res.CI.Head() {
		t.Fatalf("Neighbourhood: head %+v, want %+v", head, res.CI.Head())
	}
	upd, err := s.UpsertCI(ctx, graph.CIInput{ID: res.CI.ID, Attributes: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if want = upd.CI.Provenance; len(want) == 0 || want[graph.AttributeField("os")] != (graph.Origin{}) {
		t.Fatalf("provenance after clearing the attributes: %+v, want the attribute's origin gone", want)
	}
	check("GetCI after clearing attributes", mustGet(ctx, t, s, res.CI.ID))
}

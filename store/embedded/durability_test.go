package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

func TestReopenGivesIdenticalReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	ids := storetest.BuildRandomGraph(t, s, 120, 400, 11)
	if _, err := s.UpsertCI(ctx, graph.CIInput{ID: ids[3], Owner: storetest.Ptr("ops"),
		Attributes:  map[string]any{"n": 1.5, "deep": map[string]any{"list": []any{true, nil, "x"}}},
		Identifiers: []graph.Identifier{storetest.Ident("fqdn", "Host.Example.com")}}); err != nil {
		t.Fatal(err)
	}
	// Records about the CIs, some rewritten, one deleted, some about CIs
	// deleted below.
	var recIDs []string
	for i, id := range ids[95:115] {
		start := time.Date(2026, 5, i+1, 8, 0, 0, 0, time.UTC)
		r := graph.Record{Kind: graph.KindIncident, ID: graph.NewID(), State: "NEW", Start: &start,
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: id}, {Role: "SERVICE", CI: ids[0]}}, Refs: []string{"PROBLEM:p"},
			Doc: []byte(fmt.Sprintf(`{"title": "incident %d"}`, i))}
		r = mustPutRecord(t, s, r, 0)
		if i%3 == 0 {
			r.State, r.End = "RESOLVED", storetest.Ptr(start.Add(time.Hour))
			r = mustPutRecord(t, s, r, r.Version)
		}
		recIDs = append(recIDs, r.ID)
	}
	if err := s.DeleteRecord(ctx, graph.KindIncident, recIDs[1], 0); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[100:110] {
		// Forced: open incidents link some of them, and those links must
		// survive the reopen too.
		if _, err := s.ForceDeleteCI(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	before := storetest.TakeSnapshot(t, s)
	abouts := append(append([]string(nil), ids...), recIDs...)
	for _, rels := range before.Relations {
		for _, r := range rels {
			abouts = append(abouts, graph.RelationSubjectID(r.Key()))
		}
	}
	histBefore := map[string][]graph.AuditEntry{}
	for _, about := range abouts {
		histBefore[about] = storetest.FullHistory(t, s, about, 7)
	}
	q := graph.NeighbourhoodQuery{Seeds: ids[:3], MaxDepth: 6}
	subBefore, err := s.Neighbourhood(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	after := storetest.TakeSnapshot(t, s)
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("reads differ after reopen")
	}
	if len(after.Records[graph.KindIncident]) != len(recIDs)-1 {
		t.Fatalf("%d records after reopen", len(after.Records[graph.KindIncident]))
	}
	for _, about := range abouts {
		if h := storetest.FullHistory(t, s, about, 7); !reflect.DeepEqual(h, histBefore[about]) {
			t.Fatalf("history of %s differs after reopen:\n got %+v\nwant %+v", about, h, histBefore[about])
		}
	}
	for _, id := range ids[100:110] {
		if h := histBefore[id]; len(h) == 0 || h[0].Action != graph.ActionDelete {
			t.Fatalf("deleted CI %s: history %+v", id, h)
		}
	}
	storetest.CheckAuditAgreesWithData(t, s)
	for _, ci := range after.CIs {
		if ci.CreatedAt.Location() != time.UTC || ci.UpdatedAt.Location() != time.UTC {
			t.Fatalf("timestamps of %s are not UTC after reopen", ci.ID)
		}
	}
	subAfter, err := s.Neighbourhood(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(nodeDepths(subAfter), nodeDepths(subBefore)) || !reflect.DeepEqual(storetest.EdgeKeys(subAfter.Edges), storetest.EdgeKeys(subBefore.Edges)) {
		t.Fatalf("traversal differs after reopen")
	}
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	// Filtered listings come from indexes rebuilt at load.
	p, err := s.ListRecords(ctx, graph.KindIncident, graph.RecordFilter{CI: ids[0], States: []string{"RESOLVED"}, Ref: "PROBLEM:p",
		From: storetest.Ptr(time.Date(2026, 5, 4, 8, 30, 0, 0, time.UTC))}, graph.Page{})
	if err != nil || p.TotalCount != 6 { // i = 3 (08:00-09:00 overlaps 08:30), 6, ... 18
		t.Fatalf("resolved incidents from May 4th: %d, %v", p.TotalCount, err)
	}
}

func nodeDepths(sub graph.Subgraph) map[string]int {
	out := map[string]int{}
	for id, n := range sub.Nodes {
		out[id] = n.Depth
	}
	return out
}

// The crash test re-runs this test binary as a child that writes until it
// is killed; these variables carry its orders.
const (
	crashDirEnv   = "RIPPLE_EMBEDDED_CRASH_DIR"
	crashRoundEnv = "RIPPLE_EMBEDDED_CRASH_ROUND"
)

// TestHelperProcess is the crash test's child, not a test: it opens the
// store and commits writes forever, printing each one once its call has
// returned, i.e. once it is durable.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestCrashSafety")
	}
	ctx := context.Background()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	round := os.Getenv(crashRoundEnv)
	var created []string
	prev, prevRec := "", graph.Record{}
	// Each round is a scope whose every run sees the CI and relation it
	// creates.
	scope := graph.ScopeKey{Source: "crash", Scope: "round-" + round}
	st, err := s.Scope(ctx, scope)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	gen := st.Generation
	// Bounded so an orphaned child cannot run forever.
	for i := 0; i < 20000; i++ {
		serial := round + "-" + strconv.Itoa(i)
		b := graph.Batch{Upserts: []graph.CIInput{{
			Name: storetest.Ptr("crash-" + serial), Class: storetest.Ptr(graph.ClassApplication),
			Attributes:  map[string]any{"i": float64(i), "pad": strings.Repeat("x", 200)},
			Identifiers: []graph.Identifier{storetest.Ident("serial", serial)},
		}}}
		ref := graph.CIRef{Identifier: storetest.Ptr(storetest.Ident("serial", serial))}
		b.Ledger = &graph.LedgerWrite{ScopeKey: scope, ExpectGeneration: gen, RunID: graph.NewID(), At: time.Now(), SeenCIs: []graph.CIRef{ref}}
		if prev != "" {
			b.Relate = []graph.BatchRelation{{From: ref, Type: graph.RelDependsOn, To: graph.CIRef{ID: prev}}}
			b.Ledger.SeenRelations = b.Relate
		}
		res, err := s.Apply(ctx, b)
		gen++
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		id := res.CIs[0].ID
		fmt.Println("put", id, prev)
		created, prev = append(created, id), id
		// A record about the new CI, and a rewrite of the previous one
		// (whose CI is younger than any victim below).
		rec, err := s.PutRecord(ctx, graph.Record{Kind: graph.KindProblem, ID: graph.NewID(), State: "NEW",
			Links: []graph.RecordLink{{Role: "AFFECTS", CI: id}}, Doc: []byte(fmt.Sprintf(`{"i": %d}`, i))}, 0)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("rec", rec.ID)
		if prevRec.ID != "" {
			prevRec.State = "ASSIGNED"
			if _, err := s.PutRecord(ctx, prevRec, prevRec.Version); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("upd", prevRec.ID)
		}
		prevRec = rec
		if i%7 == 6 {
			victim := created[len(created)-5]
			if _, err := s.ForceDeleteCI(ctx, victim); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("del", victim)
		}
	}
	os.Exit(0)
}

// TestCrashSafety kills a writing child with SIGKILL, several times on the
// same directory, and checks after each kill that every write the child
// saw committed is there and the store is consistent.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	live := map[string]bool{}    // committed and not deleted
	deleted := map[string]bool{} // committed deletions
	rels := map[[2]string]bool{} // committed DEPENDS_ON relations
	recs := map[string]int64{}   // committed records and their versions
	for round, killAfter := range []int{25, 60, 150} {
		lines := runAndKill(t, dir, round, killAfter)
		for _, line := range lines {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "put":
				live[f[1]] = true
				if len(f) == 3 {
					rels[[2]string{f[1], f[2]}] = true
				}
			case len(f) == 2 && f[0] == "del":
				delete(live, f[1])
				deleted[f[1]] = true
			case len(f) == 2 && f[0] == "rec":
				recs[f[1]] = 1
			case len(f) == 2 && f[0] == "upd":
				recs[f[1]] = 2
			default:
				t.Fatalf("child said %q", line)
			}
		}
		verifyAfterCrash(t, dir, live, deleted, rels, recs)
	}
}

// runAndKill starts the child and SIGKILLs it once it has reported
// killAfter writes, then returns every line it printed, including those
// printed between the decision to kill and the kill itself.
func runAndKill(t *testing.T, dir string, round, killAfter int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !killed && len(lines) >= killAfter {
			// Kill without delay: the child is in the middle of its next
			// write, usually inside bbolt's commit.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if !killed || err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child was not killed mid-way (killed=%v, wait=%v, %d lines)", killed, err, len(lines))
	}
	// The last line may have been cut by the kill; a torn line is not a
	// report of a commit.
	if n := len(lines); n > 0 && !completeLine(lines[n-1]) {
		lines = lines[:n-1]
	}
	return lines
}

func completeLine(l string) bool {
	f := strings.Fields(l)
	return len(f) >= 2 && graph.CheckID("id", f[1]) == nil && (len(f) == 2 || graph.CheckID("id", f[2]) == nil)
}

func verifyAfterCrash(t *testing.T, dir string, live, deleted map[string]bool, rels map[[2]string]bool, recs map[string]int64) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dir, nil) // load itself cross-checks the buckets
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer func() {
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	if err := checkConsistency(s); err != nil {
		t.Fatal(err)
	}
	for id := range live {
		if _, err := s.GetCI(ctx, id); err != nil {
			t.Fatalf("committed CI %s lost: %v", id, err)
		}
	}
	for id := range deleted {
		if _, err := s.GetCI(ctx, id); graph.ErrorCode(err) != graph.CodeNotFound {
			t.Fatalf("deleted CI %s came back: %v", id, err)
		}
	}
	// Every CI was seen by the run that made it, in its round's scope; load
	// has already refused sightings of anything missing.
	ids := make([]string, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	of, err := s.SightingsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if list := of[id]; len(list) != 1 || list[0].Source != "crash" {
			t.Fatalf("sightings of committed CI %s: %+v", id, list)
		}
	}
	for pair := range rels {
		if !live[pair[0]] || !live[pair[1]] {
			continue
		}
		got, err := s.RelationsOf(ctx, []string{pair[0]}, graph.Outgoing, []string{graph.RelDependsOn})
		if err != nil || len(got[pair[0]]) != 1 || got[pair[0]][0].To != pair[1] {
			t.Fatalf("committed relation %s -> %s lost: %v, %v", pair[0], pair[1], got, err)
		}
	}
	// Only the write in flight when the kill came (a create or a delete)
	// may have committed without being reported.
	page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	if extra := page.TotalCount - len(live); extra < -1 || extra > 1 {
		t.Fatalf("%d CIs on disk, %d reported live", page.TotalCount, len(live))
	}
	for id, version := range recs {
		r, err := s.GetRecord(ctx, graph.KindProblem, id)
		// The write in flight may have been a rewrite that committed.
		if err != nil || r.Version < version || r.Version > 2 {
			t.Fatalf("committed record %s v%d: %+v, %v", id, version, r, err)
		}
	}
	rp, err := s.ListRecords(ctx, graph.KindProblem, graph.RecordFilter{}, graph.Page{First: 1})
	if err != nil || rp.TotalCount < len(recs) || rp.TotalCount > len(recs)+1 {
		t.Fatalf("%d records on disk, %d reported (%v)", rp.TotalCount, len(recs), err)
	}
	// Whatever committed, committed with its audit entries.
	storetest.CheckAuditAgreesWithData(t, s)
	for id := range deleted {
		if h := storetest.FullHistory(t, s, id, graph.MaxPageSize); len(h) == 0 || h[0].Action != graph.ActionDelete {
			t.Fatalf("deleted CI %s: history %+v", id, h)
		}
	}
}

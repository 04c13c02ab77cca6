package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// instant returns a time strictly between the writes before and after it,
// as the API takes it.
func instant() string {
	time.Sleep(5 * time.Millisecond)
	at := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	return at.Format(time.RFC3339Nano)
}

type asOfHistoryJSON struct {
	AsOf     string
	Complete bool
	Gaps     []struct{ Subject, Reason string }
}

var asOfCases = []testCase{
	{"the graph as it was", func(t *testing.T, e *env) {
		db := e.mk(t, "db", "Database")
		app := e.mk(t, "app", "Application")
		e.relate(t, app, "DEPENDS_ON", db)
		t1 := instant()
		web := e.mk(t, "web", "Application")
		e.relate(t, web, "DEPENDS_ON", app)
		e.upsert(t, map[string]any{"id": db, "owner": "dba"})
		t2 := instant()
		e.query(t, `mutation($id: ID!) { deleteCI(id: $id) }`, in("id", web), nil)
		t3 := instant()

		const q = `query($db: ID!, $web: ID!, $at: Time) {
			blastRadius(ciIds: [$db], asOf: $at) { impacted { ci { name } effect path { name } } totalCount }
			dependencies(ciId: $db, asOf: $at) { ci { name } }
			web: ci(id: $web, asOf: $at) { name dependsOn { name dependsOn { name owner } } }
			cis(asOf: $at) { totalCount edges { node { name owner } } }
		}`
		type result struct {
			BlastRadius struct {
				Impacted []struct {
					CI     ciJSON
					Effect string
					Path   []ciJSON
				}
				TotalCount int
			}
			Web *struct {
				Name      string
				DependsOn []struct {
					Name      string
					DependsOn []ciJSON
				}
			}
			Cis struct {
				TotalCount int
				Edges      []struct{ Node ciJSON }
			}
		}
		read := func(at string) (result, []asOfHistoryJSON) {
			t.Helper()
			vars := in("db", db, "web", web)
			if at != "" {
				vars["at"] = at
			}
			res := e.post(t, q, vars)
			if len(res.Errors) > 0 || res.status != http.StatusOK {
				t.Fatalf("as of %q: status %d, errors %+v", at, res.status, res.Errors)
			}
			var out result
			if err := json.Unmarshal(res.Data, &out); err != nil {
				t.Fatal(err)
			}
			var ext struct{ History []asOfHistoryJSON }
			if len(res.Extensions) > 0 {
				if err := json.Unmarshal(res.Extensions, &ext); err != nil {
					t.Fatal(err)
				}
			}
			return out, ext.History
		}
		impacted := func(r result) string {
			var s []string
			for _, im := range r.BlastRadius.Impacted {
				s = append(s, im.CI.Name)
			}
			return strings.Join(s, ",")
		}
		listed := func(r result) string {
			var s []string
			for _, ed := range r.Cis.Edges {
				s = append(s, ed.Node.Name+"/"+deref(ed.Node.Owner))
			}
			return fmt.Sprintf("%d:%s", r.Cis.TotalCount, strings.Join(s, ","))
		}

		now, hist := read("")
		if impacted(now) != "app" || now.Web != nil || len(hist) != 0 {
			t.Fatalf("now: impacted %q, web %+v, history %+v", impacted(now), now.Web, hist)
		}
		r1, hist := read(t1)
		if impacted(r1) != "app" || r1.Web != nil || listed(r1) != "2:app/,db/" {
			t.Errorf("as of t1: impacted %q, web %+v, cis %s", impacted(r1), r1.Web, listed(r1))
		}
		if len(hist) != 1 || !hist[0].Complete || len(hist[0].Gaps) != 0 {
			t.Errorf("as of t1: history %+v, want one complete instant", hist)
		}
		r2, _ := read(t2)
		if impacted(r2) != "app,web" || r2.BlastRadius.TotalCount != 2 {
			t.Errorf("as of t2: impacted %q, want app,web", impacted(r2))
		}
		if last := r2.BlastRadius.Impacted[len(r2.BlastRadius.Impacted)-1]; len(last.Path) != 3 || last.Path[0].Name != "db" {
			t.Errorf("as of t2: path to web %+v", last.Path)
		}
		// The nested fields read the same instant: web still depends on
		// app, which still depends on db, owned by dba since t1.
		if r2.Web == nil || r2.Web.Name != "web" || len(r2.Web.DependsOn) != 1 || r2.Web.DependsOn[0].Name != "app" ||
			len(r2.Web.DependsOn[0].DependsOn) != 1 || deref(r2.Web.DependsOn[0].DependsOn[0].Owner) != "dba" {
			t.Errorf("as of t2: web %+v", r2.Web)
		}
		if listed(r2) != "3:app/,db/dba,web/" {
			t.Errorf("as of t2: cis %s", listed(r2))
		}
		if r3, _ := read(t3); impacted(r3) != "app" || r3.Web != nil || listed(r3) != "2:app/,db/dba" {
			t.Errorf("as of t3: impacted %q, web %+v, cis %s", impacted(r3), r3.Web, listed(r3))
		}

		// What changed in between, paged.
		const diffQ = `query($from: Time!, $to: Time!, $first: Int, $after: String) {
			graphDiff(from: $from, to: $to, first: $first, after: $after) {
				totalCount added removed changed history { complete }
				pageInfo { hasNextPage endCursor }
				edges { node { kind subjectKind subjectId relationType fromId toId fields actors before after } }
			} }`
		var diff struct {
			GraphDiff struct {
				TotalCount, Added, Removed, Changed int
				History                             asOfHistoryJSON
				PageInfo                            struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct {
						Kind, SubjectKind, SubjectID string
						RelationType, FromID, ToID   *string
						Fields, Actors               []string
						Before, After                map[string]any
					}
				}
			}
		}
		e.query(t, diffQ, in("from", t1, "to", t2, "first", 2), &diff)
		d := diff.GraphDiff
		if d.TotalCount != 3 || d.Added != 2 || d.Changed != 1 || d.Removed != 0 || !d.History.Complete || len(d.Edges) != 2 || !d.PageInfo.HasNextPage {
			t.Fatalf("diff (t1, t2] page 1: %+v", d)
		}
		if n := d.Edges[1].Node; n.Kind != "ADDED" || n.SubjectKind != "RELATION" || deref(n.RelationType) != "DEPENDS_ON" || deref(n.FromID) != web || n.After == nil || n.Before != nil {
			t.Errorf("diff: relation %+v", n)
		}
		e.query(t, diffQ, in("from", t1, "to", t2, "first", 2, "after", d.PageInfo.EndCursor), &diff)
		if d := diff.GraphDiff; len(d.Edges) != 1 || d.PageInfo.HasNextPage || d.Edges[0].Node.Kind != "CHANGED" ||
			!slices.Equal(d.Edges[0].Node.Fields, []string{"owner"}) || d.Edges[0].Node.SubjectID != db {
			t.Errorf("diff (t1, t2] page 2: %+v", d)
		}

		// Instants in the future, and ranges the wrong way round.
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		e.fail(t, `query($at: Time) { blastRadius(ciIds: ["`+db+`"], asOf: $at) { totalCount } }`, in("at", future), "INVALID_INPUT", "asOf")
		e.fail(t, `query($at: Time) { ci(id: "`+db+`", asOf: $at) { name } }`, in("at", future), "INVALID_INPUT", "asOf")
		e.fail(t, diffQ, in("from", t2, "to", t1), "INVALID_INPUT", "to")
		e.fail(t, diffQ, in("from", t1, "to", future), "INVALID_INPUT", "to")
		e.fail(t, `query($at: Time) { cis(asOf: $at, last: 2) { totalCount } }`, in("at", t1), "INVALID_INPUT", "last")
		// A source that did not exist then is not found.
		e.fail(t, `query($at: Time) { blastRadius(ciIds: ["`+web+`"], asOf: $at) { totalCount } }`, in("at", t1), "NOT_FOUND", "ciIds[0]")
	}},
	{"graphDiff names the import runs that made each change", func(t *testing.T, e *env) {
		t1 := instant()
		first := e.importBatch(t, batch("agent", "dc-1", nil))
		t2 := instant()
		edit := batch("agent", "dc-1", nil)
		edit["items"].([]any)[0].(map[string]any)["owner"] = "team-dc"
		second := e.importBatch(t, edit)
		t3 := instant()
		if first.Run.ID == "" || second.Run.ID == "" || first.Run.ID == second.Run.ID {
			t.Fatalf("runs %q and %q", first.Run.ID, second.Run.ID)
		}

		const q = `query($from: Time!, $to: Time!) { graphDiff(from: $from, to: $to) {
			edges { node { kind subjectKind subjectId fields actors importSources importRunIds importRuns { id source format } } } } }`
		type node struct {
			Kind, SubjectKind, SubjectID                string
			Fields, Actors, ImportSources, ImportRunIds []string
			ImportRuns                                  []struct{ ID, Source, Format string }
		}
		diff := func(from, to string) []node {
			t.Helper()
			var out struct {
				GraphDiff struct{ Edges []struct{ Node node } }
			}
			e.query(t, q, in("from", from, "to", to), &out)
			nodes := make([]node, 0, len(out.GraphDiff.Edges))
			for _, ed := range out.GraphDiff.Edges {
				nodes = append(nodes, ed.Node)
			}
			return nodes
		}
		added := diff(t1, t2)
		if len(added) != 3 {
			t.Fatalf("diff (t1, t2]: %+v, want the server, the application and their relation", added)
		}
		for _, n := range added {
			if n.Kind != "ADDED" || !slices.Equal(n.ImportRunIds, []string{first.Run.ID}) || len(n.ImportRuns) != 1 ||
				n.ImportRuns[0].ID != first.Run.ID || n.ImportRuns[0].Source != "agent" || n.ImportRuns[0].Format != "batch" ||
				!slices.Equal(n.ImportSources, []string{"agent"}) {
				t.Errorf("diff (t1, t2]: %+v, want added by run %s", n, first.Run.ID)
			}
		}
		changed := diff(t2, t3)
		if len(changed) != 1 || changed[0].Kind != "CHANGED" || !slices.Equal(changed[0].Fields, []string{"owner"}) ||
			!slices.Equal(changed[0].ImportRunIds, []string{second.Run.ID}) || len(changed[0].ImportRuns) != 1 ||
			changed[0].ImportRuns[0].ID != second.Run.ID {
			t.Errorf("diff (t2, t3]: %+v, want the server's owner changed by run %s", changed, second.Run.ID)
		}
		var both []string
		for _, n := range diff(t1, t3) {
			if n.SubjectKind == "CI" && slices.Contains(n.ImportRunIds, second.Run.ID) {
				both = n.ImportRunIds
			}
		}
		if !slices.Equal(both, []string{first.Run.ID, second.Run.ID}) {
			t.Errorf("diff (t1, t3]: the server's runs %v, want both in order", both)
		}
		// The server's history names the run of each entry, newest first.
		var hist struct {
			History struct {
				Edges []struct {
					Node struct {
						Action      string
						ImportRunID *string
					}
				}
			}
		}
		e.query(t, `query($id: ID!) { history(id: $id) { edges { node { action importRunId } } } }`,
			in("id", changed[0].SubjectID), &hist)
		var runs []string
		for _, ed := range hist.History.Edges {
			runs = append(runs, ed.Node.Action+" "+deref(ed.Node.ImportRunID))
		}
		if len(runs) == 0 || runs[0] != "UPDATE "+second.Run.ID || runs[len(runs)-1] != "CREATE "+first.Run.ID {
			t.Errorf("server history %v, want its update by run %s first and its creation by run %s last", runs, second.Run.ID, first.Run.ID)
		}

		// A hand edit names no run.
		var hand struct {
			GraphDiff struct{ Edges []struct{ Node node } }
		}
		app := e.mk(t, "by-hand", "Application")
		t4 := instant()
		e.query(t, q, in("from", t3, "to", t4), &hand)
		if ed := hand.GraphDiff.Edges; len(ed) != 1 || len(ed[0].Node.ImportRunIds) != 0 || len(ed[0].Node.ImportRuns) != 0 || app == "" {
			t.Errorf("diff (t3, t4]: %+v, want one CI written by hand with no run", ed)
		}
	}},
	{"change impact before and after a closed change", func(t *testing.T, e *env) {
		db := e.mk(t, "db", "Database")
		app := e.mk(t, "app", "Application")
		e.relate(t, app, "DEPENDS_ON", db)
		start := time.Now().Add(time.Hour)
		id := e.change(t, "STANDARD", []string{db}, start, start.Add(time.Hour))
		e.moveChange(t, id, "SCHEDULED")
		e.moveChange(t, id, "IMPLEMENTING")
		time.Sleep(5 * time.Millisecond)
		web := e.mk(t, "web", "Application")
		e.relate(t, web, "DEPENDS_ON", app)
		time.Sleep(5 * time.Millisecond)
		e.moveChange(t, id, "REVIEW")
		const q = `query($id: ID!) { changeImpact(changeId: $id) {
			blastRadiusBefore { asOf missingCiIds history { complete } blastRadius { impacted { ci { name dependants { name } } } } }
			blastRadiusAfter { asOf blastRadius { impacted { ci { name } } } }
		} }`
		type asOfJSON struct {
			AsOf         string
			MissingCiIds []string
			History      asOfHistoryJSON
			BlastRadius  struct {
				Impacted []struct {
					CI struct {
						Name       string
						Dependants []ciJSON
					}
				}
			}
		}
		var out struct {
			ChangeImpact struct{ BlastRadiusBefore, BlastRadiusAfter *asOfJSON }
		}
		e.query(t, q, in("id", id), &out)
		if out.ChangeImpact.BlastRadiusBefore != nil || out.ChangeImpact.BlastRadiusAfter != nil {
			t.Fatalf("before closure: %+v", out.ChangeImpact)
		}
		e.query(t, transitionChangeQ, in("id", id, "s", "CLOSED", "o", "SUCCESSFUL"), nil)
		e.query(t, q, in("id", id), &out)
		b, a := out.ChangeImpact.BlastRadiusBefore, out.ChangeImpact.BlastRadiusAfter
		if b == nil || a == nil {
			t.Fatalf("closed change: %+v", out.ChangeImpact)
		}
		if len(b.BlastRadius.Impacted) != 1 || b.BlastRadius.Impacted[0].CI.Name != "app" || !b.History.Complete || len(b.MissingCiIds) != 0 {
			t.Errorf("before: %+v", b)
		}
		// Nested fields under the before blast radius read its instant:
		// web did not depend on app yet.
		if len(b.BlastRadius.Impacted) == 1 && len(b.BlastRadius.Impacted[0].CI.Dependants) != 0 {
			t.Errorf("before: app's dependants %+v, want none then", b.BlastRadius.Impacted[0].CI.Dependants)
		}
		if len(a.BlastRadius.Impacted) != 2 || a.BlastRadius.Impacted[1].CI.Name != "web" {
			t.Errorf("after: %+v", a.BlastRadius.Impacted)
		}
		_ = web
	}},
}

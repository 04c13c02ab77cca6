package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
)

// runFields is what the cases read back of an ImportRun.
const runFields = `id format source scope files dryRun actor started finished outcome error errorFile errorAt errorField
	counts { items links created updated unchanged stale retired relationsCreated relationsRemoved staleRelations problems unresolvedLinks }`

const planFields = `source scope generation complete seen unchanged staleRelations
	creates { id ci { id } name class at changes { field old new } }
	updates { id ci { id name } name class at changes { field old new } }
	newRelations { from { id name class } type to { id name class ci { id } } }
	removedRelations { type }
	stale { id name class missed lastSeen seenElsewhere }
	retired { id }
	problems { code at field message ciIds }
	unresolved { at from { kind value } type to { kind value } end }
	impact { service { name } gained { name } lost { name } }`

// runJSON mirrors ImportRun (and the HTTP endpoint's run) on the wire.
type runJSON struct {
	ID         string   `json:"id"`
	Format     string   `json:"format"`
	Source     string   `json:"source"`
	Scope      string   `json:"scope"`
	Files      []string `json:"files"`
	DryRun     bool     `json:"dryRun"`
	Actor      string   `json:"actor"`
	Started    string   `json:"started"`
	Finished   *string  `json:"finished"`
	Outcome    string   `json:"outcome"`
	Error      *string  `json:"error"`
	ErrorFile  *string  `json:"errorFile"`
	ErrorAt    *string  `json:"errorAt"`
	ErrorField *string  `json:"errorField"`
	Counts     struct {
		Items, Links, Created, Updated, Unchanged, Stale, Retired    int
		RelationsCreated, RelationsRemoved, StaleRelations, Problems int
		UnresolvedLinks                                              int
	} `json:"counts"`
}

type plannedCIJSON struct {
	ID      *string `json:"id"`
	CI      *struct{ ID, Name string }
	Name    string `json:"name"`
	Class   string `json:"class"`
	At      *string
	Changes []struct {
		Field    string
		Old, New any
	}
}

type planJSON struct {
	Source, Scope    string
	Generation       int
	Complete         bool
	Seen, Unchanged  int
	Creates, Updates []plannedCIJSON
	NewRelations     []struct {
		From struct{ ID *string }
		Type string
		To   struct {
			ID *string
			CI *struct{ ID string }
		}
	}
	Stale      []struct{ ID, Name string }
	Problems   []struct{ Code, Message string }
	Unresolved []struct {
		At, Type, End string
		To            struct{ Kind, Value string }
	}
}

type importResultJSON struct {
	Run  runJSON
	Plan *planJSON
}

const importBatchMutation = `mutation($in: ImportBatchInput!) { importBatch(input: $in) { run { ` + runFields + ` } plan { ` + planFields + ` } } }`

const importFileMutation = `mutation($in: ImportFileInput!) { importFile(input: $in) { run { ` + runFields + ` } plan { ` + planFields + ` } } }`

// batch builds an importBatch input: a server and an application running on
// it, named with a suffix so that cases can vary them.
func batch(source, scope string, extra map[string]any) map[string]any {
	in := map[string]any{
		"source": source, "scope": scope,
		"items": []any{
			map[string]any{"class": "Server", "name": "srv-1", "owner": "team-ops",
				"identifiers": []any{map[string]any{"kind": "hostname", "value": "srv-1"}},
				"attributes":  map[string]any{"agent.cpu": 8, "agent.tags": []any{"a", "b"}}},
			map[string]any{"class": "Application", "name": "shop",
				"identifiers": []any{map[string]any{"kind": "app-id", "value": "shop"}}},
		},
		"links": []any{map[string]any{"from": map[string]any{"kind": "app-id", "value": "shop"}, "type": "RUNS_ON",
			"to": map[string]any{"kind": "hostname", "value": "srv-1"}}},
	}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

func (e *env) importBatch(t *testing.T, in map[string]any, hdr ...string) importResultJSON {
	t.Helper()
	res := e.post(t, importBatchMutation, map[string]any{"in": in}, hdr...)
	if len(res.Errors) > 0 || res.status != http.StatusOK {
		t.Fatalf("importBatch: status %d errors %+v", res.status, res.Errors)
	}
	var out struct{ ImportBatch importResultJSON }
	if err := json.Unmarshal(res.Data, &out); err != nil {
		t.Fatalf("decode %s: %v", truncate(res.Data), err)
	}
	return out.ImportBatch
}

func (e *env) importFile(t *testing.T, in map[string]any) importResultJSON {
	t.Helper()
	res := e.post(t, importFileMutation, map[string]any{"in": in})
	if len(res.Errors) > 0 || res.status != http.StatusOK {
		t.Fatalf("importFile: status %d errors %+v", res.status, res.Errors)
	}
	var out struct{ ImportFile importResultJSON }
	if err := json.Unmarshal(res.Data, &out); err != nil {
		t.Fatalf("decode %s: %v", truncate(res.Data), err)
	}
	return out.ImportFile
}

// smallScan is a two-host nmap scan; its scope is "nmap:10.0.0.1 10.0.0.2".
const smallScan = `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sn 10.0.0.1 10.0.0.2" start="1700000000" version="7.93" xmloutputversion="1.05">
<host><status state="up" reason="arp-response"/><address addr="10.0.0.1" addrtype="ipv4"/><hostnames><hostname name="alpha.example.com" type="PTR"/></hostnames></host>
<host><status state="up" reason="arp-response"/><address addr="10.0.0.2" addrtype="ipv4"/></host>
<runstats><finished time="1700000010"/><hosts up="2" down="0" total="2"/></runstats>
</nmaprun>
`

// truncatedScan returns an nmap document cut in the middle of a host: the
// real fixture of importers/nmap when it is there, a small one otherwise.
func truncatedScan(t *testing.T) (string, string) {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if ok {
		path := filepath.Join(filepath.Dir(file), "..", "..", "importers", "nmap", "testdata", "scan-3hosts.xml")
		if b, err := os.ReadFile(path); err == nil && len(b) > 2000 {
			// Cut inside the second <host>, well past the prologue.
			cut := bytes.Index(b[bytes.Index(b, []byte("<host "))+1:], []byte("<host "))
			if cut > 0 {
				return string(b[:bytes.Index(b, []byte("<host "))+1+cut+40]), "scan-3hosts.xml"
			}
		}
	}
	return smallScan[:strings.Index(smallScan, `<host><status state="up" reason="arp-response"/><address addr="10.0.0.2"`)+30], "small.xml"
}

var importCases = []testCase{
	{"importBatch creates, then a re-run changes nothing", func(t *testing.T, e *env) {
		first := e.importBatch(t, batch("agent", "dc-1", nil), "X-Ripple-Actor", "agent-7")
		r := first.Run
		if r.Outcome != "SUCCEEDED" || r.Format != "batch" || r.Source != "agent" || r.Scope != "dc-1" || r.Actor != "agent-7" ||
			r.Finished == nil || r.Error != nil || r.DryRun || r.Files == nil {
			t.Errorf("first run: %+v", r)
		}
		if c := r.Counts; c.Items != 2 || c.Links != 1 || c.Created != 2 || c.Updated != 0 || c.Unchanged != 0 || c.RelationsCreated != 1 {
			t.Errorf("first counts: %+v", c)
		}
		p := first.Plan
		if p == nil || !p.Complete || p.Seen != 2 || len(p.Creates) != 2 || len(p.NewRelations) != 1 || p.Source != "agent" || p.Scope != "dc-1" {
			t.Fatalf("first plan: %+v", p)
		}
		if c := p.Creates[0]; c.ID != nil || c.CI != nil || c.At == nil || *c.At != "items[0]" || c.Name != "srv-1" || c.Class != "Server" || c.Changes == nil {
			t.Errorf("planned create: %+v", c)
		}
		if rel := p.NewRelations[0]; rel.Type != "RUNS_ON" || rel.From.ID != nil {
			t.Errorf("planned relation: %+v", rel)
		}
		if n := e.count(t); n != 2 {
			t.Errorf("%d CIs after the first run", n)
		}

		second := e.importBatch(t, batch("agent", "dc-1", nil))
		if c := second.Run.Counts; second.Run.Outcome != "SUCCEEDED" || c.Created != 0 || c.Updated != 0 || c.Unchanged != 2 || c.RelationsCreated != 0 {
			t.Errorf("re-run: %s %+v", second.Run.Outcome, c)
		}
		if second.Plan.Generation != first.Plan.Generation+1 || len(second.Plan.Creates) != 0 || len(second.Plan.Updates) != 0 {
			t.Errorf("re-run plan: %+v", second.Plan)
		}

		// A changed attribute is an update naming the field, old and new,
		// and the planned CI resolves to the stored one.
		in := batch("agent", "dc-1", nil)
		in["items"].([]any)[0].(map[string]any)["attributes"] = map[string]any{"agent.cpu": 16, "agent.tags": []any{"a", "b"}}
		third := e.importBatch(t, in)
		if len(third.Plan.Updates) != 1 {
			t.Fatalf("update plan: %+v", third.Plan)
		}
		u := third.Plan.Updates[0]
		if u.ID == nil || u.CI == nil || u.CI.ID != *u.ID || len(u.Changes) != 1 || u.Changes[0].Field != "attributes.agent.cpu" ||
			u.Changes[0].Old != float64(8) || u.Changes[0].New != float64(16) {
			t.Errorf("planned update: %+v", u)
		}
	}},
	{"a dry run writes nothing but its record", func(t *testing.T, e *env) {
		res := e.importBatch(t, batch("agent", "dc-1", map[string]any{"dryRun": true}))
		if res.Run.Outcome != "PLANNED" || !res.Run.DryRun || res.Run.Counts.Created != 2 || res.Plan == nil || len(res.Plan.Creates) != 2 {
			t.Errorf("dry run: %+v %+v", res.Run, res.Plan)
		}
		if n := e.count(t); n != 0 {
			t.Errorf("a dry run wrote %d CIs", n)
		}
		var out struct{ ImportRun *runJSON }
		e.query(t, `query($id: ID!) { importRun(id: $id) { `+runFields+` } }`, map[string]any{"id": res.Run.ID}, &out)
		if out.ImportRun == nil || out.ImportRun.Outcome != "PLANNED" || !out.ImportRun.DryRun {
			t.Errorf("recorded dry run: %+v", out.ImportRun)
		}
		// The real run after it still creates everything.
		if real := e.importBatch(t, batch("agent", "dc-1", nil)); real.Run.Counts.Created != 2 {
			t.Errorf("run after a dry run: %+v", real.Run.Counts)
		}
	}},
	{"importRuns lists newest first and filters", func(t *testing.T, e *env) {
		a1 := e.importBatch(t, batch("agent-a", "s1", nil)).Run.ID
		b1 := e.importBatch(t, batch("agent-b", "s1", nil)).Run.ID
		a2 := e.importBatch(t, batch("agent-a", "s2", map[string]any{"dryRun": true})).Run.ID
		bad := batch("agent-b", "s2", nil)
		bad["items"].([]any)[1].(map[string]any)["class"] = "NoSuchClass"
		failed := e.importBatch(t, bad).Run
		if failed.Outcome != "FAILED" {
			t.Fatalf("want a FAILED run: %+v", failed)
		}
		type page struct {
			ImportRuns struct {
				Edges []struct {
					Cursor string
					Node   struct{ ID, Outcome string }
				}
				PageInfo   struct{ HasNextPage, HasPreviousPage bool }
				TotalCount int
			}
		}
		list := func(args string, vars map[string]any) (ids []string, p page) {
			t.Helper()
			e.query(t, `query($source: String, $scope: String, $outcome: [ImportOutcome!], $first: Int, $after: String) {
				importRuns(source: $source, scope: $scope, outcome: $outcome, first: $first, after: $after) {
					edges { cursor node { id outcome } } pageInfo { hasNextPage hasPreviousPage } totalCount } }`, vars, &p)
			for _, e := range p.ImportRuns.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids, p
		}
		all, p := list("", nil)
		if want := []string{failed.ID, a2, b1, a1}; fmt.Sprint(all) != fmt.Sprint(want) || p.ImportRuns.TotalCount != 4 {
			t.Errorf("all runs: %v (total %d), want %v", all, p.ImportRuns.TotalCount, want)
		}
		for _, tc := range []struct {
			vars map[string]any
			want []string
		}{
			{map[string]any{"source": "agent-a"}, []string{a2, a1}},
			{map[string]any{"scope": "s1"}, []string{b1, a1}},
			{map[string]any{"source": "agent-b", "scope": "s2"}, []string{failed.ID}},
			{map[string]any{"outcome": []string{"PLANNED"}}, []string{a2}},
			{map[string]any{"outcome": []string{"FAILED", "SUCCEEDED"}}, []string{failed.ID, b1, a1}},
			{map[string]any{"source": "nobody"}, nil},
		} {
			got, p := list("", tc.vars)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || p.ImportRuns.TotalCount != len(tc.want) {
				t.Errorf("%v: %v (total %d), want %v", tc.vars, got, p.ImportRuns.TotalCount, tc.want)
			}
		}
		firstTwo, p := list("", map[string]any{"first": 2})
		if len(firstTwo) != 2 || !p.ImportRuns.PageInfo.HasNextPage || p.ImportRuns.PageInfo.HasPreviousPage {
			t.Fatalf("first page: %v %+v", firstTwo, p.ImportRuns.PageInfo)
		}
		rest, p2 := list("", map[string]any{"first": 2, "after": p.ImportRuns.Edges[1].Cursor})
		if fmt.Sprint(append(firstTwo, rest...)) != fmt.Sprint(all) || p2.ImportRuns.PageInfo.HasNextPage || !p2.ImportRuns.PageInfo.HasPreviousPage {
			t.Errorf("pages %v + %v, want %v", firstTwo, rest, all)
		}
		if _, p := list("", map[string]any{"first": 0}); len(p.ImportRuns.Edges) != 0 || p.ImportRuns.TotalCount != 4 {
			t.Errorf("first: 0 = %+v", p.ImportRuns)
		}
		e.fail(t, `{ importRuns(after: "nope") { totalCount } }`, nil, "INVALID_INPUT", "after")
	}},
	{"importRun by id", func(t *testing.T, e *env) {
		res := e.importBatch(t, batch("agent", "dc-1", nil))
		var out struct {
			ImportRun *struct {
				runJSON
				Plan *planJSON
			}
		}
		e.query(t, `query($id: ID!) { importRun(id: $id) { `+runFields+` plan { `+planFields+` } } }`, map[string]any{"id": res.Run.ID}, &out)
		got := out.ImportRun
		if got == nil || got.ID != res.Run.ID || got.Outcome != "SUCCEEDED" || got.Counts != res.Run.Counts || got.Finished == nil ||
			got.Plan == nil || len(got.Plan.Creates) != 2 {
			t.Fatalf("importRun: %+v", got)
		}
		// Plan entries of a stored run resolve their CIs now: the
		// relation's target exists since the run.
		if to := got.Plan.NewRelations[0].To; to.ID != nil || to.CI != nil {
			t.Errorf("a relation to a CI the run created names no id in its plan: %+v", to)
		}
		e.query(t, `query($id: ID!) { importRun(id: $id) { id } }`, map[string]any{"id": graph.NewID()}, &out)
		if out.ImportRun != nil {
			t.Errorf("unknown id: %+v", out.ImportRun)
		}
		e.fail(t, `{ importRun(id: "nope") { id } }`, nil, "INVALID_INPUT", "id")
	}},
	{"relation provenance: the scopes that report a relation", func(t *testing.T, e *env) {
		res := e.importBatch(t, batch("agent", "dc-1", nil))
		e.importBatch(t, batch("inventory", "export-1", nil))
		var out struct {
			Cis struct {
				Edges []struct {
					Node struct {
						Relations []struct {
							Type      string
							Sightings []struct{ Source, Scope, LastRunID string }
						}
					}
				}
			}
		}
		e.query(t, `{ cis(filter: {class: "Application"}) { edges { node {
			relations(direction: OUTGOING) { type sightings { source scope lastRunId } } } } } }`, nil, &out)
		if len(out.Cis.Edges) != 1 || len(out.Cis.Edges[0].Node.Relations) != 1 {
			t.Fatalf("relations: %+v", out.Cis)
		}
		sg := out.Cis.Edges[0].Node.Relations[0].Sightings
		if len(sg) != 2 || sg[0].Source != "agent" || sg[0].Scope != "dc-1" || sg[0].LastRunID != res.Run.ID || sg[1].Source != "inventory" {
			t.Fatalf("relation sightings: %+v, want agent/dc-1 then inventory/export-1", sg)
		}
	}},
	{"CI provenance and sightings after an import", func(t *testing.T, e *env) {
		res := e.importBatch(t, batch("agent", "dc-1", nil))
		type origin struct {
			Field, Source string
			Scope         *string
			Since         string
			LastSeen      *string
		}
		type sighting struct {
			Source, Scope, FirstSeen, LastSeen, LastRunID string
			Missed                                        int
			Stale                                         bool
		}
		var out struct {
			Cis struct {
				Edges []struct {
					Node struct {
						ID, Name   string
						Provenance []origin
						Sightings  []sighting
					}
				}
			}
		}
		q := `{ cis(filter: {class: "Server"}) { edges { node { id name
			provenance { field source scope since lastSeen }
			sightings { source scope firstSeen lastSeen lastRunId missed stale } } } } }`
		e.query(t, q, nil, &out)
		if len(out.Cis.Edges) != 1 {
			t.Fatalf("servers: %+v", out.Cis)
		}
		srv := out.Cis.Edges[0].Node
		if len(srv.Sightings) != 1 {
			t.Fatalf("sightings: %+v", srv.Sightings)
		}
		s := srv.Sightings[0]
		if s.Source != "agent" || s.Scope != "dc-1" || s.LastRunID != res.Run.ID || s.Missed != 0 || s.Stale || s.FirstSeen == "" || s.LastSeen != s.FirstSeen {
			t.Errorf("sighting: %+v", s)
		}
		fields := map[string]origin{}
		var order []string
		for _, o := range srv.Provenance {
			fields[o.Field] = o
			order = append(order, o.Field)
		}
		for _, f := range []string{"name", "owner", "attributes.agent.cpu", "attributes.agent.tags"} {
			o, ok := fields[f]
			if !ok || o.Source != "agent" || deref(o.Scope) != "dc-1" || o.Since == "" || o.LastSeen == nil || *o.LastSeen != s.LastSeen {
				t.Errorf("provenance of %s: %+v (all: %v)", f, o, order)
			}
		}
		for i := 1; i < len(order); i++ {
			if order[i-1] >= order[i] {
				t.Errorf("provenance not sorted by field: %v", order)
				break
			}
		}

		// A manual edit takes the field over: no scope, no lastSeen.
		e.upsert(t, map[string]any{"id": srv.ID, "owner": "team-web"})
		e.query(t, q, nil, &out)
		for _, o := range out.Cis.Edges[0].Node.Provenance {
			if o.Field == "owner" && (o.Source != "manual" || o.Scope != nil || o.LastSeen != nil) {
				t.Errorf("manual owner: %+v", o)
			}
		}
		// A second run moves lastSeen.
		time.Sleep(5 * time.Millisecond)
		second := e.importBatch(t, batch("agent", "dc-1", nil))
		e.query(t, q, nil, &out)
		s2 := out.Cis.Edges[0].Node.Sightings[0]
		if s2.LastRunID != second.Run.ID || s2.FirstSeen != s.FirstSeen || s2.LastSeen == s.LastSeen {
			t.Errorf("sighting after a second run: %+v (first %+v)", s2, s)
		}
	}},
	{"sightings are batched per request", func(t *testing.T, e *env) {
		counter := &sightingCounter{Store: e.store}
		local := e.another(t, counter, formats.DefaultPolicy(), server.Config{})
		items := []any{}
		for i := range 30 {
			items = append(items, map[string]any{"class": "Server", "name": fmt.Sprintf("h%02d", i),
				"identifiers": []any{map[string]any{"kind": "hostname", "value": fmt.Sprintf("h%02d", i)}}})
		}
		local.importBatch(t, map[string]any{"source": "agent", "scope": "dc-1", "items": items})
		counter.n.Store(0)
		var out struct {
			Cis struct {
				Edges []struct {
					Node struct {
						Provenance []struct{ LastSeen *string }
						Sightings  []struct{ Source string }
					}
				}
			}
		}
		local.query(t, `{ cis(first: 30) { edges { node { provenance { lastSeen } sightings { source } } } } }`, nil, &out)
		if len(out.Cis.Edges) != 30 || out.Cis.Edges[29].Node.Provenance[0].LastSeen == nil || len(out.Cis.Edges[29].Node.Sightings) != 1 {
			t.Fatalf("page: %+v", out.Cis.Edges)
		}
		if n := counter.n.Load(); n < 1 || n > 3 {
			t.Errorf("%d SightingsOf calls for a page of 30 CIs, want one (a few at most)", n)
		}
	}},
	{"importFile: a truncated scan FAILS with its location", func(t *testing.T, e *env) {
		doc, name := truncatedScan(t)
		res := e.importFile(t, map[string]any{"format": "NMAP", "content": doc, "fileName": name, "scope": "lab"})
		r := res.Run
		if r.Outcome != "FAILED" || r.Format != "nmap" || r.Source != "nmap" || r.Finished == nil || r.Error == nil {
			t.Fatalf("run: %+v", r)
		}
		t.Logf("%s: file %s at %s field %s: %s", r.Outcome, deref(r.ErrorFile), deref(r.ErrorAt), deref(r.ErrorField), deref(r.Error))
		if r.ErrorAt == nil || !strings.Contains(*r.ErrorAt, "line") || deref(r.ErrorFile) != name {
			t.Errorf("error location: file %v at %v field %v: %v", deref(r.ErrorFile), deref(r.ErrorAt), deref(r.ErrorField), deref(r.Error))
		}
		if len(r.Files) != 1 || r.Files[0] != name {
			t.Errorf("files: %v", r.Files)
		}
		if e.count(t) != 0 {
			t.Error("a failed run wrote CIs")
		}
		var out struct{ ImportRuns struct{ TotalCount int } }
		e.query(t, `{ importRuns(outcome: [FAILED]) { totalCount } }`, nil, &out)
		if out.ImportRuns.TotalCount != 1 {
			t.Errorf("failed runs recorded: %d", out.ImportRuns.TotalCount)
		}
	}},
	{"importFile: a scan and a CSV with a mapping", func(t *testing.T, e *env) {
		res := e.importFile(t, map[string]any{"format": "NMAP", "content": smallScan, "fileName": "small.xml", "dryRun": false})
		if r := res.Run; r.Outcome != "SUCCEEDED" || r.Scope != "nmap:10.0.0.1 10.0.0.2" || r.Counts.Created != 2 {
			t.Errorf("nmap run: %+v %+v", r, res.Plan)
		}
		csv := "host,owner\nweb-1,team-a\nweb-2,team-b\n"
		mapping := map[string]any{"class": "Server", "nameColumn": "host", "identifiers": map[string]any{"hostname": "host"}, "ownerColumn": "owner"}
		res = e.importFile(t, map[string]any{"format": "CSV", "content": csv, "scope": "assets", "source": "asset-db", "mapping": mapping})
		if r := res.Run; r.Outcome != "SUCCEEDED" || r.Source != "asset-db" || r.Format != "csv" || r.Counts.Created != 2 || r.Files[0] != "input" {
			t.Errorf("csv run: %+v", r)
		}
		// A mapping given as a string holding the object works too.
		b, _ := json.Marshal(mapping)
		res = e.importFile(t, map[string]any{"format": "CSV", "content": csv, "scope": "assets", "source": "asset-db", "mapping": string(b), "strict": true})
		if r := res.Run; r.Outcome != "SUCCEEDED" || r.Counts.Unchanged != 2 {
			t.Errorf("csv re-run: %+v", r)
		}
	}},
	{"importFile and importBatch argument errors", func(t *testing.T, e *env) {
		csv := "host\nweb-1\n"
		e.fail(t, importFileMutation, map[string]any{"in": map[string]any{"format": "CSV", "content": csv, "scope": "x"}}, "INVALID_INPUT", "mapping")
		e.fail(t, importFileMutation, map[string]any{"in": map[string]any{"format": "NMAP", "content": smallScan, "mapping": map[string]any{"class": "Server"}}}, "INVALID_INPUT", "mapping")
		// A bad mapping names the mapping, or the key in it at fault.
		res := e.post(t, importFileMutation, map[string]any{"in": map[string]any{"format": "CSV", "content": csv, "scope": "x", "mapping": map[string]any{"bogus": 1}}})
		if len(res.Errors) != 1 || res.Errors[0].code() != "INVALID_INPUT" || !strings.HasPrefix(res.Errors[0].field(), "mapping") {
			t.Errorf("bad mapping: %+v", res.Errors)
		}
		e.fail(t, importFileMutation, map[string]any{"in": map[string]any{"format": "NMAP", "content": smallScan, "source": "Bad Source"}}, "INVALID_INPUT", "source")
		e.fail(t, importFileMutation, map[string]any{"in": map[string]any{"format": "KUBERNETES", "content": "{}"}}, "INVALID_INPUT", "scope")
		e.fail(t, importFileMutation, map[string]any{"in": map[string]any{"format": "NMAP", "content": smallScan, "scope": strings.Repeat("s", 300)}}, "INVALID_INPUT", "scope")
		if res := e.post(t, importFileMutation, map[string]any{"in": map[string]any{"format": "XLS", "content": "x"}}); len(res.Errors) != 1 || res.status == http.StatusOK {
			t.Errorf("unknown format: %d %+v", res.status, res.Errors)
		}
		e.fail(t, importBatchMutation, map[string]any{"in": batch("", "dc-1", nil)}, "INVALID_INPUT", "source")
		e.fail(t, importBatchMutation, map[string]any{"in": batch("agent", "", nil)}, "INVALID_INPUT", "scope")
		var out struct{ ImportRuns struct{ TotalCount int } }
		e.query(t, `{ importRuns { totalCount } }`, nil, &out)
		if out.ImportRuns.TotalCount != 0 {
			t.Errorf("argument errors recorded %d runs", out.ImportRuns.TotalCount)
		}
	}},
	{"importBatch: errors and problems name items and links", func(t *testing.T, e *env) {
		bad := batch("agent", "dc-1", nil)
		bad["items"].([]any)[1].(map[string]any)["identifiers"] = []any{}
		r := e.importBatch(t, bad).Run
		if r.Outcome != "FAILED" || deref(r.ErrorAt) != "items[1]" || deref(r.ErrorField) != "identifiers" {
			t.Errorf("item error: %+v at %v field %v", r.Outcome, deref(r.ErrorAt), deref(r.ErrorField))
		}
		bad = batch("agent", "dc-1", nil)
		bad["links"].([]any)[0].(map[string]any)["type"] = "NO_SUCH_TYPE"
		r = e.importBatch(t, bad).Run
		if r.Outcome != "FAILED" || deref(r.ErrorAt) != "links[0]" || deref(r.ErrorField) != "type" {
			t.Errorf("link error: %+v at %v field %v", r.Outcome, deref(r.ErrorAt), deref(r.ErrorField))
		}
		// A link to a CI nobody has is recorded as unresolved, not a
		// problem: the run SUCCEEDED, or FAILED under strict.
		dangling := batch("agent", "dc-1", nil)
		dangling["links"] = []any{map[string]any{"from": map[string]any{"kind": "app-id", "value": "shop"}, "type": "RUNS_ON",
			"to": map[string]any{"kind": "hostname", "value": "ghost"}}}
		strict := e.importBatch(t, map[string]any{"source": "agent", "scope": "dc-1", "items": dangling["items"], "links": dangling["links"], "strict": true})
		if strict.Run.Outcome != "FAILED" || deref(strict.Run.ErrorAt) != "links[0]" || e.count(t) != 0 {
			t.Errorf("strict run: %+v at %v, %d CIs", strict.Run.Outcome, deref(strict.Run.ErrorAt), e.count(t))
		}
		unresolved := e.importBatch(t, dangling)
		if r, p := unresolved.Run, unresolved.Plan; r.Outcome != "SUCCEEDED" || r.Counts.Problems != 0 || r.Counts.UnresolvedLinks != 1 ||
			!p.Complete || len(p.Unresolved) != 1 || p.Unresolved[0].At != "links[0]" || p.Unresolved[0].End != "to" ||
			p.Unresolved[0].To.Value != "ghost" || p.Unresolved[0].Type != "RUNS_ON" {
			t.Errorf("run with an unresolved link: %+v %+v", unresolved.Run, unresolved.Plan)
		}
	}},
	{"a run that fails on the store answers its run and the error", func(t *testing.T, e *env) {
		local := e.another(t, conflictingStore{e.store}, formats.DefaultPolicy(), server.Config{})
		res := local.post(t, importBatchMutation, map[string]any{"in": batch("agent", "dc-1", nil)})
		var out struct{ ImportBatch *importResultJSON }
		if err := json.Unmarshal(res.Data, &out); err != nil || out.ImportBatch == nil {
			t.Fatalf("data %s: %v", truncate(res.Data), err)
		}
		if r := out.ImportBatch.Run; r.Outcome != "FAILED" || r.Error == nil || r.ErrorAt != nil || out.ImportBatch.Plan == nil {
			t.Errorf("run: %+v", r)
		}
		if len(res.Errors) != 1 || res.Errors[0].code() != "CONFLICT" || res.Errors[0].field() != "ledger.generation" {
			t.Errorf("errors: %+v", res.Errors)
		}
		status, ans := local.postImport(t, "/api/v1/imports/nmap", "", strings.NewReader(smallScan))
		if status != http.StatusConflict || ans.Run.Outcome != "FAILED" || ans.Error == nil || ans.Error.Code != "CONFLICT" {
			t.Errorf("HTTP: %d %+v", status, ans)
		}
		if e.count(t) != 0 {
			t.Error("CIs written")
		}
	}},
	{"the policy app.New wires applies to both ways in", func(t *testing.T, e *env) {
		policy := formats.DefaultPolicy()
		policy.RetireAfterRuns = 1
		local := e.another(t, e.store, policy, server.Config{})
		local.importBatch(t, batch("agent", "dc-1", nil))
		one := batch("agent", "dc-1", nil)
		one["items"] = one["items"].([]any)[:1]
		delete(one, "links")
		if r := local.importBatch(t, one).Run; r.Counts.Retired != 1 || r.Counts.Stale != 0 {
			t.Errorf("GraphQL run under RetireAfterRuns 1: %+v", r.Counts)
		}
		local.postImport(t, "/api/v1/imports/nmap?scope=lab", "", strings.NewReader(smallScan))
		oneHost := strings.Replace(smallScan, `<host><status state="up" reason="arp-response"/><address addr="10.0.0.2" addrtype="ipv4"/></host>`, "", 1)
		if _, ans := local.postImport(t, "/api/v1/imports/nmap?scope=lab", "", strings.NewReader(oneHost)); ans.Run.Counts.Retired != 1 {
			t.Errorf("HTTP run under RetireAfterRuns 1: %+v", ans.Run.Counts)
		}
		// The default policy only marks the missing CI stale.
		e.importBatch(t, batch("agent", "dc-2", nil))
		one["scope"] = "dc-2"
		if r := e.importBatch(t, one).Run; r.Counts.Retired != 0 || r.Counts.Stale != 1 {
			t.Errorf("default policy: %+v", r.Counts)
		}
	}},
	{"HTTP: POST a raw body", func(t *testing.T, e *env) {
		status, ans := e.postImport(t, "/api/v1/imports/nmap?fileName=scan.xml", "application/xml", strings.NewReader(smallScan), "X-Ripple-Actor", "scanner-1")
		if status != http.StatusOK || ans.Run.Outcome != "SUCCEEDED" || ans.Run.Actor != "scanner-1" || ans.Run.Counts.Created != 2 ||
			ans.Plan == nil || len(ans.Plan.Creates) != 2 || fmt.Sprint(ans.Files) != "[scan.xml]" || fmt.Sprint(ans.Run.Files) != "[scan.xml]" {
			t.Fatalf("raw import: %d %+v", status, ans)
		}
		if e.count(t) != 2 {
			t.Errorf("%d CIs", e.count(t))
		}
		// The run is the one GraphQL shows.
		var out struct{ ImportRun *runJSON }
		e.query(t, `query($id: ID!) { importRun(id: $id) { `+runFields+` } }`, map[string]any{"id": ans.Run.ID}, &out)
		if out.ImportRun == nil || out.ImportRun.Counts != ans.Run.Counts || out.ImportRun.Scope != ans.Run.Scope {
			t.Errorf("recorded: %+v", out.ImportRun)
		}
		// A dry re-run under another source name plans no creates.
		status, ans = e.postImport(t, "/api/v1/imports/nmap?dryRun=true&source=scanner&scope=lab", "", strings.NewReader(smallScan))
		if status != http.StatusOK || ans.Run.Outcome != "PLANNED" || ans.Run.Source != "scanner" || ans.Run.Scope != "lab" || ans.Run.Counts.Created != 0 {
			t.Errorf("dry run: %d %+v", status, ans.Run)
		}
		// A truncated scan is a 422 with the run and where it broke.
		doc, _ := truncatedScan(t)
		status, ans = e.postImport(t, "/api/v1/imports/nmap", "text/xml", strings.NewReader(doc))
		if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || !strings.Contains(deref(ans.Run.ErrorAt), "line") ||
			deref(ans.Run.ErrorFile) != "body" || ans.Error == nil || ans.Error.Code != "INVALID_INPUT" {
			t.Errorf("truncated: %d %+v", status, ans)
		}
	}},
	{"HTTP: POST multipart files as one run", func(t *testing.T, e *env) {
		mapping := `{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`
		body, ctype := multipartBody(t, [][2]string{
			{"mapping", mapping},
			{"file:a.csv", "host\nweb-1\nweb-2\n"},
			{"file:b.csv", "host\ndb-1\n"},
		})
		status, ans := e.postImport(t, "/api/v1/imports/csv?scope=assets&source=asset-db", ctype, body)
		if status != http.StatusOK || ans.Run.Outcome != "SUCCEEDED" || ans.Run.Counts.Created != 3 || ans.Run.Counts.Items != 3 ||
			fmt.Sprint(ans.Files) != "[a.csv b.csv]" {
			t.Fatalf("multipart: %d %+v", status, ans)
		}
		// The run covers both parts: dropping b.csv makes db-1 stale.
		body, ctype = multipartBody(t, [][2]string{{"mapping", mapping}, {"file:a.csv", "host\nweb-1\nweb-2\n"}})
		status, ans = e.postImport(t, "/api/v1/imports/csv?scope=assets&source=asset-db", ctype, body)
		if status != http.StatusOK || ans.Run.Counts.Unchanged != 2 || ans.Run.Counts.Stale != 1 {
			t.Errorf("re-run without b.csv: %d %+v", status, ans.Run.Counts)
		}
		// A bad row in the second part names that part.
		body, ctype = multipartBody(t, [][2]string{{"mapping", mapping}, {"file:a.csv", "host\nweb-1\n"}, {"file:c.csv", "name\nx\n"}})
		status, ans = e.postImport(t, "/api/v1/imports/csv?scope=assets&source=asset-db", ctype, body)
		if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || deref(ans.Run.ErrorFile) != "c.csv" {
			t.Errorf("bad second part: %d %+v", status, ans.Run)
		}
		// Parts before the first file other than the mapping are refused.
		body, ctype = multipartBody(t, [][2]string{{"files", "x"}})
		if status, msg := e.postImportError(t, "/api/v1/imports/csv?scope=assets", ctype, body); status != http.StatusBadRequest || msg.Field != "files" {
			t.Errorf("unexpected part: %d %+v", status, msg)
		}
		body, ctype = multipartBody(t, [][2]string{{"mapping", mapping}})
		if status, msg := e.postImportError(t, "/api/v1/imports/csv?scope=assets", ctype, body); status != http.StatusBadRequest || msg.Field != "file" {
			t.Errorf("no file part: %d %+v", status, msg)
		}
	}},
	{"HTTP: multipart parts in any order", func(t *testing.T, e *env) {
		// Spooled parts go to TMPDIR; none may be left behind.
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		mapping := `{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`
		a, b := "host\nweb-1\nweb-2\n", "host\ndb-1\n"
		for _, tc := range []struct {
			name  string
			parts [][2]string
		}{
			{"mapping first", [][2]string{{"mapping", mapping}, {"file:a.csv", a}, {"file:b.csv", b}}},
			{"mapping last", [][2]string{{"file:a.csv", a}, {"file:b.csv", b}, {"mapping", mapping}}},
			{"mapping between the files", [][2]string{{"file:a.csv", a}, {"mapping", mapping}, {"file:b.csv", b}}},
		} {
			body, ctype := multipartBody(t, tc.parts)
			status, ans := e.postImport(t, "/api/v1/imports/csv?scope=assets&source=asset-db", ctype, body)
			if status != http.StatusOK || ans.Run.Outcome != "SUCCEEDED" || ans.Run.Counts.Items != 3 || fmt.Sprint(ans.Files) != "[a.csv b.csv]" {
				t.Errorf("%s: %d %+v files %v", tc.name, status, ans.Run, ans.Files)
			}
		}
		if e.count(t) != 3 {
			t.Errorf("%d CIs, want the 3 hosts once", e.count(t))
		}
		// Without a mapping anywhere: the spooled parts are refused, and
		// nothing is recorded.
		body, ctype := multipartBody(t, [][2]string{{"file:a.csv", a}, {"file:b.csv", b}})
		if status, msg := e.postImportError(t, "/api/v1/imports/csv?scope=assets", ctype, body); status != http.StatusBadRequest || msg.Field != "mapping" {
			t.Errorf("no mapping: %d %+v", status, msg)
		}
		// A mapping after the file parts of a format that takes none fails
		// the run on that part.
		body, ctype = multipartBody(t, [][2]string{{"file:scan.xml", smallScan}, {"mapping", mapping}})
		status, ans := e.postImport(t, "/api/v1/imports/nmap?scope=lab", ctype, body)
		if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || deref(ans.Run.ErrorField) != "mapping" {
			t.Errorf("late mapping for nmap: %d %+v", status, ans.Run)
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "ripple-upload-*")); len(left) != 0 {
			t.Errorf("spooled parts left behind: %v", left)
		}
	}},
	{"HTTP: a policy part applies to its run only", func(t *testing.T, e *env) {
		retireAtOnce := `{"retireAfterRuns": 1}`
		oneHost := strings.Replace(smallScan, `<host><status state="up" reason="arp-response"/><address addr="10.0.0.2" addrtype="ipv4"/></host>`, "", 1)
		for _, tc := range []struct{ name, scope, where string }{
			{"policy before the file", "lab-1", "before"},
			{"policy after the file", "lab-2", "after"},
		} {
			path := "/api/v1/imports/nmap?scope=" + tc.scope
			body, ctype := multipartBody(t, [][2]string{{"file:scan.xml", smallScan}})
			if status, ans := e.postImport(t, path, ctype, body); status != http.StatusOK || ans.Run.Counts.Items != 2 {
				t.Fatalf("%s: first scan %d %+v", tc.name, status, ans.Run)
			}
			parts := [][2]string{{"policy", retireAtOnce}, {"file:scan.xml", oneHost}}
			if tc.where == "after" {
				parts = [][2]string{{"file:scan.xml", oneHost}, {"policy", retireAtOnce}}
			}
			body, ctype = multipartBody(t, parts)
			status, ans := e.postImport(t, path, ctype, body)
			if status != http.StatusOK || ans.Run.Counts.Retired != 1 || ans.Run.Counts.Stale != 0 {
				t.Errorf("%s: %d %+v, want the missing host retired at once", tc.name, status, ans.Run.Counts)
			}
		}
		// The server's own policy still holds for runs without one.
		path := "/api/v1/imports/nmap?scope=lab-3"
		body, ctype := multipartBody(t, [][2]string{{"file:scan.xml", smallScan}})
		e.postImport(t, path, ctype, body)
		body, ctype = multipartBody(t, [][2]string{{"file:scan.xml", oneHost}})
		if _, ans := e.postImport(t, path, ctype, body); ans.Run.Counts.Retired != 0 || ans.Run.Counts.Stale != 1 {
			t.Errorf("without a policy part: %+v, want the host only stale", ans.Run.Counts)
		}
		// A bad policy names the key at fault: before the files, nothing is
		// recorded; after them, the run fails on it.
		var before struct{ ImportRuns struct{ TotalCount int } }
		e.query(t, `{ importRuns { totalCount } }`, nil, &before)
		for _, tc := range []struct{ policy, field string }{
			{`{"retireAfterRuns": 0}`, "policy.retireAfterRuns"},
			{`{"retireAfterRun": 2}`, "policy"},
			{`not json`, "policy"},
		} {
			body, ctype := multipartBody(t, [][2]string{{"policy", tc.policy}, {"file:scan.xml", smallScan}})
			status, msg := e.postImportError(t, "/api/v1/imports/nmap?scope=lab-4", ctype, body)
			if status != http.StatusBadRequest || msg.Code != "INVALID_INPUT" || msg.Field != tc.field || msg.Message == "" {
				t.Errorf("policy %s: %d %+v, want INVALID_INPUT on %s", tc.policy, status, msg, tc.field)
			}
		}
		var after struct{ ImportRuns struct{ TotalCount int } }
		e.query(t, `{ importRuns { totalCount } }`, nil, &after)
		if after.ImportRuns.TotalCount != before.ImportRuns.TotalCount {
			t.Errorf("bad policies recorded %d runs", after.ImportRuns.TotalCount-before.ImportRuns.TotalCount)
		}
		body, ctype = multipartBody(t, [][2]string{{"file:scan.xml", smallScan}, {"policy", `{"maxStaleFraction": 3}`}})
		status, ans := e.postImport(t, "/api/v1/imports/nmap?scope=lab-4", ctype, body)
		if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || deref(ans.Run.ErrorField) != "policy.maxStaleFraction" {
			t.Errorf("bad policy after the file: %d %+v", status, ans.Run)
		}
	}},
	{"HTTP: bad requests", func(t *testing.T, e *env) {
		for _, tc := range []struct {
			path, field string
		}{
			{"/api/v1/imports/bogus", "format"},
			{"/api/v1/imports/csv?scope=x", "mapping"},
			{"/api/v1/imports/nmap?mapping=%7B%7D", "mapping"},
			{"/api/v1/imports/nmap?dryRun=maybe", "dryRun"},
			{"/api/v1/imports/nmap?source=Not+Valid", "source"},
			{"/api/v1/imports/kubernetes", "scope"},
		} {
			status, msg := e.postImportError(t, tc.path, "", strings.NewReader(smallScan))
			if status != http.StatusBadRequest || msg.Code != "INVALID_INPUT" || msg.Field != tc.field || msg.Message == "" {
				t.Errorf("%s: %d %+v", tc.path, status, msg)
			}
		}
		res, body := e.get(t, "/api/v1/imports/nmap")
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || !strings.Contains(string(body), "METHOD_NOT_ALLOWED") {
			t.Errorf("GET: %d %s %s", res.StatusCode, res.Header.Get("Allow"), body)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Error("the import endpoint is not behind the request-id middleware")
		}
		var out struct{ ImportRuns struct{ TotalCount int } }
		e.query(t, `{ importRuns { totalCount } }`, nil, &out)
		if out.ImportRuns.TotalCount != 0 {
			t.Errorf("bad requests recorded %d runs", out.ImportRuns.TotalCount)
		}
	}},
	{"HTTP: a stalled upload times out, recording nothing", func(t *testing.T, e *env) {
		local := e.another(t, e.store, formats.DefaultPolicy(), server.Config{ImportTimeout: 300 * time.Millisecond})
		pr, pw := io.Pipe()
		go func() {
			_, _ = io.WriteString(pw, smallScan[:200])
			time.Sleep(2 * time.Second)
			pw.Close()
		}()
		status, msg := local.postImportError(t, "/api/v1/imports/nmap", "", pr)
		if status != http.StatusRequestTimeout || msg.Code != "REQUEST_TIMEOUT" {
			t.Errorf("stalled upload: %d %+v", status, msg)
		}
		if n := e.runCount(t, ""); n != 0 {
			t.Errorf("a stalled upload recorded %d runs", n)
		}
	}},
	{"HTTP: slow uploads leave no RUNNING records", func(t *testing.T, e *env) {
		// Each claims a large body, sends a few bytes and stalls: the idle
		// deadline cuts them off, and no run is recorded, ever.
		const uploads = 40
		local := e.another(t, e.store, formats.DefaultPolicy(), server.Config{ImportIdleTimeout: 500 * time.Millisecond})
		started := time.Now()
		var wg sync.WaitGroup
		statuses := make(chan int, uploads)
		release := make(chan struct{})
		for range uploads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pr, pw := io.Pipe()
				go func() {
					_, _ = io.WriteString(pw, smallScan[:100])
					<-release
					pw.CloseWithError(errors.New("gave up"))
				}()
				req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, local.srv.URL+"/api/v1/imports/nmap", pr)
				if err != nil {
					statuses <- -1
					return
				}
				req.ContentLength = 100 << 20
				res, err := local.srv.Client().Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		// While they stall, nothing is recorded.
		time.Sleep(200 * time.Millisecond)
		if n := e.runCount(t, ""); n != 0 {
			t.Errorf("%d runs recorded while uploads are in progress", n)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("slow uploads were not cut off within 20s")
		}
		close(release)
		close(statuses)
		timedOut := 0
		for s := range statuses {
			if s == http.StatusRequestTimeout {
				timedOut++
			}
		}
		t.Logf("%d slow uploads: %d answered 408, all done in %v", uploads, timedOut, time.Since(started).Round(time.Millisecond))
		if timedOut != uploads {
			t.Errorf("%d of %d slow uploads answered 408", timedOut, uploads)
		}
		if n := e.runCount(t, ""); n != 0 {
			t.Errorf("slow uploads recorded %d runs", n)
		}
	}},
	{"HTTP: invalid UTF-8 in an uploaded file is refused as INVALID_INPUT naming where", func(t *testing.T, e *env) {
		csvMapping := url.QueryEscape(`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`)
		jsonMapping := url.QueryEscape(`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`)
		for _, tc := range []struct{ name, path, ctype, body, at string }{
			{"csv", "/api/v1/imports/csv?scope=u8csv&mapping=" + csvMapping, "text/csv",
				"host\nweb-1\nweb-\xff2\n", "line 3"},
			{"json", "/api/v1/imports/json?scope=u8json&mapping=" + jsonMapping, "application/json",
				`[{"host": "web-1"}, {"host": "web-` + "\xff" + `2"}]`, "line 1"},
			{"nmap", "/api/v1/imports/nmap?scope=u8nmap", "application/xml",
				strings.Replace(smallScan, "alpha.example.com", "alpha\xff.example.com", 1), "line 3"},
		} {
			status, ans := e.postImport(t, tc.path, tc.ctype, strings.NewReader(tc.body))
			if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || ans.Run.Counts.Created != 0 {
				t.Errorf("%s: %d %+v", tc.name, status, ans.Run)
				continue
			}
			if ans.Error == nil || ans.Error.Code != "INVALID_INPUT" || !strings.Contains(ans.Error.Message, "UTF-8") {
				t.Errorf("%s: error %+v, run error %q", tc.name, ans.Error, deref(ans.Run.Error))
			}
			if tc.at != "" && !strings.Contains(deref(ans.Run.ErrorAt), tc.at) {
				t.Errorf("%s: errorAt %q, want %q", tc.name, deref(ans.Run.ErrorAt), tc.at)
			}
		}
		if n := e.count(t); n != 0 {
			t.Errorf("%d CIs written", n)
		}
	}},
	{"HTTP: a 120 MB field is refused with a bounded answer in bounded memory", func(t *testing.T, e *env) {
		// Generated as it is sent: a header, one good row, then a row whose
		// owner cell is 120 MB of one letter.
		const fieldBytes = 120 << 20
		mapping := url.QueryEscape(`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}, "ownerColumn": "owner"}`)
		body := io.MultiReader(strings.NewReader("host,owner\nweb-1,team-a\nweb-2,"),
			io.LimitReader(repeatByte('x'), fieldBytes), strings.NewReader("\n"))
		stop := watchHeap()
		status, raw := e.rawImport(t, "/api/v1/imports/csv?scope=assets&mapping="+mapping, "text/csv", body)
		grew := stop()
		t.Logf("120 MB field: answer %d bytes, peak heap growth %.1f MiB", len(raw), float64(grew)/(1<<20))
		var ans importAnswerJSON
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("%d: %s (%v)", status, truncate(raw), err)
		}
		if status != http.StatusUnprocessableEntity || ans.Run.Outcome != "FAILED" || deref(ans.Run.ErrorAt) != "line 3" ||
			!strings.Contains(deref(ans.Run.Error), "longer than") {
			t.Errorf("%d %+v", status, ans.Run)
		}
		if len(raw) > 16<<10 {
			t.Errorf("the answer is %d bytes", len(raw))
		}
		if grew > 96<<20 {
			t.Errorf("the heap grew by %d MiB reading a 120 MB field", grew>>20)
		}
		var out struct {
			ImportRuns struct{ Edges []struct{ Node runJSON } }
		}
		res := e.post(t, `{ importRuns(first: 10) { edges { node { `+runFields+` } } } }`, nil)
		if err := json.Unmarshal(res.Data, &out); err != nil || len(out.ImportRuns.Edges) != 1 || len(res.Data) > 16<<10 {
			t.Errorf("runs: %d, %d bytes (%v)", len(out.ImportRuns.Edges), len(res.Data), err)
		}
		if n := e.count(t); n != 0 {
			t.Errorf("%d CIs written", n)
		}
	}},
	{"HTTP: bodies over the import limit", func(t *testing.T, e *env) {
		local := e.another(t, e.store, formats.DefaultPolicy(), server.Config{MaxImportBytes: 300})
		status, _ := local.postImportError(t, "/api/v1/imports/nmap", "", strings.NewReader(smallScan))
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("with a length: %d", status)
		}
		// Without a length, only reading finds out: the answer says why,
		// and no run is recorded, as for any upload cut short.
		status, msg := local.postImportError(t, "/api/v1/imports/nmap", "", io.MultiReader(strings.NewReader(smallScan)))
		if status != http.StatusRequestEntityTooLarge || msg.Code != "REQUEST_TOO_LARGE" {
			t.Errorf("chunked: %d %+v", status, msg)
		}
		if n := e.runCount(t, ""); n != 0 {
			t.Errorf("oversized uploads recorded %d runs", n)
		}
		// The GraphQL body limit does not apply to imports.
		big := strings.Replace(smallScan, "<runstats>", "<!-- "+strings.Repeat("x", 2<<20)+" -->\n<runstats>", 1)
		status, ans := e.postImport(t, "/api/v1/imports/nmap", "", strings.NewReader(big))
		if status != http.StatusOK || ans.Run.Counts.Created != 2 {
			t.Errorf("a 2 MiB scan: %d %+v", status, ans.Run)
		}
	}},
}

// runCount counts the recorded runs with an outcome ("" = any).
func (e *env) runCount(t *testing.T, outcome string) int {
	t.Helper()
	f := graph.RecordFilter{}
	if outcome != "" {
		f.States = []string{outcome}
	}
	page, err := e.store.Store.ListRecords(e.ctx, graph.KindImportRun, f, graph.Page{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.TotalCount
}

// importAnswerJSON is the import endpoint's answer.
type importAnswerJSON struct {
	Run   runJSON
	Plan  *planJSON
	Files []string
	Error *httpErrorJSON
}

type httpErrorJSON struct{ Code, Field, Message string }

func (e *env) rawImport(t *testing.T, path, ctype string, body io.Reader, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST %s: Content-Type %q", path, ct)
	}
	return res.StatusCode, raw
}

// postImport posts to the import endpoint and decodes a run answer.
func (e *env) postImport(t *testing.T, path, ctype string, body io.Reader, hdr ...string) (int, importAnswerJSON) {
	t.Helper()
	status, raw := e.rawImport(t, path, ctype, body, hdr...)
	var ans importAnswerJSON
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Run.ID == "" {
		t.Fatalf("POST %s: %d, not a run: %s (%v)", path, status, truncate(raw), err)
	}
	return status, ans
}

// postImportError posts to the import endpoint and decodes an error answer.
func (e *env) postImportError(t *testing.T, path, ctype string, body io.Reader) (int, httpErrorJSON) {
	t.Helper()
	status, raw := e.rawImport(t, path, ctype, body)
	var ans struct{ Error *httpErrorJSON }
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Error == nil {
		t.Fatalf("POST %s: %d, not an error: %s (%v)", path, status, truncate(raw), err)
	}
	return status, *ans.Error
}

// multipartBody builds a form: a name "file:x.csv" is a file part named
// x.csv, any other name a plain field.
func multipartBody(t *testing.T, parts [][2]string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		var (
			pw  io.Writer
			err error
		)
		if name, ok := strings.CutPrefix(p[0], "file:"); ok {
			pw, err = w.CreateFormFile("file", name)
		} else {
			pw, err = w.CreateFormField(p[0])
		}
		if err == nil {
			_, err = io.WriteString(pw, p[1])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, w.FormDataContentType()
}

// sightingCounter counts SightingsOf calls.
type sightingCounter struct {
	graph.Store
	n atomic.Int64
}

func (s *sightingCounter) SightingsOf(ctx context.Context, ids []string) (map[string][]graph.Sighting, error) {
	s.n.Add(1)
	return s.Store.SightingsOf(ctx, ids)
}

// conflictingStore fails every batch the way a concurrent run of the same
// scope does.
type conflictingStore struct{ graph.Store }

func (conflictingStore) Apply(context.Context, graph.Batch) (graph.BatchResult, error) {
	return graph.BatchResult{}, graph.Errorf(graph.CodeConflict, "ledger.generation", "another run of the scope was applied since this one read it")
}

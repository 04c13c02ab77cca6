package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/demo"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// Referential integrity at the API: deleteCI refuses to orphan live
// records (listing them), RETIRE keeps the CI, FORCE deletes it, and from
// then on every read and analysis still answers, showing the deleted CI as
// a tombstone in the records' ciRefs.

// loadDemo loads the demo estate and its ITSM records (times relative to
// now, as `ripple serve --demo` does) into the store under test.
func (e *env) loadDemo(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Load(ctx, e.store); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadITSM(ctx, itsm.New(e.store), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// demoCI returns the id of the demo CI with this name.
func (e *env) demoCI(t *testing.T, name string) string {
	t.Helper()
	var out struct {
		Cis struct{ Edges []struct{ Node ciJSON } }
	}
	e.query(t, `query($v: String!) { cis(filter: {identifier: $v}) { edges { node { id name } } } }`, in("v", name), &out)
	if len(out.Cis.Edges) != 1 || out.Cis.Edges[0].Node.Name != name {
		t.Fatalf("demo CI %q: %+v", name, out.Cis.Edges)
	}
	return out.Cis.Edges[0].Node.ID
}

const deleteCIQ = `mutation($id: ID!, $mode: DeleteMode) { deleteCI(id: $id, mode: $mode) }`

type ciRefJSON struct {
	Role, ID  string
	Name      *string
	Class     *string
	Deleted   bool
	DeletedAt *string
	DeletedBy *string
	CI        *ciJSON `json:"ci"`
}

// refTo returns the reference to id among refs.
func refTo(t *testing.T, refs []ciRefJSON, id string) ciRefJSON {
	t.Helper()
	for _, r := range refs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no reference to %s in %+v", id, refs)
	return ciRefJSON{}
}

// ciRefsQ reads every kind of record with its CI references and the
// fields that resolve CIs.
const ciRefsQ = `{
  incidents(first: 30) { edges { node { id title affectedCis { id } services { id }
    ciRefs { role id name class deleted deletedAt deletedBy ci { id name } } } } }
  problems(first: 10) { edges { node { id title rootCauseCi { id } ciRefs { role id name class deleted deletedAt deletedBy ci { id } } } } }
  changes(first: 20) { edges { node { id title targets { id } ciRefs { role id name class deleted deletedAt deletedBy ci { id } } } } }
  slas { id name service { id name } ciRefs { role id name class deleted deletedAt deletedBy ci { id } } }
  windows { id name scope { id } ciRefs { role id name deleted } }
}`

type recordRefsJSON struct {
	ID, Title, Name string
	CiRefs          []ciRefJSON
}

type ciRefsJSON struct {
	Incidents struct {
		Edges []struct{ Node recordRefsJSON }
	}
	Problems struct {
		Edges []struct{ Node recordRefsJSON }
	}
	Changes struct {
		Edges []struct{ Node recordRefsJSON }
	}
	Slas []struct {
		recordRefsJSON
		Service *ciJSON
	}
}

// refsTo returns, for every record of any kind referencing id, its title
// (or name) and the reference.
func (r ciRefsJSON) refsTo(id string) map[string]ciRefJSON {
	out := map[string]ciRefJSON{}
	var all []recordRefsJSON
	for _, e := range r.Incidents.Edges {
		all = append(all, e.Node)
	}
	for _, e := range r.Problems.Edges {
		all = append(all, e.Node)
	}
	for _, e := range r.Changes.Edges {
		all = append(all, e.Node)
	}
	for _, s := range r.Slas {
		all = append(all, s.recordRefsJSON)
	}
	for _, rec := range all {
		for _, ref := range rec.CiRefs {
			if ref.ID == id {
				out[rec.Title+rec.Name] = ref
			}
		}
	}
	return out
}

// analysesQ runs every analysis that reads records' CIs.
const analysesQ = `query($change: ID!) {
  rootCauseCandidates(first: 5) { ci { name } score explains { id title } evidence evidenceItems { kind ciIds } }
  slaAtRisk { service { name } sla { name ciRefs { id name deleted } } status reasons attainment budgetLeftMinutes
    openIncidents { incident { title } responseDue } changes { change { title } effect } }
  changeImpact(changeId: $change) { riskScore reasons services { ci { name } effect }
    collisions { change { title } sharedCis { name } } freezeViolations { name }
    slasAtRisk { sla { name } service { name } atRisk } }
}`

type analysesJSON struct {
	RootCauseCandidates []struct {
		CI            ciJSON `json:"ci"`
		Evidence      []string
		EvidenceItems []struct {
			Kind  string
			CIIDs []string `json:"ciIds"`
		}
	}
	SLAAtRisk []struct {
		Service *ciJSON
		SLA     struct{ Name string }
		Status  string
		Reasons []string
	}
	ChangeImpact struct {
		RiskScore int
		Reasons   []string
	}
}

var referenceCases = []testCase{
	{"deleteCI on the demo: refused with the holders, then forced, and every read still answers", func(t *testing.T, e *env) {
		e.loadDemo(t)
		db := e.demoCI(t, "orders-db-primary")
		checkout := e.demoCI(t, "Checkout")
		// Besides the demo's scheduled upgrade: an open incident and a
		// problem on the database.
		inc := e.incident(t, "oncall", in("title", "orders-db-primary refuses connections", "affectedCiIds", []string{db}))
		e.query(t, `mutation($in: CreateProblemInput!) { createProblem(input: $in) { id } }`,
			in("in", in("title", "connection storms", "rootCauseCiId", db)), nil)

		// PROTECT (the default): refused, nothing changes, holders listed.
		for _, vars := range []map[string]any{in("id", db), in("id", db, "mode", "PROTECT")} {
			got := e.fail(t, deleteCIQ, vars, "CONFLICT", "id")
			raw, _ := json.Marshal(got.Extensions)
			var ext struct {
				CI      struct{ ID, Name string }
				Holders []struct{ Kind, ID, State, Title string }
				Counts  map[string]int
				Total   int
			}
			if err := json.Unmarshal(raw, &ext); err != nil {
				t.Fatal(err)
			}
			var holders []string
			for _, h := range ext.Holders {
				holders = append(holders, h.Kind+" "+h.State+" "+h.Title)
			}
			want := "INCIDENT NEW orders-db-primary refuses connections|CHANGE SCHEDULED Upgrade PostgreSQL to 16.6 on orders-db-primary|PROBLEM NEW connection storms"
			if strings.Join(holders, "|") != want || ext.Total != 3 || ext.CI.ID != db || ext.CI.Name != "orders-db-primary" ||
				fmt.Sprint(ext.Counts) != "map[CHANGE:1 INCIDENT:1 PROBLEM:1]" {
				t.Fatalf("extensions %s\nholders %s\nwant     %s", raw, strings.Join(holders, "|"), want)
			}
			if !strings.Contains(got.Message, "1 open incident, 1 change not closed, 1 problem not closed") {
				t.Errorf("message %q does not count the holders", got.Message)
			}
		}
		var still struct{ CI *ciJSON }
		e.query(t, `query($id: ID!) { ci(id: $id) { id status } }`, in("id", db), &still)
		if still.CI == nil || still.CI.Status != "IN_SERVICE" {
			t.Fatalf("after the refused deletes: %+v", still.CI)
		}
		var before ciRefsJSON
		e.query(t, ciRefsQ, nil, &before)
		upgrade := ""
		for _, c := range before.Changes.Edges {
			if strings.HasPrefix(c.Node.Title, "Upgrade PostgreSQL") {
				upgrade = c.Node.ID
				if r := refTo(t, c.Node.CiRefs, db); r.Deleted || r.CI == nil || r.Role != "TARGETS" || *r.Name != "orders-db-primary" {
					t.Fatalf("live reference %+v", r)
				}
			}
		}

		// FORCE, by an administrator: the database and the Checkout service
		// (which has an SLA and open incidents) go.
		for _, id := range []string{db, checkout} {
			var out struct{ DeleteCI bool }
			e.as(t, "admin", deleteCIQ, in("id", id, "mode", "FORCE"), &out)
			if !out.DeleteCI {
				t.Fatal("forced deleteCI returned false")
			}
		}
		var gone struct{ CI *ciJSON }
		e.query(t, `query($id: ID!) { ci(id: $id) { id } }`, in("id", db), &gone)
		if gone.CI != nil {
			t.Fatal("the database is still there after a forced delete")
		}

		// Every record read answers; references to the deleted CIs are
		// tombstones with the last known name.
		var after ciRefsJSON
		e.query(t, ciRefsQ, nil, &after)
		refs := after.refsTo(db)
		for _, title := range []string{"orders-db-primary refuses connections", "connection storms", "Upgrade PostgreSQL to 16.6 on orders-db-primary"} {
			r, ok := refs[title]
			if !ok || !r.Deleted || r.CI != nil || r.Name == nil || *r.Name != "orders-db-primary" || *r.Class != "Database" ||
				r.DeletedBy == nil || *r.DeletedBy != "admin" || r.DeletedAt == nil {
				t.Errorf("%s: reference to the deleted database %+v", title, r)
			}
		}
		checkoutSLA := false
		for _, s := range after.Slas {
			if s.Name == "Checkout OLA" {
				checkoutSLA = true
				if r := refTo(t, s.CiRefs, checkout); s.Service != nil || !r.Deleted || *r.Name != "Checkout" {
					t.Errorf("Checkout OLA after its service was deleted: service %+v, ref %+v", s.Service, r)
				}
			}
		}
		if !checkoutSLA {
			t.Error("the Checkout OLA is missing from slas")
		}
		var incRead struct {
			Incident struct {
				AffectedCiIds []string
				AffectedCis   []ciJSON
			}
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { affectedCiIds affectedCis { id } } }`, in("id", inc.ID), &incRead)
		if len(incRead.Incident.AffectedCiIds) != 1 || len(incRead.Incident.AffectedCis) != 0 {
			t.Errorf("incident on the deleted database: %+v", incRead.Incident)
		}

		// Every analysis answers, skipping what is gone and saying so.
		var an analysesJSON
		e.query(t, analysesQ, in("change", upgrade), &an)
		if !strings.Contains(strings.Join(an.ChangeImpact.Reasons, "\n"), `DELETED_CI: 1 target(s) no longer exist and are left out of the blast radius: "orders-db-primary" (deleted`) {
			t.Errorf("changeImpact reasons %v", an.ChangeImpact.Reasons)
		}
		deletedEvidence := false
		for _, rc := range an.RootCauseCandidates {
			for _, ev := range rc.EvidenceItems {
				deletedEvidence = deletedEvidence || ev.Kind == "DELETED_CI" && strings.Contains(fmt.Sprint(ev.CIIDs), db)
			}
		}
		if len(an.RootCauseCandidates) == 0 || !deletedEvidence {
			t.Errorf("root-cause candidates %+v, want DELETED_CI evidence naming the database", an.RootCauseCandidates)
		}
		orphan := false
		for _, st := range an.SLAAtRisk {
			if st.SLA.Name == "Checkout OLA" {
				orphan = st.Service == nil && strings.Contains(strings.Join(st.Reasons, ";"), `service "Checkout" (deleted`)
			}
		}
		if !orphan {
			t.Errorf("slaAtRisk %+v, want the Checkout OLA with no service and a reason", an.SLAAtRisk)
		}
		var assessed struct{ AssessChange struct{ RiskScore int } }
		e.query(t, `mutation($id: ID!) { assessChange(changeId: $id) { riskScore } }`, in("id", upgrade), &assessed)
	}},
	{"deleteCI RETIRE keeps the CI, its relations and its references", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		e.incident(t, "", in("title", "db slow", "affectedCiIds", []string{s.db}))
		e.fail(t, deleteCIQ, in("id", s.db), "CONFLICT", "id")
		var out struct{ DeleteCI bool }
		e.query(t, deleteCIQ, in("id", s.db, "mode", "RETIRE"), &out)
		var read struct {
			CI struct {
				Status    string
				Relations []struct{ Type string }
			}
			Incidents struct {
				Edges []struct{ Node struct{ CiRefs []ciRefJSON } }
			}
		}
		e.query(t, `query($id: ID!) { ci(id: $id) { status relations { type } }
		  incidents(filter: {ciId: $id}) { edges { node { ciRefs { role id name deleted ci { status } } } } } }`, in("id", s.db), &read)
		if !out.DeleteCI || read.CI.Status != "RETIRED" || len(read.CI.Relations) != 1 || len(read.Incidents.Edges) != 1 {
			t.Fatalf("after RETIRE: %+v", read)
		}
		if r := refTo(t, read.Incidents.Edges[0].Node.CiRefs, s.db); r.Deleted || r.CI == nil || r.CI.Status != "RETIRED" {
			t.Fatalf("reference to the retired CI %+v", r)
		}
		// An unknown mode is refused before anything runs.
		e.fail(t, deleteCIQ, in("id", s.db, "mode", "ERASE"), "GRAPHQL_VALIDATION_FAILED", "")
	}},
}

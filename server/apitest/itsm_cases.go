package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
)

// estate is a small service tree for the ITSM cases:
//
//	shop (BusinessService, CRITICAL) -DEPENDS_ON-> shop-app -DEPENDS_ON-> shop-db
type estate struct{ shop, app, db string }

func newEstate(t *testing.T, e *env) estate {
	t.Helper()
	s := estate{
		shop: e.mk(t, "shop", "BusinessService", "criticality", "CRITICAL"),
		app:  e.mk(t, "shop-app", "Application"),
		db:   e.mk(t, "shop-db", "Database"),
	}
	e.relate(t, s.shop, "DEPENDS_ON", s.app)
	e.relate(t, s.app, "DEPENDS_ON", s.db)
	return s
}

// as runs an operation that must succeed, attributed to actor ("" for
// none), and decodes its data into out.
func (e *env) as(t *testing.T, actor, query string, vars map[string]any, out any) {
	t.Helper()
	var hdr []string
	if actor != "" {
		hdr = []string{"X-Ripple-Actor", actor}
	}
	res := e.post(t, query, vars, hdr...)
	if len(res.Errors) > 0 || res.status != http.StatusOK {
		t.Fatalf("status %d, errors %+v for\n%s", res.status, res.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatalf("decode %s: %v", truncate(res.Data), err)
		}
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

const incidentFields = `id title priority state impact urgency openedAt respondedAt resolvedAt closedAt outageStart outageEnd
  affectedCis { id name } services { id name } transitions { from to actor note }`

type incidentJSON struct {
	ID, Title, Priority, State string
	Impact, Urgency            int
	OpenedAt                   string
	RespondedAt, ResolvedAt    *string
	ClosedAt                   *string
	OutageStart, OutageEnd     *string
	AffectedCis, Services      []ciJSON
	Transitions                []struct{ From, To, Actor, Note string }
}

const createIncidentQ = `mutation($in: CreateIncidentInput!) { createIncident(input: $in) { ` + incidentFields + ` } }`

func (e *env) incident(t *testing.T, actor string, input map[string]any) incidentJSON {
	t.Helper()
	var out struct{ CreateIncident incidentJSON }
	e.as(t, actor, createIncidentQ, map[string]any{"in": input}, &out)
	return out.CreateIncident
}

const transitionIncidentQ = `mutation($id: ID!, $s: IncidentState!, $n: String) { transitionIncident(id: $id, state: $s, note: $n) { ` + incidentFields + ` } }`

type historyJSON struct {
	Edges []struct {
		Cursor string
		Node   struct {
			ID, Actor, Action, SubjectKind, SubjectID string
			Before, After                             map[string]any
		}
	}
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		EndCursor                    *string
	}
}

func (h historyJSON) summary() string {
	var parts []string
	for _, e := range h.Edges {
		parts = append(parts, e.Node.Action+" by "+e.Node.Actor)
	}
	return strings.Join(parts, ", ")
}

const createChangeQ = `mutation($in: CreateChangeInput!) { createChange(input: $in) { id state type } }`

func (e *env) change(t *testing.T, typ string, targets []string, start, end time.Time) string {
	t.Helper()
	var out struct {
		CreateChange struct{ ID, State, Type string }
	}
	e.query(t, createChangeQ, in("in", in("title", "change "+typ, "type", typ, "targetCiIds", targets,
		"plannedStart", ts(start), "plannedEnd", ts(end))), &out)
	if out.CreateChange.State != "REQUESTED" || out.CreateChange.Type != typ {
		t.Fatalf("created change %+v", out.CreateChange)
	}
	return out.CreateChange.ID
}

const transitionChangeQ = `mutation($id: ID!, $s: ChangeState!, $o: ChangeOutcome, $n: String) {
  transitionChange(id: $id, state: $s, outcome: $o, note: $n) { id state outcome actualStart actualEnd implementationNotes { text author } }
}`

func (e *env) moveChange(t *testing.T, id, state string) {
	t.Helper()
	e.query(t, transitionChangeQ, in("id", id, "s", state), nil)
}

const createSLAQ = `mutation($in: CreateSLAInput!) { createSLA(input: $in) { id name period availabilityTarget
  targets { priority responseMinutes resolutionMinutes } serviceHours service { id } } }`

func (e *env) sla(t *testing.T, service, name string, target float64, targets ...map[string]any) string {
	t.Helper()
	var out struct{ CreateSLA struct{ ID string } }
	e.query(t, createSLAQ, in("in", in("serviceId", service, "name", name, "availabilityTarget", target,
		"targets", targets, "serviceHours", in("always", true))), &out)
	return out.CreateSLA.ID
}

func prioTarget(p string, resp, res float64) map[string]any {
	return in("priority", p, "responseMinutes", resp, "resolutionMinutes", res)
}

var itsmCases = []testCase{
	{"incident lifecycle", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		inc := e.incident(t, "", in("title", "checkout fails", "affectedCiIds", []string{s.db}, "impact", 1, "urgency", 2,
			"description", "500s on /checkout"))
		if inc.Priority != "P2" || inc.State != "NEW" || inc.Impact != 1 || inc.Urgency != 2 {
			t.Errorf("created %+v", inc)
		}
		if names(inc.AffectedCis) != "shop-db" || names(inc.Services) != "shop" {
			t.Errorf("affected %s, services %s", names(inc.AffectedCis), names(inc.Services))
		}
		step := func(state string) incidentJSON {
			t.Helper()
			var out struct{ TransitionIncident incidentJSON }
			e.query(t, transitionIncidentQ, in("id", inc.ID, "s", state, "n", "to "+state), &out)
			if out.TransitionIncident.State != state {
				t.Fatalf("state %s after moving to %s", out.TransitionIncident.State, state)
			}
			return out.TransitionIncident
		}
		e.fail(t, transitionIncidentQ, in("id", inc.ID, "s", "RESOLVED"), "INVALID_INPUT", "state")
		got := step("IN_PROGRESS")
		if got.RespondedAt == nil || got.ResolvedAt != nil {
			t.Errorf("in progress: responded %v resolved %v", got.RespondedAt, got.ResolvedAt)
		}
		step("ON_HOLD")
		step("IN_PROGRESS")
		got = step("RESOLVED")
		if got.ResolvedAt == nil {
			t.Error("resolvedAt not set")
		}
		got = step("CLOSED")
		if got.ClosedAt == nil || len(got.Transitions) != 6 {
			t.Errorf("closed: closedAt %v, %d transitions", got.ClosedAt, len(got.Transitions))
		}
		var path []string
		for _, tr := range got.Transitions {
			path = append(path, tr.From+">"+tr.To)
		}
		if want := ">NEW NEW>IN_PROGRESS IN_PROGRESS>ON_HOLD ON_HOLD>IN_PROGRESS IN_PROGRESS>RESOLVED RESOLVED>CLOSED"; strings.Join(path, " ") != want {
			t.Errorf("transitions %s", strings.Join(path, " "))
		}
		err := e.fail(t, transitionIncidentQ, in("id", inc.ID, "s", "IN_PROGRESS"), "INVALID_INPUT", "state")
		if !strings.Contains(err.Message, "CLOSED") {
			t.Errorf("message %q", err.Message)
		}

		// Read back, and find it by state, CI and priority.
		var one struct{ Incident *incidentJSON }
		e.query(t, `query($id: ID!) { incident(id: $id) { `+incidentFields+` } }`, in("id", inc.ID), &one)
		if one.Incident == nil || one.Incident.State != "CLOSED" || one.Incident.Title != "checkout fails" {
			t.Errorf("incident(id) = %+v", one.Incident)
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { id } }`, in("id", unknownID), &one)
		if one.Incident != nil {
			t.Errorf("unknown incident = %+v", one.Incident)
		}
		var list struct {
			Incidents struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		for _, tc := range []struct {
			filter map[string]any
			want   int
		}{
			{in("states", []string{"CLOSED"}), 1},
			{in("open", true), 0},
			{in("ciId", s.shop), 1},
			{in("ciId", s.app), 0},
			{in("priority", "P2"), 1},
			{in("priority", "P1"), 0},
		} {
			e.query(t, `query($f: IncidentFilter) { incidents(filter: $f) { totalCount edges { node { id } } } }`, in("f", tc.filter), &list)
			if list.Incidents.TotalCount != tc.want || len(list.Incidents.Edges) != tc.want {
				t.Errorf("incidents(%v): totalCount %d, %d edges, want %d", tc.filter, list.Incidents.TotalCount, len(list.Incidents.Edges), tc.want)
			}
		}
	}},
	{"incident priority matrix", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		for _, tc := range []struct {
			impact, urgency any
			want            string
		}{
			{1, 1, "P1"}, {1, 2, "P2"}, {1, 3, "P3"},
			{2, 1, "P2"}, {2, 2, "P3"}, {2, 3, "P4"},
			{3, 1, "P3"}, {3, 2, "P4"}, {3, 3, "P4"},
			{nil, nil, "P3"},
		} {
			inc := e.incident(t, "", in("title", "x", "affectedCiIds", []string{s.app}, "impact", tc.impact, "urgency", tc.urgency))
			if inc.Priority != tc.want {
				t.Errorf("impact %v urgency %v: %s, want %s", tc.impact, tc.urgency, inc.Priority, tc.want)
			}
		}
		e.fail(t, createIncidentQ, in("in", in("title", "x", "affectedCiIds", []string{s.app}, "impact", 4)), "INVALID_INPUT", "impact")
		e.fail(t, createIncidentQ, in("in", in("title", "x", "affectedCiIds", []string{s.app}, "urgency", 0)), "INVALID_INPUT", "urgency")
	}},
	{"incident input errors", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		for _, tc := range []struct {
			name        string
			input       map[string]any
			code, field string
		}{
			{"missing CI", in("title", "x", "affectedCiIds", []string{s.db, unknownID}), "NOT_FOUND", "affectedCiIds[1]"},
			{"malformed CI", in("title", "x", "affectedCiIds", []string{malformedID}), "INVALID_INPUT", "affectedCiIds[0]"},
			{"no CI", in("title", "x", "affectedCiIds", []string{}), "INVALID_INPUT", "affectedCiIds"},
			{"empty title", in("title", " ", "affectedCiIds", []string{s.db}), "INVALID_INPUT", "title"},
			{"opened in the future", in("title", "x", "affectedCiIds", []string{s.db}, "openedAt", ts(time.Now().Add(time.Hour))), "INVALID_INPUT", "openedAt"},
			{"unknown causing change", in("title", "x", "affectedCiIds", []string{s.db}, "causedByChangeId", unknownID), "NOT_FOUND", "causedByChangeId"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.fail(t, createIncidentQ, in("in", tc.input), tc.code, tc.field)
			})
		}
		var list struct{ Incidents struct{ TotalCount int } }
		e.query(t, `{ incidents { totalCount } }`, nil, &list)
		if list.Incidents.TotalCount != 0 {
			t.Errorf("%d incidents after failed creates", list.Incidents.TotalCount)
		}
	}},
	{"actor header shows in history", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		inc := e.incident(t, "alice@example.com", in("title", "slow", "affectedCiIds", []string{s.app}))
		if inc.Transitions[0].Actor != "alice@example.com" {
			t.Errorf("creation transition by %q", inc.Transitions[0].Actor)
		}
		e.as(t, "Bob Builder", transitionIncidentQ, in("id", inc.ID, "s", "IN_PROGRESS"), nil)
		// Too long an actor is refused, not truncated or dropped; without
		// the header the write is anonymous.
		if res := e.post(t, transitionIncidentQ, in("id", inc.ID, "s", "RESOLVED"), "X-Ripple-Actor", strings.Repeat("m", 129)); res.status != http.StatusBadRequest {
			t.Errorf("over-long actor: status %d %+v", res.status, res.Errors)
		}
		e.query(t, transitionIncidentQ, in("id", inc.ID, "s", "RESOLVED"), nil)
		var out struct {
			Incident struct {
				History     historyJSON
				Transitions []struct{ Actor string }
			}
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { transitions { actor }
		  history { edges { cursor node { id actor action subjectKind subjectId before after } } pageInfo { hasNextPage } } } }`, in("id", inc.ID), &out)
		h := out.Incident.History
		if got, want := h.summary(), "UPDATE by anonymous, UPDATE by Bob Builder, CREATE by alice@example.com"; got != want {
			t.Errorf("history %s, want %s", got, want)
		}
		if n := h.Edges[2].Node; n.SubjectKind != "INCIDENT" || n.SubjectID != inc.ID || n.Before != nil || n.After["title"] != "slow" {
			t.Errorf("create entry %+v", n)
		}
		if b := h.Edges[0].Node.Before; b["state"] != "IN_PROGRESS" {
			t.Errorf("before of the last update: state %v", b["state"])
		}
		// The same trail through history(id) and on CIs.
		var byID struct{ History historyJSON }
		e.query(t, `query($id: ID!) { history(id: $id) { edges { node { actor action } } } }`, in("id", inc.ID), &byID)
		if byID.History.summary() != h.summary() {
			t.Errorf("history(id) %s", byID.History.summary())
		}
		var ci struct{ UpsertCI struct{ History historyJSON } }
		e.as(t, "carol", `mutation($in: CIInput!) { upsertCI(input: $in) { history(first: 1) { edges { node { actor action } } pageInfo { hasNextPage } } } }`,
			in("in", in("id", s.db, "owner", "dba")), &ci)
		if got := ci.UpsertCI.History.summary(); got != "UPDATE by carol" || !ci.UpsertCI.History.PageInfo.HasNextPage {
			t.Errorf("CI history %s, hasNextPage %v", got, ci.UpsertCI.History.PageInfo.HasNextPage)
		}
	}},
	{"history and record pagination", func(t *testing.T, e *env) {
		id := e.mk(t, "pager", "Server")
		for i := range 4 {
			e.upsert(t, in("id", id, "owner", fmt.Sprintf("team-%d", i)))
		}
		const q = `query($id: ID!, $first: Int, $after: String) { ci(id: $id) { history(first: $first, after: $after) {
		  edges { cursor node { action after } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`
		var owners []string
		var after any
		for pageNo := 0; ; pageNo++ {
			var out struct{ CI struct{ History historyJSON } }
			e.query(t, q, in("id", id, "first", 2, "after", after), &out)
			h := out.CI.History
			if h.PageInfo.HasPreviousPage != (pageNo > 0) {
				t.Errorf("page %d hasPreviousPage %v", pageNo, h.PageInfo.HasPreviousPage)
			}
			for _, ed := range h.Edges {
				owner, _ := ed.Node.After["owner"].(string)
				owners = append(owners, ed.Node.Action+":"+owner)
			}
			if !h.PageInfo.HasNextPage {
				break
			}
			if pageNo > 5 || h.PageInfo.EndCursor == nil {
				t.Fatalf("runaway paging at page %d", pageNo)
			}
			after = *h.PageInfo.EndCursor
		}
		if got, want := strings.Join(owners, " "), "UPDATE:team-3 UPDATE:team-2 UPDATE:team-1 UPDATE:team-0 CREATE:"; got != want {
			t.Errorf("history pages:\n got %s\nwant %s", got, want)
		}
		e.fail(t, q, in("id", id, "after", "bm90IGEgY3Vyc29y"), "INVALID_INPUT", "after")
		e.fail(t, q, in("id", id, "first", 501), "INVALID_INPUT", "first")

		// Incidents page newest first with a total count.
		app := e.mk(t, "app", "Application")
		var ids []string
		for i := range 3 {
			ids = append(ids, e.incident(t, "", in("title", fmt.Sprintf("inc-%d", i), "affectedCiIds", []string{app})).ID)
		}
		const lq = `query($first: Int, $after: String) { incidents(first: $first, after: $after) { totalCount
		  edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }`
		type page struct {
			Incidents struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID, Title string } }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		var p1, p2, p0 page
		e.query(t, lq, in("first", 2), &p1)
		e.query(t, lq, in("first", 2, "after", p1.Incidents.PageInfo.EndCursor), &p2)
		e.query(t, lq, in("first", 0), &p0)
		var titles []string
		for _, p := range []page{p1, p2} {
			for _, ed := range p.Incidents.Edges {
				titles = append(titles, ed.Node.Title)
			}
		}
		if strings.Join(titles, ",") != "inc-2,inc-1,inc-0" || p1.Incidents.TotalCount != 3 || !p1.Incidents.PageInfo.HasNextPage || p2.Incidents.PageInfo.HasNextPage {
			t.Errorf("incident pages %v, %+v / %+v", titles, p1.Incidents.PageInfo, p2.Incidents.PageInfo)
		}
		if p0.Incidents.TotalCount != 3 || len(p0.Incidents.Edges) != 0 || !p0.Incidents.PageInfo.HasNextPage {
			t.Errorf("first: 0 gave %+v", p0.Incidents)
		}
	}},
	{"an explicit null optional id means not set", func(t *testing.T, e *env) {
		// gqlgen decodes a null ID into a Go string as "null"; the
		// client meant "no root cause yet", both as a literal and as a
		// variable.
		for _, q := range []struct {
			name, query string
			vars        map[string]any
		}{
			{"literal", `mutation { createProblem(input: {title: "p", rootCauseCiId: null}) { id rootCauseCiId } }`, nil},
			{"variable", `mutation($in: CreateProblemInput!) { createProblem(input: $in) { id rootCauseCiId } }`,
				in("in", in("title", "p", "rootCauseCiId", nil))},
		} {
			var out struct {
				CreateProblem struct {
					ID            string
					RootCauseCiID *string `json:"rootCauseCiId"`
				}
			}
			e.query(t, q.query, q.vars, &out)
			if out.CreateProblem.ID == "" || out.CreateProblem.RootCauseCiID != nil {
				t.Errorf("%s: %+v", q.name, out.CreateProblem)
			}
		}
	}},
	{"problem links incidents", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		a := e.incident(t, "", in("title", "a", "affectedCiIds", []string{s.app}))
		b := e.incident(t, "", in("title", "b", "affectedCiIds", []string{s.app}))
		var created struct{ CreateProblem struct{ ID, State string } }
		e.query(t, `mutation($in: CreateProblemInput!) { createProblem(input: $in) { id state } }`,
			in("in", in("title", "app keeps failing", "incidentIds", []string{a.ID})), &created)
		pid := created.CreateProblem.ID
		var linked struct {
			LinkIncidentToProblem struct {
				IncidentIds []string
				Incidents   []struct{ Title string }
			}
		}
		e.query(t, `mutation($p: ID!, $i: ID!) { linkIncidentToProblem(problemId: $p, incidentId: $i) { incidentIds incidents { title } } }`,
			in("p", pid, "i", b.ID), &linked)
		if len(linked.LinkIncidentToProblem.Incidents) != 2 {
			t.Errorf("linked %+v", linked.LinkIncidentToProblem)
		}
		var inc struct {
			Incident struct{ Problem *struct{ ID string } }
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { problem { id } } }`, in("id", b.ID), &inc)
		if inc.Incident.Problem == nil || inc.Incident.Problem.ID != pid {
			t.Errorf("incident.problem = %+v", inc.Incident.Problem)
		}
		const tq = `mutation($id: ID!, $s: ProblemState!) { transitionProblem(id: $id, state: $s) { state knownError } }`
		e.query(t, tq, in("id", pid, "s", "INVESTIGATING"), nil)
		e.fail(t, tq, in("id", pid, "s", "KNOWN_ERROR"), "INVALID_INPUT", "state") // no root cause yet
		e.query(t, `mutation($id: ID!, $in: UpdateProblemInput!) { updateProblem(id: $id, input: $in) { rootCauseCi { name } } }`,
			in("id", pid, "in", in("rootCauseCiId", s.db, "workaround", "restart")), nil)
		var ke struct {
			TransitionProblem struct {
				State      string
				KnownError bool
			}
		}
		e.query(t, tq, in("id", pid, "s", "KNOWN_ERROR"), &ke)
		if !ke.TransitionProblem.KnownError {
			t.Errorf("known error %+v", ke.TransitionProblem)
		}
		e.fail(t, `mutation($in: UpdateProblemInput!) { updateProblem(id: "`+pid+`", input: $in) { id } }`,
			in("in", in("rootCauseCiId", unknownID)), "NOT_FOUND", "rootCauseCiId")
	}},
	{"change flow", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
		id := e.change(t, "NORMAL", []string{s.db}, start, start.Add(2*time.Hour))
		// NORMAL changes need an assessment, then an approval, before scheduling.
		e.fail(t, transitionChangeQ, in("id", id, "s", "SCHEDULED"), "INVALID_INPUT", "state")
		e.fail(t, approveQ, in("id", id, "d", "APPROVE"), "INVALID_INPUT", "changeId")
		var assessed struct {
			AssessChange struct {
				RiskScore int
				Change    struct {
					Assessment *struct {
						RiskScore  int
						Actor      string
						ServiceIds []string
					}
				}
			}
		}
		e.as(t, "risk-bot", `mutation($id: ID!) { assessChange(changeId: $id) { riskScore change { assessment { riskScore actor serviceIds } } } }`, in("id", id), &assessed)
		as := assessed.AssessChange.Change.Assessment
		if as == nil || as.RiskScore != assessed.AssessChange.RiskScore || as.Actor != "risk-bot" || strings.Join(as.ServiceIds, ",") != s.shop {
			t.Errorf("stored assessment %+v (score %d)", as, assessed.AssessChange.RiskScore)
		}
		e.moveChange(t, id, "ASSESSED")
		var approved struct {
			ApproveChange struct {
				State     string
				Approvals []struct{ Approver, Decision, Comment string }
			}
		}
		e.as(t, "cab", approveQ, in("id", id, "d", "APPROVE", "c", "go"), &approved)
		if a := approved.ApproveChange; a.State != "APPROVED" || len(a.Approvals) != 1 || a.Approvals[0].Approver != "cab" || a.Approvals[0].Decision != "APPROVE" {
			t.Errorf("approved %+v", a)
		}

		// A freeze on the service the database serves blocks scheduling.
		var w struct{ CreateWindow struct{ ID, Kind string } }
		e.query(t, `mutation($in: CreateWindowInput!) { createWindow(input: $in) { id kind } }`,
			in("in", in("name", "peak season", "kind", "FREEZE", "start", ts(start.Add(-time.Hour)), "end", ts(start.Add(time.Hour)),
				"scopeCiIds", []string{s.shop}, "reason", "sales")), &w)
		err := e.fail(t, transitionChangeQ, in("id", id, "s", "SCHEDULED"), "CONFLICT", "plannedStart")
		if !strings.Contains(err.Message, "peak season") {
			t.Errorf("message %q", err.Message)
		}
		var impact struct {
			ChangeImpact struct {
				FreezeViolations []struct{ ID, Name, Start, End string }
				Reasons          []string
			}
		}
		e.query(t, `query($id: ID!) { changeImpact(changeId: $id) { freezeViolations { id name start end } reasons } }`, in("id", id), &impact)
		if fv := impact.ChangeImpact.FreezeViolations; len(fv) != 1 || fv[0].ID != w.CreateWindow.ID {
			t.Errorf("freeze violations %+v", fv)
		}
		if !strings.Contains(strings.Join(impact.ChangeImpact.Reasons, "\n"), "FREEZE") {
			t.Errorf("reasons %v", impact.ChangeImpact.Reasons)
		}
		var windows struct{ Windows []struct{ ID string } }
		e.query(t, `query($k: WindowKind) { windows(kind: $k) { id } }`, in("k", "FREEZE"), &windows)
		if len(windows.Windows) != 1 {
			t.Errorf("windows %+v", windows.Windows)
		}
		e.query(t, `query($k: WindowKind) { windows(kind: $k) { id } }`, in("k", "MAINTENANCE"), &windows)
		if len(windows.Windows) != 0 {
			t.Errorf("maintenance windows %+v", windows.Windows)
		}

		// A STANDARD change is pre-approved and runs to closure.
		std := e.change(t, "STANDARD", []string{s.app}, start.Add(5*time.Hour), start.Add(6*time.Hour))
		e.fail(t, approveQ, in("id", std, "d", "APPROVE"), "INVALID_INPUT", "changeId")
		e.moveChange(t, std, "SCHEDULED")
		e.query(t, transitionChangeQ, in("id", std, "s", "IMPLEMENTING", "n", "rolling restart"), nil)
		e.query(t, `mutation($id: ID!) { addChangeNote(id: $id, text: "half done") { id } }`, in("id", std), nil)
		e.moveChange(t, std, "REVIEW")
		e.fail(t, transitionChangeQ, in("id", std, "s", "CLOSED"), "INVALID_INPUT", "outcome")
		var closed struct {
			TransitionChange struct {
				State, Outcome         string
				ActualStart, ActualEnd *string
				ImplementationNotes    []struct{ Text string }
			}
		}
		e.query(t, transitionChangeQ, in("id", std, "s", "CLOSED", "o", "SUCCESSFUL"), &closed)
		c := closed.TransitionChange
		if c.State != "CLOSED" || c.Outcome != "SUCCESSFUL" || c.ActualStart == nil || c.ActualEnd == nil || len(c.ImplementationNotes) != 2 {
			t.Errorf("closed change %+v", c)
		}
		var list struct{ Changes struct{ TotalCount int } }
		e.query(t, `query($f: ChangeFilter) { changes(filter: $f) { totalCount } }`, in("f", in("states", []string{"CLOSED"}, "ciId", s.app)), &list)
		if list.Changes.TotalCount != 1 {
			t.Errorf("closed changes on the app: %d", list.Changes.TotalCount)
		}
		e.fail(t, `query($id: ID!) { changeImpact(changeId: $id) { riskScore } }`, in("id", unknownID), "NOT_FOUND", "changeId")
	}},
	{"change impact with a collision through a shared dependency", func(t *testing.T, e *env) {
		// orders and payments run on different apps; both apps need the
		// same database, and the shop needs both apps.
		shop := e.mk(t, "shop", "BusinessService", "criticality", "CRITICAL")
		orders := e.mk(t, "orders-app", "Application")
		payments := e.mk(t, "payments-app", "Application")
		db := e.mk(t, "shared-db", "Database")
		dbVM := e.mk(t, "db-vm", "VirtualMachine")
		cacheVM := e.mk(t, "cache-vm", "VirtualMachine")
		e.relate(t, shop, "DEPENDS_ON", orders)
		e.relate(t, shop, "DEPENDS_ON", payments)
		e.relate(t, orders, "DEPENDS_ON", db)
		e.relate(t, payments, "DEPENDS_ON", db)
		e.relate(t, db, "RUNS_ON", dbVM)
		e.relate(t, orders, "RUNS_ON", cacheVM)
		slaID := e.sla(t, shop, "shop 99.9", 99.9)

		start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
		// Patching the database's VM and the orders app's VM: different
		// targets, overlapping windows, both take the shop down.
		a := e.change(t, "NORMAL", []string{dbVM}, start, start.Add(2*time.Hour))
		b := e.change(t, "NORMAL", []string{cacheVM}, start.Add(time.Hour), start.Add(3*time.Hour))
		// Same CIs but a later window: no collision.
		e.change(t, "NORMAL", []string{cacheVM}, start.Add(5*time.Hour), start.Add(6*time.Hour))

		var out struct {
			ChangeImpact struct {
				Change      struct{ ID string }
				RiskScore   int
				Reasons     []string
				RiskFactors []struct {
					Factor string
					Points int
					Detail string
				}
				Services []struct {
					CI     struct{ ID string }
					Effect string
				}
				Impacted   []struct{ CI struct{ Name string } }
				Collisions []struct {
					ID          string
					Change      struct{ ID, State string }
					SharedCiIds []string
					SharedCis   []struct{ Name string }
				}
				FreezeViolations []struct{ ID string }
				SlasAtRisk       []struct {
					SLA                   struct{ ID, Name string }
					Service               struct{ ID string }
					ExpectedOutageMinutes float64
					BudgetLeftMinutes     float64
					AtRisk                bool
				}
			}
		}
		e.query(t, `query($id: ID!) { changeImpact(changeId: $id) {
		  change { id } riskScore reasons riskFactors { factor points detail }
		  services { ci { id } effect } impacted { ci { name } }
		  collisions { id change { id state } sharedCiIds sharedCis { name } }
		  freezeViolations { id }
		  slasAtRisk { sla { id name } service { id } expectedOutageMinutes budgetLeftMinutes atRisk }
		} }`, in("id", a), &out)
		ci := out.ChangeImpact
		if ci.Change.ID != a || len(ci.Services) != 1 || ci.Services[0].CI.ID != shop || ci.Services[0].Effect != "DOWN" {
			t.Errorf("services %+v", ci.Services)
		}
		if len(ci.Collisions) != 1 || ci.Collisions[0].ID != b || ci.Collisions[0].Change.ID != b {
			t.Fatalf("collisions %+v", ci.Collisions)
		}
		var shared []string
		for _, c := range ci.Collisions[0].SharedCis {
			shared = append(shared, c.Name)
		}
		if !strings.Contains(strings.Join(shared, ","), "shop") {
			t.Errorf("shared CIs %v", shared)
		}
		if len(ci.FreezeViolations) != 0 {
			t.Errorf("freeze violations %+v", ci.FreezeViolations)
		}
		sum := 0
		factors := map[string]bool{}
		for _, f := range ci.RiskFactors {
			sum += f.Points
			factors[f.Factor] = true
		}
		if ci.RiskScore <= 0 || ci.RiskScore != min(sum, 100) || len(ci.Reasons) != len(ci.RiskFactors) {
			t.Errorf("risk score %d from %+v", ci.RiskScore, ci.RiskFactors)
		}
		for _, f := range []string{"SERVICE_CRITICALITY", "COLLISION", "SLA_BUDGET", "CHANGE_TYPE", "LEAD_TIME"} {
			if !factors[f] {
				t.Errorf("no %s factor in %v", f, ci.Reasons)
			}
		}
		if !strings.HasPrefix(ci.Reasons[0], "+") {
			t.Errorf("reason %q", ci.Reasons[0])
		}
		if len(ci.SlasAtRisk) != 1 {
			t.Fatalf("SLAs at risk %+v", ci.SlasAtRisk)
		}
		if r := ci.SlasAtRisk[0]; r.SLA.ID != slaID || r.Service.ID != shop || r.ExpectedOutageMinutes != 120 || !r.AtRisk || r.BudgetLeftMinutes <= 0 {
			t.Errorf("SLA risk %+v", r)
		}
	}},
	{"SLAs at risk and breached", func(t *testing.T, e *env) {
		now := time.Now().UTC()
		// shop has had an outage far beyond its budget: BREACHED.
		shop := e.mk(t, "shop", "BusinessService")
		shopDB := e.mk(t, "shop-db", "Database")
		e.relate(t, shop, "DEPENDS_ON", shopDB)
		e.sla(t, shop, "shop gold", 99.9999)
		outageStart := now.Add(-20 * time.Minute)
		e.incident(t, "", in("title", "shop down", "affectedCiIds", []string{shopDB}, "openedAt", ts(outageStart), "outageStart", ts(outageStart)))
		// billing has a P1 whose response is nearly due: AT_RISK.
		billing := e.mk(t, "billing", "ApplicationService")
		billingApp := e.mk(t, "billing-app", "Application")
		e.relate(t, billing, "DEPENDS_ON", billingApp)
		billingSLA := e.sla(t, billing, "billing", 99.5, prioTarget("P1", 60, 240))
		opened := now.Add(-50 * time.Minute).Truncate(time.Second)
		p1 := e.incident(t, "", in("title", "invoices stuck", "affectedCiIds", []string{billingApp}, "impact", 1, "urgency", 1, "openedAt", ts(opened)))
		// wiki is fine.
		wiki := e.mk(t, "wiki", "BusinessService")
		e.sla(t, wiki, "wiki", 99)

		var out struct {
			SLAAtRisk []struct {
				Service                                      struct{ ID, Name string }
				SLA                                          struct{ ID string }
				Status                                       string
				Reasons                                      []string
				Attainment, BudgetMinutes, BudgetLeftMinutes float64
				OpenIncidents                                []struct {
					Incident                   struct{ ID string }
					ResponseDue, ResolutionDue *string
					Response                   *struct {
						Breached         bool
						RemainingMinutes float64
					}
				}
			}
		}
		e.query(t, `{ slaAtRisk { service { id name } sla { id } status reasons attainment budgetMinutes budgetLeftMinutes
		  openIncidents { incident { id } responseDue resolutionDue response { breached remainingMinutes } } } }`, nil, &out)
		var got []string
		for _, st := range out.SLAAtRisk {
			got = append(got, st.Service.Name+":"+st.Status)
		}
		if strings.Join(got, " ") != "shop:BREACHED billing:AT_RISK wiki:OK" {
			t.Fatalf("statuses %v", got)
		}
		breached, risk, ok := out.SLAAtRisk[0], out.SLAAtRisk[1], out.SLAAtRisk[2]
		if breached.BudgetLeftMinutes >= 0 || breached.Attainment >= 99.9999 || len(breached.Reasons) == 0 || !strings.Contains(breached.Reasons[0], "availability") {
			t.Errorf("breached %+v", breached)
		}
		if risk.SLA.ID != billingSLA || len(risk.OpenIncidents) != 1 || !strings.Contains(strings.Join(risk.Reasons, " "), "response") {
			t.Fatalf("at risk %+v", risk)
		}
		oi := risk.OpenIncidents[0]
		if oi.Incident.ID != p1.ID || oi.ResponseDue == nil || oi.Response == nil || oi.Response.Breached || oi.Response.RemainingMinutes > 15 || oi.Response.RemainingMinutes <= 0 {
			t.Errorf("open incident %+v response %+v", oi, oi.Response)
		}
		if due, _ := time.Parse(time.RFC3339, deref(oi.ResponseDue)); !due.Equal(opened.Add(time.Hour)) {
			t.Errorf("response due %v, want %v", deref(oi.ResponseDue), opened.Add(time.Hour))
		}
		if len(ok.Reasons) != 0 || ok.BudgetMinutes <= 0 || ok.Attainment != 100 {
			t.Errorf("ok %+v", ok)
		}

		// The incident shows the same clocks.
		var inc struct {
			Incident struct {
				ResponseDue *string
				SLA         struct {
					Response *struct {
						Due             string
						Paused, Stopped bool
						TargetMinutes   float64
						SLA             struct{ ID string }
					}
					Resolution *struct{ Due string }
				}
			}
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { responseDue sla { response { due paused stopped targetMinutes sla { id } } resolution { due } } } }`, in("id", p1.ID), &inc)
		r := inc.Incident.SLA.Response
		if r == nil || r.Due != deref(oi.ResponseDue) || r.TargetMinutes != 60 || r.SLA.ID != billingSLA || r.Stopped || deref(inc.Incident.ResponseDue) != r.Due {
			t.Errorf("incident clocks %+v", inc.Incident)
		}
		// A past asOf sees neither the outage nor the incident.
		var past struct{ SLAAtRisk []struct{ Status string } }
		e.query(t, `query($at: Time) { slaAtRisk(asOf: $at) { status } }`, in("at", ts(now.AddDate(0, -3, 0))), &past)
		for _, st := range past.SLAAtRisk {
			if st.Status == "BREACHED" {
				t.Errorf("3 months ago: %+v", past.SLAAtRisk)
			}
		}
		e.fail(t, createSLAQ, in("in", in("serviceId", shopDB, "name", "x", "availabilityTarget", 99.0)), "INVALID_INPUT", "serviceId")
		e.fail(t, createSLAQ, in("in", in("serviceId", shop, "name", "x", "availabilityTarget", 99.0,
			"targets", []any{prioTarget("P2", 60, 30)})), "INVALID_INPUT", "targets[0].resolutionMinutes")
		var slas struct{ Slas []struct{ ID string } }
		e.query(t, `query($s: ID) { slas(serviceId: $s) { id } }`, in("s", billing), &slas)
		if len(slas.Slas) != 1 || slas.Slas[0].ID != billingSLA {
			t.Errorf("slas(billing) %+v", slas.Slas)
		}
	}},
	{"root cause candidates rank the common upstream CI first", func(t *testing.T, e *env) {
		db := e.mk(t, "orders-db", "Database")
		other := e.mk(t, "search", "Application")
		var incIDs []string
		for _, name := range []string{"cart", "checkout", "invoices"} {
			app := e.mk(t, name, "Application")
			e.relate(t, app, "DEPENDS_ON", db)
			incIDs = append(incIDs, e.incident(t, "", in("title", name+" errors", "affectedCiIds", []string{app})).ID)
		}
		// A healthy sibling of the database's dependants.
		e.relate(t, other, "DEPENDS_ON", e.mk(t, "search-index", "Database"))

		var out struct {
			RootCauseCandidates []struct {
				CI            struct{ ID, Name string }
				Score         float64
				Explains      []struct{ ID string }
				Evidence      []string
				EvidenceItems []struct {
					Kind   string
					Detail string
					Weight float64
				}
			}
		}
		const q = `query($ids: [ID!], $first: Int) { rootCauseCandidates(incidentIds: $ids, first: $first) {
		  ci { id name } score explains { id } evidence evidenceItems { kind detail weight } } }`
		e.query(t, q, in("ids", incIDs), &out)
		cs := out.RootCauseCandidates
		if len(cs) == 0 || cs[0].CI.ID != db {
			t.Fatalf("candidates %+v", cs)
		}
		top := cs[0]
		if len(top.Explains) != 3 || len(top.Evidence) == 0 || len(top.Evidence) != len(top.EvidenceItems) || top.Evidence[0] != top.EvidenceItems[0].Detail {
			t.Errorf("top candidate %+v", top)
		}
		for i := 1; i < len(cs); i++ {
			if cs[i].Score > top.Score {
				t.Errorf("%s scores %v above %v", cs[i].CI.Name, cs[i].Score, top.Score)
			}
		}
		// Without ids: the incidents open now.
		var open struct {
			RootCauseCandidates []struct{ CI struct{ ID string } }
		}
		e.query(t, q, in("first", 1), &open)
		if len(open.RootCauseCandidates) != 1 || open.RootCauseCandidates[0].CI.ID != db {
			t.Errorf("open incidents' candidates %+v", open.RootCauseCandidates)
		}
		e.fail(t, q, in("ids", []string{incIDs[0], unknownID}), "NOT_FOUND", "incidentIds[1]")
		e.fail(t, q, in("ids", incIDs, "first", 0), "INVALID_INPUT", "first")
	}},
	{"a material edit sends an approved change back", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		vm := e.mk(t, "db-vm", "VirtualMachine")
		start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
		id := e.changeAs(t, "alice", "NORMAL", []string{s.db}, start, start.Add(time.Hour))
		e.as(t, "risk-bot", `mutation($id: ID!) { assessChange(changeId: $id) { riskScore } }`, in("id", id), nil)
		e.moveChange(t, id, "ASSESSED")
		e.as(t, "cab", approveQ, in("id", id, "d", "APPROVE"), nil)

		// A new title is not material.
		got := e.updateChange(t, "alice", id, in("title", "patch shop-db (v2)"))
		if got.State != "APPROVED" || got.Assessment == nil {
			t.Fatalf("after a title edit: %+v", got)
		}
		// New targets are: back to REQUESTED, assessment gone, and why.
		got = e.updateChange(t, "alice", id, in("targetCiIds", []string{vm}))
		last := got.Transitions[len(got.Transitions)-1]
		if got.State != "REQUESTED" || got.Assessment != nil || last.From != "APPROVED" || last.To != "REQUESTED" ||
			!strings.Contains(last.Note, "targets added db-vm, removed shop-db") || last.Actor != "alice" {
			t.Fatalf("after a target swap: state %s, assessment %v, transition %+v", got.State, got.Assessment, last)
		}
		var hist struct{ Change struct{ History historyJSON } }
		e.query(t, `query($id: ID!) { change(id: $id) { history(first: 1) { edges { node { actor action before after } } } } }`, in("id", id), &hist)
		n := hist.Change.History.Edges[0].Node
		if n.Actor != "alice" || n.Before["state"] != "APPROVED" || n.After["state"] != "REQUESTED" || n.After["assessment"] != nil {
			t.Fatalf("audit entry %+v", n)
		}
		// It needs assessment and approval again.
		e.fail(t, transitionChangeQ, in("id", id, "s", "SCHEDULED"), "INVALID_INPUT", "state")
		e.moveChange(t, id, "ASSESSED")
		e.as(t, "cab", approveQ, in("id", id, "d", "APPROVE"), nil)
		e.moveChange(t, id, "SCHEDULED")
		// A SCHEDULED change is taken off the calendar before re-planning.
		e.fail(t, updateChangeQ, in("id", id, "in", in("plannedEnd", ts(start.Add(2*time.Hour)))), "INVALID_INPUT", "id")
		e.query(t, transitionChangeQ, in("id", id, "s", "REQUESTED", "n", "vendor slipped"), nil)
		got = e.updateChange(t, "alice", id, in("plannedEnd", ts(start.Add(2*time.Hour)), "type", "EMERGENCY"))
		if got.State != "REQUESTED" || got.Type != "EMERGENCY" {
			t.Fatalf("re-planned %+v", got)
		}
	}},
	{"separation of duties", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
		id := e.changeAs(t, "alice", "EMERGENCY", []string{s.db}, start, start.Add(time.Hour))
		var c struct{ Change struct{ RequestedBy string } }
		e.query(t, `query($id: ID!) { change(id: $id) { requestedBy } }`, in("id", id), &c)
		if c.Change.RequestedBy != "alice" {
			t.Fatalf("requestedBy %q", c.Change.RequestedBy)
		}
		for _, d := range []string{"APPROVE", "REJECT"} {
			err := e.fail(t, approveQ, in("id", id, "d", d), "FORBIDDEN", "", "X-Ripple-Actor", "alice")
			if !strings.Contains(err.Message, "separation of duties") || !strings.Contains(err.Message, "alice") {
				t.Errorf("message %q", err.Message)
			}
		}
		// Without a header the actor is "anonymous", one actor like any other.
		anon := e.change(t, "EMERGENCY", []string{s.db}, start, start.Add(time.Hour))
		e.fail(t, approveQ, in("id", anon, "d", "APPROVE"), "FORBIDDEN", "")
		var out struct{ ApproveChange struct{ State string } }
		e.as(t, "bob", approveQ, in("id", id, "d", "APPROVE"), &out)
		if out.ApproveChange.State != "APPROVED" {
			t.Fatalf("approved by another actor: %+v", out)
		}
		// The rule is a server option (ripple serve --allow-self-approval).
		svc := app.New(e.store, formats.DefaultPolicy())
		svc.ITSM.AllowSelfApproval = true
		lax := &env{store: e.store, ctx: e.ctx, srv: httptest.NewServer(server.NewHandler(svc,
			server.Config{Logger: zerolog.New(zerolog.NewTestWriter(t))}))}
		t.Cleanup(lax.srv.Close)
		own := lax.changeAs(t, "carol", "EMERGENCY", []string{s.db}, start, start.Add(time.Hour))
		lax.as(t, "carol", approveQ, in("id", own, "d", "APPROVE"), &out)
		if out.ApproveChange.State != "APPROVED" {
			t.Fatalf("self-approval with the rule off: %+v", out)
		}
	}},
	{"cancelling a change", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		// Yearly, so the changes below fall in the period of now.
		e.query(t, createSLAQ, in("in", in("serviceId", s.shop, "name", "shop", "availabilityTarget", 99.9, "period", "YEAR")), nil)
		start := time.Now().Add(time.Hour).Truncate(time.Minute)
		id := e.change(t, "STANDARD", []string{s.db}, start, start.Add(time.Hour))
		e.moveChange(t, id, "SCHEDULED")
		e.fail(t, transitionChangeQ, in("id", id, "s", "CANCELLED"), "INVALID_INPUT", "note")
		var out struct {
			TransitionChange struct{ State string }
		}
		e.query(t, transitionChangeQ, in("id", id, "s", "CANCELLED", "n", "replaced by a vendor fix"), &out)
		var c struct {
			Change struct {
				State        string
				CancelReason *string
			}
		}
		e.query(t, `query($id: ID!) { change(id: $id) { state cancelReason } }`, in("id", id), &c)
		if c.Change.State != "CANCELLED" || deref(c.Change.CancelReason) != "replaced by a vendor fix" {
			t.Fatalf("cancelled %+v", c.Change)
		}
		e.fail(t, transitionChangeQ, in("id", id, "s", "SCHEDULED"), "INVALID_INPUT", "state")
		// Not once implementation started.
		busy := e.change(t, "STANDARD", []string{s.app}, start, start.Add(time.Hour))
		e.moveChange(t, busy, "SCHEDULED")
		e.moveChange(t, busy, "IMPLEMENTING")
		e.fail(t, transitionChangeQ, in("id", busy, "s", "CANCELLED", "n", "too late"), "INVALID_INPUT", "state")
		// A cancelled change counts nowhere: the shop's SLA sees only the
		// implementing one.
		var st struct {
			SLAAtRisk []struct {
				Changes []struct{ Change struct{ ID string } }
			}
		}
		e.query(t, `{ slaAtRisk { changes { change { id } } } }`, nil, &st)
		if len(st.SLAAtRisk) != 1 || len(st.SLAAtRisk[0].Changes) != 1 || st.SLAAtRisk[0].Changes[0].Change.ID != busy {
			t.Fatalf("SLA changes %+v", st.SLAAtRisk)
		}
		var list struct{ Changes struct{ TotalCount int } }
		e.query(t, `{ changes(filter: { states: [CANCELLED] }) { totalCount } }`, nil, &list)
		if list.Changes.TotalCount != 1 {
			t.Fatalf("%d cancelled changes", list.Changes.TotalCount)
		}
	}},
	{"slaAtRisk and changeImpact read one budget", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		now := time.Now().UTC()
		// A yearly SLA, so the change below is in the same period as now.
		var created struct{ CreateSLA struct{ ID string } }
		e.query(t, createSLAQ, in("in", in("serviceId", s.shop, "name", "shop yearly", "availabilityTarget", 99.99, "period", "YEAR")), &created)
		// A closed outage of 10m7s: the budget left is not a round number.
		from := now.Add(-30 * time.Minute).Truncate(time.Second)
		inc := e.incident(t, "", in("title", "db down", "affectedCiIds", []string{s.db}, "openedAt", ts(from), "outageStart", ts(from)))
		e.query(t, `mutation($id: ID!, $in: UpdateIncidentInput!) { updateIncident(id: $id, input: $in) { id } }`,
			in("id", inc.ID, "in", in("outageEnd", ts(from.Add(10*time.Minute+7*time.Second)))), nil)
		start := now.Add(2 * time.Minute).Truncate(time.Minute)
		committed := e.change(t, "STANDARD", []string{s.app}, start, start.Add(20*time.Minute))
		e.query(t, `mutation($id: ID!, $in: UpdateChangeInput!) { updateChange(id: $id, input: $in) { id } }`,
			in("id", committed, "in", in("title", "Restart shop-app")), nil)
		e.moveChange(t, committed, "SCHEDULED")
		proposed := e.change(t, "NORMAL", []string{s.db}, start.Add(time.Hour), start.Add(3*time.Hour))

		var st struct {
			SLAAtRisk []struct {
				Status                                    string
				Reasons                                   []string
				BudgetLeftMinutes, CommittedOutageMinutes float64
				ProposedOutageMinutes                     float64
				Availability                              struct{ BudgetLeftMinutes, DowntimeMinutes float64 }
				Changes                                   []struct{ Committed bool }
			}
		}
		e.query(t, `{ slaAtRisk { status reasons budgetLeftMinutes committedOutageMinutes proposedOutageMinutes
		  availability { budgetLeftMinutes downtimeMinutes } changes { committed } } }`, nil, &st)
		var ci struct {
			ChangeImpact struct {
				SlasAtRisk []struct {
					BudgetLeftMinutes, ExpectedOutageMinutes, CommittedOutageMinutes, ProposedOutageMinutes float64
					AtRisk                                                                                  bool
					Changes                                                                                 []struct{ Change struct{ ID string } }
				}
			}
		}
		e.query(t, `query($id: ID!) { changeImpact(changeId: $id) { slasAtRisk { budgetLeftMinutes expectedOutageMinutes
		  committedOutageMinutes proposedOutageMinutes atRisk changes { change { id } } } } }`, in("id", proposed), &ci)
		if len(st.SLAAtRisk) != 1 || len(ci.ChangeImpact.SlasAtRisk) != 1 {
			t.Fatalf("slaAtRisk %+v, changeImpact %+v", st.SLAAtRisk, ci.ChangeImpact.SlasAtRisk)
		}
		sa, r := st.SLAAtRisk[0], ci.ChangeImpact.SlasAtRisk[0]
		if sa.BudgetLeftMinutes != r.BudgetLeftMinutes || sa.Availability.BudgetLeftMinutes != sa.BudgetLeftMinutes {
			t.Fatalf("budget left: slaAtRisk %v, changeImpact %v — one budget, one number", sa.BudgetLeftMinutes, r.BudgetLeftMinutes)
		}
		// Minutes come back with at most two decimals.
		for _, m := range []float64{sa.BudgetLeftMinutes, sa.Availability.DowntimeMinutes, r.BudgetLeftMinutes} {
			if s := strconv.FormatFloat(m, 'f', -1, 64); len(s)-strings.IndexByte(s+".", '.') > 3 {
				t.Errorf("%s has more than two decimals", s)
			}
		}
		if sa.Availability.DowntimeMinutes != 10.12 {
			t.Errorf("downtime %v, want 10.12 (10m7s)", sa.Availability.DowntimeMinutes)
		}
		// What counts: the scheduled change is committed, the requested one
		// proposed and named nowhere as a reason.
		if sa.CommittedOutageMinutes != 20 || sa.ProposedOutageMinutes != 120 || len(sa.Changes) != 2 || !sa.Changes[0].Committed || sa.Changes[1].Committed {
			t.Errorf("slaAtRisk committed %v proposed %v changes %+v", sa.CommittedOutageMinutes, sa.ProposedOutageMinutes, sa.Changes)
		}
		if r.ExpectedOutageMinutes != 120 || r.CommittedOutageMinutes != 20 || r.ProposedOutageMinutes != 0 || len(r.Changes) != 1 || r.Changes[0].Change.ID != committed {
			t.Errorf("changeImpact %+v", r)
		}
		// 99.99% of a year is about 52.6 minutes: the proposed 2 hours would
		// not fit, the committed 20 minutes do.
		if !r.AtRisk || sa.Status != "OK" {
			t.Errorf("at risk %v, status %s %v", r.AtRisk, sa.Status, sa.Reasons)
		}
		// Once approved and scheduled, the SLA is at risk and the reason
		// names both changes.
		e.moveChange(t, proposed, "ASSESSED")
		e.as(t, "cab", approveQ, in("id", proposed, "d", "APPROVE"), nil)
		e.query(t, `{ slaAtRisk { status reasons budgetLeftMinutes committedOutageMinutes proposedOutageMinutes
		  availability { budgetLeftMinutes downtimeMinutes } changes { committed } } }`, nil, &st)
		reasons := strings.Join(st.SLAAtRisk[0].Reasons, "\n")
		if st.SLAAtRisk[0].Status != "AT_RISK" || !strings.Contains(reasons, `"Restart shop-app" (SCHEDULED, 20m)`) ||
			!strings.Contains(reasons, `"change NORMAL" (APPROVED, 2h)`) || strings.Contains(reasons, "0m0s") {
			t.Errorf("status %s, reasons:\n%s", st.SLAAtRisk[0].Status, reasons)
		}
	}},
	{"SLAs and windows are updated and deleted", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		slaID := e.sla(t, s.shop, "shop gold", 99.9, prioTarget("P1", 15, 240))
		inc := e.incident(t, "", in("title", "down", "affectedCiIds", []string{s.db}, "impact", 1, "urgency", 1))
		const updateSLAQ = `mutation($id: ID!, $in: UpdateSLAInput!, $v: Int) { updateSLA(id: $id, input: $in, version: $v) {
		  id name version availabilityTarget period targets { priority responseMinutes } } }`
		var up struct {
			UpdateSLA struct {
				ID, Name, Period   string
				Version            int
				AvailabilityTarget float64
				Targets            []struct {
					Priority        string
					ResponseMinutes float64
				}
			}
		}
		e.as(t, "slm", updateSLAQ, in("id", slaID, "v", 1, "in", in("name", "shop platinum", "availabilityTarget", 99.95,
			"targets", []any{prioTarget("P1", 5, 60)})), &up)
		if u := up.UpdateSLA; u.Name != "shop platinum" || u.Version != 2 || u.AvailabilityTarget != 99.95 || u.Period != "MONTH" ||
			len(u.Targets) != 1 || u.Targets[0].ResponseMinutes != 5 {
			t.Fatalf("updated %+v", u)
		}
		e.fail(t, updateSLAQ, in("id", slaID, "v", 1, "in", in("name", "x")), "CONFLICT", "version")
		e.fail(t, updateSLAQ, in("id", slaID, "in", in("targets", []any{prioTarget("P2", 60, 30)})), "INVALID_INPUT", "targets[0].resolutionMinutes")
		e.fail(t, updateSLAQ, in("id", slaID, "in", in("serviceHours", in("weekly", "often"))), "INVALID_INPUT", "serviceHours")
		e.fail(t, updateSLAQ, in("id", unknownID, "in", in("name", "x")), "NOT_FOUND", "id")

		// Deleting it: the incident raised under it keeps its clocks.
		e.fail(t, `mutation($id: ID!) { deleteSLA(id: $id, version: 7) }`, in("id", slaID), "CONFLICT", "version")
		var del struct{ DeleteSLA bool }
		e.as(t, "slm", `mutation($id: ID!) { deleteSLA(id: $id) }`, in("id", slaID), &del)
		if !del.DeleteSLA {
			t.Fatal("deleteSLA returned false")
		}
		var one struct {
			SLA  *struct{ ID string }
			Slas []struct{ ID string }
		}
		e.query(t, `query($id: ID!) { sla(id: $id) { id } slas { id } }`, in("id", slaID), &one)
		if one.SLA != nil || len(one.Slas) != 0 {
			t.Fatalf("after delete: %+v", one)
		}
		var clocks struct {
			Incident struct {
				SLA struct {
					Response *struct {
						TargetMinutes float64
						SLA           struct {
							ID, Name string
							History  historyJSON
						}
					}
				}
			}
		}
		e.query(t, `query($id: ID!) { incident(id: $id) { sla { response { targetMinutes sla { id name history { edges { node { actor action } } } } } } } }`, in("id", inc.ID), &clocks)
		r := clocks.Incident.SLA.Response
		if r == nil || r.TargetMinutes != 15 || r.SLA.ID != slaID || r.SLA.Name != "shop gold" {
			t.Fatalf("clock after the SLA was deleted: %+v", r)
		}
		if got := r.SLA.History.summary(); got != "DELETE by slm, UPDATE by slm, CREATE by anonymous" {
			t.Errorf("SLA history %s", got)
		}
		e.fail(t, `mutation($id: ID!) { deleteSLA(id: $id) }`, in("id", slaID), "NOT_FOUND", "id")

		// Windows.
		start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
		var w struct{ CreateWindow struct{ ID string } }
		e.query(t, `mutation($in: CreateWindowInput!) { createWindow(input: $in) { id } }`,
			in("in", in("name", "peak", "kind", "FREEZE", "start", ts(start), "end", ts(start.Add(time.Hour)))), &w)
		const updateWindowQ = `mutation($id: ID!, $in: UpdateWindowInput!, $v: Int) { updateWindow(id: $id, input: $in, version: $v) {
		  name kind start end scopeCiIds version } }`
		var uw struct {
			UpdateWindow struct {
				Name, Kind, Start, End string
				ScopeCiIds             []string
				Version                int
			}
		}
		e.as(t, "cab", updateWindowQ, in("id", w.CreateWindow.ID, "v", 1, "in", in("kind", "MAINTENANCE", "end", ts(start.Add(2*time.Hour)), "scopeCiIds", []string{s.db})), &uw)
		if u := uw.UpdateWindow; u.Kind != "MAINTENANCE" || u.End != ts(start.Add(2*time.Hour)) || u.Name != "peak" || len(u.ScopeCiIds) != 1 || u.Version != 2 {
			t.Fatalf("updated window %+v", u)
		}
		e.fail(t, updateWindowQ, in("id", w.CreateWindow.ID, "in", in("end", ts(start.Add(-time.Hour)))), "INVALID_INPUT", "end")
		e.fail(t, updateWindowQ, in("id", w.CreateWindow.ID, "in", in("scopeCiIds", []string{unknownID})), "NOT_FOUND", "scope[0]")
		e.fail(t, updateWindowQ, in("id", w.CreateWindow.ID, "v", 1, "in", in("name", "x")), "CONFLICT", "version")
		var wd struct{ DeleteWindow bool }
		e.as(t, "cab", `mutation($id: ID!) { deleteWindow(id: $id, version: 2) }`, in("id", w.CreateWindow.ID), &wd)
		var gone struct {
			Window  *struct{ ID string }
			History historyJSON
		}
		e.query(t, `query($id: ID!) { window(id: $id) { id } history(id: $id) { edges { node { actor action } } } }`, in("id", w.CreateWindow.ID), &gone)
		if !wd.DeleteWindow || gone.Window != nil || gone.History.summary() != "DELETE by cab, UPDATE by cab, CREATE by anonymous" {
			t.Fatalf("after deleteWindow: %+v %s", gone.Window, gone.History.summary())
		}
	}},
	{"messages name record kinds in lower case", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		err := e.fail(t, transitionChangeQ, in("id", unknownID, "s", "ASSESSED"), "NOT_FOUND", "id")
		if err.Message != `id: change "`+unknownID+`" not found` {
			t.Errorf("message %q", err.Message)
		}
		inc := e.incident(t, "", in("title", "x", "affectedCiIds", []string{s.db}))
		err = e.fail(t, transitionIncidentQ, in("id", inc.ID, "s", "CLOSED"), "INVALID_INPUT", "state")
		if !strings.HasPrefix(err.Message, "state: an incident cannot go from NEW to CLOSED") {
			t.Errorf("message %q", err.Message)
		}
	}},
}

const approveQ = `mutation($id: ID!, $d: Decision!, $c: String) { approveChange(changeId: $id, decision: $d, comment: $c) {
  state approvals { approver decision comment } } }`

// changeAs creates a change requested by actor and returns its id.
func (e *env) changeAs(t *testing.T, actor, typ string, targets []string, start, end time.Time) string {
	t.Helper()
	var out struct{ CreateChange struct{ ID string } }
	e.as(t, actor, createChangeQ, in("in", in("title", "change "+typ, "type", typ, "targetCiIds", targets,
		"plannedStart", ts(start), "plannedEnd", ts(end))), &out)
	return out.CreateChange.ID
}

const updateChangeQ = `mutation($id: ID!, $in: UpdateChangeInput!) { updateChange(id: $id, input: $in) {
  state type assessment { riskScore } transitions { from to actor note } } }`

type changeEditJSON struct {
	State, Type string
	Assessment  *struct{ RiskScore int }
	Transitions []struct{ From, To, Actor, Note string }
}

func (e *env) updateChange(t *testing.T, actor, id string, input map[string]any) changeEditJSON {
	t.Helper()
	var out struct{ UpdateChange changeEditJSON }
	e.as(t, actor, updateChangeQ, in("id", id, "in", input), &out)
	return out.UpdateChange
}

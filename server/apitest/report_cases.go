package apitest

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// march is a month in the past: 31 days, 44,640 minutes of a 24x7 SLA.
var (
	marchStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	marchEnd   = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

func march(day, hour, minute int) string {
	return ts(time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC))
}

// reportedShop is the ITSM estate with a 99.9 % SLA on the shop and a
// history forwarded late: a P1 on shop-db opened 10 March 10:00 with an
// outage, answered at 10:10, resolved at 11:40 (a 100-minute outage), and a
// standard change on shop-app implemented on 20 March that closed FAILED.
func reportedShop(t *testing.T, e *env) estate {
	t.Helper()
	s := newEstate(t, e)
	e.query(t, `mutation($in: CreateSLAInput!) { createSLA(input: $in) { id } }`, in("in", in("serviceId", s.shop, "name", "Shop",
		"availabilityTarget", 99.9, "targets", []any{in("priority", "P1", "responseMinutes", 15, "resolutionMinutes", 240)})), nil)
	inc := e.incident(t, "monitoring", in("title", "db down", "affectedCiIds", []string{s.db}, "impact", 1, "urgency", 1,
		"openedAt", march(10, 10, 0), "outageStart", march(10, 10, 0)))
	for _, step := range [][2]string{{"IN_PROGRESS", march(10, 10, 10)}, {"RESOLVED", march(10, 11, 40)}} {
		e.query(t, `mutation($id: ID!, $s: IncidentState!, $at: Time) { transitionIncident(id: $id, state: $s, at: $at) { id } }`,
			in("id", inc.ID, "s", step[0], "at", step[1]), nil)
	}
	var c struct{ CreateChange struct{ ID string } }
	e.query(t, createChangeQ, in("in", in("title", "deploy", "type", "STANDARD", "targetCiIds", []string{s.app},
		"plannedStart", march(20, 9, 0), "plannedEnd", march(20, 10, 0), "requestedAt", march(19, 9, 0))), &c)
	for _, step := range [][3]any{{"SCHEDULED", nil, march(19, 10, 0)}, {"IMPLEMENTING", nil, march(20, 9, 0)},
		{"REVIEW", nil, march(20, 9, 30)}, {"CLOSED", "FAILED", march(21, 9, 0)}} {
		e.query(t, `mutation($id: ID!, $s: ChangeState!, $o: ChangeOutcome, $at: Time) { transitionChange(id: $id, state: $s, outcome: $o, at: $at) { id } }`,
			in("id", c.CreateChange.ID, "s", step[0], "o", step[1], "at", step[2]), nil)
	}
	return s
}

const serviceReportQ = `query($id: ID!, $from: Time!, $to: Time!, $g: ReportGranularity) {
  serviceReport(serviceId: $id, from: $from, to: $to, granularity: $g) {
    service { name } sla { name } asOf granularity timeZone
    availability outageMinutes mttaMinutes mttrMinutes mtbfMinutes
    total { start end serviceMinutes outageMinutes availability availabilityTarget errorBudgetMinutes errorBudgetUsedPercent
            availabilityMet failures slaBreaches
            compliance { priority responseMet responseMissed responseCompliance resolutionMet resolutionCompliance }
            incidents { opened resolved byPriority { priority count } byState { state count } }
            problems { opened resolved knownErrors }
            changes { implemented byType { type count } byOutcome { outcome count } failed causedIncidents failureRate } }
    series { start end outageMinutes availability }
    changesCausingIncidents { id }
  }
}`

type reportJSON struct {
	Service                               struct{ Name string }
	SLA                                   *struct{ Name string }
	AsOf, Granularity, TimeZone           string
	Availability                          *float64
	OutageMinutes                         float64
	MttaMinutes, MttrMinutes, MtbfMinutes *float64
	Total                                 periodJSON
	Series                                []periodJSON
	ChangesCausingIncidents               []struct{ ID string }
}

type periodJSON struct {
	Start, End                                 string
	ServiceMinutes, OutageMinutes              float64
	Availability, AvailabilityTarget           *float64
	ErrorBudgetMinutes, ErrorBudgetUsedPercent *float64
	AvailabilityMet                            *bool
	Failures, SlaBreaches                      int
	Compliance                                 []struct {
		Priority                    string
		ResponseMet, ResponseMissed int
		ResponseCompliance          *float64
		ResolutionMet               int
		ResolutionCompliance        *float64
	}
	Incidents struct {
		Opened, Resolved int
		ByPriority       []struct {
			Priority string
			Count    int
		}
		ByState []struct {
			State string
			Count int
		}
	}
	Problems struct{ Opened, Resolved, KnownErrors int }
	Changes  struct {
		Implemented, Failed, CausedIncidents int
		ByType                               []struct {
			Type  string
			Count int
		}
		ByOutcome []struct {
			Outcome string
			Count   int
		}
		FailureRate *float64
	}
}

func closeTo(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-6 }

var reportCases = []testCase{
	{"an outage of known minutes gives the availability computed by hand", func(t *testing.T, e *env) {
		s := reportedShop(t, e)
		var out struct{ ServiceReport reportJSON }
		e.query(t, serviceReportQ, in("id", s.shop, "from", ts(marchStart), "to", ts(marchEnd), "g", "WEEK"), &out)
		r := out.ServiceReport
		// 100 minutes down of 44,640; the budget is 0.1 % of that, 44.64.
		wantAvail := 100 * (44640.0 - 100) / 44640
		if r.Service.Name != "shop" || r.SLA == nil || r.Granularity != "WEEK" || r.TimeZone != "UTC" || r.AsOf != ts(marchEnd) {
			t.Errorf("report header %+v", r)
		}
		if r.OutageMinutes != 100 || !closeTo(r.Availability, wantAvail) || !closeTo(r.MttaMinutes, 10) || !closeTo(r.MttrMinutes, 100) ||
			!closeTo(r.MtbfMinutes, 44540) {
			t.Errorf("outage %v, availability %v (want %v), MTTA %v, MTTR %v, MTBF %v", r.OutageMinutes, shown(r.Availability), wantAvail,
				shown(r.MttaMinutes), shown(r.MttrMinutes), shown(r.MtbfMinutes))
		}
		tot := r.Total
		if tot.ServiceMinutes != 44640 || !closeTo(tot.ErrorBudgetMinutes, 44.64) || !closeTo(tot.ErrorBudgetUsedPercent, 100*100/44.64) ||
			tot.AvailabilityMet == nil || *tot.AvailabilityMet || !closeTo(tot.AvailabilityTarget, 99.9) || tot.Failures != 1 || tot.SlaBreaches != 0 {
			t.Errorf("total %+v", tot)
		}
		if p1 := tot.Compliance[0]; p1.Priority != "P1" || p1.ResponseMet != 1 || p1.ResolutionMet != 1 || !closeTo(p1.ResponseCompliance, 100) {
			t.Errorf("P1 compliance %+v", p1)
		}
		if tot.Incidents.Opened != 1 || tot.Incidents.Resolved != 1 || tot.Incidents.ByPriority[0].Count != 1 || tot.Incidents.ByState[3].State != "RESOLVED" ||
			tot.Incidents.ByState[3].Count != 1 {
			t.Errorf("incidents %+v", tot.Incidents)
		}
		if ch := tot.Changes; ch.Implemented != 1 || ch.Failed != 1 || ch.CausedIncidents != 0 || !closeTo(ch.FailureRate, 100) ||
			ch.ByType[0].Count != 1 || ch.ByOutcome[1].Outcome != "FAILED" || ch.ByOutcome[1].Count != 1 {
			t.Errorf("changes %+v", ch)
		}
		// ISO weeks: 1 March 2026 is a Sunday, so the first week is a day.
		if len(r.Series) != 6 || r.Series[0].End != "2026-03-02T00:00:00Z" || r.Series[2].OutageMinutes != 100 || r.Series[1].OutageMinutes != 0 {
			t.Errorf("weekly series %+v", r.Series)
		}
		if len(r.ChangesCausingIncidents) != 0 {
			t.Errorf("changes causing incidents %+v", r.ChangesCausingIncidents)
		}
	}},
	{"back-dating is never in the future nor before the previous transition", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		inc := e.incident(t, "", in("title", "x", "affectedCiIds", []string{s.db}, "openedAt", march(10, 10, 0)))
		q := `mutation($id: ID!, $s: IncidentState!, $at: Time) { transitionIncident(id: $id, state: $s, at: $at) { id } }`
		e.fail(t, q, in("id", inc.ID, "s", "IN_PROGRESS", "at", ts(time.Now().Add(time.Hour))), "INVALID_INPUT", "at")
		e.fail(t, q, in("id", inc.ID, "s", "IN_PROGRESS", "at", march(10, 9, 0)), "INVALID_INPUT", "at")
		var out struct {
			TransitionIncident struct{ RespondedAt string }
		}
		e.query(t, `mutation($id: ID!, $at: Time) { transitionIncident(id: $id, state: IN_PROGRESS, at: $at) { respondedAt } }`,
			in("id", inc.ID, "at", march(10, 10, 5)), &out)
		if out.TransitionIncident.RespondedAt != march(10, 10, 5) {
			t.Errorf("respondedAt %s, want %s", out.TransitionIncident.RespondedAt, march(10, 10, 5))
		}
	}},
	{"reports refuse a range too long, and name the field", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		e.fail(t, serviceReportQ, in("id", s.shop, "from", ts(marchStart.AddDate(-2, 0, 0)), "to", ts(marchEnd), "g", "DAY"), "INVALID_INPUT", "to")
		e.fail(t, serviceReportQ, in("id", s.shop, "from", ts(marchEnd), "to", ts(marchStart)), "INVALID_INPUT", "to")
		e.fail(t, serviceReportQ, in("id", s.db, "from", ts(marchStart), "to", ts(marchEnd)), "INVALID_INPUT", "serviceId")
	}},
	{"CSV export of a report and of the portfolio", func(t *testing.T, e *env) {
		s := reportedShop(t, e)
		quiet := e.mk(t, "quiet", "ApplicationService")
		e.query(t, `mutation($in: CreateSLAInput!) { createSLA(input: $in) { id } }`, in("in", in("serviceId", quiet, "name", "Quiet",
			"availabilityTarget", 99.5)), nil)
		params := url.Values{"from": {ts(marchStart)}, "to": {ts(marchEnd)}, "granularity": {"week"}}
		res, body := e.get(t, "/api/v1/reports/services/"+s.shop+"?"+params.Encode())
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("status %d, headers %v: %s", res.StatusCode, res.Header, body)
		}
		rows := readCSV(t, body)
		if len(rows) != 1+6+1 {
			t.Fatalf("%d rows, want a header, 6 weeks and the total", len(rows))
		}
		total := rows[len(rows)-1]
		for name, want := range map[string]string{"row": "TOTAL", "service": "shop", "outage_minutes": "100.00", "availability_percent": "99.7760",
			"error_budget_minutes": "44.64", "mtta_minutes": "10.00", "mttr_minutes": "100.00", "mtbf_minutes": "44540.00",
			"changes_closed_failed": "1", "change_failure_rate_percent": "100.0000"} {
			if got := total[column(t, rows[0], name)]; got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}

		// The portfolio: worst first, one TOTAL row per service.
		res, body = e.get(t, "/api/v1/reports/services?"+params.Encode())
		if res.StatusCode != http.StatusOK {
			t.Fatalf("portfolio: status %d: %s", res.StatusCode, body)
		}
		rows = readCSV(t, body)
		var order []string
		for _, row := range rows[1:] {
			order = append(order, row[column(t, rows[0], "service")]+"/"+row[column(t, rows[0], "row")])
		}
		if got := strings.Join(order, ","); got != "shop/TOTAL,quiet/TOTAL" {
			t.Errorf("portfolio rows %s, want the shop (budget overspent) before quiet", got)
		}
		params.Set("series", "true")
		if _, body = e.get(t, "/api/v1/reports/services?"+params.Encode()); len(readCSV(t, body)) != 1+2*(6+1) {
			t.Errorf("portfolio with series: %s", body)
		}
	}},
	{"CSV export answers bad parameters like the import endpoint", func(t *testing.T, e *env) {
		s := newEstate(t, e)
		for _, tc := range []struct {
			path   string
			status int
			code   string
			field  string
		}{
			{"/api/v1/reports/services/" + s.shop + "?to=" + ts(marchEnd), http.StatusBadRequest, "INVALID_INPUT", "from"},
			{"/api/v1/reports/services/" + s.shop + "?from=yesterday&to=" + ts(marchEnd), http.StatusBadRequest, "INVALID_INPUT", "from"},
			{"/api/v1/reports/services/" + s.shop + "?from=" + ts(marchStart) + "&to=" + ts(marchEnd) + "&granularity=QUARTER", http.StatusBadRequest, "INVALID_INPUT", "granularity"},
			{"/api/v1/reports/services/" + s.shop + "?from=" + ts(marchStart.AddDate(-2, 0, 0)) + "&to=" + ts(marchEnd) + "&granularity=DAY", http.StatusBadRequest, "INVALID_INPUT", "to"},
			{"/api/v1/reports/services/" + s.app + "?from=" + ts(marchStart) + "&to=" + ts(marchEnd), http.StatusBadRequest, "INVALID_INPUT", "serviceId"},
			{"/api/v1/reports/services/0190d1a2-0000-7000-8000-000000000000?from=" + ts(marchStart) + "&to=" + ts(marchEnd), http.StatusNotFound, "NOT_FOUND", "serviceId"},
			{"/api/v1/reports/services?from=" + ts(marchStart) + "&to=" + ts(marchEnd) + "&series=maybe", http.StatusBadRequest, "INVALID_INPUT", "series"},
		} {
			res, body := e.get(t, tc.path)
			var out struct {
				Error struct{ Code, Field, Message string }
			}
			if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != tc.status || out.Error.Code != tc.code || out.Error.Field != tc.field {
				t.Errorf("GET %s: status %d, %s (want %d %s on %s)", tc.path, res.StatusCode, body, tc.status, tc.code, tc.field)
			}
		}
	}},
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", truncate(body), err)
	}
	return rows
}

func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

// shown prints a figure that may be null.
func shown(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

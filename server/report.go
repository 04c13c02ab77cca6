package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/report"
	"github.com/ripple-cmdb/ripple/graph/sla"
)

// The report export's routes.
const (
	ServiceReportPath = "GET /api/v1/reports/services/{id}"
	PortfolioPath     = "GET /api/v1/reports/services"
)

// reportRoutes are the CSV export of service reports:
//
//	GET /api/v1/reports/services/{id}?from=&to=&granularity=
//	    one service: a row per period of the series, then the TOTAL row
//	GET /api/v1/reports/services?from=&to=&granularity=&series=
//	    the portfolio, worst first: a TOTAL row per service (series=true
//	    adds each service's periods before its total)
//
// from and to are RFC 3339 times, granularity DAY, WEEK or MONTH (default
// MONTH). The figures are serviceReport's (schema/report.graphqls), one
// column each; the README ("Reports") defines them. Bad parameters answer
// 400 {"error": {"code", "field", "message"}}, an unknown service 404, like
// the import endpoint.
func reportRoutes(svc *app.Services) []apiRoute {
	h := &reportHandler{reports: svc.Reports}
	return []apiRoute{
		{ServiceReportPath, auth.PermRead, http.HandlerFunc(h.service)},
		{PortfolioPath, auth.PermRead, http.HandlerFunc(h.portfolio)},
	}
}

type reportHandler struct {
	reports *report.Reporter
}

func (h *reportHandler) service(w http.ResponseWriter, r *http.Request) {
	q, err := reportRequest(r.URL.Query())
	if err != nil {
		badParam(w, r, err)
		return
	}
	rep, err := h.reports.ServiceReport(r.Context(), r.PathValue("id"), q)
	if err != nil {
		badParam(w, r, err)
		return
	}
	writeReportCSV(w, r, "report-"+rep.Service.ID, q, []*report.ServiceReport{rep}, true)
}

func (h *reportHandler) portfolio(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	q, err := reportRequest(params)
	if err != nil {
		badParam(w, r, err)
		return
	}
	series, err := boolParam(params, "series")
	if err != nil {
		badParam(w, r, err)
		return
	}
	reps, err := h.reports.Portfolio(r.Context(), q)
	if err != nil {
		badParam(w, r, err)
		return
	}
	writeReportCSV(w, r, "reports", q, reps, series)
}

// reportRequest reads from, to and granularity.
func reportRequest(params url.Values) (report.Request, error) {
	var q report.Request
	var err error
	if q.From, err = timeParam(params, "from"); err != nil {
		return q, err
	}
	if q.To, err = timeParam(params, "to"); err != nil {
		return q, err
	}
	q.Granularity = sla.PeriodKind(strings.ToUpper(params.Get("granularity")))
	return q, nil
}

func timeParam(params url.Values, name string) (time.Time, error) {
	v := params.Get(name)
	if v == "" {
		return time.Time{}, graph.Invalid(name, "%s is required (an RFC 3339 time such as 2026-11-01T00:00:00Z)", name)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, graph.Invalid(name, "%s %q is not an RFC 3339 time such as 2026-11-01T00:00:00Z", name, graph.Truncate(v, 40))
	}
	return t, nil
}

// writeReportCSV answers the reports as a CSV download named after what
// it covers.
func writeReportCSV(w http.ResponseWriter, r *http.Request, name string, q report.Request, reps []*report.ServiceReport, series bool) {
	day := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, name, day(q.From), day(q.To)))
	w.Header().Set("Cache-Control", "no-store")
	if err := report.WriteCSV(w, reps, series); err != nil {
		// The status is sent; the client sees a cut-short body.
		hlog.FromRequest(r).Error().Err(err).Msg("writing a report CSV failed")
	}
}

package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// column is one column of the CSV export: its header and how a row of
// figures fills it.
type column struct {
	name  string
	value func(f *Figures) string
}

// columns is the one table of the export's figure columns, so the header
// and the rows cannot disagree. Minutes have two decimals, percentages
// four; a figure that does not exist (no SLA, nothing elapsed, nothing to
// average) is an empty cell.
var columns = figureColumns()

func figureColumns() []column {
	cols := []column{
		{"service_minutes", func(f *Figures) string { return minutes(&f.ServiceTime) }},
		{"elapsed_service_minutes", func(f *Figures) string { return minutes(&f.ElapsedServiceTime) }},
		{"outage_minutes", func(f *Figures) string { return minutes(&f.Outage) }},
		{"availability_percent", func(f *Figures) string { return pct(f.Availability) }},
		{"target_percent", func(f *Figures) string { return pct(f.Target) }},
		{"error_budget_minutes", func(f *Figures) string { return minutes(f.Budget) }},
		{"error_budget_used_percent", func(f *Figures) string { return pct(f.BudgetUsedPercent) }},
		{"availability_met", func(f *Figures) string { return boolean(f.AvailabilityMet) }},
		{"failures", func(f *Figures) string { return strconv.Itoa(f.Failures) }},
		{"sla_breaches", func(f *Figures) string { return strconv.Itoa(f.SLABreaches) }},
		{"mtta_minutes", func(f *Figures) string { return minutes(f.MTTA) }},
		{"mttr_minutes", func(f *Figures) string { return minutes(f.MTTR) }},
		{"mtbf_minutes", func(f *Figures) string { return minutes(f.MTBF) }},
	}
	for i, p := range priorities {
		prefix := strings.ToLower(string(p)) + "_"
		cols = append(cols,
			column{prefix + "response_met", func(f *Figures) string { return strconv.Itoa(f.Compliance[i].ResponseMet) }},
			column{prefix + "response_missed", func(f *Figures) string { return strconv.Itoa(f.Compliance[i].ResponseMissed) }},
			column{prefix + "response_compliance_percent", func(f *Figures) string { return pct(f.Compliance[i].ResponseCompliance()) }},
			column{prefix + "resolution_met", func(f *Figures) string { return strconv.Itoa(f.Compliance[i].ResolutionMet) }},
			column{prefix + "resolution_missed", func(f *Figures) string { return strconv.Itoa(f.Compliance[i].ResolutionMissed) }},
			column{prefix + "resolution_compliance_percent", func(f *Figures) string { return pct(f.Compliance[i].ResolutionCompliance()) }},
		)
	}
	cols = append(cols, column{"incidents_opened", func(f *Figures) string { return strconv.Itoa(f.Incidents.Opened) }})
	for i, p := range priorities {
		cols = append(cols, column{"incidents_opened_" + strings.ToLower(string(p)), func(f *Figures) string { return strconv.Itoa(f.Incidents.ByPriority[i].Count) }})
	}
	for i, s := range incidentStates {
		cols = append(cols, column{"incidents_opened_state_" + strings.ToLower(string(s)), func(f *Figures) string { return strconv.Itoa(f.Incidents.ByState[i].Count) }})
	}
	cols = append(cols,
		column{"incidents_resolved", func(f *Figures) string { return strconv.Itoa(f.Incidents.Resolved) }},
		column{"problems_opened", func(f *Figures) string { return strconv.Itoa(f.Problems.Opened) }},
		column{"problems_resolved", func(f *Figures) string { return strconv.Itoa(f.Problems.Resolved) }},
		column{"known_errors", func(f *Figures) string { return strconv.Itoa(f.Problems.KnownErrors) }},
		column{"changes_implemented", func(f *Figures) string { return strconv.Itoa(f.Changes.Implemented) }},
	)
	for i, ty := range changeTypes {
		cols = append(cols, column{"changes_" + strings.ToLower(string(ty)), func(f *Figures) string { return strconv.Itoa(f.Changes.ByType[i].Count) }})
	}
	for i, o := range outcomes {
		cols = append(cols, column{"changes_closed_" + strings.ToLower(string(o)), func(f *Figures) string { return strconv.Itoa(f.Changes.ByOutcome[i].Count) }})
	}
	return append(cols,
		column{"changes_caused_incidents", func(f *Figures) string { return strconv.Itoa(f.Changes.CausedIncidents) }},
		column{"changes_failed", func(f *Figures) string { return strconv.Itoa(f.Changes.Failed) }},
		column{"change_failure_rate_percent", func(f *Figures) string { return pct(f.Changes.FailureRate()) }},
	)
}

// Row kinds in the export's "row" column.
const (
	RowPeriod = "PERIOD"
	RowTotal  = "TOTAL"
)

// WriteCSV writes reports as CSV (RFC 4180), one header line and then,
// for each report, a row per period of its series (withSeries) and a TOTAL
// row for its whole range. The first columns name the service, the row
// kind, the stretch (RFC 3339 in the report's time zone), the SLA, and the
// time zone; the figures follow (see the README for their definitions).
func WriteCSV(w io.Writer, reports []*ServiceReport, withSeries bool) error {
	cw := csv.NewWriter(w)
	header := []string{"service_id", "service", "row", "start", "end", "granularity", "time_zone", "sla"}
	for _, c := range columns {
		header = append(header, c.name)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	for _, r := range reports {
		slaName := ""
		if r.SLA != nil {
			slaName = r.SLA.Name
		}
		row := func(kind string, f *Figures) error {
			rec := []string{r.Service.ID, text(r.Service.Name), kind, f.Start.In(r.TimeZone).Format(time.RFC3339),
				f.End.In(r.TimeZone).Format(time.RFC3339), string(r.Granularity), r.TimeZone.String(), text(slaName)}
			for _, c := range columns {
				rec = append(rec, c.value(f))
			}
			return cw.Write(rec)
		}
		if withSeries {
			for i := range r.Series {
				if err := row(RowPeriod, &r.Series[i]); err != nil {
					return fmt.Errorf("write CSV row: %w", err)
				}
			}
		}
		if err := row(RowTotal, &r.Total); err != nil {
			return fmt.Errorf("write CSV row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// text keeps a name a spreadsheet would run as a formula (=, +, -, @ and
// control characters first) as text, quoting it with an apostrophe: names
// come from discovery and from anyone who may write a CI.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func minutes(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strconv.FormatFloat(d.Minutes(), 'f', 2, 64)
}

func pct(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}

func boolean(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ripple-cmdb/ripple/importers"
)

func writeRunJSON(w io.Writer, run importers.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// writeRunTable prints the run's summary table and, for a dry run or a run
// with problems, the plan's details (at most n entries per section).
func writeRunTable(w io.Writer, run importers.Run, plan *importers.Plan, took time.Duration, n int) {
	fmt.Fprintf(w, "import %s  %s  source %s  scope %q  %s in %s\n", run.ID, run.Format, run.Source, run.Scope,
		run.Outcome, took.Round(time.Millisecond))
	if run.Error != "" {
		loc := strings.Trim(strings.Join([]string{run.ErrorFile, run.ErrorAt}, ": "), ": ")
		if run.ErrorField != "" {
			loc += " (field " + run.ErrorField + ")"
		}
		fmt.Fprintf(w, "error: %s%s\n", prefixed(loc), run.Error)
	}
	c := run.Counts
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "created\tupdated\tunchanged\tstale\tretired\trelations +\trelations -\tstale relations\terrors\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", c.Created, c.Updated, c.Unchanged, c.Stale, c.Retired,
		c.RelationsCreated, c.RelationsRemoved, c.StaleRelations, c.Problems)
	tw.Flush()
	if plan == nil {
		return
	}
	if run.DryRun {
		fmt.Fprintln(w, "\ndry run: nothing was written. The plan:")
		section(w, "create", len(plan.Creates), n, func(i int) string {
			ci := plan.Creates[i]
			return fmt.Sprintf("%s %q  (%s)", ci.Class, ci.Name, ci.At)
		})
		section(w, "update", len(plan.Updates), n, func(i int) string {
			ci := plan.Updates[i]
			var parts []string
			for _, ch := range ci.Changes {
				parts = append(parts, fmt.Sprintf("%s: %s", ch.Field, change(ch.Old, ch.New)))
			}
			return fmt.Sprintf("%s %q  %s", ci.Class, ci.Name, strings.Join(parts, "; "))
		})
		section(w, "new relation", len(plan.NewRelations), n, func(i int) string { return relationLine(plan.NewRelations[i]) })
		section(w, "remove relation", len(plan.RemovedRelations), n, func(i int) string { return relationLine(plan.RemovedRelations[i]) })
		section(w, "stale", len(plan.Stale), n, func(i int) string { return staleLine(plan.Stale[i]) })
		section(w, "retire", len(plan.Retired), n, func(i int) string { return staleLine(plan.Retired[i]) })
		section(w, "service impact", len(plan.Impact), n, func(i int) string {
			si := plan.Impact[i]
			return fmt.Sprintf("%s %q gains %s; loses %s", si.Service.Class, si.Service.Name, names(si.Gained), names(si.Lost))
		})
	}
	section(w, "problem", len(plan.Problems), n, func(i int) string {
		p := plan.Problems[i]
		loc := p.At
		if p.Field != "" {
			loc += " (field " + p.Field + ")"
		}
		return fmt.Sprintf("%s %s%s", p.Code, prefixed(loc), p.Message)
	})
	if !plan.Complete && run.Outcome != importers.OutcomeFailed {
		fmt.Fprintln(w, "\nsome items or links were not reconciled: nothing was marked stale by this run")
	}
}

func prefixed(loc string) string {
	if loc == "" {
		return ""
	}
	return loc + ": "
}

func section(w io.Writer, title string, total, n int, line func(int) string) {
	if total == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s (%d):\n", title, total)
	for i := 0; i < total && i < n; i++ {
		fmt.Fprintf(w, "  %s\n", line(i))
	}
	if total > n {
		fmt.Fprintf(w, "  … %d more (--details, or --output json)\n", total-n)
	}
}

func relationLine(r importers.RelationChange) string {
	return fmt.Sprintf("%s %q -%s-> %s %q", r.From.Class, r.From.Name, r.Type, r.To.Class, r.To.Name)
}

func staleLine(s importers.StaleCI) string {
	extra := ""
	if s.SeenElsewhere {
		extra = ", still reported by another scope"
	}
	if s.StatusOwnedBy != "" {
		extra += ", not retired: its status was set by " + s.StatusOwnedBy
	}
	return fmt.Sprintf("%s %q missed %d run(s), last seen %s%s", s.Class, s.Name, s.Missed, s.LastSeen.Format(time.RFC3339), extra)
}

func names(list []importers.CIEnd) string {
	if len(list) == 0 {
		return "nothing"
	}
	var parts []string
	for i, c := range list {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("%d more", len(list)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", c.Name))
	}
	return strings.Join(parts, ", ")
}

// change shows a field's change; for lists, only the elements that went
// and came (a port closing in a list of twenty).
func change(old, cur any) string {
	o, ok1 := old.([]any)
	n, ok2 := cur.([]any)
	if !ok1 || !ok2 {
		return short(old) + " → " + short(cur)
	}
	in := func(list []any) map[string]bool {
		m := map[string]bool{}
		for _, v := range list {
			m[short(v)] = true
		}
		return m
	}
	was, is := in(o), in(n)
	var parts []string
	for _, v := range o {
		if k := short(v); !is[k] {
			parts = append(parts, "-"+k)
		}
	}
	for _, v := range n {
		if k := short(v); !was[k] {
			parts = append(parts, "+"+k)
		}
	}
	return strings.Join(parts, " ")
}

func short(v any) string {
	if v == nil {
		return "∅"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

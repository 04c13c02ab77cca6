package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// recordsOnCIsCases pin RecordsOnCIs down as ListRecords with a CI filter,
// every page, for many CIs in one call.
var recordsOnCIsCases = []testCase{
	{"MatchesListRecordsPerCI", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassApplication)
		b := mustCI(ctx, t, s, "b", graph.ClassApplication)
		gone := mustCI(ctx, t, s, "gone", graph.ClassApplication)
		quiet := mustCI(ctx, t, s, "quiet", graph.ClassApplication)
		day := func(d int) *time.Time { return tp(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
		names := map[string]string{}
		mk := func(kind graph.RecordKind, name, state string, start, end *time.Time, ref string, links ...graph.RecordLink) {
			r := graph.Record{Kind: kind, ID: graph.NewID(), State: state, Start: start, End: end, Links: links,
				Doc: doc(map[string]any{"title": name})}
			if ref != "" {
				r.Refs = []string{ref}
			}
			mustPut(ctx, t, s, r, 0)
			names[r.ID] = name
		}
		on := func(role string, c graph.CI) graph.RecordLink { return graph.RecordLink{Role: role, CI: c.ID} }
		mk(graph.KindIncident, "i1", "NEW", day(1), nil, "", on("AFFECTS", a))
		// Linked to a in two roles: listed once under a.
		mk(graph.KindIncident, "i2", "RESOLVED", day(3), day(4), "PROBLEM:p", on("AFFECTS", a), on("SERVICE", a), on("SERVICE", b))
		mk(graph.KindIncident, "i3", "NEW", day(10), day(12), "", on("SERVICE", b), on("AFFECTS", gone))
		mk(graph.KindIncident, "i4", "IN_PROGRESS", nil, nil, "PROBLEM:p", on("AFFECTS", b))
		mk(graph.KindChange, "c1", "SCHEDULED", day(2), day(3), "", on("TARGETS", a)) // another kind
		if _, err := s.ForceDeleteCI(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		cis := []string{a.ID, b.ID, gone.ID, quiet.ID, graph.NewID(), "not-an-id", a.ID}
		listed := func(got []graph.Record) string {
			out := ""
			for _, r := range got {
				out += names[r.ID] + " "
			}
			return out
		}
		tests := []struct {
			name string
			f    graph.RecordFilter
			want map[string]string // CI name → records, newest first
		}{
			{"everything", graph.RecordFilter{}, map[string]string{"a": "i2 i1 ", "b": "i4 i3 i2 "}},
			{"states", graph.RecordFilter{States: []string{"NEW", "IN_PROGRESS"}}, map[string]string{"a": "i1 ", "b": "i4 i3 "}},
			{"ref", graph.RecordFilter{Ref: "PROBLEM:p"}, map[string]string{"a": "i2 ", "b": "i4 i2 "}},
			{"window", graph.RecordFilter{From: day(5), To: day(11)}, map[string]string{"a": "i1 ", "b": "i4 i3 "}},
			{"window ends before", graph.RecordFilter{To: day(2)}, map[string]string{"a": "i1 ", "b": "i4 "}},
			// Conditions RecordsOnCIs does not use.
			{"CI and order ignored", graph.RecordFilter{CI: quiet.ID, Order: graph.RecordOrder{By: graph.SortStart}},
				map[string]string{"a": "i2 i1 ", "b": "i4 i3 i2 "}},
		}
		byName := map[string]string{a.ID: "a", b.ID: "b"}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.RecordsOnCIs(ctx, graph.KindIncident, cis, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("records on %d CIs, want %d: %v", len(got), len(tt.want), got)
				}
				for ci, recs := range got {
					if g, w := listed(recs), tt.want[byName[ci]]; g != w {
						t.Errorf("on %s: %q, want %q", byName[ci], g, w)
					}
					// The same as ListRecords with the CI filter, page by
					// page, records whole.
					f := tt.f
					f.CI, f.Order = ci, graph.RecordOrder{}
					var all []graph.Record
					err := graph.EachRecordPage(f.Order, func(p graph.Page) (graph.RecordPage, error) {
						p.First = 1
						page, err := s.ListRecords(ctx, graph.KindIncident, f, p)
						all = append(all, page.Records...)
						return page, err
					})
					if err != nil {
						t.Fatal(err)
					}
					if whole(all) != whole(recs) {
						t.Errorf("on %s: RecordsOnCIs %v, ListRecords %v", byName[ci], recs, all)
					}
				}
			})
		}
		if got, err := s.RecordsOnCIs(ctx, graph.KindIncident, nil, graph.RecordFilter{}); err != nil || len(got) != 0 {
			t.Fatalf("no CIs: %v, %v", got, err)
		}
		_, err := s.RecordsOnCIs(ctx, "TICKET", cis, graph.RecordFilter{})
		WantErr(t, err, graph.CodeInvalidInput, "kind")
	}},
}

// whole writes records out field by field (times by value), to compare
// two reads of them.
func whole(recs []graph.Record) string {
	out := ""
	for _, r := range recs {
		out += fmt.Sprintf("%s %s v%d %s %v–%v %v %v %s %v %v\n", r.Kind, r.ID, r.Version, r.State, at(r.Start), at(r.End),
			r.Links, r.Refs, r.Doc, r.CreatedAt, r.UpdatedAt)
	}
	return out
}

func at(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// groupingCases pin what incident groups (graph/correlate) need of a
// store: a child incident names its major incident by a tag among its
// Refs ("PARENT:<id>", beside its priority tag), the major incident is
// tagged "MAJOR", and a listing by tag — with states, in opening order —
// follows every update of a record's tags at once: a child moved to
// another group or out of any is listed under its new parent only.
var groupingCases = []testCase{
	{"ChildrenByParentTag", func(ctx context.Context, t *testing.T, s graph.Store) {
		ci := mustCI(ctx, t, s, "vm-1", graph.ClassVirtualMachine)
		at := func(m int) *time.Time { return tp(time.Date(2026, 11, 23, 9, m, 0, 0, time.UTC)) }
		put := func(id, state string, opened int, refs ...string) graph.Record {
			rec := graph.Record{Kind: graph.KindIncident, ID: id, State: state, Start: at(opened), Refs: refs,
				Links: []graph.RecordLink{{Role: "AFFECTS", CI: ci.ID}}, Doc: doc(map[string]any{"title": id})}
			return mustPut(ctx, t, s, rec, 0)
		}
		p1, p2 := graph.NewID(), graph.NewID()
		put(p1, "NEW", 1, "PRIORITY:P1", "MAJOR")
		put(p2, "RESOLVED", 0, "PRIORITY:P3", "MAJOR")
		names := map[string]string{}
		var kids []graph.Record
		for i, state := range []string{"IN_PROGRESS", "NEW", "RESOLVED"} {
			id := graph.NewID()
			names[id] = string(rune('a' + i))
			// Opened in reverse order of creation: the listing sorts by opening.
			kids = append(kids, put(id, state, 10-i, "PRIORITY:P2", "PARENT:"+p1))
		}
		list := func(f graph.RecordFilter) string {
			t.Helper()
			f.Order = graph.RecordOrder{By: graph.SortStart, Ascending: true}
			p, err := s.ListRecords(ctx, graph.KindIncident, f, graph.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if p.TotalCount != len(p.Records) {
				t.Fatalf("totalCount %d, %d records", p.TotalCount, len(p.Records))
			}
			var out []string
			for _, r := range p.Records {
				out = append(out, names[r.ID])
			}
			return strings.Join(out, " ")
		}
		if got := list(graph.RecordFilter{Ref: "PARENT:" + p1}); got != "c b a" {
			t.Fatalf("children of p1: %q, want c b a (by opening)", got)
		}
		open := []string{"NEW", "IN_PROGRESS", "ON_HOLD"}
		if got := list(graph.RecordFilter{Ref: "PARENT:" + p1, States: open}); got != "b a" {
			t.Fatalf("open children of p1: %q, want b a", got)
		}
		names[p1], names[p2] = "p1", "p2"
		if got := list(graph.RecordFilter{Ref: "MAJOR", States: open}); got != "p1" {
			t.Fatalf("open major incidents: %q, want p1", got)
		}
		// b moves to p2, a out of any group.
		moved := kids[1]
		moved.Refs = []string{"PRIORITY:P2", "PARENT:" + p2}
		mustPut(ctx, t, s, moved, moved.Version)
		out := kids[0]
		out.Refs = []string{"PRIORITY:P2"}
		mustPut(ctx, t, s, out, out.Version)
		if got := list(graph.RecordFilter{Ref: "PARENT:" + p1}); got != "c" {
			t.Fatalf("children of p1 after the moves: %q, want c", got)
		}
		if got := list(graph.RecordFilter{Ref: "PARENT:" + p2}); got != "b" {
			t.Fatalf("children of p2: %q, want b", got)
		}
		if got := list(graph.RecordFilter{Ref: "PRIORITY:P2"}); got != "c b a" {
			t.Fatalf("P2 incidents: %q, want c b a (the other tag is kept)", got)
		}
	}},
}

package resolvers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/resolvers"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// gql runs one operation through the GraphQL handler and decodes its data.
func gql(t *testing.T, h http.Handler, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Errors) > 0 || rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", strings.Fields(query)[0], rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		t.Fatal(err)
	}
}

type incidentJSON struct {
	ID, Title string
	Major     bool
	Parent    *struct{ ID string }
	Grouping  *struct {
		ParentID, Effect, Explanation string
		Distance                      int
		Path                          []string
		PathCis                       []struct{ Name string }
		Ci                            struct{ Name string }
		OpenedAfterMinutes            float64
	}
	Correlation *struct {
		CauseID         string
		Cause           struct{ Name string }
		SuspectedChange *struct{ Title string }
		Evidence        []struct{ Kind, Detail string }
		WindowMinutes   float64
	}
	Children struct {
		TotalCount int
		Edges      []struct{ Node incidentJSON }
	}
}

type connectionJSON struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage bool
		EndCursor   string
	}
	Edges []struct{ Node incidentJSON }
}

const groupFields = `id title major
	correlation { causeId cause { name } suspectedChange { title } evidence { kind detail } windowMinutes }
	children(first: 10) { totalCount edges { node { id title parent { id }
		grouping { parentId effect explanation distance path pathCis { name } ci { name } openedAfterMinutes } } } }`

// TestIncidentGroupsOverGraphQL raises incidents on three VMs of one
// hypervisor, just patched, and one elsewhere, and reads the group back:
// incidentGroups, the major incident's cause, suspected change and
// children, each child's parent and why it is there.
func TestIncidentGroupsOverGraphQL(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		svc := app.New(s, formats.DefaultPolicy())
		svc.Correlation.OnError = func(err error) { t.Errorf("correlation: %v", err) }
		t.Cleanup(svc.Correlation.Wait)
		h := resolvers.NewHandler(svc, resolvers.Options{})
		ci := map[string]string{}
		for _, c := range []struct{ name, class string }{{"hv-01", graph.ClassHypervisor}, {"hv-02", graph.ClassHypervisor},
			{"vm-1", graph.ClassVirtualMachine}, {"vm-2", graph.ClassVirtualMachine}, {"vm-3", graph.ClassVirtualMachine}, {"vm-9", graph.ClassVirtualMachine}} {
			res, err := s.UpsertCI(ctx, graph.CIInput{Name: &c.name, Class: &c.class})
			if err != nil {
				t.Fatal(err)
			}
			ci[c.name] = res.CI.ID
		}
		for vm, hv := range map[string]string{"vm-1": "hv-01", "vm-2": "hv-01", "vm-3": "hv-01", "vm-9": "hv-02"} {
			if _, err := s.Relate(ctx, ci[vm], graph.RelRunsOn, ci[hv]); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC()
		requested := now.Add(-2 * time.Hour)
		ch, err := svc.ITSM.CreateChange(ctx, itsm.CreateChangeInput{Title: "Firmware update on hv-01", Type: itsm.ChangeStandard,
			TargetCIs: []string{ci["hv-01"]}, PlannedStart: now.Add(-time.Hour), PlannedEnd: now.Add(-40 * time.Minute), RequestedAt: &requested})
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range []itsm.ChangeState{itsm.ChangeScheduled, itsm.ChangeImplementing, itsm.ChangeReview} {
			if _, err := svc.ITSM.TransitionChangeAt(ctx, ch.ID, st, "", "", now.Add(time.Duration(-70+15*i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		const create = `mutation($in: CreateIncidentInput!) { createIncident(input: $in) { id } }`
		raised := map[string]string{}
		for i, vm := range []string{"vm-1", "vm-2", "vm-3", "vm-9"} {
			opened := now.Add(time.Duration(-10+i) * time.Minute)
			if vm == "vm-9" {
				opened = now.Add(-3 * time.Hour)
			}
			var out struct{ CreateIncident struct{ ID string } }
			gql(t, h, create, map[string]any{"in": map[string]any{"title": vm + " unreachable", "affectedCiIds": []string{ci[vm]},
				"impact": 1, "urgency": 2, "openedAt": opened.Format(time.RFC3339), "outageStart": opened.Format(time.RFC3339)}}, &out)
			raised[vm] = out.CreateIncident.ID
		}
		svc.Correlation.Wait()

		var groups struct{ IncidentGroups connectionJSON }
		gql(t, h, `{ incidentGroups(first: 10) { totalCount edges { node { `+groupFields+` } } } }`, nil, &groups)
		if groups.IncidentGroups.TotalCount != 1 || len(groups.IncidentGroups.Edges) != 1 {
			t.Fatalf("incidentGroups: %d, want one group", groups.IncidentGroups.TotalCount)
		}
		g := groups.IncidentGroups.Edges[0].Node
		if !g.Major || g.Correlation == nil || g.Correlation.Cause.Name != "hv-01" || g.Correlation.SuspectedChange == nil ||
			g.Correlation.SuspectedChange.Title != "Firmware update on hv-01" || g.Correlation.WindowMinutes != 15 || len(g.Correlation.Evidence) == 0 {
			t.Fatalf("group %+v, want hv-01 with its firmware update", g.Correlation)
		}
		if !strings.Contains(g.Title, "3 incidents") || !strings.Contains(g.Title, "hv-01") {
			t.Errorf("title %q", g.Title)
		}
		if g.Children.TotalCount != 3 || len(g.Children.Edges) != 3 {
			t.Fatalf("children %d, want vm-1, vm-2, vm-3", g.Children.TotalCount)
		}
		for i, e := range g.Children.Edges {
			c := e.Node
			want := []string{"vm-1", "vm-2", "vm-3"}[i] // by opening time
			if c.ID != raised[want] || c.Parent == nil || c.Parent.ID != g.ID || c.Grouping == nil || c.Grouping.ParentID != g.ID {
				t.Fatalf("child %d: %+v, want %s grouped under %s", i, c, want, g.ID)
			}
			gr := c.Grouping
			if gr.Distance != 1 || len(gr.PathCis) != 2 || gr.PathCis[0].Name != "hv-01" || gr.Ci.Name != want || gr.Effect != "DOWN" ||
				gr.OpenedAfterMinutes != float64(i) {
				t.Errorf("%s's grouping %+v", want, gr)
			}
			if !strings.Contains(gr.Explanation, "blast radius of hv-01") || !strings.Contains(gr.Explanation, "hv-01 → "+want) {
				t.Errorf("explanation %q", gr.Explanation)
			}
		}

		// The incident three hours earlier is in no group, and paging
		// works like every list.
		var lone struct{ Incident incidentJSON }
		gql(t, h, `query($id: ID!) { incident(id: $id) { id major parent { id } grouping { parentId } children { totalCount } } }`,
			map[string]any{"id": raised["vm-9"]}, &lone)
		if lone.Incident.Parent != nil || lone.Incident.Grouping != nil || lone.Incident.Children.TotalCount != 0 || lone.Incident.Major {
			t.Fatalf("vm-9's incident %+v, want it ungrouped", lone.Incident)
		}
		var page struct{ IncidentGroups connectionJSON }
		gql(t, h, `{ incidentGroups(first: 0) { totalCount pageInfo { hasNextPage } } }`, nil, &page)
		if page.IncidentGroups.TotalCount != 1 || !page.IncidentGroups.PageInfo.HasNextPage {
			t.Fatalf("first: 0 → %+v", page.IncidentGroups)
		}
	})
}

// TestIncidentGroupsPaging pages through the open groups and through one
// group's children, forward with first/after, the way the console does:
// three hypervisors each take their VMs down, one with five VMs.
func TestIncidentGroupsPaging(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := context.Background()
		svc := app.New(s, formats.DefaultPolicy())
		svc.Correlation.OnError = func(err error) { t.Errorf("correlation: %v", err) }
		t.Cleanup(svc.Correlation.Wait)
		h := resolvers.NewHandler(svc, resolvers.Options{})
		now := time.Now().UTC()
		var vms []string
		for _, hv := range []struct {
			name string
			vms  int
		}{{"hv-a", 5}, {"hv-b", 2}, {"hv-c", 2}} {
			hvID := upsertCI(t, s, hv.name, graph.ClassHypervisor)
			for i := range hv.vms {
				vm := upsertCI(t, s, fmt.Sprintf("%s-vm-%d", hv.name, i), graph.ClassVirtualMachine)
				if _, err := s.Relate(ctx, vm, graph.RelRunsOn, hvID); err != nil {
					t.Fatal(err)
				}
				vms = append(vms, vm)
			}
		}
		const create = `mutation($in: CreateIncidentInput!) { createIncident(input: $in) { id } }`
		for i, vm := range vms {
			opened := now.Add(time.Duration(-10*60+i*30) * time.Second).Format(time.RFC3339)
			var out struct{ CreateIncident struct{ ID string } }
			gql(t, h, create, map[string]any{"in": map[string]any{"title": fmt.Sprintf("VM %d unreachable", i), "affectedCiIds": []string{vm},
				"impact": 1, "urgency": 2, "openedAt": opened, "outageStart": opened}}, &out)
		}
		svc.Correlation.Wait()

		// The groups, two a page: three groups, each once.
		seen := map[string]bool{}
		var big incidentJSON
		after := ""
		for pages := 0; ; pages++ {
			if pages == 3 {
				t.Fatal("incidentGroups: still a next page after three")
			}
			var out struct{ IncidentGroups connectionJSON }
			gql(t, h, `query($after: String) { incidentGroups(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
				edges { node { id title correlation { cause { name } } children(first: 0) { totalCount } } } } }`,
				map[string]any{"after": nilIfEmpty(after)}, &out)
			c := out.IncidentGroups
			if c.TotalCount != 3 || len(c.Edges) == 0 || len(c.Edges) > 2 {
				t.Fatalf("page %d: %d groups of %d, want up to 2 of 3", pages, len(c.Edges), c.TotalCount)
			}
			for _, e := range c.Edges {
				if seen[e.Node.ID] {
					t.Fatalf("group %s on two pages", e.Node.ID)
				}
				seen[e.Node.ID] = true
				if e.Node.Correlation != nil && e.Node.Correlation.Cause.Name == "hv-a" {
					big = e.Node
				}
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			after = c.PageInfo.EndCursor
		}
		if len(seen) != 3 || big.ID == "" || big.Children.TotalCount != 5 {
			t.Fatalf("groups %d, hv-a's %+v: want three, hv-a's with five children", len(seen), big)
		}

		// hv-a's five children, two a page, by opening time.
		var titles []string
		after = ""
		for pages := 0; ; pages++ {
			if pages == 3 {
				t.Fatal("children: still a next page after three")
			}
			var out struct {
				Incident struct{ Children connectionJSON }
			}
			gql(t, h, `query($id: ID!, $after: String) { incident(id: $id) { children(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } edges { node { id title } } } } }`,
				map[string]any{"id": big.ID, "after": nilIfEmpty(after)}, &out)
			c := out.Incident.Children
			if c.TotalCount != 5 || len(c.Edges) == 0 || len(c.Edges) > 2 {
				t.Fatalf("page %d: %d children of %d, want up to 2 of 5", pages, len(c.Edges), c.TotalCount)
			}
			for _, e := range c.Edges {
				titles = append(titles, e.Node.Title)
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			after = c.PageInfo.EndCursor
		}
		want := []string{"VM 0 unreachable", "VM 1 unreachable", "VM 2 unreachable", "VM 3 unreachable", "VM 4 unreachable"}
		if strings.Join(titles, "|") != strings.Join(want, "|") {
			t.Fatalf("children %q, want %q", titles, want)
		}
	})
}

func upsertCI(t *testing.T, s graph.Store, name, class string) string {
	t.Helper()
	res, err := s.UpsertCI(context.Background(), graph.CIInput{Name: &name, Class: &class})
	if err != nil {
		t.Fatal(err)
	}
	return res.CI.ID
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

var ciCases = []testCase{
	{"CreateAppliesDefaultsAndRoundTrips", func(ctx context.Context, t *testing.T, s graph.Store) {
		attrs := map[string]any{"cpu": float64(8), "tags": []any{"a", "b"}, "nested": map[string]any{"ok": true, "none": nil}}
		res, err := s.UpsertCI(ctx, graph.CIInput{
			Name: Ptr(" web-1 "), Class: Ptr(graph.ClassServer), Environment: Ptr("prod"), Owner: Ptr("team-web"),
			Attributes:  attrs,
			Identifiers: []graph.Identifier{Ident("serial", "SN-1"), Ident("fqdn", "Web-1.Example.COM")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || !res.Changed {
			t.Fatalf("Created=%v Changed=%v, want both true", res.Created, res.Changed)
		}
		ci := res.CI
		if err := graph.CheckID("id", ci.ID); err != nil {
			t.Fatalf("new id: %v", err)
		}
		if ci.Name != "web-1" || ci.Status != graph.StatusInService || ci.Criticality != graph.CriticalityMedium {
			t.Fatalf("defaults not applied: %+v", ci)
		}
		got := mustGet(ctx, t, s, ci.ID)
		if !got.CreatedAt.Equal(ci.CreatedAt) || !got.UpdatedAt.Equal(ci.UpdatedAt) || got.CreatedAt.Location().String() != "UTC" {
			t.Fatalf("timestamps do not round-trip: stored %v/%v, read %v/%v", ci.CreatedAt, ci.UpdatedAt, got.CreatedAt, got.UpdatedAt)
		}
		if !reflect.DeepEqual(got.Attributes, attrs) {
			t.Fatalf("attributes: got %#v, want %#v", got.Attributes, attrs)
		}
		wantIDs := []graph.Identifier{Ident("serial", "SN-1"), Ident("fqdn", "web-1.example.com")}
		if !reflect.DeepEqual(got.Identifiers, wantIDs) {
			t.Fatalf("identifiers: got %v, want %v (fqdn lower-cased, order kept)", got.Identifiers, wantIDs)
		}
		if got.Environment != "prod" || got.Owner != "team-web" || got.Class != graph.ClassServer {
			t.Fatalf("fields: %+v", got)
		}
	}},
	{"UpdateByIDKeepsOmittedFields", func(ctx context.Context, t *testing.T, s graph.Store) {
		ci := mustUpsert(ctx, t, s, graph.CIInput{Name: Ptr("db-1"), Class: Ptr(graph.ClassDatabase), Owner: Ptr("dba"),
			Attributes: map[string]any{"engine": "postgres"}})
		res, err := s.UpsertCI(ctx, graph.CIInput{ID: ci.ID, Criticality: Ptr(graph.CriticalityCritical)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created || !res.Changed {
			t.Fatalf("Created=%v Changed=%v, want an update", res.Created, res.Changed)
		}
		got := mustGet(ctx, t, s, ci.ID)
		if got.Criticality != graph.CriticalityCritical || got.Owner != "dba" || got.Attributes["engine"] != "postgres" {
			t.Fatalf("update lost fields: %+v", got)
		}
		if !got.CreatedAt.Equal(ci.CreatedAt) || got.UpdatedAt.Before(ci.UpdatedAt) {
			t.Fatalf("timestamps: created %v→%v updated %v→%v", ci.CreatedAt, got.CreatedAt, ci.UpdatedAt, got.UpdatedAt)
		}
	}},
	{"IdenticalUpsertChangesNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		in := graph.CIInput{Name: Ptr("lb-1"), Class: Ptr(graph.ClassLoadBalancer),
			Attributes: map[string]any{"vip": "10.0.0.1"}, Identifiers: []graph.Identifier{Ident("serial", "LB1")}}
		first := mustUpsert(ctx, t, s, in)
		res, err := s.UpsertCI(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created || res.Changed {
			t.Fatalf("second identical upsert: Created=%v Changed=%v, want neither", res.Created, res.Changed)
		}
		if res.CI.ID != first.ID || !mustGet(ctx, t, s, first.ID).UpdatedAt.Equal(first.UpdatedAt) {
			t.Fatalf("identical upsert moved the CI or its updatedAt")
		}
		if n := countCIs(ctx, t, s); n != 1 {
			t.Fatalf("%d CIs, want 1", n)
		}
	}},
	{"GetErrors", func(ctx context.Context, t *testing.T, s graph.Store) {
		_, err := s.GetCI(ctx, "not-a-uuid")
		WantErr(t, err, graph.CodeInvalidInput, "id")
		_, err = s.GetCI(ctx, graph.NewID())
		WantErr(t, err, graph.CodeNotFound, "id")
	}},
	{"CIsByIDsSkipsMissingAndMalformed", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassServer)
		b := mustCI(ctx, t, s, "b", graph.ClassServer)
		got, err := s.CIsByIDs(ctx, []string{a.ID, graph.NewID(), "junk", b.ID, a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[a.ID].Name != "a" || got[b.ID].Name != "b" {
			t.Fatalf("got %v", got)
		}
	}},
	{"DeleteRemovesRelationsAndFreesIdentifiers", func(ctx context.Context, t *testing.T, s graph.Store) {
		app := mustCI(ctx, t, s, "app", graph.ClassApplication)
		srv := mustCI(ctx, t, s, "srv", graph.ClassServer, Ident("serial", "S1"))
		mustRelate(ctx, t, s, app, graph.RelRunsOn, srv)
		if err := s.DeleteCI(ctx, srv.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetCI(ctx, srv.ID)
		WantErr(t, err, graph.CodeNotFound, "id")
		if n := countRelations(ctx, t, s, app); n != 0 {
			t.Fatalf("%d relations left on app after deleting its server", n)
		}
		again := mustCI(ctx, t, s, "srv-new", graph.ClassServer, Ident("serial", "S1"))
		if again.ID == srv.ID {
			t.Fatalf("re-created CI reused the deleted id")
		}
		WantErr(t, s.DeleteCI(ctx, srv.ID), graph.CodeNotFound, "id")
		WantErr(t, s.DeleteCI(ctx, "x"), graph.CodeInvalidInput, "id")
	}},
	{"ClassChangeMustKeepRelationsValid", func(ctx context.Context, t *testing.T, s graph.Store) {
		web := mustCI(ctx, t, s, "web-1", graph.ClassServer)
		group := mustCI(ctx, t, s, "web-tier", graph.ClassCluster)
		mustRelate(ctx, t, s, web, graph.RelMemberOf, group)
		_, err := s.UpsertCI(ctx, graph.CIInput{ID: group.ID, Class: Ptr(graph.ClassServer)})
		WantErr(t, err, graph.CodeInvalidInput, "class")
		if got := mustGet(ctx, t, s, group.ID); got.Class != graph.ClassCluster {
			t.Fatalf("class changed to %s despite the error", got.Class)
		}
		// A change that keeps relations valid is fine.
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: web.ID, Class: Ptr(graph.ClassVirtualMachine)}); err != nil {
			t.Fatal(err)
		}
	}},
}

var identifierCases = []testCase{
	{"UpsertMatchesByIdentifier", func(ctx context.Context, t *testing.T, s graph.Store) {
		first := mustCI(ctx, t, s, "srv", graph.ClassServer, Ident("serial", "ABC"))
		res, err := s.UpsertCI(ctx, graph.CIInput{Name: Ptr("srv-renamed"),
			Identifiers: []graph.Identifier{Ident("serial", "ABC"), Ident("ip", "10.1.1.1")}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created || res.CI.ID != first.ID {
			t.Fatalf("upsert by identifier created %v / matched %s, want update of %s", res.Created, res.CI.ID, first.ID)
		}
		got := mustGet(ctx, t, s, first.ID)
		if got.Name != "srv-renamed" || len(got.Identifiers) != 2 {
			t.Fatalf("got %+v, want renamed with merged identifiers", got)
		}
	}},
	{"MatchIsCaseInsensitiveForDNSNames", func(ctx context.Context, t *testing.T, s graph.Store) {
		first := mustCI(ctx, t, s, "h", graph.ClassServer, Ident("fqdn", "h.example.com"))
		res, err := s.UpsertCI(ctx, graph.CIInput{Owner: Ptr("ops"), Identifiers: []graph.Identifier{Ident("fqdn", " H.Example.Com ")}})
		if err != nil || res.CI.ID != first.ID {
			t.Fatalf("got %v, %v; want a match on the normalised fqdn", res.CI.ID, err)
		}
	}},
	{"DuplicateIdentifierIsConflict", func(ctx context.Context, t *testing.T, s graph.Store) {
		a := mustCI(ctx, t, s, "a", graph.ClassServer, Ident("serial", "A"))
		b := mustCI(ctx, t, s, "b", graph.ClassServer, Ident("serial", "B"))
		_, err := s.UpsertCI(ctx, graph.CIInput{ID: b.ID, Name: Ptr("b2"),
			Identifiers: []graph.Identifier{Ident("ip", "10.0.0.2"), Ident("serial", "A")}})
		WantErr(t, err, graph.CodeConflict, "identifiers[1]")
		if got := mustGet(ctx, t, s, b.ID); got.Name != "b" || len(got.Identifiers) != 1 {
			t.Fatalf("failed upsert changed b: %+v", got)
		}
		if got := mustGet(ctx, t, s, a.ID); len(got.Identifiers) != 1 {
			t.Fatalf("failed upsert changed a: %+v", got)
		}
		// The same value under another kind is a different identifier.
		if _, err := s.UpsertCI(ctx, graph.CIInput{ID: b.ID, Identifiers: []graph.Identifier{Ident("asset-tag", "A")}}); err != nil {
			t.Fatalf("same value, other kind: %v", err)
		}
	}},
	{"IdentifierOfAnotherClassIsConflict", func(ctx context.Context, t *testing.T, s graph.Store) {
		vm := mustCI(ctx, t, s, "web-04", graph.ClassVirtualMachine, Ident("fqdn", "web-04.example.com"))
		dup := Input("dup", graph.ClassServer, Ident("serial", "NEW-1"), Ident("fqdn", "web-04.example.com"))
		_, err := s.UpsertCI(ctx, dup)
		WantErr(t, err, graph.CodeConflict, "identifiers[1]")
		var dErr *graph.Error
		if !errors.As(err, &dErr) {
			t.Fatalf("not a domain error: %v", err)
		}
		named, _ := dErr.Details["ci"].(map[string]any)
		if named["id"] != vm.ID || named["name"] != "web-04" || named["class"] != graph.ClassVirtualMachine ||
			!strings.Contains(dErr.Message, vm.ID) || !strings.Contains(dErr.Message, "fqdn=web-04.example.com") {
			t.Errorf("the conflict does not name the CI and identifier: %q %v", dErr.Message, dErr.Details)
		}
		// Apply without an id follows the same rule, and names the upsert.
		_, err = s.Apply(ctx, graph.Batch{Upserts: []graph.CIInput{Input("ok", graph.ClassServer), dup}})
		WantErr(t, err, graph.CodeConflict, "upserts[1].identifiers[1]")
		if got := mustGet(ctx, t, s, vm.ID); got.Name != "web-04" || got.Class != graph.ClassVirtualMachine || len(got.Identifiers) != 1 {
			t.Fatalf("refused upserts changed web-04: %+v", got)
		}
		if n := countCIs(ctx, t, s); n != 1 {
			t.Fatalf("%d CIs after refused upserts, want 1", n)
		}
		// The same class, or no class, is still an update by identifier;
		// naming the CI by id may change its class.
		if res, err := s.UpsertCI(ctx, graph.CIInput{Class: Ptr(graph.ClassVirtualMachine), Owner: Ptr("web"),
			Identifiers: []graph.Identifier{Ident("fqdn", "web-04.example.com")}}); err != nil || res.CI.ID != vm.ID {
			t.Fatalf("same-class match: %v, %v", res.CI.ID, err)
		}
		if res, err := s.UpsertCI(ctx, graph.CIInput{ID: vm.ID, Class: Ptr(graph.ClassServer)}); err != nil || res.CI.Class != graph.ClassServer {
			t.Fatalf("class change by id: %+v, %v", res.CI, err)
		}
	}},
	{"AmbiguousIdentifiersAreConflict", func(ctx context.Context, t *testing.T, s graph.Store) {
		mustCI(ctx, t, s, "a", graph.ClassServer, Ident("serial", "A"))
		mustCI(ctx, t, s, "b", graph.ClassServer, Ident("ip", "10.0.0.9"))
		_, err := s.UpsertCI(ctx, graph.CIInput{Name: Ptr("merged?"),
			Identifiers: []graph.Identifier{Ident("serial", "A"), Ident("ip", "10.0.0.9")}})
		WantErr(t, err, graph.CodeConflict, "identifiers")
		if n := countCIs(ctx, t, s); n != 2 {
			t.Fatalf("%d CIs after an ambiguous upsert, want 2", n)
		}
	}},
	{"UnknownIDIsNotFound", func(ctx context.Context, t *testing.T, s graph.Store) {
		_, err := s.UpsertCI(ctx, graph.CIInput{ID: graph.NewID(), Name: Ptr("x")})
		WantErr(t, err, graph.CodeNotFound, "id")
		if n := countCIs(ctx, t, s); n != 0 {
			t.Fatalf("%d CIs, want 0", n)
		}
	}},
}

var validationCases = []testCase{
	{"BadInputIsRejectedAndChangesNothing", func(ctx context.Context, t *testing.T, s graph.Store) {
		existing := mustCI(ctx, t, s, "keep", graph.ClassServer, Ident("serial", "K"))
		huge := map[string]any{"blob": strings.Repeat("x", graph.MaxAttributesBytes)}
		deep := map[string]any{}
		cur := deep
		for i := 0; i < graph.MaxAttributeNesting+2; i++ {
			next := map[string]any{}
			cur["n"] = next
			cur = next
		}
		tests := []struct {
			name  string
			in    graph.CIInput
			code  graph.Code
			field string
		}{
			{"unknown class", Input("x", "Toaster"), graph.CodeInvalidInput, "class"},
			{"empty name", Input("  ", graph.ClassServer), graph.CodeInvalidInput, "name"},
			{"long name", Input(strings.Repeat("n", graph.MaxNameLen+1), graph.ClassServer), graph.CodeInvalidInput, "name"},
			{"control character in name", Input("a\x00b", graph.ClassServer), graph.CodeInvalidInput, "name"},
			{"long owner", graph.CIInput{Name: Ptr("x"), Class: Ptr(graph.ClassServer), Environment: Ptr("prod"), Owner: Ptr(strings.Repeat("o", graph.MaxShortFieldLen+1))}, graph.CodeInvalidInput, "owner"},
			{"missing name", graph.CIInput{Class: Ptr(graph.ClassServer)}, graph.CodeInvalidInput, "name"},
			{"missing class", graph.CIInput{Name: Ptr("x")}, graph.CodeInvalidInput, "class"},
			{"malformed id", graph.CIInput{ID: "42", Name: Ptr("x")}, graph.CodeInvalidInput, "id"},
			{"bad status", graph.CIInput{Name: Ptr("x"), Class: Ptr(graph.ClassServer), Status: Ptr(graph.Status("BROKEN"))}, graph.CodeInvalidInput, "status"},
			{"bad criticality", graph.CIInput{Name: Ptr("x"), Class: Ptr(graph.ClassServer), Criticality: Ptr(graph.Criticality("MEH"))}, graph.CodeInvalidInput, "criticality"},
			{"oversize attributes", graph.CIInput{Name: Ptr("x"), Class: Ptr(graph.ClassServer), Attributes: huge}, graph.CodeInvalidInput, "attributes"},
			{"deep attributes", graph.CIInput{Name: Ptr("x"), Class: Ptr(graph.ClassServer), Attributes: deep}, graph.CodeInvalidInput, "attributes"},
			{"bad identifier kind", Input("x", graph.ClassServer, Ident("Serial No", "1")), graph.CodeInvalidInput, "identifiers[0].kind"},
			{"empty identifier value", Input("x", graph.ClassServer, Ident("ip", "10.0.0.1"), Ident("serial", " ")), graph.CodeInvalidInput, "identifiers[1].value"},
			{"repeated identifier", Input("x", graph.ClassServer, Ident("ip", "1"), Ident("ip", "1")), graph.CodeInvalidInput, "identifiers[1]"},
			{"update with empty name", graph.CIInput{ID: existing.ID, Name: Ptr("")}, graph.CodeInvalidInput, "name"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.UpsertCI(ctx, tt.in)
				WantErr(t, err, tt.code, tt.field)
			})
		}
		if n := countCIs(ctx, t, s); n != 1 {
			t.Fatalf("%d CIs after rejected inputs, want 1", n)
		}
		if got := mustGet(ctx, t, s, existing.ID); !sameStored(got, existing) {
			t.Fatalf("existing CI changed: %+v", got)
		}
	}},
}

// sameStored compares CIs ignoring representation details that do not
// matter: nil vs empty maps, and time zone pointers of equal instants.
func sameStored(a, b graph.CI) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return false
	}
	a.CreatedAt, a.UpdatedAt = b.CreatedAt, b.UpdatedAt
	if len(a.Attributes) == 0 && len(b.Attributes) == 0 {
		a.Attributes, b.Attributes = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

package auth_test

import (
	"context"
	"testing"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
)

func TestRoles(t *testing.T) {
	if len(auth.PermissionsOf([]auth.Role{auth.RoleAdmin})) != len(auth.Permissions) {
		t.Error("admin does not hold every permission")
	}
	for _, r := range auth.Roles {
		if len(auth.PermissionsOf([]auth.Role{r})) == 0 {
			t.Errorf("role %s grants nothing", r)
		}
	}
	if r, err := auth.ParseRole(" Change-Manager "); err != nil || r != auth.RoleChangeManager {
		t.Errorf("ParseRole: %v %v", r, err)
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Error("unknown role accepted")
	}
	// Events may post events and nothing else; the importer reads no graph.
	if got := auth.PermissionsOf([]auth.Role{auth.RoleEvents}); len(got) != 1 || got[0] != auth.PermEventsPost {
		t.Errorf("events role: %v", got)
	}
	if auth.RoleImporter.Grants(auth.PermRead) || auth.RoleViewer.Grants(auth.PermIncidentsWrite) {
		t.Error("importer reads, or viewer writes")
	}
}

func TestRequire(t *testing.T) {
	ctx := context.Background()
	if err := auth.Require(ctx, auth.PermTokensManage); err != nil {
		t.Errorf("in-process caller without a principal: %v", err)
	}
	viewer := auth.WithPrincipal(ctx, auth.Principal{Subject: "bob", Roles: []auth.Role{auth.RoleViewer}, Method: "token"})
	if err := auth.Require(viewer, auth.PermRead); err != nil {
		t.Error(err)
	}
	err := auth.Require(viewer, auth.PermCIsDelete)
	if graph.ErrorCode(err) != graph.CodeForbidden || err.Error() != "permission cis.delete denied to bob (roles: viewer)" {
		t.Errorf("viewer deleting: %v", err)
	}
	if graph.ActorFrom(viewer) != "bob" {
		t.Error("authenticated subject is not the actor")
	}
	// Authentication off: the header's actor stays, and everything is allowed.
	open := auth.WithPrincipal(graph.WithActor(ctx, "alice"), auth.Unauthenticated("alice"))
	if auth.Require(open, auth.PermCIsForceDelete) != nil || graph.ActorFrom(open) != "alice" {
		t.Error("unauthenticated principal")
	}
}

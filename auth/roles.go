// Package auth is Ripple's identity and access: who a request is (a
// Principal, from an API token or an OpenID Connect bearer token), what
// each role may do (permissions), and the one authorizer every way in —
// GraphQL, the HTTP import and event endpoints, the CLI's --server — asks
// before it acts. Like Kubernetes RBAC it is a roles × permissions matrix
// kept in one place; the resolvers and handlers only name the permission an
// operation needs.
package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Role is a named set of permissions a principal holds.
type Role string

// The roles. A principal may hold several; its permissions are the union.
const (
	// RoleViewer reads everything: the graph, records, analyses, imports.
	RoleViewer Role = "viewer"
	// RoleOperator works incidents and problems and may request changes.
	RoleOperator Role = "operator"
	// RoleChangeManager assesses, approves and schedules changes and
	// keeps the maintenance and freeze windows.
	RoleChangeManager Role = "change-manager"
	// RoleImporter runs discovery imports and reads their runs, nothing else.
	RoleImporter Role = "importer"
	// RoleEvents may only post monitoring events (/api/v1/events).
	RoleEvents Role = "events"
	// RoleAdmin may do everything: edit and delete CIs, SLAs, tokens.
	RoleAdmin Role = "admin"
)

// Roles lists every role, least to most powerful.
var Roles = []Role{RoleViewer, RoleOperator, RoleChangeManager, RoleImporter, RoleEvents, RoleAdmin}

// Permission is one thing a request may do. Operations name the permission
// they need; roles grant them.
type Permission string

// The permissions.
const (
	PermRead           Permission = "read"            // every query of the graph, records and analyses
	PermImportsRead    Permission = "imports.read"    // import runs
	PermIncidentsWrite Permission = "incidents.write" // create, edit, move incidents
	PermProblemsWrite  Permission = "problems.write"  // create, edit, move problems
	PermChangesRequest Permission = "changes.request" // create and edit changes, add notes
	PermChangesManage  Permission = "changes.manage"  // assess, approve, schedule, move changes
	PermWindowsWrite   Permission = "windows.write"   // maintenance and freeze windows
	PermImportsRun     Permission = "imports.run"     // run (or dry-run) an import
	PermEventsPost     Permission = "events.post"     // post monitoring events
	PermCIsWrite       Permission = "cis.write"       // create and edit CIs and relations by hand
	PermCIsDelete      Permission = "cis.delete"      // delete or retire a CI
	PermCIsForceDelete Permission = "cis.force-delete"
	PermSLAsWrite      Permission = "slas.write"    // SLAs
	PermTokensManage   Permission = "tokens.manage" // API tokens
)

// Permissions lists every permission.
var Permissions = []Permission{
	PermRead, PermImportsRead, PermIncidentsWrite, PermProblemsWrite, PermChangesRequest,
	PermChangesManage, PermWindowsWrite, PermImportsRun, PermEventsPost, PermCIsWrite,
	PermCIsDelete, PermCIsForceDelete, PermSLAsWrite, PermTokensManage,
}

// grants is the matrix: the one place that says which role may do what.
var grants = map[Role][]Permission{
	RoleViewer:        {PermRead, PermImportsRead},
	RoleOperator:      {PermRead, PermImportsRead, PermIncidentsWrite, PermProblemsWrite, PermChangesRequest},
	RoleChangeManager: {PermRead, PermImportsRead, PermChangesRequest, PermChangesManage, PermWindowsWrite},
	RoleImporter:      {PermImportsRun, PermImportsRead},
	RoleEvents:        {PermEventsPost},
	RoleAdmin:         Permissions,
}

// Grants reports whether role r holds permission p.
func (r Role) Grants(p Permission) bool { return slices.Contains(grants[r], p) }

// ParseRole accepts a role's name, case-insensitively.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := grants[r]; !ok {
		return "", fmt.Errorf("unknown role %q (want one of %s)", s, RoleNames())
	}
	return r, nil
}

// RoleNames is the list of roles for help and error messages.
func RoleNames() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// PermissionsOf returns the union of the roles' permissions, sorted.
func PermissionsOf(roles []Role) []Permission {
	var out []Permission
	for _, r := range roles {
		for _, p := range grants[r] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

package resolvers

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// permissionRule names the permission a root field needs, given its
// arguments (deleteCI needs more with mode FORCE). Nil needs none.
type permissionRule func(args map[string]any) auth.Permission

func needs(p auth.Permission) permissionRule {
	return func(map[string]any) auth.Permission { return p }
}

// mutationRules is every mutation's permission. A mutation missing here is
// refused whoever asks (fail closed), and TestRoleMatrix, which walks the
// schema, fails until it gets a rule.
var mutationRules = map[string]permissionRule{
	"upsertCI":     needs(auth.PermCIsWrite),
	"reclassifyCI": needs(auth.PermCIsWrite),
	"relate":       needs(auth.PermCIsWrite),
	"unrelate":     needs(auth.PermCIsWrite),
	"deleteCI": func(args map[string]any) auth.Permission {
		if deleteMode(args["mode"]) == graph.DeleteForce {
			return auth.PermCIsForceDelete
		}
		return auth.PermCIsDelete
	},

	"importFile":  needs(auth.PermImportsRun),
	"importBatch": needs(auth.PermImportsRun),

	"createIncident":     needs(auth.PermIncidentsWrite),
	"updateIncident":     needs(auth.PermIncidentsWrite),
	"transitionIncident": needs(auth.PermIncidentsWrite),
	// Mapping an unmapped monitoring event raises its incident.
	"mapEvent":              needs(auth.PermIncidentsWrite),
	"createProblem":         needs(auth.PermProblemsWrite),
	"updateProblem":         needs(auth.PermProblemsWrite),
	"linkIncidentToProblem": needs(auth.PermProblemsWrite),
	"transitionProblem":     needs(auth.PermProblemsWrite),

	"createChange":     needs(auth.PermChangesRequest),
	"updateChange":     needs(auth.PermChangesRequest),
	"addChangeNote":    needs(auth.PermChangesRequest),
	"assessChange":     needs(auth.PermChangesManage),
	"approveChange":    needs(auth.PermChangesManage),
	"transitionChange": needs(auth.PermChangesManage),

	"createWindow": needs(auth.PermWindowsWrite),
	"updateWindow": needs(auth.PermWindowsWrite),
	"deleteWindow": needs(auth.PermWindowsWrite),

	"createSLA": needs(auth.PermSLAsWrite),
	"updateSLA": needs(auth.PermSLAsWrite),
	"deleteSLA": needs(auth.PermSLAsWrite),
}

// queryRules are the queries that need something other than read.
var queryRules = map[string]permissionRule{
	"me":         nil,
	"__schema":   nil,
	"__type":     nil,
	"__typename": nil,
	"importRuns": needs(auth.PermImportsRead),
	"importRun":  needs(auth.PermImportsRead),
}

func deleteMode(v any) graph.DeleteMode {
	switch m := v.(type) {
	case graph.DeleteMode:
		return m
	case *graph.DeleteMode:
		if m != nil {
			return *m
		}
	}
	return graph.DeleteProtect
}

// rootPermission is the permission a root field needs; ok is false for a
// mutation without a rule.
func rootPermission(object, field string, args map[string]any) (perm auth.Permission, ok bool) {
	switch object {
	case "Mutation":
		rule, ok := mutationRules[field]
		if !ok {
			return "", false
		}
		return rule(args), true
	case "Query":
		rule, ok := queryRules[field]
		if !ok {
			return auth.PermRead, true
		}
		if rule == nil {
			return "", true
		}
		return rule(args), true
	}
	return "", true
}

// authorizeFields is the GraphQL side of the one authorizer: before a root
// field resolves, its permission is checked against the request's principal
// (auth.Require), so resolvers never see a request they should not serve.
func authorizeFields(ctx context.Context, next graphql.Resolver) (any, error) {
	// Only the root types are named Query and Mutation; fields below them
	// are covered by their root field's permission.
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" && fc.Object != "Query" {
		return next(ctx)
	}
	perm, ok := rootPermission(fc.Object, fc.Field.Name, fc.Args)
	if !ok {
		return nil, &graph.Error{Code: graph.CodeForbidden, Message: fmt.Sprintf("mutation %s has no access rule", fc.Field.Name)}
	}
	if perm != "" {
		if err := auth.Require(ctx, perm); err != nil {
			return nil, err
		}
	}
	return next(ctx)
}

// me describes the request's principal. Without one (an in-process caller
// that opened the store itself) it is the unauthenticated actor, who may do
// everything, as auth.Require treats it.
func me(ctx context.Context) *model.Me {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		p = auth.Unauthenticated(graph.ActorFrom(ctx))
	}
	out := &model.Me{Subject: p.Subject, Authenticated: p.Method != auth.MethodNone, Roles: []string{}, Permissions: []string{}}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	for _, perm := range p.Permissions() {
		out.Permissions = append(out.Permissions, string(perm))
	}
	return out
}

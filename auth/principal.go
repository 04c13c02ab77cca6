package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// Principal is who a request acts as.
type Principal struct {
	// Subject names the principal in the audit trail: an API token's name,
	// an OIDC token's subject claim, or, with authentication off, the
	// X-Ripple-Actor header.
	Subject string
	// Roles are the roles the principal holds (unknown roles from an
	// identity provider are dropped, not guessed at).
	Roles []Role
	// Method says how the principal was established: "token", "oidc", or
	// "none" (authentication off: every permission).
	Method string
}

// MethodNone marks the principal of a server running without
// authentication, which may do everything (only allowed on loopback).
const MethodNone = "none"

// Unauthenticated is the principal of every request when authentication is
// off: it holds every role, and the actor is whoever the caller says.
func Unauthenticated(subject string) Principal {
	return Principal{Subject: subject, Roles: []Role{RoleAdmin}, Method: MethodNone}
}

// Can reports whether the principal holds permission p.
func (p Principal) Can(perm Permission) bool {
	return slices.ContainsFunc(p.Roles, func(r Role) bool { return r.Grants(perm) })
}

// Permissions lists what the principal may do, sorted.
func (p Principal) Permissions() []Permission { return PermissionsOf(p.Roles) }

type principalKey struct{}

// WithPrincipal returns a context acting as p. An authenticated principal
// is also the audit actor (graph.WithActor), so no header can override it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	if p.Method != MethodNone {
		ctx = graph.WithActor(ctx, p.Subject)
	}
	return ctx
}

// PrincipalFrom returns the principal of ctx, if one was established.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Require is the authorizer: nil when ctx's principal holds perm, else a
// FORBIDDEN error that names the permission and the principal's roles.
//
// A context with no principal is an in-process caller that opened the
// store itself (the CLI's local commands, package tests): it already holds
// the store's credentials, so there is nothing to check. The HTTP server
// puts a principal on every request it serves (server/auth.go), and with
// authentication on refuses a request before it could get here without one.
func Require(ctx context.Context, perm Permission) error {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Can(perm) {
		return nil
	}
	return &graph.Error{
		Code:    graph.CodeForbidden,
		Message: "permission " + string(perm) + " denied to " + p.Subject + " (roles: " + JoinRoles(p.Roles) + ")",
		Details: map[string]any{"permission": string(perm)},
	}
}

// JoinRoles lists roles comma-separated, "none" for none.
func JoinRoles(roles []Role) string {
	if len(roles) == 0 {
		return "none"
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

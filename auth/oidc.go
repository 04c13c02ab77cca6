package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig says which issuer's tokens to trust and how to read them.
type OIDCConfig struct {
	// Issuer is the issuer URL; its discovery document and keys are
	// fetched from Issuer + "/.well-known/openid-configuration".
	Issuer string
	// Audience must be among the token's "aud" (the client id Ripple is
	// registered as at the issuer).
	Audience string
	// RolesClaim names the claim holding Ripple roles: a list of strings,
	// or one space-separated string; a dotted path reaches into objects
	// ("realm_access.roles"). Default "roles".
	RolesClaim string
	// SubjectClaim names the claim that becomes the audit actor. Default
	// "sub".
	SubjectClaim string
}

// OIDC verifies bearer tokens an OpenID Connect issuer signed: signature
// against the issuer's published keys, issuer, audience and expiry (all by
// github.com/coreos/go-oidc), then reads subject and roles.
type OIDC struct {
	verifier *oidc.IDTokenVerifier
	cfg      OIDCConfig
}

// NewOIDC discovers the issuer (so a wrong --oidc-issuer fails at start,
// not on the first request) and returns its verifier.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, fmt.Errorf("OIDC needs an issuer and an audience (--oidc-issuer, --oidc-audience)")
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "roles"
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	// The provider keeps ctx for fetching keys later, when the issuer
	// rotates them: it must outlive this call.
	provider, err := oidc.NewProvider(context.WithoutCancel(ctx), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer %s: %w", cfg.Issuer, err)
	}
	return &OIDC{verifier: provider.Verifier(&oidc.Config{ClientID: cfg.Audience}), cfg: cfg}, nil
}

// Config returns the configuration the verifier was built with (defaults
// filled in): the console signs in against its issuer and audience.
func (o *OIDC) Config() OIDCConfig { return o.cfg }

// Verify returns the principal of a signed token.
func (o *OIDC) Verify(ctx context.Context, raw string) (Principal, error) {
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("OIDC token: %w", err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("OIDC token claims: %w", err)
	}
	subject, _ := claim(claims, o.cfg.SubjectClaim).(string)
	if strings.TrimSpace(subject) == "" {
		return Principal{}, fmt.Errorf("OIDC token has no %q claim to name its subject", o.cfg.SubjectClaim)
	}
	return Principal{Subject: subject, Roles: rolesIn(claim(claims, o.cfg.RolesClaim)), Method: "oidc"}, nil
}

// claim follows a dotted path into the claims.
func claim(claims map[string]any, path string) any {
	var v any = claims
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// rolesIn reads Ripple roles from a claim's value; names Ripple does not
// know (an identity provider's other roles) are ignored.
func rolesIn(v any) []Role {
	var names []string
	switch v := v.(type) {
	case string:
		names = strings.Fields(v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				names = append(names, s)
			}
		}
	}
	var roles []Role
	for _, n := range names {
		if r, err := ParseRole(n); err == nil {
			roles = append(roles, r)
		}
	}
	return roles
}

package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/auth/oidctest"
)

// OIDC bearer tokens are verified against a real issuer on loopback:
// discovery, keys, signature, issuer, audience and expiry.
func TestOIDC(t *testing.T) {
	ctx := context.Background()
	iss := oidctest.New(t)
	v, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: iss.URL, Audience: "ripple"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(ctx, iss.Token(t, map[string]any{"sub": "u-42", "aud": "ripple", "roles": []string{"operator", "offline_access"}}))
	if err != nil || p.Subject != "u-42" || len(p.Roles) != 1 || p.Roles[0] != auth.RoleOperator || p.Method != "oidc" {
		t.Fatalf("valid token: %+v %v", p, err)
	}

	for name, tok := range map[string]string{
		"other audience":  iss.Token(t, map[string]any{"sub": "u", "aud": "someone-else", "roles": "admin"}),
		"expired":         iss.Token(t, map[string]any{"sub": "u", "aud": "ripple", "exp": time.Now().Add(-time.Hour).Unix()}),
		"forged":          iss.ForgedToken(t, map[string]any{"sub": "u", "aud": "ripple", "roles": "admin"}),
		"other issuer":    iss.Token(t, map[string]any{"sub": "u", "aud": "ripple", "iss": "https://evil.example"}),
		"no subject":      iss.Token(t, map[string]any{"aud": "ripple", "roles": "admin"}),
		"not a token":     "ripple-is-not-a-jwt",
		"alg none forged": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1IiwiYXVkIjoicmlwcGxlIn0.",
	} {
		if p, err := v.Verify(ctx, tok); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}

	// Subject and roles from configured claims, roles nested and as a string.
	v, err = auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: iss.URL, Audience: "ripple", SubjectClaim: "email", RolesClaim: "realm_access.roles"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = v.Verify(ctx, iss.Token(t, map[string]any{"sub": "u-1", "email": "ann@example.com", "aud": []string{"ripple", "x"},
		"realm_access": map[string]any{"roles": []string{"change-manager", "viewer"}}}))
	if err != nil || p.Subject != "ann@example.com" || len(p.Roles) != 2 {
		t.Errorf("configured claims: %+v %v", p, err)
	}
	v, _ = auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: iss.URL, Audience: "ripple", RolesClaim: "scope"})
	if p, err := v.Verify(ctx, iss.Token(t, map[string]any{"sub": "u", "aud": "ripple", "scope": "openid admin"})); err != nil || len(p.Roles) != 1 || p.Roles[0] != auth.RoleAdmin {
		t.Errorf("space-separated roles: %+v %v", p, err)
	}

	if _, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: "http://127.0.0.1:1", Audience: "ripple"}); err == nil {
		t.Error("unreachable issuer accepted at start")
	}
}

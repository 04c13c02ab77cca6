package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// The whole sign-in the console runs, over HTTP against the real provider:
// authorization request with PKCE (S256), the login form, the code back at
// the redirect URI, the code exchange with the verifier; the ID token it
// returns is accepted by Ripple's verifier with the user's roles and the
// configured subject claim. The provider refuses what it must: a redirect
// URI it does not know, an exchange without or with the wrong verifier, a
// code used twice.
func TestOIDCSignIn(t *testing.T) {
	ctx := context.Background()
	op := oidctest.New(t)
	v, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: op.URL, Audience: op.ClientID, SubjectClaim: "preferred_username"})
	if err != nil {
		t.Fatal(err)
	}
	const redirect = "http://127.0.0.1:8080/signin/callback"
	verifier := "a-verifier-of-at-least-43-characters-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	authorize := func(t *testing.T, redirectURI string) *http.Response {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {op.ClientID}, "redirect_uri": {redirectURI},
			"scope": {"openid profile email"}, "state": {"st-1"}, "nonce": {"n-1"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		res, err := c.Get(op.URL + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// signIn goes from the authorization request to the code.
	signIn := func(t *testing.T, username string) (code string) {
		t.Helper()
		res := authorize(t, redirect)
		login, err := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusFound || err != nil || login.Path != "/login" {
			t.Fatalf("authorize: %d, to %q", res.StatusCode, res.Header.Get("Location"))
		}
		form := url.Values{"id": {login.Query().Get("authRequestID")}, "username": {username}, "action": {"login"}}
		res, err = c.PostForm(op.URL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for res.StatusCode == http.StatusFound && !strings.HasPrefix(res.Header.Get("Location"), redirect) {
			if res, err = c.Get(res.Header.Get("Location")); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		back, err := url.Parse(res.Header.Get("Location"))
		if err != nil || back.Query().Get("state") != "st-1" || back.Query().Get("code") == "" {
			t.Fatalf("back at the client: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		return back.Query().Get("code")
	}
	exchange := func(t *testing.T, code, verifier string) (int, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {op.ClientID}}
		if verifier != "" {
			form.Set("code_verifier", verifier)
		}
		res, err := c.PostForm(op.URL+"/oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}

	code := signIn(t, "carl")
	status, body := exchange(t, code, verifier)
	idToken, _ := body["id_token"].(string)
	if status != http.StatusOK || idToken == "" {
		t.Fatalf("exchange: %d %v", status, body)
	}
	p, err := v.Verify(ctx, idToken)
	if err != nil || p.Subject != "carl" || len(p.Roles) != 1 || p.Roles[0] != auth.RoleChangeManager {
		t.Fatalf("the ID token as Ripple reads it: %+v %v", p, err)
	}
	if status, body := exchange(t, code, verifier); status == http.StatusOK {
		t.Errorf("a code used twice was exchanged again: %v", body)
	}

	for name, verifier := range map[string]string{"no verifier": "", "wrong verifier": "another-verifier-of-at-least-43-characters-0123456"} {
		if status, body := exchange(t, signIn(t, "vera"), verifier); status == http.StatusOK || body["error"] != "invalid_grant" && body["error"] != "invalid_request" {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}

	if res := authorize(t, "http://127.0.0.1:8080/elsewhere"); res.StatusCode == http.StatusFound {
		t.Errorf("an unregistered redirect URI was sent to: %q", res.Header.Get("Location"))
	}

	// An unknown user is told so at the form, and nothing is issued.
	res := authorize(t, redirect)
	login, _ := url.Parse(res.Header.Get("Location"))
	res, err = c.PostForm(op.URL+"/login", url.Values{"id": {login.Query().Get("authRequestID")}, "username": {"mallory"}, "action": {"login"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `no user named &#34;mallory&#34;`) {
		t.Errorf("unknown user: %d %s", res.StatusCode, page)
	}
}

package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
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

// Signing out at the provider (RP-initiated logout, what the console's Sign
// out does with single sign-on): while the browser's session at the
// provider lasts, the next sign-in skips the form; end_session with the ID
// token as hint ends it and sends the browser back to a registered
// post-logout URI with the state; after that the form is shown again. A
// post-logout URI the client did not register is refused.
func TestOIDCSignOut(t *testing.T) {
	op := oidctest.New(t)
	const redirect, postLogout = "http://127.0.0.1:8080/signin/callback", "http://127.0.0.1:8080/signin"
	verifier := "a-verifier-of-at-least-43-characters-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, u string) (*http.Response, string) {
		t.Helper()
		res, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	var discovery struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if _, body := get(t, op.URL+"/.well-known/openid-configuration"); json.Unmarshal([]byte(body), &discovery) != nil || discovery.EndSession == "" {
		t.Fatalf("discovery names no end_session_endpoint: %s", body)
	}

	// authorize starts a sign-in and goes as far as the provider takes the
	// browser by itself: the login form (its request id), or back at the
	// client with a code.
	authorize := func(t *testing.T, prompt string) (requestID, code string) {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {op.ClientID}, "redirect_uri": {redirect},
			"scope": {"openid profile"}, "state": {"st"}, "nonce": {"n"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		if prompt != "" {
			q.Set("prompt", prompt)
		}
		next := op.URL + "/authorize?" + q.Encode()
		for range 5 {
			if strings.HasPrefix(next, redirect) {
				back, _ := url.Parse(next)
				return "", back.Query().Get("code")
			}
			if strings.HasPrefix(next, "/") {
				next = op.URL + next
			}
			res, body := get(t, next)
			if res.StatusCode == http.StatusOK && strings.Contains(body, `name="username"`) {
				return res.Request.URL.Query().Get("authRequestID"), ""
			}
			if res.StatusCode != http.StatusFound {
				t.Fatalf("%s: %d %s", next, res.StatusCode, body)
			}
			next = res.Header.Get("Location")
		}
		t.Fatalf("authorize: too many redirects, at %s", next)
		return "", ""
	}
	exchange := func(t *testing.T, code string) string {
		t.Helper()
		res, err := browser.PostForm(op.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {redirect}, "client_id": {op.ClientID}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			IDToken string `json:"id_token"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.IDToken == "" {
			t.Fatalf("exchange: %d %v", res.StatusCode, err)
		}
		return body.IDToken
	}

	id, code := authorize(t, "")
	if id == "" || code != "" {
		t.Fatalf("a first sign-in went past the form: request %q, code %q", id, code)
	}
	res, err := browser.PostForm(op.URL+"/login", url.Values{"id": {id}, "username": {"vera"}, "action": {"login"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("login: %d", res.StatusCode)
	}

	// Signed in at the provider: the next sign-in comes straight back with a code for vera.
	id, code = authorize(t, "")
	if code == "" {
		t.Fatalf("the provider's session did not sign in again without the form (request %q)", id)
	}
	idToken := exchange(t, code)
	if sub, _ := claims(t, idToken)["preferred_username"].(string); sub != "vera" {
		t.Fatalf("the session signed in %q, want vera", sub)
	}
	if id, _ := authorize(t, "login"); id == "" {
		t.Error("prompt=login did not show the form")
	}

	endSession := func(t *testing.T, postLogoutURI string) *http.Response {
		t.Helper()
		q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {postLogoutURI}, "client_id": {op.ClientID}, "state": {"bye"}}
		res, _ := get(t, discovery.EndSession+"?"+q.Encode())
		return res
	}
	if res := endSession(t, "https://evil.example/signin"); res.StatusCode == http.StatusFound && strings.HasPrefix(res.Header.Get("Location"), "https://evil.example") {
		t.Errorf("an unregistered post-logout URI was sent to: %q", res.Header.Get("Location"))
	}
	if id, code := authorize(t, ""); code == "" {
		t.Fatalf("a refused end_session ended the session anyway (request %q)", id)
	}
	res = endSession(t, postLogout)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != postLogout+"?state=bye" {
		t.Fatalf("end_session: %d to %q, want %s?state=bye", res.StatusCode, res.Header.Get("Location"), postLogout)
	}
	if id, code := authorize(t, ""); id == "" || code != "" {
		t.Errorf("after end_session the sign-in skipped the form: request %q, code %q", id, code)
	}
}

// claims decodes a JWT's payload, unverified (the tests verify elsewhere).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

// Package oidctest runs a real OpenID Provider on loopback for tests:
// github.com/zitadel/oidc's op package (discovery, the authorization
// endpoint with PKCE, the token endpoint, JSON Web Keys, userinfo) over an
// in-memory storage, with a minimal login form a person — or a browser
// test — fills in with a username, and RP-initiated logout
// (end_session_endpoint). Like a real provider it keeps a browser session
// (a cookie) once someone signed in, so the next sign-in from that browser
// skips the form, until the session is ended at end_session. Its one client is a public browser
// application (no secret: the code exchange must carry the PKCE verifier),
// like Ripple's console. Go tests start one with New; the Node browser
// tests spawn `go run ./auth/oidctest/cmd/oidcop`.
//
// It also signs arbitrary claims with the key it publishes (Token) and with
// one it does not (ForgedToken), for tests of a verifier's refusals.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is someone who may sign in at the login form.
type User struct {
	// Username is what the login form asks for; it is also the
	// preferred_username claim.
	Username string
	// Subject is the sub claim: opaque, like most providers' ("u-" +
	// Username when empty).
	Subject string
	Name    string
	Email   string
	// Roles is the roles claim, a list of strings.
	Roles []string
}

// Config says what the provider knows.
type Config struct {
	// ClientID is the one client's id (Ripple's --oidc-audience). Default
	// "ripple-console".
	ClientID string
	// RedirectURIs are the redirect URIs the client may use, as glob
	// patterns. Default: the console's callback on any loopback port,
	// "http://127.0.0.1:*/signin/callback".
	RedirectURIs []string
	// PostLogoutRedirectURIs are where end_session may send the browser
	// back to, as glob patterns. Default: the console's sign-in page on any
	// loopback port, "http://127.0.0.1:*/signin".
	PostLogoutRedirectURIs []string
	// Users may sign in. Default DefaultUsers.
	Users []User
	// IDTokenLifetime is how long its tokens are valid. Default one hour.
	IDTokenLifetime time.Duration
}

// DefaultClientID is the client id when Config.ClientID is empty.
const DefaultClientID = "ripple-console"

// DefaultUsers hold one Ripple role each.
var DefaultUsers = []User{
	{Username: "vera", Name: "Vera Viewer", Email: "vera@example.com", Roles: []string{"viewer"}},
	{Username: "olga", Name: "Olga Operator", Email: "olga@example.com", Roles: []string{"operator"}},
	{Username: "carl", Name: "Carl Change-Manager", Email: "carl@example.com", Roles: []string{"change-manager"}},
	{Username: "ada", Name: "Ada Admin", Email: "ada@example.com", Roles: []string{"admin"}},
}

// Provider is a running OpenID Provider.
type Provider struct {
	// URL is the issuer identifier; discovery is at URL +
	// "/.well-known/openid-configuration".
	URL string
	// ClientID is the client the provider knows.
	ClientID string
	store    *storage
	srv      *http.Server
}

// Start runs a provider on listen (host:port; port 0 picks a free one)
// until Close.
func Start(listen string, cfg Config) (*Provider, error) {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if len(cfg.RedirectURIs) == 0 {
		cfg.RedirectURIs = []string{"http://127.0.0.1:*/signin/callback"}
	}
	if len(cfg.PostLogoutRedirectURIs) == 0 {
		cfg.PostLogoutRedirectURIs = []string{"http://127.0.0.1:*/signin"}
	}
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultUsers
	}
	if cfg.IDTokenLifetime == 0 {
		cfg.IDTokenLifetime = time.Hour
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	st := &storage{
		key: key, kid: "oidctest-" + newID()[:8],
		client: &client{id: cfg.ClientID, redirectURIs: cfg.RedirectURIs, postLogoutRedirectURIs: cfg.PostLogoutRedirectURIs, idTokenLifetime: cfg.IDTokenLifetime},
		users:  map[string]User{}, requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]accessToken{},
		sessions: map[string]string{},
	}
	for _, u := range cfg.Users {
		if u.Subject == "" {
			u.Subject = "u-" + u.Username
		}
		st.users[u.Username] = u
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", listen, err)
	}
	issuer := "http://" + ln.Addr().String()
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("OpenID provider: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(loginPath, op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(
		&loginForm{store: st, callback: op.AuthCallbackURL(provider), provider: provider, cookie: sessionCookieName(ln.Addr())}))
	mux.Handle("/", provider)
	p := &Provider{URL: issuer, ClientID: cfg.ClientID, store: st, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("oidctest: serve: %v", err))
		}
	}()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// New starts a provider on loopback with cfg (none: the defaults) that
// lives until the test ends.
func New(t testing.TB, cfg ...Config) *Provider {
	t.Helper()
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	p, err := Start("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Token signs claims as this issuer, with the key it publishes, outside
// any sign-in: for tests of what a verifier accepts. Issuer, issued-at and
// a one-hour expiry are filled in unless the claims set them.
func (p *Provider) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return p.sign(t, p.store.key, claims)
}

// ForgedToken signs claims like Token but with a key the issuer does not
// publish: a verifier must refuse it.
func (p *Provider) ForgedToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return p.sign(t, other, claims)
}

func (p *Provider) sign(t testing.TB, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	full := map[string]any{"iss": p.URL, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		full[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.store.kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(full).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

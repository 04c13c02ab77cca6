package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the provider's memory: its one client, its users, the
// authorization requests in flight, their codes, the access tokens it
// issued and the browser sessions of who signed in. github.com/zitadel/oidc's op package does the protocol (request
// validation, PKCE, code exchange, token signing); this only remembers.
type storage struct {
	key    *rsa.PrivateKey
	kid    string
	client *client
	users  map[string]User // by username

	mu       sync.Mutex
	requests map[string]*authRequest // by id
	codes    map[string]string       // code → request id
	tokens   map[string]accessToken  // by id
	sessions map[string]string       // browser session id (the cookie) → subject
}

var _ op.Storage = (*storage)(nil)

// authRequestLifetime bounds how long a sign-in may sit at the login form.
const authRequestLifetime = 10 * time.Minute

type accessToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

// newID returns an unguessable identifier (request ids, codes' keys, token ids).
func newID() string { return rand.Text() }

// errNotSupported answers the op interface methods for grants and
// features the test provider does not offer (refresh tokens, client
// secrets, JWT profile, introspection).
var errNotSupported = errors.New("not supported by the test OpenID provider")

func (s *storage) userBySubject(subject string) (User, bool) {
	for _, u := range s.users {
		if u.Subject == subject {
			return u, true
		}
	}
	return User{}, false
}

// login records who signed in for an authorization request (the login
// form's answer), so the code it leads to is that user's, and opens a
// browser session for them: the id the login form sets as a cookie.
func (s *storage) login(requestID, username string) (session string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := s.pendingRequest(requestID)
	if err != nil {
		return "", err
	}
	u, ok := s.users[username]
	if !ok {
		return "", fmt.Errorf("no user named %q", username)
	}
	req.subject, req.done, req.authTime = u.Subject, true, time.Now()
	session = newID()
	s.sessions[session] = u.Subject
	return session, nil
}

// resume completes an authorization request from the browser's session,
// without the form, as a provider does for someone already signed in;
// false when there is no such session (never opened, or ended) or the
// client asked for the form (prompt=login).
func (s *storage) resume(requestID, session string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := s.pendingRequest(requestID)
	subject, ok := s.sessions[session]
	if err != nil || !ok || slices.Contains(req.prompt, oidc.PromptLogin) {
		return false
	}
	req.subject, req.done, req.authTime = subject, true, time.Now()
	return true
}

// pendingRequest is an authorization request still waiting for its user; s.mu held.
func (s *storage) pendingRequest(id string) (*authRequest, error) {
	req, ok := s.requests[id]
	if !ok || time.Since(req.created) > authRequestLifetime {
		return nil, fmt.Errorf("this sign-in expired: go back to the application and start again")
	}
	return req, nil
}

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		// The browser's session is looked at by the login step, which
		// this request has not reached: silent sign-in is not offered.
		return nil, oidc.ErrLoginRequired()
	}
	req := &authRequest{
		id: newID(), created: time.Now(), clientID: r.ClientID, redirectURI: r.RedirectURI,
		state: r.State, nonce: r.Nonce, scopes: r.Scopes, responseType: r.ResponseType, responseMode: r.ResponseMode,
		prompt: r.Prompt,
	}
	if r.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return nil, fmt.Errorf("authorization request %q not found", id)
	}
	return req, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("authorization code invalid or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs once the code was exchanged: the code is single use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	req, ok := r.(*authRequest)
	if !ok {
		return "", time.Time{}, fmt.Errorf("access token for %T: %w", r, errNotSupported)
	}
	id, expires := newID(), time.Now().Add(s.client.idTokenLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = accessToken{subject: req.subject, clientID: req.clientID, scopes: req.scopes, expires: expires}
	return id, expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, fmt.Errorf("refresh tokens: %w", errNotSupported)
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, fmt.Errorf("refresh tokens: %w", errNotSupported)
}

// TerminateSession is RP-initiated logout (end_session with the ID token
// as hint): the user's browser sessions end, so the next sign-in shows the
// form again, and the client's access tokens for them are revoked. The
// sessions of every browser the user signed in from end, not only the
// one that asked: the op package hands over the subject, not the cookie.
func (s *storage) TerminateSession(_ context.Context, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == subject && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	for id, sub := range s.sessions {
		if sub == subject {
			delete(s.sessions, id)
		}
	}
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tokenID]; ok && t.clientID == clientID {
		delete(s.tokens, tokenID)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.key, s.kid}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{&s.key.PublicKey, s.kid}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, fmt.Errorf("no client %q", id)
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(context.Context, string, string) error {
	return fmt.Errorf("client secrets: %w (the client is public and uses PKCE)", errNotSupported)
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, r.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return fmt.Errorf("access token invalid or expired")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

// setUserinfo says who a subject is, as far as the scopes allow; the roles
// claim is always there (it is what Ripple maps to its roles).
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.userBySubject(subject)
	if !ok {
		return fmt.Errorf("no user with subject %q", subject)
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername, info.Name = u.Username, u.Name
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		info.Email, info.EmailVerified = u.Email, true
	}
	info.AppendClaims("roles", slices.Clone(u.Roles))
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return fmt.Errorf("introspection: %w", errNotSupported)
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, fmt.Errorf("JWT profile: %w", errNotSupported)
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, fmt.Errorf("JWT profile: %w", errNotSupported)
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is one sign-in in flight, from /authorize to the code exchange.
type authRequest struct {
	id           string
	created      time.Time
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge
	prompt       []string

	// Set by the login form, or from the browser's session.
	subject  string
	done     bool
	authTime time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// client is the one registered client: a browser application (the
// console) without a secret, so the code exchange needs PKCE.
type client struct {
	id                     string
	redirectURIs           []string // glob patterns (github.com/bmatcuk/doublestar)
	postLogoutRedirectURIs []string // glob patterns for end_session (path.Match)
	idTokenLifetime        time.Duration
}

var _ op.HasRedirectGlobs = (*client)(nil)

func (c *client) GetID() string                        { return c.id }
func (c *client) RedirectURIs() []string               { return nil }
func (c *client) RedirectURIGlobs() []string           { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string     { return nil }
func (c *client) PostLogoutRedirectURIGlobs() []string { return c.postLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType  { return op.ApplicationTypeUserAgent }
func (c *client) AuthMethod() oidc.AuthMethod          { return oidc.AuthMethodNone }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return loginPath + "?" + loginRequestParam + "=" + id }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenLifetime }

// DevMode lets the browser application's redirect URI be plain http
// (Ripple on loopback in tests); the URI must still match a pattern.
func (c *client) DevMode() bool { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the profile and email claims in the
// ID token itself: the console sends the ID token to Ripple, which reads
// its subject (sub, or e.g. preferred_username) from there.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

type signingKey struct {
	key *rsa.PrivateKey
	id  string
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	key *rsa.PublicKey
	id  string
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

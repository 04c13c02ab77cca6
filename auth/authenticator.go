package auth

import (
	"context"
	"errors"
	"strings"
)

// Authenticator turns a request's bearer token into a principal, by API
// token, OIDC, or either (whichever are configured).
type Authenticator struct {
	// Tokens verifies Ripple's own API tokens, when enabled.
	Tokens *Tokens
	// OIDC verifies an issuer's tokens, when enabled.
	OIDC *OIDC
}

// ErrNoCredentials means the request carried no bearer token.
var ErrNoCredentials = errors.New("authentication required: send Authorization: Bearer <token>")

// Authenticate verifies a bearer token. API tokens are told apart by their
// prefix; anything else goes to the OIDC issuer.
func (a *Authenticator) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	bearer = strings.TrimSpace(bearer)
	switch {
	case bearer == "":
		return Principal{}, ErrNoCredentials
	case strings.HasPrefix(bearer, TokenPrefix) && a.Tokens != nil:
		return a.Tokens.Verify(ctx, bearer)
	case a.OIDC != nil:
		return a.OIDC.Verify(ctx, bearer)
	}
	return Principal{}, ErrInvalidToken
}

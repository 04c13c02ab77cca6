package server

import (
	"net/http"

	"github.com/ripple-cmdb/ripple/auth"
)

// AuthConfigPath is the one API route that needs no credentials: a
// browser must learn how to sign in before it has any.
const (
	AuthConfigURL  = "/api/v1/auth/config"
	AuthConfigPath = "GET " + AuthConfigURL
)

// authConfig is what the console reads before signing in: which methods
// the server accepts, and, with OIDC, the issuer and client id to run the
// authorization-code flow (with PKCE) against. Nothing in it is secret: the
// issuer's discovery document says as much to anyone.
type authConfig struct {
	// Methods: "token", "oidc", or both; none with authentication off.
	Methods []string    `json:"methods"`
	OIDC    *oidcConfig `json:"oidc"`
}

type oidcConfig struct {
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
}

func authConfigRoute(a *auth.Authenticator) apiRoute {
	cfg := authConfig{Methods: []string{}}
	if a != nil && a.Tokens != nil {
		cfg.Methods = append(cfg.Methods, "token")
	}
	if a != nil && a.OIDC != nil {
		c := a.OIDC.Config()
		cfg.Methods = append(cfg.Methods, "oidc")
		cfg.OIDC = &oidcConfig{Issuer: c.Issuer, ClientID: c.Audience}
	}
	return apiRoute{AuthConfigPath, openPermission, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, cfg)
	})}
}

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/server"
)

// AuthFlags configure who may call `ripple serve`, from where, and over what.
type AuthFlags struct {
	Auth             string   `name:"auth" env:"RIPPLE_AUTH" placeholder:"none|token|oidc" help:"Authentication: none, token (API tokens from 'ripple token create'), oidc, or token,oidc. Default: none on a loopback --listen; required on any other address."`
	InsecureNoAuth   bool     `name:"insecure-no-auth" env:"RIPPLE_INSECURE_NO_AUTH" help:"Serve without authentication on a non-loopback address: anyone who reaches it may do everything. Only behind a proxy that authenticates."`
	OIDCIssuer       string   `name:"oidc-issuer" env:"RIPPLE_OIDC_ISSUER" help:"OpenID Connect issuer URL whose bearer tokens to accept (with --auth oidc)."`
	OIDCAudience     string   `name:"oidc-audience" env:"RIPPLE_OIDC_AUDIENCE" help:"Audience (client id) the OIDC tokens must be issued for."`
	OIDCRolesClaim   string   `name:"oidc-roles-claim" default:"roles" env:"RIPPLE_OIDC_ROLES_CLAIM" help:"Claim holding Ripple roles (a list, or a space-separated string; dotted paths reach into objects: realm_access.roles)."`
	OIDCSubjectClaim string   `name:"oidc-subject-claim" default:"sub" env:"RIPPLE_OIDC_SUBJECT_CLAIM" help:"Claim naming the audit actor (sub, email, preferred_username...)."`
	CORSOrigins      []string `name:"cors-origin" env:"RIPPLE_CORS_ORIGINS" sep:"," help:"Origin (scheme://host[:port]) whose pages may call the API from a browser; repeat or comma-separate. None by default."`
	TLSCert          string   `name:"tls-cert" type:"existingfile" env:"RIPPLE_TLS_CERT" help:"PEM certificate (chain) to serve HTTPS with; needs --tls-key."`
	TLSKey           string   `name:"tls-key" type:"existingfile" env:"RIPPLE_TLS_KEY" help:"PEM private key of --tls-cert."`
}

// authMethods parses --auth; none may not be combined.
func (f AuthFlags) authMethods() ([]string, error) {
	if strings.TrimSpace(f.Auth) == "" {
		return nil, nil
	}
	var methods []string
	for _, m := range strings.Split(f.Auth, ",") {
		m = strings.ToLower(strings.TrimSpace(m))
		switch m {
		case "none", "token", "oidc":
		default:
			return nil, fmt.Errorf("--auth %q: want none, token, oidc, or token,oidc", f.Auth)
		}
		if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	if slices.Contains(methods, "none") && len(methods) > 1 {
		return nil, fmt.Errorf("--auth %q: none cannot be combined", f.Auth)
	}
	return methods, nil
}

// check validates the flags against the listen address before anything is
// opened: authentication off is for loopback only, unless overridden.
func (f AuthFlags) check(listen string) error {
	methods, err := f.authMethods()
	if err != nil {
		return err
	}
	if (f.TLSCert == "") != (f.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if err := server.CheckOrigins(f.CORSOrigins); err != nil {
		return fmt.Errorf("--cors-origin: %w", err)
	}
	if slices.Contains(methods, "oidc") && (f.OIDCIssuer == "" || f.OIDCAudience == "") {
		return fmt.Errorf("--auth oidc needs --oidc-issuer and --oidc-audience")
	}
	off := len(methods) == 0 || methods[0] == "none"
	if off && !loopback(listen) && !f.InsecureNoAuth {
		return fmt.Errorf("refusing to serve without authentication on %s, which is not a loopback address: "+
			"use --auth token (create tokens with 'ripple token create --name NAME --role ROLE', same store flags), "+
			"or --auth oidc --oidc-issuer URL --oidc-audience CLIENT_ID, or listen on 127.0.0.1; "+
			"--insecure-no-auth serves it open anyway (only behind a proxy that authenticates)", listen)
	}
	return nil
}

// authenticator builds the configured authenticator; nil means
// authentication off.
func (f AuthFlags) authenticator(ctx context.Context, st graph.Store, listen string, log zerolog.Logger) (*auth.Authenticator, error) {
	methods, _ := f.authMethods() // check ran first
	if len(methods) == 0 || methods[0] == "none" {
		if !loopback(listen) {
			log.Warn().Str("listen", listen).Msg("AUTHENTICATION IS OFF on a non-loopback address (--insecure-no-auth): anyone who can reach it may read, change and delete everything")
		}
		return nil, nil
	}
	a := &auth.Authenticator{}
	for _, m := range methods {
		switch m {
		case "token":
			a.Tokens = &auth.Tokens{Store: st}
		case "oidc":
			o, err := auth.NewOIDC(ctx, auth.OIDCConfig{
				Issuer: f.OIDCIssuer, Audience: f.OIDCAudience,
				RolesClaim: f.OIDCRolesClaim, SubjectClaim: f.OIDCSubjectClaim,
			})
			if err != nil {
				return nil, err
			}
			a.OIDC = o
		}
	}
	log.Info().Strs("auth", methods).Msg("authentication on")
	return a, nil
}

// listen opens the listener, with TLS when configured.
func (f AuthFlags) listen(addr string) (net.Listener, error) {
	var cert tls.Certificate
	if f.TLSCert != "" {
		var err error
		if cert, err = tls.LoadX509KeyPair(f.TLSCert, f.TLSKey); err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", addr, err)
	}
	if f.TLSCert == "" {
		return ln, nil
	}
	return tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}), nil
}

// loopback reports whether a listen address only accepts local
// connections: an explicit loopback IP or localhost, not "" or 0.0.0.0.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

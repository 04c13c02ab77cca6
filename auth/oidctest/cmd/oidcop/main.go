// Command oidcop runs the test OpenID Provider (package oidctest) until
// interrupted, for tests outside Go — the console's browser tests spawn it:
//
//	go run ./auth/oidctest/cmd/oidcop -listen 127.0.0.1:0
//
// It prints its issuer URL as the first line on stdout once it serves.
// Test use only: anyone may sign in as any of its users without a password.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ripple-cmdb/ripple/auth/oidctest"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var cfg oidctest.Config
	var users, redirects, postLogout listFlag
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on (port 0: a free one)")
	flag.StringVar(&cfg.ClientID, "client-id", oidctest.DefaultClientID, "the client's id (Ripple's --oidc-audience)")
	flag.Var(&redirects, "redirect-uri", "redirect URI pattern the client may use (glob; repeatable; default http://127.0.0.1:*/signin/callback)")
	flag.Var(&postLogout, "post-logout-redirect-uri", "where end_session may send the browser back to (glob; repeatable; default http://127.0.0.1:*/signin)")
	flag.Var(&users, "user", "a user, NAME=ROLE[,ROLE...] (repeatable; default vera=viewer, olga=operator, carl=change-manager, ada=admin)")
	flag.DurationVar(&cfg.IDTokenLifetime, "id-token-lifetime", 0, "how long ID tokens are valid (default 1h)")
	flag.Parse()

	cfg.RedirectURIs, cfg.PostLogoutRedirectURIs = redirects, postLogout
	for _, u := range users {
		name, roles, ok := strings.Cut(u, "=")
		if !ok || name == "" {
			fmt.Fprintf(os.Stderr, "oidcop: -user %q: want NAME=ROLE[,ROLE...]\n", u)
			os.Exit(2)
		}
		cfg.Users = append(cfg.Users, oidctest.User{Username: name, Name: name, Email: name + "@example.com", Roles: strings.Split(roles, ",")})
	}
	p, err := oidctest.Start(*listen, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oidcop: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(p.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	if err := p.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "oidcop: %v\n", err)
		os.Exit(1)
	}
}

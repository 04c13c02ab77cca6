package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
)

// TokenCmd manages the API tokens `ripple serve --auth token` accepts. It
// opens the store itself (same store flags as serve), like an
// administrator with the store's credentials would.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token and print its secret (once, as the last line)."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke an API token by id or name."`
	List   TokenListCmd   `cmd:"" help:"List API tokens (never their secrets)."`
}

// TokenCreateCmd is `ripple token create`.
type TokenCreateCmd struct {
	StoreFlags `embed:""`
	Name       string   `name:"name" required:"" help:"Token name: the audit actor of what it does (unique among active tokens)."`
	Roles      []string `name:"role" required:"" sep:"," help:"Role(s): viewer, operator, change-manager, importer, events, admin."`
}

// TokenRevokeCmd is `ripple token revoke`.
type TokenRevokeCmd struct {
	StoreFlags `embed:""`
	Token      string `arg:"" help:"Id or name of the token to revoke."`
}

// TokenListCmd is `ripple token list`.
type TokenListCmd struct {
	StoreFlags `embed:""`
	All        bool `name:"all" help:"Include revoked tokens."`
}

// Run creates the token.
func (c *TokenCreateCmd) Run(ctx context.Context, log zerolog.Logger) error {
	return c.run(ctx, log, os.Stdout)
}

func (c *TokenCreateCmd) run(ctx context.Context, log zerolog.Logger, stdout io.Writer) error {
	var roles []auth.Role
	for _, r := range c.Roles {
		role, err := auth.ParseRole(r)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		roles = append(roles, role)
	}
	return c.withStore(ctx, log, func(st graph.Store) error {
		tok, secret, err := auth.Tokens{Store: st}.Create(localActor(ctx), c.Name, roles)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created token %q (id %s, roles %s).\n", tok.Name, tok.ID, auth.JoinRoles(tok.Roles))
		fmt.Fprintln(stdout, "Send it as 'Authorization: Bearer <token>'. It is shown once and stored only as a hash:")
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

// Run revokes the token.
func (c *TokenRevokeCmd) Run(ctx context.Context, log zerolog.Logger) error {
	return c.withStore(ctx, log, func(st graph.Store) error {
		tok, err := auth.Tokens{Store: st}.Revoke(localActor(ctx), c.Token)
		if err != nil {
			return err
		}
		fmt.Printf("Revoked token %q (id %s).\n", tok.Name, tok.ID)
		return nil
	})
}

// Run lists the tokens.
func (c *TokenListCmd) Run(ctx context.Context, log zerolog.Logger) error {
	return c.withStore(ctx, log, func(st graph.Store) error {
		toks, err := auth.Tokens{Store: st}.List(ctx, c.All)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLES\tSTATE\tCREATED\tBY")
		for _, t := range toks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, auth.JoinRoles(t.Roles), t.State, t.CreatedAt.Format(time.RFC3339), t.CreatedBy)
		}
		return tw.Flush()
	})
}

// localActor attributes token writes made from the command line to the
// operating-system user who ran it.
func localActor(ctx context.Context) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return graph.WithActor(ctx, "cli:"+name)
}

package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/auth"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// API tokens live as records of either store: shown once, stored as a
// hash, verified, listed and revoked alike.
func TestTokens(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		ctx := graph.WithActor(context.Background(), "cli:root")
		toks := auth.Tokens{Store: s}
		tok, secret, err := toks.Create(ctx, "scanner-1", []auth.Role{auth.RoleImporter})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, auth.TokenPrefix+tok.ID+"_") || len(secret) < 60 {
			t.Errorf("secret %q", secret)
		}
		// Only the hash is stored: not the secret, nor its random part.
		rec, err := s.GetRecord(ctx, graph.KindAPIToken, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		random := secret[len(auth.TokenPrefix)+37:]
		if strings.Contains(string(rec.Doc), random) || !strings.Contains(string(rec.Doc), tok.Hash) || rec.State != auth.TokenActive {
			t.Errorf("stored token: %s (state %s)", rec.Doc, rec.State)
		}

		p, err := toks.Verify(ctx, secret)
		if err != nil || p.Subject != "scanner-1" || len(p.Roles) != 1 || p.Roles[0] != auth.RoleImporter || p.Method != "token" {
			t.Fatalf("verify: %+v %v", p, err)
		}
		for _, bad := range []string{"", "ripple_", secret + "x", secret[:len(secret)-1], auth.TokenPrefix + graph.NewID() + "_" + random, "eyJhbGciOi.x.y"} {
			if _, err := toks.Verify(ctx, bad); err != auth.ErrInvalidToken {
				t.Errorf("verify %q: %v, want ErrInvalidToken", bad, err)
			}
		}

		if _, _, err := toks.Create(ctx, "scanner-1", []auth.Role{auth.RoleViewer}); graph.ErrorCode(err) != graph.CodeConflict {
			t.Errorf("duplicate active name: %v", err)
		}
		if _, _, err := toks.Create(ctx, "norole", nil); graph.ErrorCode(err) != graph.CodeInvalidInput {
			t.Errorf("token without a role: %v", err)
		}
		other, _, err := toks.Create(ctx, "alice", []auth.Role{auth.RoleViewer, auth.RoleOperator})
		if err != nil {
			t.Fatal(err)
		}
		list, err := toks.List(ctx, false)
		if err != nil || len(list) != 2 || list[0].ID != other.ID || list[1].CreatedBy != "cli:root" {
			t.Fatalf("list: %+v %v", list, err)
		}

		revoked, err := toks.Revoke(ctx, "scanner-1")
		if err != nil || revoked.State != auth.TokenRevoked || revoked.RevokedAt == nil || revoked.RevokedBy != "cli:root" {
			t.Fatalf("revoke: %+v %v", revoked, err)
		}
		if _, err := toks.Verify(ctx, secret); err != auth.ErrInvalidToken {
			t.Errorf("revoked token verified: %v", err)
		}
		if _, err := toks.Revoke(ctx, "nobody"); graph.ErrorCode(err) != graph.CodeNotFound {
			t.Errorf("revoke unknown: %v", err)
		}
		if _, err := toks.Revoke(ctx, other.ID); err != nil {
			t.Errorf("revoke by id: %v", err)
		}
		if list, _ := toks.List(ctx, false); len(list) != 0 {
			t.Errorf("active after revoking all: %+v", list)
		}
		if list, _ := toks.List(ctx, true); len(list) != 2 {
			t.Errorf("with revoked: %+v", list)
		}
		// A revoked name can be reused.
		if _, _, err := toks.Create(ctx, "scanner-1", []auth.Role{auth.RoleImporter}); err != nil {
			t.Errorf("reuse a revoked name: %v", err)
		}
		// Issuing and revoking are audited, as every record write.
		hist, err := s.History(ctx, tok.ID, graph.Page{})
		if err != nil || len(hist.Entries) != 2 || hist.Entries[0].Actor != "cli:root" {
			t.Errorf("history: %+v %v", hist.Entries, err)
		}
	})
}

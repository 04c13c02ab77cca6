package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Token states, kept in the record's State.
const (
	TokenActive  = "ACTIVE"
	TokenRevoked = "REVOKED"
)

// TokenPrefix starts every API token, so a leaked one is easy to grep for
// (secret scanners) and easy to tell from an OIDC token.
const TokenPrefix = "ripple_"

// secretBytes of randomness make a token unguessable, which is also why a
// fast hash (SHA-256) is the right one to store: there is no dictionary to
// run through it, unlike a password.
const secretBytes = 32

// Token is an API token as stored: never its secret, only the secret's hash.
type Token struct {
	ID        string     `json:"-"`
	Name      string     `json:"name"`
	Roles     []Role     `json:"roles"`
	Hash      string     `json:"hash"` // hex SHA-256 of the whole token
	State     string     `json:"-"`
	CreatedAt time.Time  `json:"createdAt"`
	CreatedBy string     `json:"createdBy"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	RevokedBy string     `json:"revokedBy,omitempty"`
}

// Tokens issues, verifies and revokes API tokens kept as records
// (graph.KindAPIToken) of a store, so both stores keep them alike.
type Tokens struct {
	Store graph.RecordStore
}

// ErrInvalidToken is why a bearer token was refused; the message never
// says whether the token exists.
var ErrInvalidToken = errors.New("invalid or revoked API token")

// Create issues a token named name with the roles and returns it with its
// secret, which is shown once and never stored. Names are unique among
// active tokens, since the name is the audit actor.
func (t Tokens) Create(ctx context.Context, name string, roles []Role) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return Token{}, "", graph.Invalid("name", "a token name of 1-128 characters is required")
	}
	if len(roles) == 0 {
		return Token{}, "", graph.Invalid("role", "a token needs a role (%s)", RoleNames())
	}
	active, err := t.List(ctx, false)
	if err != nil {
		return Token{}, "", err
	}
	for _, a := range active {
		if a.Name == name {
			return Token{}, "", graph.Errorf(graph.CodeConflict, "name", "an active token is already named %q (revoke it first)", name)
		}
	}
	raw := make([]byte, secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", fmt.Errorf("token secret: %w", err)
	}
	tok := Token{
		ID: graph.NewID(), Name: name, Roles: roles, State: TokenActive,
		CreatedAt: graph.Now(), CreatedBy: graph.ActorFrom(ctx),
	}
	secret := TokenPrefix + tok.ID + "_" + base64.RawURLEncoding.EncodeToString(raw)
	tok.Hash = hashToken(secret)
	if _, err := t.put(ctx, tok, 0); err != nil {
		return Token{}, "", fmt.Errorf("store token %q: %w", name, err)
	}
	return tok, secret, nil
}

// Verify returns the principal of a bearer token, or ErrInvalidToken.
func (t Tokens) Verify(ctx context.Context, secret string) (Principal, error) {
	id, ok := tokenID(secret)
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	tok, _, err := t.get(ctx, id)
	if graph.ErrorCode(err) == graph.CodeNotFound {
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, err
	}
	if tok.State != TokenActive || subtle.ConstantTimeCompare([]byte(tok.Hash), []byte(hashToken(secret))) != 1 {
		return Principal{}, ErrInvalidToken
	}
	return Principal{Subject: tok.Name, Roles: tok.Roles, Method: "token"}, nil
}

// Revoke revokes the active token with this id or name; the record stays,
// as history. Errors: NOT_FOUND.
func (t Tokens) Revoke(ctx context.Context, idOrName string) (Token, error) {
	tok, version, err := t.find(ctx, idOrName)
	if err != nil {
		return Token{}, err
	}
	if tok.State == TokenRevoked {
		return tok, nil
	}
	now := graph.Now()
	tok.State, tok.RevokedAt, tok.RevokedBy = TokenRevoked, &now, graph.ActorFrom(ctx)
	if _, err := t.put(ctx, tok, version); err != nil {
		return Token{}, fmt.Errorf("revoke token %q: %w", tok.Name, err)
	}
	return tok, nil
}

// List returns the tokens, newest first; revoked ones only if asked.
func (t Tokens) List(ctx context.Context, withRevoked bool) ([]Token, error) {
	f := graph.RecordFilter{States: []string{TokenActive}}
	if withRevoked {
		f.States = nil
	}
	var out []Token
	p := graph.Page{First: graph.MaxPageSize}
	for {
		page, err := t.Store.ListRecords(ctx, graph.KindAPIToken, f, p)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		for _, rec := range page.Records {
			tok, err := decodeToken(rec)
			if err != nil {
				return nil, err
			}
			out = append(out, tok)
		}
		if !page.HasNextPage || len(page.Records) == 0 {
			return out, nil
		}
		p.After = graph.IDCursor(page.Records[len(page.Records)-1].ID)
	}
}

func (t Tokens) find(ctx context.Context, idOrName string) (Token, int64, error) {
	if graph.CheckID("id", idOrName) == nil {
		return t.get(ctx, idOrName)
	}
	active, err := t.List(ctx, false)
	if err != nil {
		return Token{}, 0, err
	}
	for _, a := range active {
		if a.Name == idOrName {
			return t.get(ctx, a.ID)
		}
	}
	return Token{}, 0, graph.NotFound("name", "active token", idOrName)
}

func (t Tokens) get(ctx context.Context, id string) (Token, int64, error) {
	rec, err := t.Store.GetRecord(ctx, graph.KindAPIToken, id)
	if err != nil {
		return Token{}, 0, err
	}
	tok, err := decodeToken(rec)
	return tok, rec.Version, err
}

func (t Tokens) put(ctx context.Context, tok Token, version int64) (graph.Record, error) {
	doc, err := json.Marshal(tok)
	if err != nil {
		return graph.Record{}, err
	}
	return t.Store.PutRecord(ctx, graph.Record{Kind: graph.KindAPIToken, ID: tok.ID, State: tok.State, Doc: doc}, version)
}

func decodeToken(rec graph.Record) (Token, error) {
	var tok Token
	if err := json.Unmarshal(rec.Doc, &tok); err != nil {
		return Token{}, graph.Internal(err, "decode token %s", rec.ID)
	}
	tok.ID, tok.State = rec.ID, rec.State
	return tok, nil
}

// tokenID extracts the record id from ripple_<uuid>_<secret>.
func tokenID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok || len(rest) < 38 || rest[36] != '_' {
		return "", false
	}
	id := rest[:36]
	return id, graph.CheckID("id", id) == nil
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

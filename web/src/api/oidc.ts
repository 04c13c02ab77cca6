// OpenID Connect sign-in in the browser: the authorization-code flow with
// PKCE (RFC 7636), for a public client (no secret). The console sends the
// ID token it gets as its bearer token: Ripple verifies it against the
// issuer's keys with the client id as audience (--oidc-audience). Signing
// out ends the session at the provider too (RP-initiated logout) when it
// advertises an end_session_endpoint: otherwise the next sign-in would
// pass straight through the provider as the same person.

export interface OIDCSettings {
  issuer: string;
  clientId: string;
}

const PENDING_KEY = 'ripple.oidc';
/** The ID token this tab signed in with at the provider: the hint for signing out there. */
const ID_TOKEN_KEY = 'ripple.oidc.idToken';
/** The state sent with the sign-out, to recognise the provider sending the browser back. */
const LOGOUT_KEY = 'ripple.oidc.logout';

/** base64url without padding (RFC 4648 §5), as PKCE and JWTs use. */
export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random, unguessable string: PKCE verifier, state, nonce. */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  /** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0); optional. */
  end_session_endpoint?: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider ${issuer} answered HTTP ${res.status} for its discovery document`);
  const d = (await res.json()) as Partial<Discovery>;
  if (!d.authorization_endpoint || !d.token_endpoint) throw new Error(`the identity provider ${issuer} names no authorization or token endpoint`);
  return d as Discovery;
}

export function redirectURI(): string {
  return `${window.location.origin}/signin/callback`;
}

/** Where the provider sends the browser after signing out: registered at the provider beside the redirect URI. */
export function postLogoutRedirectURI(): string {
  return `${window.location.origin}/signin`;
}

function storageGet(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage refused: signing out ends Ripple's session only.
  }
}

/** Remembers that this tab's token is the provider's ID token (not an API token). */
export function rememberIDToken(idToken: string): void {
  storageSet(ID_TOKEN_KEY, idToken);
}

/** Whether the token the tab holds came from signing in at the provider. */
export function isProviderToken(token: string): boolean {
  return storageGet(ID_TOKEN_KEY) === token;
}

export function forgetIDToken(): void {
  storageSet(ID_TOKEN_KEY, null);
}

/**
 * The provider's sign-out URL for this ID token (id_token_hint, the
 * post-logout redirect URI back to the console, a state to recognise the
 * return), or null when the provider advertises no end_session_endpoint.
 */
export async function endSessionURL(cfg: OIDCSettings, idToken: string): Promise<string | null> {
  const d = await discover(cfg.issuer);
  if (!d.end_session_endpoint) return null;
  const state = randomToken(16);
  storageSet(LOGOUT_KEY, state);
  const q = new URLSearchParams({
    id_token_hint: idToken,
    post_logout_redirect_uri: postLogoutRedirectURI(),
    client_id: cfg.clientId,
    state,
  });
  return `${d.end_session_endpoint}${d.end_session_endpoint.includes('?') ? '&' : '?'}${q.toString()}`;
}

/** Whether this page is the provider sending the browser back after the sign-out this tab asked for. */
export function backFromProviderSignOut(query: URLSearchParams): boolean {
  const state = query.get('state');
  return !!state && state === storageGet(LOGOUT_KEY);
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
}

/** The URL to send the browser to; remembers the verifier, state and nonce for the callback. */
export async function authorizationURL(cfg: OIDCSettings, next: string): Promise<string> {
  const d = await discover(cfg.issuer);
  const pending: Pending = { verifier: randomToken(), state: randomToken(16), nonce: randomToken(16), next };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: redirectURI(),
    scope: 'openid profile email',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  });
  return `${d.authorization_endpoint}${d.authorization_endpoint.includes('?') ? '&' : '?'}${q.toString()}`;
}

/** The claims of a JWT, unverified (Ripple verifies; the console only checks the nonce). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (!part) throw new Error('the identity provider returned an ID token that is not a JWT');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

/**
 * Finishes the flow on /signin/callback: checks the state, trades the code
 * and verifier for tokens, checks the nonce; returns the ID token and where
 * the user was going.
 */
export async function completeSignIn(cfg: OIDCSettings, query: URLSearchParams): Promise<{ idToken: string; next: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (query.get('error')) throw new Error(`the identity provider refused: ${query.get('error_description') || query.get('error')}`);
  if (!raw) throw new Error('no sign-in was started in this tab: start again');
  const pending = JSON.parse(raw) as Pending;
  if (query.get('state') !== pending.state) throw new Error('the sign-in answer does not match the request (state): start again');
  const code = query.get('code');
  if (!code) throw new Error('the identity provider sent no authorization code');
  const d = await discover(cfg.issuer);
  const res = await fetch(d.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectURI(),
      client_id: cfg.clientId,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.id_token) throw new Error(`the identity provider gave no ID token: ${body.error_description || body.error || `HTTP ${res.status}`}`);
  if (jwtClaims(body.id_token).nonce !== pending.nonce) throw new Error('the ID token was not issued for this sign-in (nonce): start again');
  return { idToken: body.id_token, next: pending.next };
}

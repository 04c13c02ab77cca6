// Signing in when the server runs with authentication: an API token (from
// `ripple token create`) pasted in, or the identity provider's sign-in page
// (OpenID Connect, authorization code with PKCE). The token is kept for the
// tab only (sessionStorage).
import { useEffect, useRef, useState } from 'react';
import { ApiError, setToken } from '../api/client';
import { useAction } from '../api/hooks';
import { authorizationURL, backFromProviderSignOut, completeSignIn, rememberIDToken } from '../api/oidc';
import { useSession } from '../api/session';
import { ErrorBox, Loading } from '../components/ui';
import { navigate, useLocation } from '../router';

/** Where to go after signing in: an in-app path only (never another site). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return '/';
  return next;
}

export function SignInPage() {
  const s = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const [token, setTokenValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const [submit, st] = useAction(async () => {
    await s.signIn(token);
    navigate(next, { replace: true });
  });
  const [oidc, ost] = useAction(async () => {
    window.location.assign(await authorizationURL(s.config!.oidc!, next));
  });
  useEffect(() => input.current?.focus(), []);

  if (s.status === 'loading') return <Loading what="sign-in settings" />;
  if (s.status === 'open') {
    return (
      <div className="page narrow">
        <h1>Sign in</h1>
        <p>This Ripple runs without authentication: there is nothing to sign in to. Name yourself at the top right for the audit trail.</p>
      </div>
    );
  }
  const methods = s.config?.methods ?? [];
  return (
    <div className="page narrow">
      <h1>Sign in to Ripple</h1>
      {s.status === 'signed-in' && s.me && (
        <p className="notice" role="status">
          Signed in as <strong>{s.me.subject}</strong>.
        </p>
      )}
      {s.status === 'signed-out' && backFromProviderSignOut(query) && (
        <p className="notice" role="status">
          You are signed out of Ripple and of {s.config?.oidc?.issuer ?? 'the identity provider'}.
        </p>
      )}
      {s.status === 'signed-out' && s.notice && (
        <p className="notice" role="status">
          {s.notice}
        </p>
      )}
      <ErrorBox error={s.status === 'error' || s.status === 'signed-out' ? s.error : undefined} title="Not signed in" />
      {methods.includes('oidc') && s.config?.oidc && (
        <section className="panel" aria-labelledby="signin-oidc">
          <h2 id="signin-oidc">With your organisation's account</h2>
          <p className="small muted">Signs in at {s.config.oidc.issuer}.</p>
          <button type="button" className="primary" disabled={ost.running} onClick={() => void oidc()}>
            Sign in with single sign-on
          </button>
          <ErrorBox error={ost.error} title="Could not start single sign-on" />
        </section>
      )}
      {methods.includes('token') && (
        <section className="panel" aria-labelledby="signin-token">
          <h2 id="signin-token">With an API token</h2>
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <div className="field">
              <label htmlFor="signin-token-input">API token</label>
              <input
                id="signin-token-input"
                ref={input}
                type="password"
                autoComplete="off"
                spellCheck={false}
                value={token}
                onChange={(e) => setTokenValue(e.target.value)}
                placeholder="ripple_…"
                required
              />
            </div>
            <p className="small muted">
              An administrator creates one with <code>ripple token create --name NAME --role ROLE</code>. It is kept in this tab only, until you sign out or close it.
            </p>
            <div className="actions">
              <button type="submit" className="primary" disabled={st.running}>
                Sign in
              </button>
            </div>
            <ErrorBox error={st.error} title="Not signed in" />
          </form>
        </section>
      )}
    </div>
  );
}

/** /signin/callback: the identity provider sends the browser back here with a code. */
export function SignInCallbackPage() {
  const s = useSession();
  const { query } = useLocation();
  const [error, setError] = useState<ApiError>();
  const started = useRef(false);
  useEffect(() => {
    const cfg = s.config?.oidc;
    if (!cfg || started.current) return;
    started.current = true;
    completeSignIn(cfg, query).then(
      ({ idToken, next }) =>
        s.signIn(idToken).then(
          () => {
            rememberIDToken(idToken);
            navigate(safeNext(next), { replace: true });
          },
          (e: unknown) => setError(e instanceof ApiError ? e : new ApiError(String(e))),
        ),
      (e: unknown) => {
        setToken(null);
        setError(new ApiError(e instanceof Error ? e.message : String(e), { code: 'UNAUTHENTICATED' }));
      },
    );
  }, [s, query]);
  if (s.config && !s.config.oidc) {
    return (
      <div className="page narrow">
        <h1>Sign in</h1>
        <p>This Ripple does not use single sign-on.</p>
      </div>
    );
  }
  return (
    <div className="page narrow">
      {/* A failed sign-in says so in its heading too, not "Signing in…" over the error. */}
      <h1>{error ? 'Not signed in' : 'Signing in…'}</h1>
      {error ? (
        <>
          <ErrorBox error={error} title="Single sign-on failed" />
          <p>
            <a href="/signin">Try again</a>
          </p>
        </>
      ) : (
        <Loading what="your sign-in" />
      )}
    </div>
  );
}

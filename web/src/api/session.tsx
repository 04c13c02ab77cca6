// Who the console is signed in as, and what they may do. The server says
// how to sign in (GET /api/v1/auth/config) and who the token is (the `me`
// query, with the permissions its roles grant): the console keeps no copy
// of the role table, it asks `can(permission)` of what the server answered.
import { type ReactNode, createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError, getToken, onUnauthenticated, request, setToken, subscribeToken } from './client';
import { type OIDCSettings, endSessionURL, forgetIDToken, isProviderToken } from './oidc';
import { MeQuery } from './operations';

export interface AuthConfig {
  /** "token", "oidc": how the server accepts sign-ins; none with authentication off. */
  methods: string[];
  oidc: OIDCSettings | null;
}

export interface Me {
  subject: string;
  roles: string[];
  permissions: string[];
  authenticated: boolean;
}

export type SessionStatus = 'loading' | 'open' | 'signed-in' | 'signed-out' | 'error';

export interface Session {
  /** open: authentication is off; signed-out: the server wants a token the tab does not have (or no longer accepts). */
  status: SessionStatus;
  config: AuthConfig | undefined;
  me: Me | undefined;
  error: ApiError | undefined;
  /** Whether the signed-in principal holds a permission, as the server said. */
  can: (permission: string) => boolean;
  /** Tries a token: resolves once the server accepted it (then it is kept), throws its refusal. */
  signIn: (token: string) => Promise<Me>;
  /**
   * Drops the tab's token; signed in at an OpenID provider that offers
   * RP-initiated logout, sends the browser there to end that session too
   * (resolves true: the page is leaving). A provider that cannot be reached
   * leaves the sign-out local, and notice says so.
   */
  signOut: () => Promise<boolean>;
  /** What the last sign-out could not do, for the sign-in page. */
  notice: string | undefined;
}

// Outside a provider (component tests) nothing is hidden: the API decides.
const SessionContext = createContext<Session>({
  status: 'open',
  config: undefined,
  me: undefined,
  error: undefined,
  can: () => true,
  signIn: () => Promise.reject(new Error('no session')),
  signOut: () => Promise.resolve(false),
  notice: undefined,
});

export function useSession(): Session {
  return useContext(SessionContext);
}

/** Whether the user may do what a permission covers. */
export function useCan(permission: string): boolean {
  return useSession().can(permission);
}

export async function fetchAuthConfig(): Promise<AuthConfig> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/config', { headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(`Ripple did not answer (${(e as Error).message}). Is the server running?`, { code: 'UNAVAILABLE' });
  }
  if (!res.ok) throw new ApiError(`Ripple answered HTTP ${res.status} for its sign-in settings`, { code: 'UNAVAILABLE', status: res.status });
  return (await res.json()) as AuthConfig;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const token = useSyncExternalStore(subscribeToken, getToken, () => null);
  const [config, setConfig] = useState<AuthConfig>();
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<ApiError>();
  const [refused, setRefused] = useState(false);
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    fetchAuthConfig().then(setConfig, (e: unknown) => setError(e instanceof ApiError ? e : new ApiError(String(e))));
  }, []);

  const authOn = !!config && config.methods.length > 0;

  // Who we are: with authentication off always (anonymous, every permission); with it on, once there is a token.
  useEffect(() => {
    if (!config) return;
    if (authOn && !token) {
      setMe(undefined);
      return;
    }
    const ctl = new AbortController();
    request(MeQuery, {}, ctl.signal).then(
      (d) => {
        setRefused(false);
        setMe(d.me);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) return; // onUnauthenticated below
        setError(e instanceof ApiError ? e : new ApiError(String(e)));
      },
    );
    return () => ctl.abort();
  }, [config, authOn, token]);

  // A 401 anywhere: the token is gone, expired or revoked: sign in again.
  // Not while a candidate is being tried (signIn says what went wrong), and
  // not for a token that is no longer the session's: the answer to the
  // candidate's own "who am I" can land after signIn has put the old one back.
  const signingIn = useRef(false);
  useEffect(
    () =>
      onUnauthenticated((sent) => {
        if (signingIn.current || sent !== getToken()) return;
        setRefused(!!getToken());
        setToken(null);
        setMe(undefined);
      }),
    [],
  );

  const signIn = useCallback(async (candidate: string) => {
    const t = candidate.trim();
    if (!t) throw new ApiError('Enter an API token', { code: 'INVALID_INPUT' });
    // Ask with the candidate before keeping it, so a wrong token never becomes the session.
    const previous = getToken();
    signingIn.current = true;
    setToken(t);
    try {
      const d = await request(MeQuery, {});
      setMe(d.me);
      setRefused(false);
      return d.me;
    } catch (e) {
      setToken(previous);
      setRefused(false);
      if (e instanceof ApiError && e.status === 401) throw new ApiError('Ripple did not accept this token: it is wrong, expired or revoked', { code: 'UNAUTHENTICATED', status: 401 });
      throw e;
    } finally {
      signingIn.current = false;
    }
  }, []);

  const signOut = useCallback(async () => {
    const t = getToken();
    const oidc = config?.oidc;
    let endAt: string | null = null;
    let problem: string | undefined;
    if (t && oidc && isProviderToken(t)) {
      try {
        endAt = await endSessionURL(oidc, t);
      } catch (e) {
        problem = `You are signed out of Ripple, but ${oidc.issuer} could not be reached to end your session there (${e instanceof Error ? e.message : String(e)}): the next single sign-on may not ask who you are.`;
      }
    }
    // Ripple's session ends first, whatever the provider does: the token leaves this tab before the browser does.
    forgetIDToken();
    setToken(null);
    setMe(undefined);
    setRefused(false);
    setNotice(problem);
    if (!endAt) return false;
    window.location.assign(endAt);
    return true;
  }, [config]);

  let status: SessionStatus;
  if (!config) status = error ? 'error' : 'loading';
  else if (!authOn) status = me ? 'open' : error ? 'error' : 'loading';
  else if (!token) status = 'signed-out';
  else status = me ? 'signed-in' : error ? 'error' : 'loading';

  const value: Session = {
    status,
    config,
    me,
    error: refused && status === 'signed-out' ? new ApiError('Your sign-in expired or was revoked: sign in again', { code: 'UNAUTHENTICATED' }) : error,
    can: (p) => !!me?.permissions.includes(p),
    signIn,
    signOut,
    notice,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

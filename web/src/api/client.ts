// The one way the console talks to Ripple: GraphQL over fetch, and the
// HTTP endpoints (file uploads, report exports). Every request gets its
// headers from requestHeaders(), the one place identity is attached: the
// bearer token the user signed in with (sessionStorage: it lasts as long as
// the tab, and leaves with it), and with authentication off the actor name
// (X-Ripple-Actor). A 401 tells the session (onUnauthenticated) to sign in.
import type { TypedDocumentString } from '../gql/graphql';
import { saveBlob } from '../lib/csv';

const ACTOR_KEY = 'ripple.actor';
const TOKEN_KEY = 'ripple.token';

/** The GraphQL endpoint, from the page's meta tag (the server may mount it elsewhere). */
export function graphqlEndpoint(): string {
  const meta = typeof document === 'undefined' ? null : document.querySelector('meta[name="ripple-graphql"]');
  return meta?.getAttribute('content') || '/graphql';
}

export function getActor(): string {
  try {
    return localStorage.getItem(ACTOR_KEY) ?? '';
  } catch {
    return '';
  }
}

const actorListeners = new Set<() => void>();

export function setActor(name: string): void {
  const trimmed = name.trim();
  try {
    if (trimmed) localStorage.setItem(ACTOR_KEY, trimmed);
    else localStorage.removeItem(ACTOR_KEY);
  } catch {
    // Private mode without storage: the name lasts until reload.
  }
  memoryActor = trimmed;
  actorListeners.forEach((f) => f());
}

let memoryActor: string | undefined;

export function subscribeActor(f: () => void): () => void {
  actorListeners.add(f);
  return () => actorListeners.delete(f);
}

export function currentActor(): string {
  return memoryActor ?? getActor();
}

let memoryToken: string | null | undefined;
const tokenListeners = new Set<() => void>();

/** The bearer token the user signed in with, if any. */
export function getToken(): string | null {
  if (memoryToken !== undefined) return memoryToken;
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Signs in (a token) or out (null) for this tab. */
export function setToken(token: string | null): void {
  const t = token?.trim() || null;
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused: the token lasts until reload.
  }
  memoryToken = t;
  tokenListeners.forEach((f) => f());
}

export function subscribeToken(f: () => void): () => void {
  tokenListeners.add(f);
  return () => tokenListeners.delete(f);
}

const unauthenticatedListeners = new Set<(sent: string | null) => void>();

/**
 * Called when the server answers 401: no token, or one it no longer
 * accepts. The listener gets the token the refused request carried, so a
 * late answer to a token that is no longer the session's (a candidate tried
 * at sign-in, a session since replaced) is not taken for the current one.
 */
export function onUnauthenticated(f: (sent: string | null) => void): () => void {
  unauthenticatedListeners.add(f);
  return () => unauthenticatedListeners.delete(f);
}

function noteStatus(status: number, sent: string | null): void {
  if (status === 401) unauthenticatedListeners.forEach((f) => f(sent));
}

/** Headers every request carries: who is acting, and their credentials. */
export function requestHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  const actor = currentActor();
  if (actor) h['X-Ripple-Actor'] = actor;
  const token = getToken();
  if (token) h['Authorization'] = `Bearer ${token}`;
  return h;
}

/** A refused or failed request, with the API's code and the field at fault. */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly status: number | undefined;
  /** Every message the server returned, when it returned several. */
  readonly messages: string[];

  constructor(message: string, opts: { code?: string; field?: string; status?: number; messages?: string[] } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = opts.code ?? 'ERROR';
    this.field = opts.field;
    this.status = opts.status;
    this.messages = opts.messages ?? [message];
  }
}

interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
}

/** Turns a GraphQL response's errors into one ApiError (the first error decides the code). */
export function errorFromGraphQL(errors: GraphQLErrorBody[], status?: number): ApiError {
  const first = errors[0];
  const messages = errors.map((e) => e.message);
  return new ApiError(first?.message ?? 'request failed', {
    code: first?.extensions?.code ?? 'ERROR',
    field: first?.extensions?.field,
    status,
    messages,
  });
}

/** Sends one typed operation and returns its data, or throws an ApiError. */
export async function request<R, V>(
  doc: TypedDocumentString<R, V>,
  variables?: V,
  signal?: AbortSignal,
): Promise<R> {
  const sent = getToken();
  let res: Response;
  try {
    res = await fetch(graphqlEndpoint(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...requestHeaders() },
      body: JSON.stringify({ query: doc.toString(), variables: variables ?? {} }),
      signal: signal ?? null,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(`Ripple did not answer (${(e as Error).message}). Is the server running?`, { code: 'UNAVAILABLE' });
  }
  noteStatus(res.status, sent);
  let body: { data?: R | null; errors?: GraphQLErrorBody[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(`Ripple answered HTTP ${res.status} without a GraphQL response`, { code: 'UNAVAILABLE', status: res.status });
  }
  if (body.errors && body.errors.length > 0) throw errorFromGraphQL(body.errors, res.status);
  if (!res.ok || body.data == null) {
    throw new ApiError(`Ripple answered HTTP ${res.status}`, { code: 'UNAVAILABLE', status: res.status });
  }
  return body.data;
}

export type ImportFormatName = 'nmap' | 'kubernetes' | 'terraform' | 'csv' | 'json';

export interface ImportUpload {
  format: ImportFormatName;
  file: File;
  scope?: string;
  source?: string;
  mapping?: string;
  dryRun: boolean;
  strict?: boolean;
}

/** What POST /api/v1/imports answers (the run id is all the console needs: it reads the rest over GraphQL). */
export interface ImportAnswer {
  run: { id: string; outcome: string; error?: string; errorFile?: string; errorAt?: string; errorField?: string };
  error?: { code: string; field?: string; message: string };
}

/** Posts a file to the import endpoint; a refused request (no run recorded) throws. */
export async function uploadImport(u: ImportUpload): Promise<ImportAnswer> {
  const q = new URLSearchParams();
  if (u.scope) q.set('scope', u.scope);
  if (u.source) q.set('source', u.source);
  if (u.dryRun) q.set('dryRun', 'true');
  if (u.strict) q.set('strict', 'true');
  const form = new FormData();
  // The mapping part must come before the file parts it applies to.
  if (u.mapping) form.append('mapping', new Blob([u.mapping], { type: 'application/json' }), 'mapping.json');
  form.append('file', u.file, u.file.name);
  const sent = getToken();
  let res: Response;
  try {
    res = await fetch(`/api/v1/imports/${u.format}?${q.toString()}`, { method: 'POST', headers: requestHeaders(), body: form });
  } catch (e) {
    throw new ApiError(`Ripple did not answer (${(e as Error).message})`, { code: 'UNAVAILABLE' });
  }
  noteStatus(res.status, sent);
  let body: Partial<ImportAnswer>;
  try {
    body = (await res.json()) as Partial<ImportAnswer>;
  } catch {
    throw new ApiError(`the import endpoint answered HTTP ${res.status}`, { status: res.status });
  }
  if (!body.run) {
    const e = body.error;
    throw new ApiError(e?.message ?? `the import endpoint answered HTTP ${res.status}`, { code: e?.code, field: e?.field, status: res.status });
  }
  return body as ImportAnswer;
}

/**
 * Downloads a file from an HTTP endpoint with the request's credentials
 * (a plain link would not carry the bearer token), under the name the
 * server gives in Content-Disposition.
 */
export async function downloadFrom(url: string, fallbackName: string): Promise<void> {
  const sent = getToken();
  let res: Response;
  try {
    res = await fetch(url, { headers: requestHeaders() });
  } catch (e) {
    throw new ApiError(`Ripple did not answer (${(e as Error).message})`, { code: 'UNAVAILABLE' });
  }
  noteStatus(res.status, sent);
  if (!res.ok) {
    let err: { code?: string; field?: string; message?: string } | undefined;
    try {
      err = ((await res.json()) as { error?: typeof err }).error;
    } catch {
      err = undefined;
    }
    throw new ApiError(err?.message ?? `Ripple answered HTTP ${res.status}`, { code: err?.code, field: err?.field, status: res.status });
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
  saveBlob(name, await res.blob());
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, errorFromGraphQL, onUnauthenticated, request, requestHeaders, setActor, setToken } from './client';
import { SearchCIsQuery } from './operations';

afterEach(() => {
  setActor('');
  vi.unstubAllGlobals();
});

describe('client', () => {
  it('attributes requests to the actor the user set, in one place', () => {
    expect(requestHeaders()['X-Ripple-Actor']).toBeUndefined();
    setActor('  alice ');
    expect(requestHeaders()['X-Ripple-Actor']).toBe('alice');
    setToken(' t0k ');
    expect(requestHeaders().Authorization).toBe('Bearer t0k');
    expect(sessionStorage.getItem('ripple.token')).toBe('t0k');
    setToken(null);
    expect(requestHeaders().Authorization).toBeUndefined();
    expect(sessionStorage.getItem('ripple.token')).toBeNull();
  });

  it('keeps the code and field of the first GraphQL error', () => {
    const e = errorFromGraphQL([
      { message: 'bad', extensions: { code: 'INVALID_INPUT', field: 'identifiers[1].value' } },
      { message: 'also bad' },
    ]);
    expect(e).toBeInstanceOf(ApiError);
    expect([e.code, e.field, e.message, e.messages]).toEqual(['INVALID_INPUT', 'identifiers[1].value', 'bad', ['bad', 'also bad']]);
  });

  it('sends the typed operation with its variables and the actor header', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ data: { cis: { totalCount: 0, edges: [] } } }), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    setActor('bob');
    const data = await request(SearchCIsQuery, { search: 'db', first: 3 });
    expect(data.cis.totalCount).toBe(0);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect((init.headers as Record<string, string>)['X-Ripple-Actor']).toBe('bob');
    const body = JSON.parse(init.body as string) as { query: string; variables: unknown };
    expect(body.query).toContain('query SearchCIs');
    expect(body.variables).toEqual({ search: 'db', first: 3 });
  });

  it('throws the API error a refused write returns', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ errors: [{ message: 'freeze', extensions: { code: 'CONFLICT', field: 'plannedStart' } }], data: null }), { status: 200 }));
    await expect(request(SearchCIsQuery, { search: 'x' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'plannedStart' });
  });

  it('tells the session when the server wants credentials', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ errors: [{ message: 'authentication required', extensions: { code: 'UNAUTHENTICATED' } }] }), { status: 401 }));
    const seen = vi.fn();
    const off = onUnauthenticated(seen);
    setToken('the-old-token');
    await expect(request(SearchCIsQuery, { search: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    setToken(null);
    off();
    // With the token the refused request carried, so the session can tell a late answer for an old token from one for its own.
    expect(seen).toHaveBeenCalledExactlyOnceWith('the-old-token');
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { backFromProviderSignOut, base64url, codeChallenge, endSessionURL, forgetIDToken, isProviderToken, jwtClaims, rememberIDToken } from '../api/oidc';
import { safeNext } from '../pages/SignIn';
import { type Impacted, buildBlastGraph, keyboardOrder, keyboardStep } from './blastGraph';
import { reportCharts, reportRange } from './report';
import { nextProblemStates, problemMoveLabel } from './states';

describe('keyboard walk of the blast drawing', () => {
  const src = { id: 'p', name: 'orders-db-primary', class: 'Database' };
  const impacted: Impacted[] = [
    { ci: { id: 's', name: 'Checkout', class: 'ApplicationService' }, distance: 3, effect: 'DEGRADED', path: [{ id: 'p', name: '' }, { id: 'g', name: '' }, { id: 'a', name: '' }, { id: 's', name: '' }] },
    { ci: { id: 'g', name: 'orders-db', class: 'Cluster' }, distance: 1, effect: 'DEGRADED', path: [{ id: 'p', name: '' }, { id: 'g', name: '' }] },
    { ci: { id: 'a', name: 'checkout-api', class: 'Application' }, distance: 2, effect: 'DEGRADED', path: [{ id: 'p', name: '' }, { id: 'g', name: '' }, { id: 'a', name: '' }] },
  ];
  const order = keyboardOrder(buildBlastGraph([src], impacted, (c) => c.endsWith('Service')));

  it('walks nearest first', () => {
    expect(order.map((n) => n.id)).toEqual(['p', 'g', 'a', 's']);
  });

  it('steps with the arrows, wrapping, and jumps with Home, End and a typed name', () => {
    expect(keyboardStep(order, null, 'ArrowRight')).toBe('p');
    expect(keyboardStep(order, 'p', 'ArrowDown')).toBe('g');
    expect(keyboardStep(order, 's', 'ArrowRight')).toBe('p');
    expect(keyboardStep(order, 'p', 'ArrowLeft')).toBe('s');
    expect(keyboardStep(order, 'a', 'Home')).toBe('p');
    expect(keyboardStep(order, 'p', 'End')).toBe('s');
    expect(keyboardStep(order, 'p', 'c', 'c')).toBe('a');
    expect(keyboardStep(order, 'a', 'c', 'c')).toBe('s'); // the same letter again: the next name with it
    expect(keyboardStep(order, 'a', 'e', 'checkout-')).toBe('a');
    expect(keyboardStep(order, 'a', 'Escape')).toBeNull();
    expect(keyboardStep(order, null, 'Escape')).toBeUndefined();
    expect(keyboardStep(order, 'a', 'Tab')).toBeUndefined();
    expect(keyboardStep([], null, 'ArrowRight')).toBeUndefined();
  });
});

describe('reports', () => {
  it('ends ranges at the next UTC midnight, the same all day', () => {
    const morning = reportRange('7d', new Date('2026-12-03T00:10:00Z'));
    const night = reportRange('7d', new Date('2026-12-03T23:50:00Z'));
    expect(morning).toEqual(night);
    expect([morning.from, morning.to, morning.choice.granularity]).toEqual(['2026-11-27T00:00:00.000Z', '2026-12-04T00:00:00.000Z', 'DAY']);
    expect(reportRange('nonsense', new Date('2026-12-03T12:00:00Z')).choice.key).toBe('30d');
  });

  it('draws availability against the target, incidents stacked by priority, and the change failure rate', () => {
    const period = (start: string, availability: number | null, p1: number, implemented: number, failed: number) => ({
      start,
      availability,
      availabilityTarget: 99.9,
      mttaMinutes: 12.34,
      mttrMinutes: null,
      incidents: { byPriority: [{ priority: 'P1', count: p1 }] },
      changes: { implemented, failed, failureRate: implemented ? (100 * failed) / implemented : null },
    });
    const c = reportCharts([period('2026-11-01T00:00:00Z', 99.5, 2, 4, 1), period('2026-12-01T00:00:00Z', null, 0, 0, 0)], 'MONTH');
    expect(c.availability.series.map((s) => s.name)).toEqual(['Availability', 'Target']);
    expect(c.availability.series[0]!.data).toEqual([99.5, null]);
    expect(c.availability.series[1]!.data).toEqual([99.9, 99.9]);
    expect(c.availability.yAxis.min).toBe(99);
    expect(c.incidents.series.map((s) => [s.name, s.data])).toEqual([
      ['P1', [2, 0]],
      ['P2', [0, 0]],
      ['P3', [0, 0]],
      ['P4', [0, 0]],
    ]);
    expect(c.times.series[0]!.data).toEqual([12.3, 12.3]);
    expect(c.times.series[1]!.data).toEqual([null, null]);
    expect(c.changes.series[2]!.data).toEqual([25, null]);
  });
});

describe('sign-in', () => {
  it('computes the PKCE S256 challenge: base64url(SHA-256(verifier)), unpadded', async () => {
    // Expected value from: printf %s VERIFIER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d =
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWk-cJXk')).toBe('zLidk1u0flUTdj1ww350AFukmHNhYm42Frc3HiwYWEI');
    expect(base64url(new Uint8Array([251, 255, 191]))).toBe('-_-_');
  });

  it('reads a JWT payload (base64url, UTF-8)', () => {
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ nonce: 'n-1', name: 'Zoë' })));
    expect(jwtClaims(`h.${payload}.s`)).toEqual({ nonce: 'n-1', name: 'Zoë' });
  });

  describe('signing out at the provider', () => {
    const cfg = { issuer: 'https://idp.example/realms/ops', clientId: 'ripple-console' };
    const discovery = (doc: Record<string, string>) =>
      vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response(JSON.stringify(doc), { status: 200 }))));
    afterEach(() => vi.unstubAllGlobals());

    it('sends the browser to end_session with the ID token, the client, a state and the way back', async () => {
      discovery({ authorization_endpoint: 'https://idp.example/auth', token_endpoint: 'https://idp.example/token', end_session_endpoint: 'https://idp.example/logout?x=1' });
      const u = new URL((await endSessionURL(cfg, 'id.token.here'))!);
      expect(u.origin + u.pathname).toBe('https://idp.example/logout');
      expect(u.searchParams.get('x')).toBe('1');
      expect(u.searchParams.get('id_token_hint')).toBe('id.token.here');
      expect(u.searchParams.get('client_id')).toBe('ripple-console');
      expect(u.searchParams.get('post_logout_redirect_uri')).toBe(`${window.location.origin}/signin`);
      const state = u.searchParams.get('state')!;
      expect(state.length).toBeGreaterThan(10);
      expect(backFromProviderSignOut(new URLSearchParams({ state }))).toBe(true);
      expect(backFromProviderSignOut(new URLSearchParams({ state: 'another' }))).toBe(false);
      expect(backFromProviderSignOut(new URLSearchParams())).toBe(false);
    });

    it('signs out locally only when the provider names no end_session_endpoint', async () => {
      discovery({ authorization_endpoint: 'https://idp.example/auth', token_endpoint: 'https://idp.example/token' });
      expect(await endSessionURL(cfg, 'id.token.here')).toBeNull();
    });

    it('knows an ID token from the provider from an API token', () => {
      rememberIDToken('id.token.here');
      expect(isProviderToken('id.token.here')).toBe(true);
      expect(isProviderToken('ripple_api_token')).toBe(false);
      forgetIDToken();
      expect(isProviderToken('id.token.here')).toBe(false);
    });
  });

  it('returns only to in-app paths after signing in', () => {
    expect(safeNext('/changes/42?x=1')).toBe('/changes/42?x=1');
    for (const bad of [null, '', 'https://evil.example/', '//evil.example/x', '/signin?next=/x']) expect(safeNext(bad)).toBe('/');
  });
});

describe('problem lifecycle', () => {
  it('offers the moves the API allows', () => {
    expect(nextProblemStates('INVESTIGATING')).toEqual(['KNOWN_ERROR', 'RESOLVED']);
    expect(nextProblemStates('CLOSED')).toEqual([]);
    expect(problemMoveLabel('RESOLVED', 'INVESTIGATING')).toBe('Reopen');
  });
});

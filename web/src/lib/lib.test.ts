import { describe, expect, it } from 'vitest';
import { type Impacted, GROUP_THRESHOLD, buildBlastGraph, groupKey, layoutBlastGraph, pathElements } from './blastGraph';
import { csvField, toCSV } from './csv';
import { formatMinutes, formatRelative, fromLocalInput, toLocalInput, words } from './format';
import { serviceStatus } from './health';
import { nextSort, sortBy } from './sort';
import { changeActions, incidentMoveLabel, nextIncidentStates } from './states';
import { dayTicks, place } from './timeline';

const isService = (c: string) => c === 'ApplicationService' || c === 'BusinessService';

// orders-db-primary -> orders-db -> checkout-api -> Checkout, as the API answers it.
const src = { id: 'p', name: 'orders-db-primary', class: 'Database' };
const chain: Impacted[] = [
  { ci: { id: 'g', name: 'orders-db', class: 'Cluster' }, distance: 1, effect: 'DEGRADED', path: [{ id: 'p', name: 'orders-db-primary' }, { id: 'g', name: 'orders-db' }] },
  { ci: { id: 'a', name: 'checkout-api', class: 'Application' }, distance: 2, effect: 'DEGRADED', path: [{ id: 'p', name: '' }, { id: 'g', name: '' }, { id: 'a', name: '' }] },
  { ci: { id: 's', name: 'Checkout', class: 'ApplicationService' }, distance: 3, effect: 'DEGRADED', path: [{ id: 'p', name: '' }, { id: 'g', name: '' }, { id: 'a', name: '' }, { id: 's', name: '' }] },
];

/** A hypervisor with n VMs hosted on it and one service on the first VM. */
function fanOut(n: number): Impacted[] {
  const out: Impacted[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ ci: { id: `vm${i}`, name: `vm-${i}`, class: 'VirtualMachine' }, distance: 1, effect: 'DOWN', path: [{ id: 'hv', name: 'hv' }, { id: `vm${i}`, name: `vm-${i}` }] });
  }
  out.push({ ci: { id: 'svc', name: 'Shop', class: 'BusinessService' }, distance: 2, effect: 'DEGRADED', path: [{ id: 'hv', name: 'hv' }, { id: 'vm0', name: 'vm-0' }, { id: 'svc', name: 'Shop' }] });
  return out;
}

describe('buildBlastGraph', () => {
  it('draws each impacted CI with an edge from its predecessor on the explaining path', () => {
    const g = buildBlastGraph([src], chain, isService);
    expect(g.grouped).toBe(false);
    expect(g.nodes.map((n) => [n.id, n.kind, n.effect, n.service])).toEqual([
      ['p', 'source', undefined, false],
      ['g', 'ci', 'DEGRADED', false],
      ['a', 'ci', 'DEGRADED', false],
      ['s', 'ci', 'DEGRADED', true],
    ]);
    expect(g.edges.map((e) => e.id)).toEqual(['p->g', 'g->a', 'a->s']);
  });

  it('folds CIs of one class at one distance above the threshold, never services', () => {
    const impacted = fanOut(GROUP_THRESHOLD + 50);
    const g = buildBlastGraph([{ id: 'hv', name: 'hv', class: 'Hypervisor' }], impacted, isService);
    expect(g.grouped).toBe(true);
    const group = g.nodes.find((n) => n.kind === 'group');
    expect(group?.id).toBe(groupKey(1, 'VirtualMachine'));
    expect(group?.members).toHaveLength(GROUP_THRESHOLD + 50);
    expect(group?.label).toBe(`VirtualMachine ×${GROUP_THRESHOLD + 50}`);
    expect(group?.effect).toBe('DOWN');
    expect(g.nodes.find((n) => n.id === 'svc')?.kind).toBe('ci');
    // Edges between folded nodes are merged: hv -> group -> service.
    expect(g.edges.map((e) => e.id).sort()).toEqual([`${groupKey(1, 'VirtualMachine')}->svc`, `hv->${groupKey(1, 'VirtualMachine')}`]);
    // The path to the service runs through the group.
    const hl = pathElements(g, impacted.at(-1)!.path);
    expect([...hl.nodes]).toEqual(['hv', groupKey(1, 'VirtualMachine'), 'svc']);
  });

  it('expands a group on demand', () => {
    const impacted = fanOut(GROUP_THRESHOLD + 1);
    const g = buildBlastGraph([{ id: 'hv', name: 'hv', class: 'Hypervisor' }], impacted, isService, { expanded: new Set([groupKey(1, 'VirtualMachine')]) });
    expect(g.grouped).toBe(false);
    expect(g.nodes).toHaveLength(GROUP_THRESHOLD + 3);
  });

  it('lays the layers out left to right by distance', () => {
    const g = buildBlastGraph([src], chain, isService);
    const pos = layoutBlastGraph(g);
    const xs = ['p', 'g', 'a', 's'].map((id) => pos.get(id)!.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(new Set(xs).size).toBe(4);
  });
});

describe('csv', () => {
  it('quotes what needs quoting and defuses formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(3)).toBe('3');
    expect(csvField(-3)).toBe('-3');
    expect(csvField(null)).toBe('');
    expect(toCSV(['a', 'b'], [[1, 'x\ny']])).toBe('a,b\r\n1,"x\ny"\r\n');
  });
});

describe('sort', () => {
  it('sorts stably and flips direction on the same key', () => {
    const rows = [
      { n: 'b', d: 2 },
      { n: 'a', d: 2 },
      { n: 'c', d: 1 },
    ];
    expect(sortBy(rows, { key: 'd', dir: 'asc' }, (r) => r.d).map((r) => r.n)).toEqual(['c', 'b', 'a']);
    expect(sortBy(rows, { key: 'd', dir: 'desc' }, (r) => r.d).map((r) => r.n)).toEqual(['b', 'a', 'c']);
    expect(sortBy([{ n: 'web-10' }, { n: 'web-9' }], { key: 'n', dir: 'asc' }, (r) => r.n).map((r) => r.n)).toEqual(['web-9', 'web-10']);
    expect(nextSort({ key: 'a', dir: 'asc' }, 'a')).toEqual({ key: 'a', dir: 'desc' });
    expect(nextSort({ key: 'a', dir: 'desc' }, 'b')).toEqual({ key: 'b', dir: 'asc' });
  });
});

describe('lifecycles', () => {
  it.each([
    ['NORMAL', 'REQUESTED', ['ASSESS']],
    ['EMERGENCY', 'REQUESTED', ['ASSESS', 'DECIDE']],
    ['STANDARD', 'REQUESTED', ['ASSESS', 'SCHEDULE']],
    ['NORMAL', 'ASSESSED', ['DECIDE']],
    ['STANDARD', 'ASSESSED', ['SCHEDULE']],
    ['NORMAL', 'APPROVED', ['SCHEDULE']],
    ['NORMAL', 'SCHEDULED', ['IMPLEMENT']],
    ['NORMAL', 'IMPLEMENTING', ['REVIEW']],
    ['NORMAL', 'REVIEW', ['CLOSE']],
    ['NORMAL', 'REJECTED', []],
    ['NORMAL', 'CLOSED', []],
  ] as const)('a %s change in %s offers %j', (type, state, want) => {
    expect(changeActions(type, state)).toEqual(want);
  });

  it('offers the incident moves the API allows', () => {
    expect(nextIncidentStates('NEW')).toEqual(['IN_PROGRESS']);
    expect(nextIncidentStates('RESOLVED')).toEqual(['CLOSED', 'IN_PROGRESS']);
    expect(nextIncidentStates('CLOSED')).toEqual([]);
    expect(incidentMoveLabel('RESOLVED', 'IN_PROGRESS')).toBe('Reopen');
    expect(incidentMoveLabel('NEW', 'IN_PROGRESS')).toBe('Start work');
  });

  it('names a service failed by an incident DOWN', () => {
    expect(serviceStatus(true, undefined)).toBe('DOWN');
    expect(serviceStatus(false, 'DEGRADED')).toBe('DEGRADED');
    expect(serviceStatus(false, undefined)).toBe('OK');
  });
});

describe('format and timeline', () => {
  it('formats durations of service time', () => {
    expect(formatMinutes(0)).toBe('0m');
    expect(formatMinutes(75)).toBe('1h 15m');
    expect(formatMinutes(120)).toBe('2h');
    expect(formatMinutes(3000)).toBe('2d 2h');
    expect(formatMinutes(-19)).toBe('−19m');
    expect(formatRelative('2026-01-01T02:00:00Z', new Date('2026-01-01T00:00:00Z'))).toBe('in 2h');
    expect(formatRelative('2026-01-01T00:00:00Z', new Date('2026-01-01T00:30:00Z'))).toBe('30m ago');
    expect(words('IN_PROGRESS')).toBe('in progress');
    const iso = '2026-03-29T00:30:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('')).toBeUndefined();
    expect(fromLocalInput('nonsense')).toBeUndefined();
  });

  it('places spans on the range and clips them', () => {
    const r = { from: 0, to: 1000 };
    expect(place(r, 100, 300)).toEqual({ left: 10, width: 20 });
    expect(place(r, -100, 100)).toEqual({ left: 0, width: 10 });
    expect(place(r, 2000, 3000)).toBeNull();
    const day = 86_400_000;
    const from = new Date(2026, 0, 1, 12).getTime();
    expect(dayTicks({ from, to: from + 3 * day })).toHaveLength(3);
  });
});

// The Reports page's arithmetic: the ranges its pickers offer, and the
// chart series drawn from a report's periods (ECharts options, kept free of
// the library so they can be tested without a browser).

export type Granularity = 'DAY' | 'WEEK' | 'MONTH';

export interface RangeChoice {
  key: string;
  label: string;
  days: number;
  /** The granularity that gives a readable number of bars. */
  granularity: Granularity;
}

export const RANGES: RangeChoice[] = [
  { key: '7d', label: 'Last 7 days', days: 7, granularity: 'DAY' },
  { key: '30d', label: 'Last 30 days', days: 30, granularity: 'DAY' },
  { key: '90d', label: 'Last 90 days', days: 90, granularity: 'WEEK' },
  { key: '365d', label: 'Last 12 months', days: 365, granularity: 'MONTH' },
];

export const DEFAULT_RANGE = '30d';

/**
 * A range ending at the next UTC midnight (so the figures include today
 * and the query stays the same all day) and starting the chosen number of
 * days before it.
 */
export function reportRange(key: string, now: Date = new Date()): { from: string; to: string; choice: RangeChoice } {
  const choice = RANGES.find((r) => r.key === key) ?? RANGES.find((r) => r.key === DEFAULT_RANGE)!;
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const from = new Date(to.getTime() - choice.days * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString(), choice };
}

export function isGranularity(v: string | null): v is Granularity {
  return v === 'DAY' || v === 'WEEK' || v === 'MONTH';
}

/** A period's label on a chart axis: "14 Jan", or "Jan 2026" by month. */
export function periodLabel(startISO: string, g: Granularity): string {
  const d = new Date(startISO);
  if (g === 'MONTH') return d.toLocaleDateString(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

export interface PeriodLike {
  start: string;
  availability?: number | null;
  availabilityTarget?: number | null;
  mttaMinutes?: number | null;
  mttrMinutes?: number | null;
  incidents: { byPriority: { priority: string; count: number }[] };
  changes: { implemented: number; failed: number; failureRate?: number | null };
}

const round = (v: number | null | undefined, digits = 3): number | null => (v == null ? null : Number(v.toFixed(digits)));

/** Colours readable on white and told apart without colour by their legend order. */
export const PRIORITY_COLOURS: Record<string, string> = { P1: '#b71c1c', P2: '#e65100', P3: '#f5b400', P4: '#5b6b82' };

/** The four charts' options for a report's series. */
export function reportCharts(series: PeriodLike[], g: Granularity) {
  const x = series.map((p) => periodLabel(p.start, g));
  const axis = { type: 'category' as const, data: x, axisLabel: { color: '#333' } };
  const base = { animation: false, grid: { left: 56, right: 16, top: 36, bottom: 28 }, tooltip: { trigger: 'axis' as const }, legend: { top: 0 }, xAxis: axis };
  const target = series.find((p) => p.availabilityTarget != null)?.availabilityTarget ?? null;
  const avail = series.map((p) => round(p.availability));
  const lowest = Math.min(...avail.filter((v): v is number => v != null), target ?? 100);
  const priorities = ['P1', 'P2', 'P3', 'P4'];
  return {
    availability: {
      ...base,
      yAxis: { type: 'value' as const, name: '%', min: Math.max(0, Math.floor(lowest - 0.5)), max: 100 },
      series: [
        { name: 'Availability', type: 'bar' as const, data: avail, itemStyle: { color: '#1f5fbf' } },
        ...(target != null ? [{ name: 'Target', type: 'line' as const, data: series.map(() => target), symbol: 'none', lineStyle: { type: 'dashed' as const, color: '#b71c1c' }, itemStyle: { color: '#b71c1c' } }] : []),
      ],
    },
    incidents: {
      ...base,
      yAxis: { type: 'value' as const, name: 'incidents', minInterval: 1 },
      series: priorities.map((pr) => ({
        name: pr,
        type: 'bar' as const,
        stack: 'priority',
        data: series.map((p) => p.incidents.byPriority.find((b) => b.priority === pr)?.count ?? 0),
        itemStyle: { color: PRIORITY_COLOURS[pr] },
      })),
    },
    times: {
      ...base,
      yAxis: { type: 'value' as const, name: 'minutes' },
      series: [
        { name: 'MTTA', type: 'line' as const, data: series.map((p) => round(p.mttaMinutes, 1)), connectNulls: false, itemStyle: { color: '#1f5fbf' } },
        { name: 'MTTR', type: 'line' as const, data: series.map((p) => round(p.mttrMinutes, 1)), connectNulls: false, itemStyle: { color: '#b71c1c' } },
      ],
    },
    changes: {
      ...base,
      yAxis: [
        { type: 'value' as const, name: 'changes', minInterval: 1 },
        { type: 'value' as const, name: '% failed', min: 0, max: 100 },
      ],
      series: [
        { name: 'Implemented', type: 'bar' as const, data: series.map((p) => p.changes.implemented), itemStyle: { color: '#8795a8' } },
        { name: 'Failed', type: 'bar' as const, data: series.map((p) => p.changes.failed), itemStyle: { color: '#b71c1c' } },
        { name: 'Failure rate', type: 'line' as const, yAxisIndex: 1, data: series.map((p) => round(p.changes.failureRate, 1)), itemStyle: { color: '#111' } },
      ],
    },
  };
}

// Formatting shared by every page: times in the viewer's zone, durations in
// minutes of service time as people say them.

/** "Tue 14 Jan, 09:30" in the viewer's time zone. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function formatClock(d: Date | undefined): string {
  if (!d) return '—';
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** 0 → "0m", 75 → "1h 15m", 3000 → "2d 2h"; negative values keep their sign. */
export function formatMinutes(minutes: number): string {
  const sign = minutes < 0 ? '−' : '';
  let m = Math.round(Math.abs(minutes));
  if (m < 60) return `${sign}${m}m`;
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  if (d > 0) return `${sign}${d}d${h ? ` ${h}h` : ''}`;
  return `${sign}${h}h${m ? ` ${m}m` : ''}`;
}

/** "in 2h 5m" or "3d ago", relative to now. */
export function formatRelative(iso: string, now: Date = new Date()): string {
  const minutes = (new Date(iso).getTime() - now.getTime()) / 60000;
  if (Math.abs(minutes) < 1) return 'now';
  return minutes > 0 ? `in ${formatMinutes(minutes)}` : `${formatMinutes(-minutes)} ago`;
}

export function formatPercent(v: number, digits = 3): string {
  return `${Number(v.toFixed(digits))}%`;
}

/** Enum values as words: IN_PROGRESS → "in progress". */
export function words(v: string): string {
  return v.toLowerCase().replace(/_/g, ' ');
}

/** A compact rendering of a JSON value for tables (provenance, plan diffs). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** An instant as the value of an <input type="datetime-local"> in the viewer's zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the viewer's zone) as an RFC 3339 instant; undefined when empty or invalid. */
export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

// Placing time spans on a horizontal timeline of [from, to].

export interface Range {
  from: number;
  to: number;
}

/** Left offset and width as percentages of the range, clipped to it; null when outside. */
export function place(r: Range, start: string | number, end: string | number): { left: number; width: number } | null {
  const s = typeof start === 'number' ? start : Date.parse(start);
  const e = typeof end === 'number' ? end : Date.parse(end);
  if (!(e > r.from && s < r.to)) return null;
  const span = r.to - r.from;
  const left = ((Math.max(s, r.from) - r.from) / span) * 100;
  const right = ((Math.min(e, r.to) - r.from) / span) * 100;
  return { left, width: Math.max(right - left, 0.4) };
}

/** Midnight (local time) of every day in the range, as epoch milliseconds. */
export function dayTicks(r: Range): number[] {
  const out: number[] = [];
  const d = new Date(r.from);
  d.setHours(0, 0, 0, 0);
  if (d.getTime() < r.from) d.setDate(d.getDate() + 1);
  while (d.getTime() <= r.to) {
    out.push(d.getTime());
    d.setDate(d.getDate() + 1);
  }
  return out;
}

const DAY = 86_400_000;

/** The default view: from a day ago to two weeks ahead, starting at local midnight. */
export function defaultRange(now: Date = new Date(), offsetDays = 0): Range {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  const from = d.getTime() - DAY + offsetDays * DAY;
  return { from, to: from + 15 * DAY };
}

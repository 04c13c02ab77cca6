// Incident groups as the Incidents page shows them: open groups first, each
// with its children nested, and the rest in the table as before. An incident
// is listed once: an open group's parent and children leave the table.

export interface RowShape {
  state: string;
  major: boolean;
  parent?: { state: string } | null;
}

const closed = new Set(['RESOLVED', 'CLOSED']);

/**
 * Whether an open group lists this incident: it is an open major incident,
 * or one of its children. Decided from the row itself, so that it holds
 * whichever page of groups is on screen.
 */
export function inOpenGroup(r: RowShape): boolean {
  return (r.major && !closed.has(r.state)) || (!!r.parent && !closed.has(r.parent.state));
}

/** The rows no open group lists, in their order. */
export function ungrouped<T extends RowShape>(rows: readonly T[]): T[] {
  return rows.filter((r) => !inOpenGroup(r));
}

/**
 * A correlation score (0..1) as a whole percentage: 0.874 → "87%". Rounding
 * must not say certain or impossible when neither is so: 0.9988 is ">99%"
 * and 0.0009 "<1%" (a list of candidates read "100%, 0%, 0%" before).
 */
export function scorePercent(score: number): string {
  const p = Math.round(score * 100);
  if (p >= 100 && score < 1) return '>99%';
  if (p <= 0 && score > 0) return '<1%';
  return `${p}%`;
}

/** "2 incidents", "1 incident". */
export function incidentCount(n: number): string {
  return `${n} incident${n === 1 ? '' : 's'}`;
}

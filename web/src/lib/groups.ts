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

/** A correlation score (0..1) as a whole percentage: 0.874 → "87%". */
export function scorePercent(score: number): string {
  return `${Math.round(score * 100)}%`;
}

/** "2 incidents", "1 incident". */
export function incidentCount(n: number): string {
  return `${n} incident${n === 1 ? '' : 's'}`;
}

// Incident groups as the Incidents page shows them: open groups first, each
// with its children nested, and the rest in the table as before. An incident
// is listed once: a group's parent and children leave the table.

export interface GroupShape {
  id: string;
  children: { edges: { node: { id: string } }[] };
}

/** The incidents the groups show (their parents and children). */
export function groupedIds(groups: readonly GroupShape[]): Set<string> {
  const ids = new Set<string>();
  for (const g of groups) {
    ids.add(g.id);
    for (const e of g.children.edges) ids.add(e.node.id);
  }
  return ids;
}

/** The rows no shown group lists, in their order. */
export function ungrouped<T extends { id: string }>(rows: readonly T[], groups: readonly GroupShape[]): T[] {
  const shown = groupedIds(groups);
  return rows.filter((r) => !shown.has(r.id));
}

/** A correlation score (0..1) as a whole percentage: 0.874 → "87%". */
export function scorePercent(score: number): string {
  return `${Math.round(score * 100)}%`;
}

/** "2 incidents", "1 incident". */
export function incidentCount(n: number): string {
  return `${n} incident${n === 1 ? '' : 's'}`;
}

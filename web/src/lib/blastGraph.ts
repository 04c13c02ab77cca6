// The blast radius as a drawable graph: nodes for the failed CIs and the
// impacted ones, an edge from each impacted CI's predecessor on its
// explaining path (so the drawing is the tree of reasons, layered by
// distance), and — for large radii — CIs of one class at one distance folded
// into a group node the user can expand.
import dagre from '@dagrejs/dagre';

export type Effect = 'DOWN' | 'DEGRADED';

export interface CIRef {
  id: string;
  name: string;
  class: string;
}

export interface Impacted {
  ci: CIRef;
  distance: number;
  effect: Effect;
  path: { id: string; name: string }[];
}

export type NodeKind = 'source' | 'ci' | 'group';

export interface GraphNode {
  id: string;
  label: string;
  kind: NodeKind;
  class: string;
  distance: number;
  /** The worst effect among the node's CIs; undefined for failed sources. */
  effect?: Effect;
  service: boolean;
  /** CIs folded into a group node. */
  members?: string[];
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface BlastGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Whether any CIs are folded into groups. */
  grouped: boolean;
}

/** Above this many impacted CIs, non-service CIs are folded by (distance, class). */
export const GROUP_THRESHOLD = 150;

export function groupKey(distance: number, cls: string): string {
  return `group:${distance}:${cls}`;
}

export function buildBlastGraph(
  sources: CIRef[],
  impacted: Impacted[],
  isService: (cls: string) => boolean,
  opts: { threshold?: number; expanded?: ReadonlySet<string> } = {},
): BlastGraph {
  const threshold = opts.threshold ?? GROUP_THRESHOLD;
  const expanded = opts.expanded ?? new Set<string>();
  const fold = impacted.length > threshold;

  // Each CI's representative node: itself, or its group.
  const rep = new Map<string, string>();
  const nodes: GraphNode[] = [];
  for (const s of sources) {
    rep.set(s.id, s.id);
    nodes.push({ id: s.id, label: s.name, kind: 'source', class: s.class, distance: 0, service: isService(s.class) });
  }
  const groups = new Map<string, Impacted[]>();
  for (const im of impacted) {
    const service = isService(im.ci.class);
    const key = groupKey(im.distance, im.ci.class);
    if (fold && !service && !expanded.has(key)) {
      const g = groups.get(key);
      if (g) g.push(im);
      else groups.set(key, [im]);
      continue;
    }
    rep.set(im.ci.id, im.ci.id);
    nodes.push({ id: im.ci.id, label: im.ci.name, kind: 'ci', class: im.ci.class, distance: im.distance, effect: im.effect, service });
  }
  let grouped = false;
  for (const [key, members] of groups) {
    const first = members[0]!;
    if (members.length === 1) {
      rep.set(first.ci.id, first.ci.id);
      nodes.push({ id: first.ci.id, label: first.ci.name, kind: 'ci', class: first.ci.class, distance: first.distance, effect: first.effect, service: false });
      continue;
    }
    grouped = true;
    const effect: Effect = members.some((m) => m.effect === 'DOWN') ? 'DOWN' : 'DEGRADED';
    for (const m of members) rep.set(m.ci.id, key);
    nodes.push({
      id: key,
      label: `${first.ci.class} ×${members.length}`,
      kind: 'group',
      class: first.ci.class,
      distance: first.distance,
      effect,
      service: false,
      members: members.map((m) => m.ci.id),
    });
  }

  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const im of impacted) {
    const prev = im.path.length >= 2 ? im.path[im.path.length - 2] : undefined;
    if (!prev) continue;
    const from = rep.get(prev.id);
    const to = rep.get(im.ci.id);
    if (!from || !to || from === to) continue;
    const id = `${from}->${to}`;
    if (seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, source: from, target: to });
  }
  return { nodes, edges, grouped };
}

/** The node ids and edge ids along an impacted CI's explaining path, as drawn. */
export function pathElements(g: BlastGraph, path: { id: string }[]): { nodes: Set<string>; edges: Set<string> } {
  const nodeIds = new Set(g.nodes.map((n) => n.id));
  const byMember = new Map<string, string>();
  for (const n of g.nodes) for (const m of n.members ?? []) byMember.set(m, n.id);
  const drawn = path.map((p) => (nodeIds.has(p.id) ? p.id : byMember.get(p.id))).filter((x): x is string => !!x);
  const edges = new Set<string>();
  for (let i = 1; i < drawn.length; i++) if (drawn[i - 1] !== drawn[i]) edges.add(`${drawn[i - 1]}->${drawn[i]}`);
  return { nodes: new Set(drawn), edges };
}

export interface Point {
  x: number;
  y: number;
}

/** Node width for a label, shared by the layout and the drawing. */
export function nodeWidth(n: GraphNode): number {
  // Services are drawn with a larger, bold label and a hexagon's slanted ends.
  const perChar = n.service ? 8.6 : 7;
  const pad = n.service ? 44 : 24;
  return Math.min(n.service ? 260 : 220, Math.max(70, n.label.length * perChar + pad));
}

export const NODE_HEIGHT = 34;

/**
 * A layered layout (dagre, left to right): failed CIs on the left, each
 * column one hop further, services where the failure arrives.
 */
export function layoutBlastGraph(g: BlastGraph): Map<string, Point> {
  const d = new dagre.graphlib.Graph();
  d.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 10, marginy: 10 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) d.setNode(n.id, { width: nodeWidth(n), height: NODE_HEIGHT });
  for (const e of g.edges) d.setEdge(e.source, e.target);
  dagre.layout(d);
  const pos = new Map<string, Point>();
  for (const n of g.nodes) {
    const p = d.node(n.id);
    pos.set(n.id, { x: p.x, y: p.y });
  }
  return pos;
}

/** The order the keyboard walks the drawing in: nearest first (the failed CIs), then by name. */
export function keyboardOrder(g: BlastGraph): GraphNode[] {
  return [...g.nodes].sort((a, b) => a.distance - b.distance || a.label.localeCompare(b.label));
}

/**
 * The node a key moves the selection to from the current one: arrows step
 * (right/down onward, left/up back, wrapping), Home/End jump to the ends,
 * a typed prefix jumps to the next node whose name starts with it;
 * Escape clears (null). undefined: the key does nothing here.
 */
export function keyboardStep(order: GraphNode[], current: string | null, key: string, typed = ''): string | null | undefined {
  if (order.length === 0) return undefined;
  const i = current ? order.findIndex((n) => n.id === current) : -1;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
      return order[(i + 1) % order.length]!.id;
    case 'ArrowLeft':
    case 'ArrowUp':
      return order[i <= 0 ? order.length - 1 : i - 1]!.id;
    case 'Home':
      return order[0]!.id;
    case 'End':
      return order[order.length - 1]!.id;
    case 'Escape':
      return current ? null : undefined;
  }
  if (key.length !== 1 || !typed) return undefined;
  const prefix = typed.toLowerCase();
  // A repeated single letter cycles through the names starting with it.
  const from = typed.length === 1 ? i + 1 : Math.max(i, 0);
  for (let k = 0; k < order.length; k++) {
    const n = order[(from + k) % order.length]!;
    if (n.label.toLowerCase().startsWith(prefix)) return n.id;
  }
  return undefined;
}

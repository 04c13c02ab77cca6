// Draws a blast graph with Cytoscape.js on a canvas: positions come from
// the layered layout, colours from the effect, services drawn larger. The
// canvas is not readable by assistive technology: every page that uses it
// puts a table of the same data beside it. It is usable from the keyboard:
// focused, the arrow keys move the selection through the nodes in
// keyboardOrder (nearest first), Home/End jump to the ends, typing a name
// jumps to it, Escape clears; a live region says what is selected.
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { type BlastGraph, NODE_HEIGHT, keyboardOrder, keyboardStep, layoutBlastGraph, nodeWidth } from '../lib/blastGraph';

const style: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      shape: 'round-rectangle',
      width: 'data(w)',
      height: NODE_HEIGHT,
      label: 'data(label)',
      'font-size': 11,
      'font-family': 'system-ui, sans-serif',
      'text-valign': 'center',
      'text-halign': 'center',
      'text-wrap': 'ellipsis',
      'text-max-width': 'data(tw)',
      'background-color': '#e8edf5',
      color: '#111',
      'border-width': 1,
      'border-color': '#5b6b82',
    },
  },
  { selector: 'node.down', style: { 'background-color': '#b71c1c', color: '#fff', 'border-color': '#7f0000' } },
  { selector: 'node.degraded', style: { 'background-color': '#f5b400', color: '#111', 'border-color': '#a87a00' } },
  { selector: 'node.source', style: { 'background-color': '#1c1c1c', color: '#fff', 'border-color': '#b71c1c', 'border-width': 3, 'border-style': 'double' } },
  { selector: 'node.service', style: { height: NODE_HEIGHT + 12, 'font-size': 13, 'font-weight': 'bold', 'border-width': 4, 'border-color': '#10233f', shape: 'round-hexagon' } },
  { selector: 'node.group', style: { shape: 'barrel', 'border-style': 'dashed', 'border-width': 2 } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': '#8795a8',
      'target-arrow-color': '#8795a8',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      'arrow-scale': 0.8,
    },
  },
  { selector: '.dim', style: { opacity: 0.25 } },
  { selector: 'edge.hl', style: { width: 4, 'line-color': '#1f5fbf', 'target-arrow-color': '#1f5fbf', opacity: 1 } },
  { selector: 'node.hl', style: { 'border-color': '#1f5fbf', 'border-width': 5, opacity: 1 } },
  { selector: 'node:selected', style: { 'overlay-color': '#1f5fbf', 'overlay-opacity': 0.15, 'overlay-padding': 6 } },
  { selector: 'node.kbd', style: { 'overlay-color': '#1f5fbf', 'overlay-opacity': 0.3, 'overlay-padding': 8, 'border-color': '#1f5fbf', 'border-width': 5 } },
];

/** Tall enough for the widest layer, within the viewport. */
function graphHeight(g: BlastGraph): string {
  const perLayer = new Map<number, number>();
  for (const n of g.nodes) perLayer.set(n.distance, (perLayer.get(n.distance) ?? 0) + 1);
  const widest = Math.max(1, ...perLayer.values());
  return `${Math.min(560, Math.max(240, widest * 52 + 60))}px`;
}

export function GraphView({
  graph,
  highlight,
  selected,
  onSelect,
  label,
  onDrawn,
}: {
  graph: BlastGraph;
  highlight: { nodes: Set<string>; edges: Set<string> } | null;
  /** The selected node's id, which the keyboard moves from. */
  selected: string | null;
  onSelect: (id: string | null) => void;
  label: string;
  onDrawn?: (ms: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const drawn = useRef(onDrawn);
  drawn.current = onDrawn;

  useEffect(() => {
    if (!box.current) return;
    const t0 = performance.now();
    box.current.dataset.drawn = 'false';
    const pos = layoutBlastGraph(graph);
    const elements: ElementDefinition[] = [
      ...graph.nodes.map((n) => ({
        group: 'nodes' as const,
        data: { id: n.id, label: n.label, w: nodeWidth(n), tw: nodeWidth(n) - 12 },
        position: pos.get(n.id) ?? { x: 0, y: 0 },
        classes: [n.kind, n.effect?.toLowerCase() ?? '', n.service ? 'service' : ''].filter(Boolean).join(' '),
      })),
      ...graph.edges.map((e) => ({ group: 'edges' as const, data: { id: e.id, source: e.source, target: e.target } })),
    ];
    const c = cytoscape({
      container: box.current,
      elements,
      style,
      layout: { name: 'preset', fit: true, padding: 20 },
      minZoom: 0.05,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      autoungrabify: true,
      textureOnViewport: graph.nodes.length > 300,
      hideEdgesOnViewport: graph.nodes.length > 300,
    });
    c.on('tap', 'node', (ev) => select.current(ev.target.id()));
    c.on('tap', (ev) => {
      if (ev.target === c) select.current(null);
    });
    c.one('render', () => {
      if (box.current) box.current.dataset.drawn = 'true';
      drawn.current?.(performance.now() - t0);
    });
    cy.current = c;
    return () => {
      c.destroy();
      cy.current = null;
    };
  }, [graph]);

  // The keyboard's order, and what is typed ahead to jump by name.
  const order = useMemo(() => keyboardOrder(graph), [graph]);
  const typed = useRef({ text: '', at: 0 });
  const [announce, setAnnounce] = useState('');
  const keysId = useId();
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const now = Date.now();
    if (e.key.length === 1 && e.key !== ' ') {
      typed.current = { text: (now - typed.current.at < 800 ? typed.current.text : '') + e.key, at: now };
    }
    const next = keyboardStep(order, selected, e.key, typed.current.text);
    if (next === undefined) return;
    e.preventDefault();
    onSelect(next);
  };

  // Mark the selected node for the eye (the keyboard's focus), keep it in
  // view, and say it for the ear.
  useEffect(() => {
    const c = cy.current;
    const n = selected ? graph.nodes.find((x) => x.id === selected) : undefined;
    setAnnounce(n ? `${n.label}, ${n.kind === 'group' ? `group of ${n.members?.length ?? 0} ${n.class}` : n.class}${n.effect ? `, ${n.effect.toLowerCase()}` : ''}, distance ${n.distance}` : '');
    if (!c) return;
    c.nodes('.kbd').removeClass('kbd');
    if (!selected) return;
    const el = c.getElementById(selected);
    if (el.empty()) return;
    el.addClass('kbd');
    const ext = c.extent();
    const bb = el.boundingBox();
    if (bb.x1 < ext.x1 || bb.x2 > ext.x2 || bb.y1 < ext.y1 || bb.y2 > ext.y2) c.center(el);
  }, [selected, graph]);

  useEffect(() => {
    const c = cy.current;
    if (!c) return;
    // What is highlighted, for tests and tools reading the page.
    if (box.current) box.current.dataset.highlight = highlight ? [...highlight.nodes].join(' ') : '';
    c.batch(() => {
      c.elements().removeClass('hl dim');
      if (!highlight) return;
      c.elements().addClass('dim');
      for (const id of highlight.nodes) c.getElementById(id).removeClass('dim').addClass('hl');
      for (const id of highlight.edges) c.getElementById(id).removeClass('dim').addClass('hl');
    });
  }, [highlight, graph]);

  return (
    <div className="graph-wrap">
      <div
        ref={box}
        className="graph"
        style={{ height: graphHeight(graph) }}
        role="application"
        aria-roledescription="graph"
        aria-label={label}
        aria-describedby={keysId}
        tabIndex={0}
        onKeyDown={onKey}
        data-testid="blast-graph"
      />
      <p id={keysId} className="sr-only">
        Arrow keys move through the CIs, nearest first, and highlight the path to each; Home and End jump to the first and last; type a name to jump to it; Escape clears.
      </p>
      <p className="sr-only" role="status" aria-live="polite" data-testid="graph-announce">
        {announce}
      </p>
      <div className="graph-tools">
        <button type="button" onClick={() => cy.current?.fit(undefined, 20)}>
          Fit
        </button>
        <button type="button" aria-label="Zoom in" onClick={() => cy.current?.zoom({ level: (cy.current.zoom() ?? 1) * 1.25, renderedPosition: { x: (box.current?.clientWidth ?? 0) / 2, y: (box.current?.clientHeight ?? 0) / 2 } })}>
          +
        </button>
        <button type="button" aria-label="Zoom out" onClick={() => cy.current?.zoom({ level: (cy.current.zoom() ?? 1) / 1.25, renderedPosition: { x: (box.current?.clientWidth ?? 0) / 2, y: (box.current?.clientHeight ?? 0) / 2 } })}>
          −
        </button>
      </div>
      <ul className="legend" aria-label="Legend">
        <li>
          <span className="swatch source" /> failed (the CIs you picked)
        </li>
        <li>
          <span className="swatch down" /> down
        </li>
        <li>
          <span className="swatch degraded" /> degraded
        </li>
        <li>
          <span className="swatch service" /> service
        </li>
        <li>
          <span className="swatch group" /> group (click to expand)
        </li>
      </ul>
    </div>
  );
}

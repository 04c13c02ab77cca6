// The blast radius explorer: pick CIs, see what fails or degrades with
// them, drawn as the layered tree of reasons and listed in a table.
import { useCallback, useMemo, useState } from 'react';
import { useCatalogue } from '../api/catalogue';
import { useQuery } from '../api/hooks';
import { BlastQuery, LiveChangesQuery, RedundancyGroupQuery } from '../api/operations';
import { CIPicker } from '../components/CIPicker';
import { type Column, DataTable } from '../components/DataTable';
import { GraphView } from '../components/GraphView';
import { Badge, Empty, ErrorBox, Loading, Section } from '../components/ui';
import type { BlastQuery as BlastResult } from '../gql/graphql';
import { type Impacted, buildBlastGraph, groupKey, pathElements } from '../lib/blastGraph';
import { download, toCSV } from '../lib/csv';
import { Link, navigate, useLocation } from '../router';

type Row = BlastResult['blastRadius']['impacted'][number];

const DEPTHS = [1, 2, 3, 4, 5, 6, 8, 10, 16, 32];

/** The page's URL for a selection: /blast?ci=A&ci=B&depth=6&types=RUNS_ON,... */
export function blastURL(ids: string[], depth?: number, types?: string[]): string {
  const q = new URLSearchParams();
  for (const id of ids) q.append('ci', id);
  if (depth) q.set('depth', String(depth));
  if (types && types.length) q.set('types', types.join(','));
  const s = q.toString();
  return s ? `/blast?${s}` : '/blast';
}

export function BlastPage() {
  const { query } = useLocation();
  const ids = query.getAll('ci');
  const depth = Number(query.get('depth')) || undefined;
  const types = query.get('types')?.split(',').filter(Boolean);
  const cat = useCatalogue();
  const [names, setNames] = useState<Record<string, string>>({});
  const q = useQuery(BlastQuery, { ciIds: ids, maxDepth: depth ?? null, types: types ?? null }, { skip: ids.length === 0 });
  const blast = ids.length > 0 ? q.data?.blastRadius : undefined;
  const sourceName = (id: string) => blast?.sources.find((s) => s.id === id)?.name ?? names[id] ?? id;

  const go = (nextIds: string[], nextDepth = depth, nextTypes = types) => navigate(blastURL(nextIds, nextDepth, nextTypes), { replace: false });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Blast radius</h1>
      </div>
      <div className="toolbar">
        <CIPicker
          label="Add a CI that fails"
          exclude={ids}
          onPick={(ci) => {
            setNames((n) => ({ ...n, [ci.id]: ci.name }));
            go([...ids, ci.id]);
          }}
        />
        <ChangeTargets onPick={(targets) => go(targets)} />
        <div className="field">
          <label htmlFor="depth">Depth</label>
          <select id="depth" value={depth ?? ''} onChange={(e) => go(ids, Number(e.target.value) || undefined)}>
            <option value="">default (10)</option>
            {DEPTHS.map((d) => (
              <option key={d} value={d}>
                {d} hop{d > 1 ? 's' : ''}
              </option>
            ))}
          </select>
        </div>
        {cat.propagating.length > 0 && (
          <fieldset className="types">
            <legend>Relation types</legend>
            {cat.propagating.map((t) => {
              const on = !types || types.includes(t);
              return (
                <label key={t} className="check">
                  <input
                    type="checkbox"
                    checked={on}
                    onChange={() => {
                      const cur = types ?? cat.propagating;
                      const next = on ? cur.filter((x) => x !== t) : [...cur, t];
                      go(ids, depth, next.length === cat.propagating.length ? undefined : next);
                    }}
                  />
                  {t}
                </label>
              );
            })}
          </fieldset>
        )}
      </div>
      {ids.length > 0 && (
        <ul className="chips" aria-label="Failed CIs">
          {ids.map((id) => (
            <li key={id}>
              <Link to={`/ci/${id}`}>{sourceName(id)}</Link>
              <button type="button" aria-label={`Remove ${sourceName(id)}`} onClick={() => go(ids.filter((x) => x !== id))}>
                ×
              </button>
            </li>
          ))}
          <li className="chip-action">
            <button type="button" className="link" onClick={() => go([])}>
              Clear
            </button>
          </li>
        </ul>
      )}
      {ids.length === 0 && (
        <Empty>
          Pick one or more CIs to see what fails or degrades if they go down together — e.g. type <code>orders-db</code>. Or open a{' '}
          <Link to="/changes">change</Link> and follow its blast radius.
        </Empty>
      )}
      <ErrorBox error={q.error} title="Could not compute the blast radius" />
      {ids.length > 0 && q.loading && <Loading what="blast radius" />}
      {blast && <BlastResultView key={JSON.stringify([ids, depth, types])} blast={blast} />}
    </div>
  );
}

function BlastResultView({ blast }: { blast: BlastResult['blastRadius'] }) {
  const cat = useCatalogue();
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [classFilter, setClassFilter] = useState('');
  const impacted = blast.impacted as Impacted[];
  const graph = useMemo(() => buildBlastGraph(blast.sources, impacted, cat.isService, { expanded }), [blast, impacted, cat, expanded]);
  const byId = useMemo(() => new Map(blast.impacted.map((r) => [r.ci.id, r])), [blast]);
  const selectedRow = selected ? byId.get(selected) : undefined;
  const selectedNode = selected ? graph.nodes.find((n) => n.id === selected) : undefined;
  const highlight = useMemo(() => (selectedRow ? pathElements(graph, selectedRow.path) : null), [graph, selectedRow]);
  const services = blast.impacted.filter((r) => cat.isService(r.ci.class));
  const groups = blast.impacted.filter((r) => cat.isGroup(r.ci.class)).slice(0, 12);
  const classes = useMemo(() => {
    const m = new Map<string, { DOWN: number; DEGRADED: number }>();
    for (const r of blast.impacted) {
      const c = m.get(r.ci.class) ?? { DOWN: 0, DEGRADED: 0 };
      c[r.effect] += 1;
      m.set(r.ci.class, c);
    }
    return [...m.entries()].sort((a, b) => b[1].DOWN + b[1].DEGRADED - (a[1].DOWN + a[1].DEGRADED));
  }, [blast]);
  const rows = classFilter ? blast.impacted.filter((r) => r.ci.class === classFilter) : blast.impacted;
  const [drawMs, setDrawMs] = useState<number>();

  const select = useCallback((id: string | null) => setSelected(id), []);

  const columns: Column<Row>[] = [
    { key: 'name', header: 'CI', sort: (r) => r.ci.name, render: (r) => <Link to={`/ci/${r.ci.id}`}>{r.ci.name}</Link> },
    { key: 'class', header: 'Class', sort: (r) => r.ci.class, render: (r) => r.ci.class },
    { key: 'effect', header: 'Effect', sort: (r) => (r.effect === 'DOWN' ? 0 : 1), render: (r) => <Badge value={r.effect} /> },
    { key: 'distance', header: 'Distance', sort: (r) => r.distance, render: (r) => r.distance, className: 'num' },
    {
      key: 'path',
      header: 'Path',
      render: (r) => (
        <button type="button" className="link path" onClick={() => setSelected(r.ci.id)} title="Highlight in the drawing">
          {r.path.map((p) => p.name).join(' → ')}
        </button>
      ),
    },
  ];

  const exportCSV = () =>
    download(
      'blast-radius.csv',
      toCSV(
        ['id', 'name', 'class', 'effect', 'distance', 'path'],
        blast.impacted.map((r) => [r.ci.id, r.ci.name, r.ci.class, r.effect, r.distance, r.path.map((p) => p.name).join(' > ')]),
      ),
    );

  const down = blast.impacted.filter((r) => r.effect === 'DOWN').length;
  return (
    <>
      <p className="lead" data-testid="blast-summary">
        <strong>{blast.totalCount}</strong> CIs impacted: {down} down, {blast.totalCount - down} degraded; {services.length} service{services.length === 1 ? '' : 's'}
        {services.length > 0 && ': '}
        {services.map((s, i) => (
          <span key={s.ci.id}>
            {i > 0 && ', '}
            <button type="button" className="link" onClick={() => setSelected(s.ci.id)}>
              {s.ci.name}
            </button>{' '}
            <Badge value={s.effect} />
          </span>
        ))}
        .
      </p>
      {blast.totalCount === 0 && <Empty>Nothing else fails or degrades: the failure stops at the CIs you picked (redundancy, or nothing depends on them).</Empty>}
      {blast.totalCount > 0 && (
        <div className="blast-layout">
          <div className="blast-drawing">
            <GraphView
              graph={graph}
              highlight={highlight}
              selected={selected}
              onSelect={select}
              onDrawn={setDrawMs}
              label={`Blast radius drawing: ${blast.totalCount} impacted CIs. The table below lists the same CIs.`}
            />
            <p className="small muted">
              {graph.grouped ? 'CIs of one class at one distance are folded into groups: click a group to list it, then expand it. ' : ''}
              Click a CI to highlight the path the failure takes to it, or focus the drawing and use the arrow keys (Home, End, or type a name).
              {drawMs !== undefined && <span data-testid="draw-ms"> Drawn in {Math.round(drawMs)} ms.</span>}
            </p>
          </div>
          <aside className="blast-side" aria-label="Selection">
            {selectedRow && (
              <Section title={selectedRow.ci.name} id="sel-title">
                <p>
                  <Badge value={selectedRow.effect} /> {selectedRow.ci.class}, {selectedRow.distance} hop{selectedRow.distance === 1 ? '' : 's'} away
                </p>
                <ol className="path-list" data-testid="selected-path">
                  {selectedRow.path.map((p) => (
                    <li key={p.id}>
                      <Link to={`/ci/${p.id}`}>{p.name}</Link>
                    </li>
                  ))}
                </ol>
                <p>
                  <Link to={`/ci/${selectedRow.ci.id}`}>Open CI</Link>
                </p>
              </Section>
            )}
            {selectedNode?.kind === 'group' && (
              <Section title={selectedNode.label} id="grp-title">
                <p>
                  {selectedNode.members!.length} × {selectedNode.class} at distance {selectedNode.distance}.
                </p>
                <button
                  type="button"
                  onClick={() => {
                    setExpanded((e) => new Set([...e, groupKey(selectedNode.distance, selectedNode.class)]));
                    setSelected(null);
                  }}
                >
                  Expand in the drawing
                </button>{' '}
                <button type="button" onClick={() => setClassFilter(selectedNode.class)}>
                  List in the table
                </button>
              </Section>
            )}
            {!selectedRow && selectedNode?.kind !== 'group' && <p className="muted small">Select a CI in the drawing or the table to see its path.</p>}
            {groups.length > 0 && (
              <Section title="Redundancy groups" id="groups-title">
                {groups.map((g) => (
                  <RedundancyGroup key={g.ci.id} id={g.ci.id} effect={g.effect} blast={blast} />
                ))}
              </Section>
            )}
            {classes.length > 1 && (
              <Section title="By class" id="class-title">
                <ul className="plain small">
                  {classes.map(([c, n]) => (
                    <li key={c}>
                      <button type="button" className="link" aria-pressed={classFilter === c} onClick={() => setClassFilter(classFilter === c ? '' : c)}>
                        {c}
                      </button>{' '}
                      {n.DOWN > 0 && <span className="muted">{n.DOWN} down</span>} {n.DEGRADED > 0 && <span className="muted">{n.DEGRADED} degraded</span>}
                    </li>
                  ))}
                </ul>
              </Section>
            )}
          </aside>
        </div>
      )}
      {blast.totalCount > 0 && (
        <Section
          title={classFilter ? `Impacted CIs: ${classFilter}` : 'Impacted CIs'}
          id="impacted-title"
          actions={
            <>
              {classFilter && (
                <button type="button" onClick={() => setClassFilter('')}>
                  All classes
                </button>
              )}
              <button type="button" onClick={exportCSV}>
                Export CSV
              </button>
            </>
          }
        >
          <DataTable
            rows={rows}
            columns={columns}
            rowKey={(r) => r.ci.id}
            caption="Impacted CIs"
            rowClass={(r) => (r.ci.id === selected ? 'selected' : cat.isService(r.ci.class) ? 'service-row' : undefined)}
          />
        </Section>
      )}
    </>
  );
}

/** Start from a change: its targets become the failed CIs. */
function ChangeTargets({ onPick }: { onPick: (ids: string[]) => void }) {
  const q = useQuery(LiveChangesQuery, {});
  const changes = [...(q.data?.changes.edges.map((e) => e.node) ?? [])].sort((a, b) => a.plannedStart.localeCompare(b.plannedStart));
  return (
    <div className="field">
      <label htmlFor="from-change">Or a change's targets</label>
      <select
        id="from-change"
        value=""
        disabled={changes.length === 0}
        onChange={(e) => {
          const c = changes.find((x) => x.id === e.target.value);
          if (c) onPick(c.targetCiIds);
        }}
      >
        <option value="">{q.error ? 'could not load changes' : changes.length ? 'pick a change…' : 'no open change'}</option>
        {changes.map((c) => (
          <option key={c.id} value={c.id}>
            {c.title}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A redundancy group in the radius: its members, which are down, and the threshold. */
function RedundancyGroup({ id, effect, blast }: { id: string; effect: string; blast: BlastResult['blastRadius'] }) {
  const cat = useCatalogue();
  const q = useQuery(RedundancyGroupQuery, { id, types: cat.grouping });
  const ci = q.data?.ci;
  if (q.error) return <ErrorBox error={q.error} />;
  if (!ci) return <Loading what="group" />;
  const failed = new Set(blast.sources.map((s) => s.id));
  const effects = new Map(blast.impacted.map((r) => [r.ci.id, r.effect]));
  const members = ci.relations.map((r) => r.from);
  const state = (mid: string) => (failed.has(mid) ? 'DOWN' : (effects.get(mid) ?? 'UP'));
  const healthy = members.filter((m) => state(m.id) === 'UP' || state(m.id) === 'DEGRADED').length;
  const attrs = (ci.attributes ?? {}) as Record<string, unknown>;
  const need =
    typeof attrs.minHealthy === 'number'
      ? `needs ${attrs.minHealthy} healthy`
      : typeof attrs.minHealthyPercent === 'number'
        ? `needs ${attrs.minHealthyPercent}% healthy`
        : 'down only when all members are down';
  return (
    <div className="group-card" data-testid="redundancy-group">
      <p>
        <Link to={`/ci/${ci.id}`}>
          <strong>{ci.name}</strong>
        </Link>{' '}
        <Badge value={effect} />
      </p>
      <p className="small">
        {healthy} of {members.length} members up · {need}
      </p>
      <ul className="plain small">
        {members.map((m) => (
          <li key={m.id}>
            <Link to={`/ci/${m.id}`}>{m.name}</Link> <Badge value={state(m.id)} kind={state(m.id) === 'UP' ? 'ok' : state(m.id)} />
          </li>
        ))}
      </ul>
    </div>
  );
}

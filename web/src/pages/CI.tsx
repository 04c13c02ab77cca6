// One CI: what it is, where each field came from, what it is related to
// (navigable), the incidents and changes on it, and its history.
import { useState } from 'react';
import { useQuery } from '../api/hooks';
import { CIPageQuery, DependenciesQuery } from '../api/operations';
import { type Column, DataTable } from '../components/DataTable';
import { Badge, Empty, ErrorBox, Facts, Loading, Section, recordGate } from '../components/ui';
import type { CiPageQuery } from '../gql/graphql';
import { formatTime, formatValue, words } from '../lib/format';
import { Link } from '../router';
import { blastURL } from './Blast';

type CI = NonNullable<CiPageQuery['ci']>;
type Rel = CI['relations'][number];

export function CIPage({ id }: { id: string }) {
  const q = useQuery(CIPageQuery, { id });
  const [showDeps, setShowDeps] = useState(false);
  const gate = recordGate('CI', q, q.data?.ci, id);
  if (gate) return gate;
  const ci = q.data!.ci!;
  const attrs = (ci.attributes ?? {}) as Record<string, unknown>;
  const origin = new Map(ci.provenance.map((p) => [p.field, p]));
  const fieldRows: [string, unknown][] = [
    ['name', ci.name],
    ['status', ci.status],
    ['criticality', ci.criticality],
    ['environment', ci.environment],
    ['owner', ci.owner],
    ...Object.entries(attrs).map(([k, v]) => [`attributes.${k}`, v] as [string, unknown]),
  ];
  const outgoing = ci.relations.filter((r) => r.fromId === ci.id);
  const incoming = ci.relations.filter((r) => r.toId === ci.id);
  const relColumns = (dir: 'out' | 'in'): Column<Rel>[] => [
    { key: 'type', header: 'Type', sort: (r) => r.type, render: (r) => r.type },
    {
      key: 'ci',
      header: dir === 'out' ? 'To' : 'From',
      sort: (r) => (dir === 'out' ? r.to.name : r.from.name),
      render: (r) => {
        const other = dir === 'out' ? r.to : r.from;
        return <Link to={`/ci/${other.id}`}>{other.name}</Link>;
      },
    },
    { key: 'class', header: 'Class', sort: (r) => (dir === 'out' ? r.to.class : r.from.class), render: (r) => (dir === 'out' ? r.to.class : r.from.class) },
  ];
  const incidents = q.data!.incidents.edges.map((e) => e.node);
  const changes = q.data!.changes.edges.map((e) => e.node);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">{ci.class}</p>
          <h1>{ci.name}</h1>
        </div>
        <div className="actions">
          <Link className="button" to={blastURL([ci.id])}>
            Blast radius
          </Link>
          <button type="button" aria-expanded={showDeps} onClick={() => setShowDeps((s) => !s)}>
            {showDeps ? 'Hide dependencies' : 'Dependencies'}
          </button>
        </div>
      </div>
      <Section title="Attributes" id="attrs">
        <Facts
          items={[
            ['Status', <Badge key="s" value={ci.status} />],
            ['Criticality', words(ci.criticality)],
            ['Environment', ci.environment ?? '—'],
            ['Owner', ci.owner ?? '—'],
            ['Created', formatTime(ci.createdAt)],
            ['Updated', formatTime(ci.updatedAt)],
            ['Id', <code key="id">{ci.id}</code>],
          ]}
        />
      </Section>
      {showDeps && <Dependencies id={ci.id} />}
      <div className="grid2">
        <Section title="Identifiers" id="ids">
          {ci.identifiers.length === 0 ? (
            <Empty>No identifiers.</Empty>
          ) : (
            <table>
              <caption className="sr-only">Identifiers</caption>
              <thead>
                <tr><th scope="col">Kind</th><th scope="col">Value</th></tr>
              </thead>
              <tbody>
                {ci.identifiers.map((i) => (
                  <tr key={`${i.kind}:${i.value}`}><td>{i.kind}</td><td><code>{i.value}</code></td></tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
        <Section title="Reported by" id="sightings">
          {ci.sightings.length === 0 ? (
            <Empty>No import scope reports this CI (it was made by hand or by the demo).</Empty>
          ) : (
            <table>
              <caption className="sr-only">Import scopes that report this CI</caption>
              <thead>
                <tr><th scope="col">Source</th><th scope="col">Scope</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Stale</th></tr>
              </thead>
              <tbody>
                {ci.sightings.map((s) => (
                  <tr key={`${s.source}:${s.scope}`}>
                    <td>{s.source}</td><td>{s.scope}</td><td>{formatTime(s.firstSeen)}</td><td>{formatTime(s.lastSeen)}</td>
                    <td>{s.stale ? <Badge value={`missed ${s.missed}`} kind="degraded" /> : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </div>
      <Section title="Fields and where they came from" id="prov">
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Per-field provenance</caption>
            <thead>
              <tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">Source</th><th scope="col">Scope</th><th scope="col">Since</th><th scope="col">Last seen</th></tr>
            </thead>
            <tbody>
              {fieldRows.map(([f, v]) => {
                const o = origin.get(f);
                return (
                  <tr key={f}>
                    <td><code>{f}</code></td>
                    <td>{formatValue(v)}</td>
                    <td>{o?.source ?? <span className="muted">not recorded</span>}</td>
                    <td>{o?.scope ?? '—'}</td>
                    <td>{o ? formatTime(o.since) : '—'}</td>
                    <td>{o?.lastSeen ? formatTime(o.lastSeen) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Section>
      <div className="grid2">
        <Section title={`Depends on / runs on (${outgoing.length})`} id="out">
          {outgoing.length === 0 ? <Empty>No outgoing relations.</Empty> : <DataTable rows={outgoing} columns={relColumns('out')} rowKey={(r) => `${r.type}:${r.toId}`} caption="Outgoing relations" />}
        </Section>
        <Section title={`Needed by (${incoming.length})`} id="in">
          {incoming.length === 0 ? <Empty>No incoming relations.</Empty> : <DataTable rows={incoming} columns={relColumns('in')} rowKey={(r) => `${r.type}:${r.fromId}`} caption="Incoming relations" />}
        </Section>
      </div>
      <div className="grid2">
        <Section title={`Open incidents (${incidents.length})`} id="inc">
          {incidents.length === 0 ? (
            <Empty>No open incident on this CI.</Empty>
          ) : (
            <ul className="plain">
              {incidents.map((i) => (
                <li key={i.id}>
                  <Badge value={i.priority} /> <Link to={`/incidents/${i.id}`}>{i.title}</Link> <span className="muted small">{words(i.state)}, opened {formatTime(i.openedAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={`Changes (${changes.length})`} id="chg">
          {changes.length === 0 ? (
            <Empty>No change targets this CI.</Empty>
          ) : (
            <ul className="plain">
              {changes.map((c) => (
                <li key={c.id}>
                  <Badge value={c.state} /> <Link to={`/changes/${c.id}`}>{c.title}</Link> <span className="muted small">{formatTime(c.plannedStart)}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
      <Section title="History" id="hist">
        {ci.history.edges.length === 0 ? (
          <Empty>No history.</Empty>
        ) : (
          <ol className="timeline-list">
            {ci.history.edges.map(({ node: h }) => (
              <li key={h.id}>
                <strong>{words(h.action)}</strong> {h.subjectKind === 'RELATION' ? <code>{h.subjectId.split('|')[1]}</code> : null} by {h.actor}{' '}
                <span className="muted small">{formatTime(h.at)}</span>
                <HistoryDiff before={h.before} after={h.after} />
              </li>
            ))}
          </ol>
        )}
      </Section>
    </div>
  );
}

/** The fields a write changed, as "field: old → new". */
function HistoryDiff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  if (!before || !after) return null;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter(
    (k) => k !== 'updatedAt' && k !== 'version' && JSON.stringify(b[k]) !== JSON.stringify(a[k]),
  );
  if (keys.length === 0) return null;
  return (
    <ul className="small">
      {keys.slice(0, 8).map((k) => (
        <li key={k}>
          <code>{k}</code>: {formatValue(b[k])} → {formatValue(a[k])}
        </li>
      ))}
    </ul>
  );
}

function Dependencies({ id }: { id: string }) {
  const q = useQuery(DependenciesQuery, { id, maxDepth: 10 });
  type Dep = NonNullable<typeof q.data>['dependencies'][number];
  const columns: Column<Dep>[] = [
    { key: 'name', header: 'CI', sort: (r) => r.ci.name, render: (r) => <Link to={`/ci/${r.ci.id}`}>{r.ci.name}</Link> },
    { key: 'class', header: 'Class', sort: (r) => r.ci.class, render: (r) => r.ci.class },
    { key: 'distance', header: 'Distance', sort: (r) => r.distance, render: (r) => r.distance, className: 'num' },
    { key: 'path', header: 'Path', render: (r) => r.path.map((p) => p.name).join(' → ') },
  ];
  return (
    <Section title="What it needs" id="deps">
      <ErrorBox error={q.error} />
      {q.loading && <Loading what="dependencies" />}
      {q.data && q.data.dependencies.length === 0 && <Empty>It needs nothing: no CI's failure can reach it.</Empty>}
      {q.data && q.data.dependencies.length > 0 && <DataTable rows={q.data.dependencies} columns={columns} rowKey={(r) => r.ci.id} caption="Dependencies" />}
    </Section>
  );
}

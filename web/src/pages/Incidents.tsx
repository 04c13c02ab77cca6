// Open incident groups (a major incident, its likely cause and suspected
// change, its children), the other incidents by priority with their SLA
// clocks, the CIs that most likely explain them, and a form to raise one.
import { useState } from 'react';
import { useAction, useAllPages, useQuery } from '../api/hooks';
import { request } from '../api/client';
import { CreateIncidentMutation, CreateProblemMutation, IncidentGroupsQuery, IncidentsQuery, RootCauseQuery } from '../api/operations';
import { type PickedCI, CIPicker } from '../components/CIPicker';
import { SLAClockView } from '../components/Clock';
import { EvidenceList, GroupChildren } from '../components/Correlation';
import { Pager, usePages } from '../components/Pager';
import { type Column, DataTable } from '../components/DataTable';
import { useCan } from '../api/session';
import { Badge, Empty, ErrorBox, Loading, Permitted, Section, ServiceLinks } from '../components/ui';
import type { IncidentRowFragment } from '../gql/graphql';
import { formatClock, formatTime, words } from '../lib/format';
import { incidentCount, scorePercent, ungrouped } from '../lib/groups';
import { priorityOrder } from '../lib/states';
import { Link, navigate } from '../router';

const POLL_MS = 30_000;
/** Open groups a page; each shows its first few children (the major incident's page has them all). */
const GROUPS_PAGE = 10;
const CHILDREN_SHOWN = 5;
/** Incidents a request while the table reads them all (it sorts and filters them whole, and shows 100 at a time). */
const INCIDENTS_PAGE = 100;

export function IncidentsPage() {
  const [all, setAll] = useState(false);
  const q = useAllPages(IncidentsQuery, { open: all ? null : true }, (d) => d.incidents, { pageSize: INCIDENTS_PAGE, pollMs: POLL_MS });
  const pages = usePages(GROUPS_PAGE);
  const gq = useQuery(IncidentGroupsQuery, { ...pages.at.vars, children: CHILDREN_SHOWN }, { pollMs: POLL_MS });
  const groups = gq.data?.incidentGroups.edges.map((e) => e.node) ?? [];
  const groupCount = gq.data?.incidentGroups.totalCount ?? 0;
  const rows = ungrouped(q.data?.nodes ?? []);
  const columns: Column<IncidentRowFragment>[] = [
    { key: 'priority', header: 'Priority', sort: (i) => priorityOrder(i.priority), render: (i) => <Badge value={i.priority} /> },
    { key: 'title', header: 'Incident', sort: (i) => i.title, render: (i) => <Link to={`/incidents/${i.id}`}>{i.title}</Link> },
    { key: 'state', header: 'State', sort: (i) => i.state, render: (i) => words(i.state) },
    { key: 'services', header: 'Services', render: (i) => (i.services.length ? <ServiceLinks services={i.services} /> : '—') },
    { key: 'opened', header: 'Opened', sort: (i) => i.openedAt, render: (i) => formatTime(i.openedAt) },
    { key: 'response', header: 'Response', sort: (i) => i.sla.response?.remainingMinutes ?? 1e9, render: (i) => <SLAClockView clock={i.sla.response} label="Response" /> },
    { key: 'resolution', header: 'Resolution', sort: (i) => i.sla.resolution?.remainingMinutes ?? 1e9, render: (i) => <SLAClockView clock={i.sla.resolution} label="Resolution" /> },
    {
      key: 'problem',
      header: 'Problem',
      render: (i) =>
        i.problem ? (
          <>
            <Link to={`/problems/${i.problem.id}`}>{i.problem.title}</Link>
            {i.problem.knownError ? ' (known error)' : ''}
          </>
        ) : (
          '—'
        ),
    },
  ];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Incidents</h1>
        <p className="updated">
          Updated at {formatClock(q.updatedAt)}{' '}
          <button
            type="button"
            onClick={() => {
              q.reload();
              gq.reload();
            }}
          >
            Refresh
          </button>
        </p>
      </div>
      <ErrorBox error={q.error} title="Could not load incidents" />
      <ErrorBox error={gq.error} title="Could not load incident groups" />
      {gq.data && groupCount > 0 && (
        <Section title={`Open incident groups (${groupCount})`} id="groups-title">
          <ul className="plain" data-testid="incident-groups">
            {groups.map((g) => (
              <li key={g.id} className="group-card" data-testid="incident-group">
                <h3>
                  <Badge value={g.priority} /> <Link to={`/incidents/${g.id}`}>{g.title}</Link> <Badge value={g.state} />
                </h3>
                {g.correlation && (
                  <p>
                    Likely cause: <Link to={`/ci/${g.correlation.cause?.id ?? ''}`}>{g.correlation.cause?.name ?? 'a deleted CI'}</Link>{' '}
                    <span className="muted small">{g.correlation.cause?.class}</span> ({scorePercent(g.correlation.score)})
                    {g.correlation.suspectedChange && (
                      <>
                        {' · '}Suspected change: <Link to={`/changes/${g.correlation.suspectedChange.id}`}>{g.correlation.suspectedChange.title}</Link>
                      </>
                    )}
                  </p>
                )}
                <p className="small">Groups {incidentCount(g.children.totalCount)} · opened {formatTime(g.openedAt)}</p>
                <GroupChildren parentId={g.id} items={g.children.edges.map((e) => e.node)} totalCount={g.children.totalCount} label={`Incidents in ${g.title}`} />
              </li>
            ))}
          </ul>
          <Pager label="Incident group pages" pages={pages} info={gq.data.incidentGroups.pageInfo} shown={groups.length} total={groupCount} />
        </Section>
      )}
      <Section
        title={
          groupCount > 0
            ? `${all ? 'Other incidents' : 'Other open incidents'} (${rows.length})`
            : all
              ? `All incidents (${rows.length})`
              : `Open incidents (${rows.length})`
        }
        id="inc-title"
        actions={
          <label className="check">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> Include resolved and closed
          </label>
        }
      >
        {q.loading && <Loading what="incidents" />}
        {q.data && rows.length === 0 && <Empty>{groupCount > 0 ? 'No other open incident.' : 'No open incident.'}</Empty>}
        {rows.length > 0 && (
          <DataTable
            rows={rows}
            columns={columns}
            rowKey={(i) => i.id}
            caption="Incidents"
            initialSort={{ key: 'priority', dir: 'asc' }}
            rowClass={(i) => (i.sla.resolution?.breached && !i.sla.resolution.stopped ? 'collides' : undefined)}
          />
        )}
      </Section>
      <RootCause />
      <CreateIncident />
    </div>
  );
}

function RootCause() {
  const q = useQuery(RootCauseQuery, {}, { pollMs: POLL_MS });
  const changes = new Map(q.data?.changes.edges.map((e) => [e.node.id, e.node.title]) ?? []);
  const problems = new Map(q.data?.problems.edges.map((e) => [e.node.id, e.node]) ?? []);
  const [raise, st] = useAction(async (ciId: string, ciName: string, incidentIds: string[]) => {
    const r = await request(CreateProblemMutation, { input: { title: `Root cause: ${ciName}`, incidentIds, rootCauseCiId: ciId } });
    q.reload();
    return r.createProblem;
  });
  const [raised, setRaised] = useState<string>();
  const canRaise = useCan('problems.write');
  return (
    <Section title="Likely root causes of the open incidents" id="rca-title">
      <ErrorBox error={q.error} title="Could not rank root causes" />
      {q.loading && <Loading what="root-cause candidates" />}
      {q.data && q.data.rootCauseCandidates.length === 0 && <Empty>No candidate: no incident opened in the last day is open now.</Empty>}
      <ol className="rca" data-testid="root-causes">
        {q.data?.rootCauseCandidates.map((c) => {
          const change = c.evidenceItems.find((e) => e.kind === 'CHANGE' && e.changeId && e.weight > 0);
          const problem = c.evidenceItems.find((e) => e.problemId)?.problemId;
          return (
            <li key={c.ci.id} className="panel">
              <div className="panel-head">
                <h3>
                  <Link to={`/ci/${c.ci.id}`}>{c.ci.name}</Link> <span className="muted small">{c.ci.class}</span>
                </h3>
                <strong>{scorePercent(c.score)}</strong>
              </div>
              {change?.changeId && (
                <p>
                  Suspected change: <Link to={`/changes/${change.changeId}`}>{changes.get(change.changeId) ?? 'the change'}</Link>
                </p>
              )}
              {problem && problems.get(problem) && (
                <p>
                  Problem: <Link to={`/problems/${problem}`}>{problems.get(problem)!.title}</Link> <Badge value={problems.get(problem)!.state} />
                </p>
              )}
              <p className="small">
                Explains:{' '}
                {c.explains.map((i, n) => (
                  <span key={i.id}>
                    {n > 0 && ', '}
                    <Link to={`/incidents/${i.id}`}>{i.title}</Link>
                  </span>
                ))}
              </p>
              <details>
                <summary>Evidence ({c.evidenceItems.length})</summary>
                <EvidenceList items={c.evidenceItems} />
              </details>
              {!problem && canRaise && (
                <button
                  type="button"
                  disabled={st.running}
                  onClick={async () => {
                    const p = await raise(c.ci.id, c.ci.name, c.explains.map((i) => i.id));
                    if (p) setRaised(p.title);
                  }}
                >
                  Open a problem for it
                </button>
              )}
            </li>
          );
        })}
      </ol>
      {raised && (
        <p className="notice" role="status">
          Problem “{raised}” opened and linked to the incidents it explains.
        </p>
      )}
      <ErrorBox error={st.error} />
    </Section>
  );
}

function CreateIncident() {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [cis, setCis] = useState<PickedCI[]>([]);
  const [impact, setImpact] = useState(2);
  const [urgency, setUrgency] = useState(2);
  const [create, st] = useAction(async () => {
    const r = await request(CreateIncidentMutation, {
      input: { title, description: description || null, affectedCiIds: cis.map((c) => c.id), impact, urgency },
    });
    navigate(`/incidents/${r.createIncident.id}`);
  });
  return (
    <Section title="Raise an incident" id="create-title">
      <Permitted permission="incidents.write" what="raise or work incidents">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <div className="field">
          <label htmlFor="inc-title">Title</label>
          <input id="inc-title" value={title} onChange={(e) => setTitle(e.target.value)} required />
        </div>
        <CIPicker label="Affected CIs" exclude={cis.map((c) => c.id)} onPick={(c) => setCis((x) => [...x, c])} />
        {cis.length > 0 && (
          <ul className="chips" aria-label="Affected CIs">
            {cis.map((c) => (
              <li key={c.id}>
                {c.name}
                <button type="button" aria-label={`Remove ${c.name}`} onClick={() => setCis((x) => x.filter((y) => y.id !== c.id))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="form-row">
          <div className="field">
            <label htmlFor="inc-impact">Impact</label>
            <select id="inc-impact" value={impact} onChange={(e) => setImpact(Number(e.target.value))}>
              <option value={1}>1 – high</option>
              <option value={2}>2 – medium</option>
              <option value={3}>3 – low</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="inc-urgency">Urgency</label>
            <select id="inc-urgency" value={urgency} onChange={(e) => setUrgency(Number(e.target.value))}>
              <option value={1}>1 – high</option>
              <option value={2}>2 – medium</option>
              <option value={3}>3 – low</option>
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor="inc-desc">Description</label>
          <textarea id="inc-desc" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={st.running}>
            Raise incident
          </button>
        </div>
        <ErrorBox error={st.error} />
      </form>
      </Permitted>
    </Section>
  );
}

// Problems: the unknown causes behind incidents, newest first, with their
// root cause, whether they are a known error, and the incidents they
// explain; a form to open one.
import { useState } from 'react';
import { request } from '../api/client';
import { useAction, useAllPages } from '../api/hooks';
import { CreateProblemMutation, ProblemsQuery } from '../api/operations';
import { type PickedCI, CIPicker } from '../components/CIPicker';
import { type Column, DataTable } from '../components/DataTable';
import { Badge, Empty, ErrorBox, Loading, Permitted, Section } from '../components/ui';
import type { ProblemRowFragment, ProblemState } from '../gql/graphql';
import { formatClock, formatTime } from '../lib/format';
import { PROBLEM_FLOW } from '../lib/states';
import { Link, navigate } from '../router';

const OPEN: ProblemState[] = ['NEW', 'INVESTIGATING', 'KNOWN_ERROR'];
const PROBLEMS_PAGE = 100;

export function ProblemsPage() {
  const [all, setAll] = useState(false);
  const q = useAllPages(ProblemsQuery, { states: all ? null : OPEN }, (d) => d.problems, { pageSize: PROBLEMS_PAGE, pollMs: 30_000 });
  const rows = q.data?.nodes ?? [];
  const columns: Column<ProblemRowFragment>[] = [
    { key: 'title', header: 'Problem', sort: (p) => p.title, render: (p) => <Link to={`/problems/${p.id}`}>{p.title}</Link> },
    { key: 'state', header: 'State', sort: (p) => PROBLEM_FLOW.indexOf(p.state), render: (p) => <Badge value={p.state} /> },
    {
      key: 'root',
      header: 'Root cause',
      sort: (p) => p.rootCauseCi?.name ?? '',
      render: (p) =>
        p.rootCauseCi ? (
          <>
            <Link to={`/ci/${p.rootCauseCi.id}`}>{p.rootCauseCi.name}</Link>
            {p.rootCauseConfirmed ? ' (confirmed)' : ''}
          </>
        ) : (
          '—'
        ),
    },
    { key: 'known', header: 'Known error', sort: (p) => (p.knownError ? 0 : 1), render: (p) => (p.knownError ? 'yes' : 'no') },
    { key: 'incidents', header: 'Incidents', sort: (p) => p.incidents.length, render: (p) => p.incidents.length, className: 'num' },
    { key: 'opened', header: 'Opened', sort: (p) => p.createdAt, render: (p) => formatTime(p.createdAt) },
  ];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Problems</h1>
        <p className="updated">
          Updated at {formatClock(q.updatedAt)}{' '}
          <button type="button" onClick={q.reload}>
            Refresh
          </button>
        </p>
      </div>
      <ErrorBox error={q.error} title="Could not load problems" />
      <Section
        title={all ? `All problems (${rows.length})` : `Open problems (${rows.length})`}
        actions={
          <label className="check">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> Include resolved and closed
          </label>
        }
      >
        {q.loading && <Loading what="problems" />}
        {q.data && rows.length === 0 && <Empty>No open problem. Open one from an incident's likely root cause, or below.</Empty>}
        {rows.length > 0 && <DataTable rows={rows} columns={columns} rowKey={(p) => p.id} caption="Problems" initialSort={{ key: 'opened', dir: 'desc' }} />}
      </Section>
      <CreateProblem />
    </div>
  );
}

function CreateProblem() {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [root, setRoot] = useState<PickedCI>();
  const [create, st] = useAction(async () => {
    const r = await request(CreateProblemMutation, { input: { title, description: description || null, rootCauseCiId: root?.id } });
    navigate(`/problems/${r.createProblem.id}`);
  });
  return (
    <Section title="Open a problem">
      <Permitted permission="problems.write" what="open or work problems">
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <div className="field">
            <label htmlFor="prb-title">Title</label>
            <input id="prb-title" value={title} onChange={(e) => setTitle(e.target.value)} required />
          </div>
          {root ? (
            <p>
              Root cause: <strong>{root.name}</strong>{' '}
              <button type="button" className="link" onClick={() => setRoot(undefined)}>
                change
              </button>
            </p>
          ) : (
            <CIPicker label="Root-cause CI (optional)" onPick={setRoot} />
          )}
          <div className="field">
            <label htmlFor="prb-desc">Description</label>
            <textarea id="prb-desc" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          </div>
          <div className="actions">
            <button type="submit" className="primary" disabled={st.running}>
              Open problem
            </button>
          </div>
          <ErrorBox error={st.error} />
        </form>
      </Permitted>
    </Section>
  );
}

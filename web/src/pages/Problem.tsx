// One problem: the incidents it explains, its root cause and workaround
// (a known error once recorded), its history, and the moves it can make.
import { useId, useState } from 'react';
import { request } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { LinkProblemMutation, ProblemPageQuery, TransitionProblemMutation, UpdateProblemMutation } from '../api/operations';
import { useCan } from '../api/session';
import { type PickedCI, CIPicker } from '../components/CIPicker';
import { Badge, Empty, ErrorBox, Facts, Permitted, Section, TransitionList, recordGate } from '../components/ui';
import { formatTime, words } from '../lib/format';
import { PROBLEM_FLOW, type ProblemState, nextProblemStates, problemMoveLabel } from '../lib/states';
import { Link } from '../router';
import { blastURL } from './Blast';

export function ProblemPage({ id }: { id: string }) {
  const q = useQuery(ProblemPageQuery, { id });
  const fid = useId();
  const canWrite = useCan('problems.write');
  const [note, setNote] = useState('');
  const [done, setDone] = useState<string>();
  const [move, st] = useAction(async (to: ProblemState) => {
    setDone(undefined);
    await request(TransitionProblemMutation, { id, state: to, note: note || null });
    setNote('');
    setDone(`Now ${words(to)}`);
    q.reload();
  });
  const [incidentId, setIncidentId] = useState('');
  const [link, lst] = useAction(async () => {
    await request(LinkProblemMutation, { problemId: id, incidentId });
    setIncidentId('');
    q.reload();
  });
  const gate = recordGate('problem', q, q.data?.problem, id);
  if (gate) return gate;
  const p = q.data!.problem!;
  const state = p.state as ProblemState;
  const moves = nextProblemStates(state);
  const flowAt = PROBLEM_FLOW.indexOf(state);
  const linkable = q.data!.incidents.edges.map((e) => e.node).filter((i) => !i.problem);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/problems">Problems</Link>
          </p>
          <h1>{p.title}</h1>
        </div>
        <span data-testid="problem-state">
          <Badge value={p.state} />
        </span>
      </div>
      <ol className="flow" aria-label="Lifecycle">
        {PROBLEM_FLOW.map((s, i) => (
          <li key={s} className={s === state ? 'current' : i < flowAt ? 'done' : undefined} aria-current={s === state ? 'step' : undefined}>
            {words(s)}
          </li>
        ))}
      </ol>
      <Section title="State">
        {moves.length === 0 ? (
          <p>Closed: no further moves.</p>
        ) : (
          <Permitted permission="problems.write" what="move problems">
            <div className="field">
              <label htmlFor={`${fid}-note`}>Note (optional)</label>
              <textarea id={`${fid}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
            </div>
            <div className="actions">
              {moves.map((to) => (
                <button key={to} type="button" className={to === 'RESOLVED' ? 'primary' : undefined} disabled={st.running} onClick={() => void move(to)}>
                  {problemMoveLabel(state, to)}
                </button>
              ))}
            </div>
            {moves.includes('KNOWN_ERROR') && !p.rootCauseCi && <p className="small muted">A known error needs a root-cause CI: set it below first.</p>}
          </Permitted>
        )}
        {done && !st.error && (
          <p className="notice" role="status">
            {done}.
          </p>
        )}
        <ErrorBox error={st.error} />
      </Section>
      <div className="grid2">
        <Section title="Root cause and workaround">
          <Facts
            items={[
              [
                'Root-cause CI',
                p.rootCauseCi ? (
                  <span key="rc">
                    <Link to={`/ci/${p.rootCauseCi.id}`}>{p.rootCauseCi.name}</Link> <span className="muted small">{p.rootCauseCi.class}</span>{' '}
                    {p.rootCauseConfirmed ? '(confirmed)' : '(suspected)'}
                  </span>
                ) : (
                  'not known yet'
                ),
              ],
              ['Known error', p.knownError ? 'yes: the cause and a workaround are recorded' : 'no'],
              ['Workaround', p.workaround || '—'],
              ['Opened', formatTime(p.createdAt)],
              ['Last change', formatTime(p.updatedAt)],
            ]}
          />
          {p.rootCauseCi && (
            <p>
              <Link to={blastURL([p.rootCauseCi.id])}>Blast radius of the root cause</Link>
            </p>
          )}
          {p.description && <p>{p.description}</p>}
          {canWrite && <EditRootCause key={p.version} id={p.id} workaround={p.workaround} confirmed={p.rootCauseConfirmed} hasRoot={!!p.rootCauseCi} onDone={q.reload} />}
        </Section>
        <Section title={`Incidents (${p.incidents.length})`}>
          {p.incidents.length === 0 && <Empty>No incident is linked yet.</Empty>}
          <ul className="plain" data-testid="problem-incidents">
            {p.incidents.map((i) => (
              <li key={i.id}>
                <Badge value={i.priority} /> <Link to={`/incidents/${i.id}`}>{i.title}</Link> <span className="muted small">{words(i.state)}</span>
                {i.services.length > 0 && <div className="small muted">{i.services.map((s) => s.name).join(', ')}</div>}
              </li>
            ))}
          </ul>
          {canWrite && state !== 'CLOSED' && linkable.length > 0 && (
            <form
              className="actions"
              onSubmit={(e) => {
                e.preventDefault();
                void link();
              }}
            >
              <label htmlFor={`${fid}-inc`}>Link an open incident</label>
              <select id={`${fid}-inc`} value={incidentId} onChange={(e) => setIncidentId(e.target.value)}>
                <option value="">choose…</option>
                {linkable.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.priority} {i.title}
                  </option>
                ))}
              </select>
              <button type="submit" disabled={!incidentId || lst.running}>
                Link
              </button>
            </form>
          )}
          <ErrorBox error={lst.error} />
        </Section>
      </div>
      <Section title="Transitions">
        <TransitionList items={p.transitions} first="opened as" />
      </Section>
    </div>
  );
}

/** Sets the root-cause CI, whether it is confirmed, and the workaround. */
function EditRootCause({ id, workaround, confirmed, hasRoot, onDone }: { id: string; workaround: string; confirmed: boolean; hasRoot: boolean; onDone: () => void }) {
  const fid = useId();
  const [root, setRoot] = useState<PickedCI>();
  const [w, setW] = useState(workaround);
  const [c, setC] = useState(confirmed);
  const [save, st] = useAction(async () => {
    await request(UpdateProblemMutation, { id, input: { rootCauseCiId: root?.id, workaround: w, rootCauseConfirmed: c } });
    onDone();
  });
  return (
    <details>
      <summary>Edit root cause and workaround</summary>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {root ? (
          <p>
            New root cause: <strong>{root.name}</strong>{' '}
            <button type="button" className="link" onClick={() => setRoot(undefined)}>
              undo
            </button>
          </p>
        ) : (
          <CIPicker label={hasRoot ? 'Another root-cause CI' : 'Root-cause CI'} onPick={setRoot} />
        )}
        <label className="check">
          <input type="checkbox" checked={c} onChange={(e) => setC(e.target.checked)} /> Root cause confirmed
        </label>
        <div className="field">
          <label htmlFor={`${fid}-w`}>Workaround</label>
          <textarea id={`${fid}-w`} rows={2} value={w} onChange={(e) => setW(e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" disabled={st.running}>
            Save
          </button>
        </div>
        <ErrorBox error={st.error} />
      </form>
    </details>
  );
}

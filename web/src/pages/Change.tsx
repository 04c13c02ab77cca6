// One change: what it puts at risk, itemised; who approved it; its
// lifecycle; and the actions a change manager takes on it.
import { useId, useState } from 'react';
import { request } from '../api/client';
import { useAction, useActor, useQuery } from '../api/hooks';
import { ApproveChangeMutation, AssessChangeMutation, ChangeImpactQuery, ChangePageQuery, TransitionChangeMutation, UpdateChangeMutation } from '../api/operations';
import { WindowFields } from '../components/WindowFields';
import { useSession } from '../api/session';
import { Badge, Empty, ErrorBox, Facts, Loading, Permitted, Section, TransitionList, recordGate } from '../components/ui';
import type { ChangeOutcome, ChangeState as GqlChangeState } from '../gql/graphql';
import { formatMinutes, formatRelative, formatTime, fromLocalInput, toLocalInput, words } from '../lib/format';
import { CHANGE_FLOW, type ChangeState, type ChangeType, changeActions } from '../lib/states';
import { Link } from '../router';
import { blastURL } from './Blast';

export function ChangePage({ id }: { id: string }) {
  const q = useQuery(ChangePageQuery, { id });
  const impact = useQuery(ChangeImpactQuery, { id });
  const gate = recordGate('change', q, q.data?.change, id);
  if (gate) return gate;
  const c = q.data!.change!;
  const reload = () => {
    q.reload();
    impact.reload();
  };
  const flowAt = CHANGE_FLOW.indexOf(c.state as ChangeState);
  const ci = impact.data?.changeImpact;
  const score = ci?.riskScore ?? c.assessment?.riskScore;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/changes">Changes</Link> · {c.type.toLowerCase()} change
          </p>
          <h1>{c.title}</h1>
        </div>
        <Badge value={c.state} />
      </div>
      <ol className="flow" aria-label="Lifecycle">
        {CHANGE_FLOW.map((s, i) => (
          <li key={s} className={s === c.state ? 'current' : i < flowAt ? 'done' : undefined} aria-current={s === c.state ? 'step' : undefined}>
            {words(s)}
          </li>
        ))}
        {c.state === 'REJECTED' && (
          <li className="current" aria-current="step">
            rejected
          </li>
        )}
      </ol>
      <Actions change={c} onDone={reload} />
      <Section title="Plan" id="plan">
        <Facts
          items={[
            ['Window', `${formatTime(c.plannedStart)} – ${formatTime(c.plannedEnd)}`],
            ['Starts', formatRelative(c.plannedStart)],
            ['Requested', formatTime(c.requestedAt)],
            ['Actual', c.actualStart ? `${formatTime(c.actualStart)} – ${formatTime(c.actualEnd)}` : '—'],
            ['Outcome', c.outcome ? <Badge key="o" value={c.outcome} /> : '—'],
          ]}
        />
        {c.description && <p>{c.description}</p>}
        {['REQUESTED', 'ASSESSED', 'APPROVED'].includes(c.state) && <Reschedule id={c.id} state={c.state} start={c.plannedStart} end={c.plannedEnd} onDone={reload} />}
        <h3>Targets</h3>
        <p>
          {c.targets.map((t, i) => (
            <span key={t.id}>
              {i > 0 && ', '}
              <Link to={`/ci/${t.id}`}>{t.name}</Link> <span className="muted small">{t.class}</span>
            </span>
          ))}{' '}
          · <Link to={blastURL(c.targets.map((t) => t.id))}>Blast radius of the targets</Link>
        </p>
      </Section>
      <Section title="Risk" id="risk">
        <ErrorBox error={impact.error} title="Could not assess the change" />
        {impact.loading && <Loading what="risk assessment" />}
        {ci && (
          <>
            <div className="risk">
              <div className={`risk-score ${score! >= 60 ? 'high' : score! >= 30 ? 'mid' : ''}`} aria-label={`Risk score ${score} of 100`} data-testid="risk-score">
                {score}
              </div>
              <div>
                <strong>Risk {score} / 100</strong>
                <div className="muted small">
                  {ci.blastRadius.totalCount} CIs in the blast radius of its targets.{' '}
                  {c.assessment ? `Last stored assessment by ${c.assessment.actor}, ${formatTime(c.assessment.at)}: ${c.assessment.riskScore}.` : 'No stored assessment: the score is computed now.'}
                </div>
              </div>
            </div>
            {ci.riskFactors.length === 0 ? (
              <p>No risk factor applies.</p>
            ) : (
              <table>
                <caption className="sr-only">Risk factors</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">Points</th>
                    <th scope="col">Factor</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {ci.riskFactors.map((f, i) => (
                    <tr key={i}>
                      <td className="num">+{f.points}</td>
                      <td>
                        <code>{f.factor}</code>
                      </td>
                      <td>{f.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Section>
      {ci && (
        <div className="grid2">
          <Section title={`Services hit (${ci.services.length})`} id="svc">
            {ci.services.length === 0 ? (
              <Empty>No service is in the blast radius.</Empty>
            ) : (
              <ul className="plain">
                {ci.services.map((s) => (
                  <li key={s.ci.id}>
                    <Badge value={s.effect} /> <Link to={`/ci/${s.ci.id}`}>{s.ci.name}</Link> <span className="muted small">{s.distance} hops</span>
                  </li>
                ))}
              </ul>
            )}
            <h3>SLAs at risk</h3>
            {ci.slasAtRisk.length === 0 ? (
              <p className="muted">No SLA is touched.</p>
            ) : (
              <ul className="plain">
                {ci.slasAtRisk.map((s) => (
                  <li key={s.sla.id}>
                    {s.atRisk ? <Badge value="AT RISK" kind="down" /> : <Badge value="FITS" kind="ok" />} {s.sla.name} ({s.service.name}): expected outage{' '}
                    {formatMinutes(s.expectedOutageMinutes)}, budget left {formatMinutes(s.budgetLeftMinutes)}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title={`Collisions (${ci.collisions.length})`} id="coll">
            {ci.collisions.length === 0 ? (
              <Empty>No other change in an overlapping window hits the same CIs.</Empty>
            ) : (
              <ul className="plain" data-testid="collisions">
                {ci.collisions.map((x) => (
                  <li key={x.id}>
                    <Link to={`/changes/${x.change.id}`}>{x.change.title}</Link> <Badge value={x.change.state} />
                    <div className="small muted">
                      {formatTime(x.change.plannedStart)} – {formatTime(x.change.plannedEnd)}
                    </div>
                    <div className="small">
                      Shared CIs:{' '}
                      {x.sharedCis.map((s, i) => (
                        <span key={s.id}>
                          {i > 0 && ', '}
                          <Link to={`/ci/${s.id}`}>{s.name}</Link>
                        </span>
                      ))}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            <h3>Freeze violations</h3>
            {ci.freezeViolations.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul className="plain">
                {ci.freezeViolations.map((w) => (
                  <li key={w.id}>
                    <Badge value="FREEZE" /> {w.name}: {formatTime(w.start)} – {formatTime(w.end)} {w.reason && <span className="muted">({w.reason})</span>}
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </div>
      )}
      <div className="grid2">
        <Section title="Approvals" id="appr">
          {c.approvals.length === 0 ? (
            <Empty>{c.type === 'STANDARD' ? 'A standard change is pre-approved.' : 'No decision yet.'}</Empty>
          ) : (
            <ul className="plain" data-testid="approvals">
              {c.approvals.map((a, i) => (
                <li key={i}>
                  <Badge value={a.decision === 'APPROVE' ? 'APPROVED' : 'REJECTED'} /> by <strong>{a.approver}</strong> <span className="muted small">{formatTime(a.at)}</span>
                  {a.comment && <div className="small">“{a.comment}”</div>}
                </li>
              ))}
            </ul>
          )}
          {c.implementationNotes.length > 0 && (
            <>
              <h3>Implementation notes</h3>
              <ul className="plain">
                {c.implementationNotes.map((n, i) => (
                  <li key={i}>
                    <strong>{n.author}</strong> <span className="muted small">{formatTime(n.at)}</span>: {n.text}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Section>
        <Section title="Transitions" id="trans">
          <TransitionList items={c.transitions} first="created as" />
        </Section>
      </div>
    </div>
  );
}

type ChangeData = { id: string; type: string; state: string };

function Actions({ change: c, onDone }: { change: ChangeData; onDone: () => void }) {
  const actor = useActor();
  const session = useSession();
  const id = useId();
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState<ChangeOutcome>('SUCCESSFUL');
  const [done, setDone] = useState<string>();
  const actions = changeActions(c.type as ChangeType, c.state as ChangeState);
  const [run, st] = useAction(async (what: string, f: () => Promise<unknown>) => {
    setDone(undefined);
    await f();
    setDone(what);
    setNote('');
    onDone();
  });
  const move = (state: GqlChangeState, extra: { outcome?: ChangeOutcome } = {}) =>
    request(TransitionChangeMutation, { id: c.id, state, note: note || null, outcome: extra.outcome ?? null });
  if (actions.length === 0) return null;
  return (
    <Section title="Actions" id={`${id}-actions`}>
      <Permitted permission="changes.manage" what="assess, approve, schedule or move changes">
      <p className="small muted">
        {session.me?.authenticated ? (
          <>
            As <strong>{session.me.subject}</strong>.
          </>
        ) : (
          <>
            As <strong>{actor || 'anonymous'}</strong> (set your name at the top right).
          </>
        )}
      </p>
      <div className="field">
        <label htmlFor={`${id}-note`}>{actions.includes('DECIDE') ? 'Comment' : 'Note'} (optional)</label>
        <textarea id={`${id}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      </div>
      <div className="actions">
        {actions.includes('ASSESS') && (
          <button
            type="button"
            className="primary"
            disabled={st.running}
            onClick={() =>
              run('Assessed', async () => {
                await request(AssessChangeMutation, { id: c.id });
                if (c.state === 'REQUESTED') await move('ASSESSED');
              })
            }
          >
            Assess
          </button>
        )}
        {actions.includes('DECIDE') && (
          <>
            <button type="button" className="primary" disabled={st.running} onClick={() => run('Approved', () => request(ApproveChangeMutation, { id: c.id, decision: 'APPROVE', comment: note || null }))}>
              Approve
            </button>
            <button type="button" className="danger" disabled={st.running} onClick={() => run('Rejected', () => request(ApproveChangeMutation, { id: c.id, decision: 'REJECT', comment: note || null }))}>
              Reject
            </button>
          </>
        )}
        {actions.includes('SCHEDULE') && (
          <button type="button" className="primary" disabled={st.running} onClick={() => run('Scheduled', () => move('SCHEDULED'))}>
            Schedule
          </button>
        )}
        {actions.includes('IMPLEMENT') && (
          <button type="button" className="primary" disabled={st.running} onClick={() => run('Implementation started', () => move('IMPLEMENTING'))}>
            Start implementation
          </button>
        )}
        {actions.includes('REVIEW') && (
          <button type="button" className="primary" disabled={st.running} onClick={() => run('Sent to review', () => move('REVIEW'))}>
            Implementation done: review
          </button>
        )}
        {actions.includes('CLOSE') && (
          <>
            <label htmlFor={`${id}-outcome`}>Outcome</label>
            <select id={`${id}-outcome`} value={outcome} onChange={(e) => setOutcome(e.target.value as ChangeOutcome)}>
              <option value="SUCCESSFUL">successful</option>
              <option value="FAILED">failed</option>
              <option value="ROLLED_BACK">rolled back</option>
            </select>
            <button type="button" className="primary" disabled={st.running} onClick={() => run('Closed', () => move('CLOSED', { outcome }))}>
              Close
            </button>
          </>
        )}
      </div>
      {done && !st.error && (
        <p className="notice" role="status">
          {done}.
        </p>
      )}
      <ErrorBox error={st.error} />
      </Permitted>
    </Section>
  );
}

/** Moves the planned window; the API allows it until the change is scheduled. */
function Reschedule({ id, state, start, end, onDone }: { id: string; state: string; start: string; end: string; onDone: () => void }) {
  const can = useSession().can('changes.request');
  const [open, setOpen] = useState(false);
  const [s, setS] = useState(toLocalInput(start));
  const [e, setE] = useState(toLocalInput(end));
  const [save, st] = useAction(async () => {
    await request(UpdateChangeMutation, { id, input: { plannedStart: fromLocalInput(s) ?? null, plannedEnd: fromLocalInput(e) ?? null } });
    setOpen(false);
    onDone();
  });
  if (!can) return null;
  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          Move the window
        </button>
      </p>
    );
  }
  return (
    <form
      className="form"
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <WindowFields start={s} end={e} onStart={setS} onEnd={setE} />
      {state !== 'REQUESTED' && (
        <p className="small muted" data-testid="reapproval-note">
          A new window sends this {words(state)} change back to requested: it is assessed and approved again.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={st.running}>
          Save the window
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <ErrorBox error={st.error} />
    </form>
  );
}

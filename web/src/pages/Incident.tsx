// One incident: its SLA clocks, what it affects, its problem, its history,
// and the moves it can make next; for a major incident, what correlation
// found and the incidents it groups; for a child, its group and why.
import { useId, useState } from 'react';
import { request } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { IncidentPageQuery, LinkProblemMutation, TransitionIncidentMutation } from '../api/operations';
import { SLAClockView } from '../components/Clock';
import { EvidenceList, GroupChildrenPages } from '../components/Correlation';
import { useCan } from '../api/session';
import { Badge, ErrorBox, Facts, Permitted, Section, ServiceLinks, TransitionList, recordGate } from '../components/ui';
import { formatMinutes, formatTime, words } from '../lib/format';
import { incidentCount, scorePercent } from '../lib/groups';
import { type IncidentState, incidentMoveLabel, nextIncidentStates } from '../lib/states';
import { Link } from '../router';
import { blastURL } from './Blast';

export function IncidentPage({ id }: { id: string }) {
  const q = useQuery(IncidentPageQuery, { id });
  const fid = useId();
  const [note, setNote] = useState('');
  const [problemId, setProblemId] = useState('');
  const [done, setDone] = useState<string>();
  const [move, st] = useAction(async (to: IncidentState) => {
    setDone(undefined);
    await request(TransitionIncidentMutation, { id, state: to, note: note || null });
    setNote('');
    setDone(`Now ${words(to)}`);
    q.reload();
  });
  const [link, lst] = useAction(async () => {
    await request(LinkProblemMutation, { problemId, incidentId: id });
    q.reload();
  });
  const canMove = useCan('incidents.write');
  const canLink = useCan('problems.write');
  const gate = recordGate('incident', q, q.data?.incident, id);
  if (gate) return gate;
  const i = q.data!.incident!;
  const moves = nextIncidentStates(i.state as IncidentState);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/incidents">Incidents</Link>
          </p>
          <h1>
            <Badge value={i.priority} /> {i.title}
          </h1>
        </div>
        <span data-testid="incident-state">
          <Badge value={i.state} />
        </span>
      </div>
      {i.parent && (
        <Section title="Incident group" id={`${fid}-group`}>
          <p data-testid="incident-parent">
            Grouped under the major incident <Link to={`/incidents/${i.parent.id}`}>{i.parent.title}</Link>.
          </p>
          {i.grouping && <p>{i.grouping.explanation}</p>}
        </Section>
      )}
      {i.major && i.correlation && (
        <Section title="Correlation" id={`${fid}-corr`}>
          <div data-testid="correlation">
            <Facts
              items={[
                [
                  'Likely cause',
                  i.correlation.cause ? (
                    <>
                      <Link to={`/ci/${i.correlation.cause.id}`}>{i.correlation.cause.name}</Link> <span className="muted small">{i.correlation.cause.class}</span>
                    </>
                  ) : (
                    'a deleted CI'
                  ),
                ],
                ['Score', scorePercent(i.correlation.score)],
                [
                  'Suspected change',
                  i.correlation.suspectedChange ? (
                    <>
                      <Link to={`/changes/${i.correlation.suspectedChange.id}`}>{i.correlation.suspectedChange.title}</Link> <Badge value={i.correlation.suspectedChange.state} />
                    </>
                  ) : (
                    'none'
                  ),
                ],
                ['Onset', formatTime(i.correlation.onset)],
                ['Window', formatMinutes(i.correlation.windowMinutes)],
                ['Updated', formatTime(i.correlation.updatedAt)],
              ]}
            />
            <h3>Evidence</h3>
            {i.correlation.evidence.length === 0 ? <p>None recorded.</p> : <EvidenceList items={i.correlation.evidence} />}
            <h3>Grouped incidents ({incidentCount(i.children.totalCount)})</h3>
            <GroupChildrenPages parentId={i.id} />
          </div>
        </Section>
      )}
      <Section title="State" id={`${fid}-state`}>
        {moves.length === 0 ? (
          <p>Closed: no further moves.</p>
        ) : !canMove ? (
          <Permitted permission="incidents.write" what="move incidents">
            {null}
          </Permitted>
        ) : (
          <>
            <div className="field">
              <label htmlFor={`${fid}-note`}>Note (optional)</label>
              <textarea id={`${fid}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
            </div>
            <div className="actions">
              {moves.map((to) => (
                <button key={to} type="button" className={to === 'RESOLVED' ? 'primary' : undefined} disabled={st.running} onClick={() => void move(to)}>
                  {incidentMoveLabel(i.state as IncidentState, to)}
                </button>
              ))}
            </div>
          </>
        )}
        {done && !st.error && (
          <p className="notice" role="status">
            {done}.
          </p>
        )}
        <ErrorBox error={st.error} />
      </Section>
      <Section title="SLA clocks" id={`${fid}-sla`}>
        <Facts
          items={[
            ['Response', <SLAClockView key="r" clock={i.sla.response} label="Response" />],
            ['Resolution', <SLAClockView key="s" clock={i.sla.resolution} label="Resolution" />],
            ['Opened', formatTime(i.openedAt)],
            ['Responded', formatTime(i.respondedAt)],
            ['Resolved', formatTime(i.resolvedAt)],
            ['Impact × urgency', `${i.impact} × ${i.urgency}`],
          ]}
        />
      </Section>
      <div className="grid2">
        <Section title="Affected" id={`${fid}-aff`}>
          <ul className="plain">
            {i.affectedCis.map((c) => (
              <li key={c.id}>
                <Link to={`/ci/${c.id}`}>{c.name}</Link> <span className="muted small">{c.class}</span>
              </li>
            ))}
          </ul>
          <p>
            <Link to={blastURL(i.affectedCis.map((c) => c.id))}>Blast radius of these CIs</Link>
          </p>
          <h3>Services</h3>
          <p>{i.services.length ? <ServiceLinks services={i.services} /> : 'none'}</p>
          {i.causedByChange && (
            <p>
              Caused by change <Link to={`/changes/${i.causedByChange.id}`}>{i.causedByChange.title}</Link>
            </p>
          )}
          {i.description && <p>{i.description}</p>}
        </Section>
        <Section title="Problem" id={`${fid}-prob`}>
          {i.problem ? (
            <div>
              <p>
                <Link to={`/problems/${i.problem.id}`}>
                  <strong>{i.problem.title}</strong>
                </Link>{' '}
                <Badge value={i.problem.state} /> {i.problem.knownError && <span className="muted small">known error</span>}
              </p>
              {i.problem.rootCauseCi && (
                <p>
                  Root cause: <Link to={`/ci/${i.problem.rootCauseCi.id}`}>{i.problem.rootCauseCi.name}</Link>
                </p>
              )}
              {i.problem.workaround && <p>Workaround: {i.problem.workaround}</p>}
            </div>
          ) : !canLink ? (
            <p>Not linked to a problem.</p>
          ) : (
            <form
              className="actions"
              onSubmit={(e) => {
                e.preventDefault();
                void link();
              }}
            >
              <label htmlFor={`${fid}-problem`}>Link to a problem</label>
              <select id={`${fid}-problem`} value={problemId} onChange={(e) => setProblemId(e.target.value)}>
                <option value="">choose…</option>
                {q.data!.problems.edges.map(({ node: p }) => (
                  <option key={p.id} value={p.id}>
                    {p.title} ({words(p.state)})
                  </option>
                ))}
              </select>
              <button type="submit" disabled={!problemId || lst.running}>
                Link
              </button>
            </form>
          )}
          <ErrorBox error={lst.error} />
        </Section>
      </div>
      <Section title="Transitions" id={`${fid}-tr`}>
        <TransitionList items={i.transitions} first="opened as" />
      </Section>
    </div>
  );
}

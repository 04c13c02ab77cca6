// The change calendar: changes as bars on a timeline with freeze and
// maintenance windows behind them, collisions outlined in red, and the
// same changes in a table.
import { useMemo, useState } from 'react';
import { request } from '../api/client';
import { useAction } from '../api/hooks';
import { CreateChangeMutation } from '../api/operations';
import { type PickedCI, CIPicker } from '../components/CIPicker';
import { WindowFields } from '../components/WindowFields';
import type { ChangeType } from '../gql/graphql';
import { type ChangeNode, useChangesWithRisk } from '../api/changeRisk';
import { type Column, DataTable } from '../components/DataTable';
import { Badge, Empty, ErrorBox, Loading, Permitted, Section } from '../components/ui';
import { formatTime, fromLocalInput, toLocalInput } from '../lib/format';
import { isLiveChange } from '../lib/states';
import { dayTicks, defaultRange, place } from '../lib/timeline';
import { Link, navigate, useLocation } from '../router';

export function ChangesPage() {
  const { query } = useLocation();
  const offset = Number(query.get('week') ?? 0) * 7;
  const range = useMemo(() => defaultRange(new Date(), offset), [offset]);
  const from = new Date(range.from).toISOString();
  const to = new Date(range.to).toISOString();
  const data = useChangesWithRisk(from, to);
  const [onlyLive, setOnlyLive] = useState(false);
  const changes = data.changes
    .filter((c) => !onlyLive || isLiveChange(c.state))
    .sort((a, b) => Date.parse(a.plannedStart) - Date.parse(b.plannedStart));
  const titles = new Map(data.changes.map((c) => [c.id, c.title]));
  const ticks = dayTicks(range);
  const now = Date.now();
  const nowPos = place(range, now, now + 1);
  const shift = (weeks: number) => navigate(`/changes${weeks ? `?week=${weeks}` : ''}`);
  const week = offset / 7;

  const columns: Column<ChangeNode>[] = [
    { key: 'title', header: 'Change', sort: (c) => c.title, render: (c) => <Link to={`/changes/${c.id}`}>{c.title}</Link> },
    { key: 'type', header: 'Type', sort: (c) => c.type, render: (c) => c.type.toLowerCase() },
    { key: 'state', header: 'State', sort: (c) => c.state, render: (c) => <Badge value={c.state} /> },
    { key: 'start', header: 'Window', sort: (c) => c.plannedStart, render: (c) => `${formatTime(c.plannedStart)} – ${formatTime(c.plannedEnd)}` },
    { key: 'risk', header: 'Risk', sort: (c) => data.risk.get(c.id)?.riskScore ?? c.assessment?.riskScore ?? -1, render: (c) => data.risk.get(c.id)?.riskScore ?? c.assessment?.riskScore ?? '—', className: 'num' },
    {
      key: 'collisions',
      header: 'Collides with',
      render: (c) => {
        const r = data.risk.get(c.id);
        if (!r) return data.riskErrors.get(c.id)?.message ?? '—';
        if (r.collisions.length === 0) return 'none';
        return (
          <ul className="plain">
            {r.collisions.map((x) => (
              <li key={x.id}>
                <Link to={`/changes/${x.id}`}>{titles.get(x.id) ?? x.id}</Link>{' '}
                <span className="muted small">on {x.sharedCis.map((s) => s.name).join(', ')}</span>
              </li>
            ))}
          </ul>
        );
      },
    },
    {
      key: 'freeze',
      header: 'Freeze',
      render: (c) => {
        const f = data.risk.get(c.id)?.freezeViolations ?? [];
        return f.length ? f.map((w) => <Badge key={w.id} value={w.name} kind="freeze" />) : '—';
      },
    },
  ];

  return (
    <div className="page">
      <div className="page-head">
        <h1>Changes</h1>
        <div className="tl-nav">
          <button type="button" onClick={() => shift(week - 1)}>
            ← Earlier
          </button>
          <button type="button" onClick={() => shift(0)} disabled={week === 0}>
            Now
          </button>
          <button type="button" onClick={() => shift(week + 1)}>
            Later →
          </button>
          <label className="check">
            <input type="checkbox" checked={onlyLive} onChange={(e) => setOnlyLive(e.target.checked)} /> Hide closed and rejected
          </label>
        </div>
      </div>
      <p className="muted">
        {formatTime(from)} – {formatTime(to)}
      </p>
      <ErrorBox error={data.error} title="Could not load changes" />
      {data.loading && <Loading what="changes" />}
      {!data.loading && !data.error && (
        <>
          <div className="timeline" aria-hidden="true" data-testid="timeline">
            <div className="tl-inner">
              <div className="tl-axis">
                {ticks.map((t) => {
                  const p = place(range, t, t + 1);
                  return p ? (
                    <div key={t} className="tl-tick" style={{ left: `${p.left}%` }}>
                      {new Date(t).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' })}
                    </div>
                  ) : null;
                })}
              </div>
              <div className="tl-body" style={{ minHeight: `${Math.max(changes.length, 2) * 34 + 38}px` }}>
                {data.windows.map((w) => {
                  const p = place(range, w.start, w.end);
                  return p ? (
                    <div key={w.id} className={`tl-window ${w.kind.toLowerCase()}`} style={{ left: `${p.left}%`, width: `${p.width}%` }} title={`${w.kind.toLowerCase()}: ${w.name}`}>
                      <span>
                        {w.kind === 'FREEZE' ? '❄ ' : ''}
                        {w.name}
                      </span>
                    </div>
                  ) : null;
                })}
                {nowPos && <div className="tl-now" style={{ left: `${nowPos.left}%` }} title="now" />}
                {changes.map((c) => {
                  const p = place(range, c.plannedStart, c.plannedEnd);
                  const r = data.risk.get(c.id);
                  const cls = [c.state.toLowerCase(), r?.collisions.length ? 'collides' : '', r?.freezeViolations.length ? 'frozen' : ''].join(' ');
                  return (
                    <div key={c.id} className="tl-row">
                      {p && (
                        <Link to={`/changes/${c.id}`} className={`tl-bar ${cls}`} style={{ left: `${p.left}%`, minWidth: '140px' }} tabIndex={-1}>
                          {c.title}
                        </Link>
                      )}
                    </div>
                  );
                })}
              </div>
            </div>
          </div>
          <p className="small muted">
            Bars are planned windows (red outline: collides with another change; dark: inside a freeze; grey: closed or rejected). Hatched: freeze windows; green: maintenance windows; red line: now.
          </p>
          <Section title={`${changes.length} change${changes.length === 1 ? '' : 's'} in view`} id="changes-title">
            {changes.length === 0 ? (
              <Empty>No change is planned in this period.</Empty>
            ) : (
              <DataTable rows={changes} columns={columns} rowKey={(c) => c.id} caption="Changes" rowClass={(c) => (data.risk.get(c.id)?.collisions.length ? 'collides' : undefined)} />
            )}
          </Section>
          <RequestChange />
          {data.windows.length > 0 && (
            <Section title="Windows" id="windows-title">
              <ul className="plain">
                {data.windows.map((w) => (
                  <li key={w.id}>
                    <Badge value={w.kind} /> <strong>{w.name}</strong> {formatTime(w.start)} – {formatTime(w.end)}
                    {w.scope.length > 0 && <span className="muted"> · {w.scope.map((s) => s.name).join(', ')}</span>}
                    {w.reason && <span className="muted"> · {w.reason}</span>}
                  </li>
                ))}
              </ul>
            </Section>
          )}
        </>
      )}
    </div>
  );
}

function RequestChange() {
  const [title, setTitle] = useState('');
  const [type, setType] = useState<ChangeType>('NORMAL');
  const [targets, setTargets] = useState<PickedCI[]>([]);
  const [start, setStart] = useState(() => toLocalInput(new Date(Date.now() + 86_400_000).toISOString()));
  const [end, setEnd] = useState(() => toLocalInput(new Date(Date.now() + 86_400_000 + 3_600_000).toISOString()));
  const [description, setDescription] = useState('');
  const [create, st] = useAction(async () => {
    const r = await request(CreateChangeMutation, {
      input: {
        title,
        type,
        targetCiIds: targets.map((t) => t.id),
        plannedStart: fromLocalInput(start) ?? '',
        plannedEnd: fromLocalInput(end) ?? '',
        description: description || null,
      },
    });
    navigate(`/changes/${r.createChange.id}`);
  });
  return (
    <Section title="Request a change">
      <Permitted permission="changes.request" what="request changes">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <div className="form-row">
          <div className="field">
            <label htmlFor="chg-title">Title</label>
            <input id="chg-title" value={title} required onChange={(e) => setTitle(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="chg-type">Type</label>
            <select id="chg-type" value={type} onChange={(e) => setType(e.target.value as ChangeType)}>
              <option value="NORMAL">normal (needs approval)</option>
              <option value="STANDARD">standard (pre-approved)</option>
              <option value="EMERGENCY">emergency</option>
            </select>
          </div>
        </div>
        <CIPicker label="Targets" exclude={targets.map((t) => t.id)} onPick={(c) => setTargets((x) => [...x, c])} />
        {targets.length > 0 && (
          <ul className="chips" aria-label="Targets">
            {targets.map((c) => (
              <li key={c.id}>
                {c.name}
                <button type="button" aria-label={`Remove ${c.name}`} onClick={() => setTargets((x) => x.filter((y) => y.id !== c.id))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <WindowFields start={start} end={end} onStart={setStart} onEnd={setEnd} />
        <div className="field">
          <label htmlFor="chg-desc">Description</label>
          <textarea id="chg-desc" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={st.running}>
            Request change
          </button>
        </div>
        <ErrorBox error={st.error} />
      </form>
      </Permitted>
    </Section>
  );
}

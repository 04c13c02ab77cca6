// One import run: outcome and counts, and its plan — creates, updates with
// their field changes, relations, stale and retired CIs, problems — and the
// impact on services. A dry run uploaded in this tab can be applied here.
import { uploadImport } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { ImportRunQuery } from '../api/operations';
import { forget, uploadFor } from '../api/pendingUploads';
import { Badge, Empty, ErrorBox, Facts, Permitted, Section, recordGate } from '../components/ui';
import type { PlannedRefFragment } from '../gql/graphql';
import { formatTime, formatValue } from '../lib/format';
import { Link, navigate } from '../router';

function Ref({ r }: { r: PlannedRefFragment }) {
  return r.id ? (
    <Link to={`/ci/${r.id}`}>{r.name}</Link>
  ) : (
    <span>
      {r.name} <span className="muted small">(new)</span>
    </span>
  );
}

export function ImportPage({ id }: { id: string }) {
  const q = useQuery(ImportRunQuery, { id });
  const pending = uploadFor(id);
  const [apply, st] = useAction(async () => {
    if (!pending) return;
    const ans = await uploadImport(pending);
    forget(id);
    navigate(`/imports/${ans.run.id}`);
  });
  const gate = recordGate('import run', q, q.data?.importRun, id);
  if (gate) return gate;
  const r = q.data!.importRun!;
  const p = r.plan;
  const c = r.counts;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/imports">Imports</Link>
          </p>
          <h1>
            {r.dryRun ? 'Dry run' : 'Import'} of {r.source} {r.scope && <span className="muted">· {r.scope}</span>}
          </h1>
        </div>
        <span data-testid="run-outcome">
          <Badge value={r.outcome} />
        </span>
      </div>
      {r.dryRun && r.outcome === 'PLANNED' && (
        <Section title="Apply" id="apply-title">
          {pending ? (
            <>
              <p>
                Nothing has been written yet. Applying imports <strong>{pending.file.name}</strong> for real, with the same format, scope and source.
                The plan is computed again against the store as it is then, so anything that changed meanwhile is taken into account.
              </p>
              <Permitted permission="imports.run" what="apply imports">
                <button type="button" className="primary" disabled={st.running} onClick={() => void apply()}>
                  {st.running ? 'Applying…' : 'Apply this import'}
                </button>
              </Permitted>
            </>
          ) : (
            <p className="muted">Nothing was written. To apply it, upload the file again from this browser tab (or run it without --dry-run).</p>
          )}
          <ErrorBox error={st.error} title="The import was refused" />
        </Section>
      )}
      {r.error && (
        <div className="error" role="alert">
          <strong>The run failed</strong>
          {r.errorFile && <span className="code">{r.errorFile}</span>}
          {r.errorAt && <span className="code">{r.errorAt}</span>}
          {r.errorField && <span className="code">field: {r.errorField}</span>}
          <div>{r.error}</div>
        </div>
      )}
      <Section title="Run" id="run-title">
        <Facts
          items={[
            ['Format', r.format],
            ['Source', r.source],
            ['Scope', r.scope || '—'],
            ['By', r.actor],
            ['Started', formatTime(r.started)],
            ['Finished', formatTime(r.finished)],
            ['Files', r.files.join(', ') || '—'],
          ]}
        />
        <Facts
          items={[
            ['Items read', String(c.items)],
            ['Created', String(c.created)],
            ['Updated', String(c.updated)],
            ['Unchanged', String(c.unchanged)],
            ['Stale', String(c.stale)],
            ['Retired', String(c.retired)],
            ['Relations + / −', `${c.relationsCreated} / ${c.relationsRemoved}`],
            ['Problems', String(c.problems)],
          ]}
        />
      </Section>
      {!p && <Empty>The run failed before it could plan anything.</Empty>}
      {p && (
        <>
          <Section title="Impact on services" id="impact-title">
            {p.impact.length === 0 ? (
              <Empty>No service gains or loses an upstream dependency.</Empty>
            ) : (
              <ul className="plain">
                {p.impact.map((s, i) => (
                  <li key={i}>
                    <strong>
                      <Ref r={s.service} />
                    </strong>
                    {s.gained.length > 0 && (
                      <span>
                        {' '}
                        comes to depend on{' '}
                        {s.gained.map((g, n) => (
                          <span key={n}>
                            {n > 0 && ', '}
                            <Ref r={g} />
                          </span>
                        ))}
                      </span>
                    )}
                    {s.lost.length > 0 && (
                      <span>
                        {' '}
                        no longer depends on{' '}
                        {s.lost.map((g, n) => (
                          <span key={n}>
                            {n > 0 && ', '}
                            <Ref r={g} />
                          </span>
                        ))}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          {p.problems.length > 0 && (
            <Section title={`Problems (${p.problems.length})`} id="problems-title">
              <p className="small muted">{p.complete ? '' : 'Because of these, the run marks nothing stale.'}</p>
              <ul className="plain">
                {p.problems.map((x, i) => (
                  <li key={i}>
                    <Badge value={x.code} kind="degraded" /> {x.at && <code>{x.at}</code>} {x.field && <code>{x.field}</code>} {x.message}
                  </li>
                ))}
              </ul>
            </Section>
          )}
          <div className="grid2">
            <Section title={`Creates (${c.created})`} id="creates-title">
              {p.creates.length === 0 ? (
                <Empty>None.</Empty>
              ) : (
                <ul className="plain" data-testid="plan-creates">
                  {p.creates.map((x, i) => (
                    <li key={i}>
                      {x.name} <span className="muted small">{x.class}</span> {x.at && <code className="small">{x.at}</code>}
                    </li>
                  ))}
                </ul>
              )}
            </Section>
            <Section title={`Updates (${c.updated})`} id="updates-title">
              {p.updates.length === 0 ? (
                <Empty>None.</Empty>
              ) : (
                <ul className="plain">
                  {p.updates.map((x, i) => (
                    <li key={i}>
                      {x.id ? <Link to={`/ci/${x.id}`}>{x.name}</Link> : x.name} <span className="muted small">{x.class}</span>
                      <ul className="small">
                        {x.changes.map((f, n) => (
                          <li key={n}>
                            <code>{f.field}</code>: {formatValue(f.old)} → {formatValue(f.new)}
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              )}
            </Section>
          </div>
          <div className="grid2">
            <Section title={`New relations (${c.relationsCreated})`} id="newrel-title">
              {p.newRelations.length === 0 ? (
                <Empty>None.</Empty>
              ) : (
                <ul className="plain small">
                  {p.newRelations.map((x, i) => (
                    <li key={i}>
                      <Ref r={x.from} /> <code>{x.type}</code> <Ref r={x.to} />
                    </li>
                  ))}
                </ul>
              )}
              {p.removedRelations.length > 0 && (
                <>
                  <h3>Removed relations</h3>
                  <ul className="plain small">
                    {p.removedRelations.map((x, i) => (
                      <li key={i}>
                        <Ref r={x.from} /> <code>{x.type}</code> <Ref r={x.to} />
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </Section>
            <Section title={`Stale (${c.stale}) and retired (${c.retired})`} id="stale-title">
              {p.stale.length === 0 && p.retired.length === 0 ? (
                <Empty>Nothing this scope reported before is missing.</Empty>
              ) : (
                <ul className="plain small">
                  {p.retired.map((x, i) => (
                    <li key={`r${i}`}>
                      <Badge value="RETIRED" kind="down" /> {x.id ? <Link to={`/ci/${x.id}`}>{x.name}</Link> : x.name} — missed {x.missed} runs, last seen {formatTime(x.lastSeen)}
                    </li>
                  ))}
                  {p.stale.map((x, i) => (
                    <li key={`s${i}`}>
                      <Badge value="STALE" kind="degraded" /> {x.id ? <Link to={`/ci/${x.id}`}>{x.name}</Link> : x.name} — missed {x.missed}, last seen {formatTime(x.lastSeen)}
                      {x.seenElsewhere && ' (another scope still reports it)'}
                      {x.statusOwnedBy && ` (status set by ${x.statusOwnedBy})`}
                    </li>
                  ))}
                </ul>
              )}
            </Section>
          </div>
        </>
      )}
    </div>
  );
}

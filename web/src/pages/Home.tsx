// Service health: every business and application service, whether it is
// down or degraded by the incidents open now, how its SLA stands, why, and
// which changes are coming to it.
import { useMemo, useState } from 'react';
import { useChangesWithRisk } from '../api/changeRisk';
import { useQuery } from '../api/hooks';
import { HealthQuery, ServiceImpactQuery } from '../api/operations';
import { Badge, Empty, ErrorBox, Loading } from '../components/ui';
import { formatClock, formatMinutes, formatPercent, formatRelative, formatTime } from '../lib/format';
import { type ServiceStatus, serviceStatus, statusRank } from '../lib/health';
import { priorityOrder } from '../lib/states';
import { Link } from '../router';

const POLL_MS = 30_000;
const DAY = 86_400_000;

export function HomePage() {
  const health = useQuery(HealthQuery, {}, { pollMs: POLL_MS });
  const incidents = health.data?.incidents.edges.map((e) => e.node) ?? [];
  const incidentCIs = [...new Set(incidents.flatMap((i) => i.affectedCiIds))].sort();
  const impact = useQuery(ServiceImpactQuery, { ciIds: incidentCIs }, { skip: incidentCIs.length === 0, pollMs: POLL_MS });
  const [range] = useState(() => {
    const now = Date.now();
    return { from: new Date(now - DAY).toISOString(), to: new Date(now + 14 * DAY).toISOString() };
  });
  const upcoming = useChangesWithRisk(range.from, range.to, { pollMs: POLL_MS });

  const rows = useMemo(() => {
    if (!health.data) return [];
    const services = [...health.data.business.edges, ...health.data.application.edges].map((e) => e.node);
    const sources = new Set(impact.data?.blastRadius.sources.map((s) => s.id) ?? []);
    const effects = new Map(impact.data?.blastRadius.services.map((s) => [s.ci.id, s]) ?? []);
    return services
      .map((svc) => {
        const hit = effects.get(svc.id);
        const status: ServiceStatus = serviceStatus(sources.has(svc.id), hit?.effect);
        const slas = health.data!.slaAtRisk.filter((s) => s.service?.id === svc.id);
        const open = incidents
          .filter((i) => i.serviceIds.includes(svc.id) || i.affectedCiIds.includes(svc.id))
          .sort((a, b) => priorityOrder(a.priority) - priorityOrder(b.priority));
        const coming = upcoming.changes
          .filter((c) => Date.parse(c.plannedEnd) > Date.now())
          .flatMap((c) => {
            const s = upcoming.risk.get(c.id)?.services.find((x) => x.ci.id === svc.id);
            const target = c.targets.some((t) => t.id === svc.id);
            return s || target ? [{ change: c, effect: s?.effect ?? 'DOWN' }] : [];
          })
          .sort((a, b) => Date.parse(a.change.plannedStart) - Date.parse(b.change.plannedStart));
        return { svc, status, path: hit?.path, slas, open, coming };
      })
      .sort((a, b) => {
        const worstSLA = (r: typeof a) => Math.min(...r.slas.map((s) => ({ BREACHED: 0, AT_RISK: 1, OK: 2 })[s.status] ?? 3), 3);
        return statusRank(a.status) - statusRank(b.status) || worstSLA(a) - worstSLA(b) || a.svc.name.localeCompare(b.svc.name);
      });
  }, [health.data, impact.data, incidents, upcoming.changes, upcoming.risk]);

  const count = (s: ServiceStatus) => rows.filter((r) => r.status === s).length;
  const breached = health.data?.slaAtRisk.filter((s) => s.status === 'BREACHED').length ?? 0;
  const atRisk = health.data?.slaAtRisk.filter((s) => s.status === 'AT_RISK').length ?? 0;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Service health</h1>
        <p className="updated" aria-live="polite">
          Updated at <time data-testid="updated-at">{formatClock(health.updatedAt)}</time>{' '}
          <button type="button" onClick={() => (health.reload(), impact.reload(), upcoming.reload())}>
            Refresh
          </button>
        </p>
      </div>
      <ErrorBox error={health.error} title="Could not load service health" />
      <ErrorBox error={impact.error} title="Could not compute the blast radius of the open incidents" />
      {health.loading && <Loading what="services" />}
      {health.data && (
        <>
          <ul className="summary" aria-label="Summary">
            <li className={count('DOWN') ? 'bad' : ''}>
              <strong>{count('DOWN')}</strong> down
            </li>
            <li className={count('DEGRADED') ? 'warn' : ''}>
              <strong>{count('DEGRADED')}</strong> degraded
            </li>
            <li>
              <strong>{count('OK')}</strong> healthy
            </li>
            <li className={breached ? 'bad' : ''}>
              <strong>{breached}</strong> SLA breached
            </li>
            <li className={atRisk ? 'warn' : ''}>
              <strong>{atRisk}</strong> SLA at risk
            </li>
            <li>
              <Link to="/incidents">
                <strong>{incidents.length}</strong> open incidents
              </Link>
            </li>
          </ul>
          {rows.length === 0 && <Empty>No business or application services yet. Import or create some, then relate their CIs.</Empty>}
          <div className="cards">
            {rows.map((r) => (
              <article key={r.svc.id} className={`card status-${r.status.toLowerCase()}`} aria-labelledby={`svc-${r.svc.id}`} data-testid="service-card">
                <header className="card-head">
                  <h2 id={`svc-${r.svc.id}`}>
                    <Link to={`/ci/${r.svc.id}`}>{r.svc.name}</Link>
                  </h2>
                  <Badge value={r.status} />
                </header>
                <p className="muted small">
                  {r.svc.class === 'BusinessService' ? 'Business service' : 'Application service'} · {r.svc.criticality.toLowerCase()} · {r.svc.owner ?? 'no owner'}
                </p>
                {r.path && r.path.length > 1 && (
                  <p className="small">
                    <span className="muted">Why: </span>
                    {r.path.map((p, i) => (
                      <span key={p.id}>
                        {i > 0 && ' → '}
                        <Link to={`/ci/${p.id}`}>{p.name}</Link>
                      </span>
                    ))}
                  </p>
                )}
                {r.slas.length === 0 && <p className="small muted">No SLA.</p>}
                {r.slas.map((s) => {
                  const used = s.budgetMinutes > 0 ? Math.min(1, Math.max(0, 1 - s.budgetLeftMinutes / s.budgetMinutes)) : 1;
                  return (
                    <div key={s.sla.id} className="sla">
                      <div className="sla-line">
                        <span>
                          {s.sla.name} <Badge value={s.status} kind={`sla-${s.status}`} />
                        </span>
                        <span title={`target ${s.sla.availabilityTarget}% per ${s.sla.period.toLowerCase()}`}>
                          {formatPercent(s.attainment)} <span className="muted">/ {s.sla.availabilityTarget}%</span>
                        </span>
                      </div>
                      <div
                        className="budget"
                        role="meter"
                        aria-label={`${s.sla.name}: error budget used`}
                        aria-valuemin={0}
                        aria-valuemax={100}
                        aria-valuenow={Math.round(used * 100)}
                      >
                        <span style={{ width: `${used * 100}%` }} />
                      </div>
                      <p className="small">
                        Budget left <strong>{formatMinutes(s.budgetLeftMinutes)}</strong> of {formatMinutes(s.budgetMinutes)}
                      </p>
                      {s.reasons.length > 0 && (
                        <ul className="reasons small">
                          {s.reasons.map((x, i) => (
                            <li key={i}>{x}</li>
                          ))}
                        </ul>
                      )}
                    </div>
                  );
                })}
                {r.open.length > 0 && (
                  <div className="small">
                    <h3>Open incidents</h3>
                    <ul className="plain">
                      {r.open.map((i) => (
                        <li key={i.id}>
                          <Badge value={i.priority} /> <Link to={`/incidents/${i.id}`}>{i.title}</Link>
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
                {r.coming.length > 0 && (
                  <div className="small">
                    <h3>Changes coming</h3>
                    <ul className="plain">
                      {r.coming.map(({ change: c, effect }) => (
                        <li key={c.id}>
                          <Link to={`/changes/${c.id}`}>{c.title}</Link>{' '}
                          <span className="muted">
                            {formatTime(c.plannedStart)} ({formatRelative(c.plannedStart)}), {effect.toLowerCase()}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </article>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

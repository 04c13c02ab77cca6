// Service reports: the portfolio (every service, worst first) and one
// service's report over a period — availability against its SLA target,
// incidents by priority, MTTA/MTTR, change failure rate — as figures,
// charts and a table per period, with the CSV export the API offers.
import { useMemo } from 'react';
import { ApiError, downloadFrom, getToken } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { PortfolioQuery, ServiceReportQuery } from '../api/operations';
import { Chart } from '../components/Chart';
import { type Column, DataTable } from '../components/DataTable';
import { Badge, Empty, ErrorBox, Facts, Loading, Section, recordGate } from '../components/ui';
import type { PortfolioQuery as PortfolioResult, ReportPeriodFieldsFragment } from '../gql/graphql';
import { formatMinutes, formatPercent, formatTime } from '../lib/format';
import { DEFAULT_RANGE, type Granularity, RANGES, isGranularity, periodLabel, reportCharts, reportRange } from '../lib/report';
import { Link, navigate, useLocation } from '../router';

const pct = (v: number | null | undefined, digits = 2) => (v == null ? '—' : formatPercent(v, digits));
const mins = (v: number | null | undefined) => (v == null ? '—' : formatMinutes(v));

/** The page's URL for a choice of service, range and granularity. */
export function reportsURL(serviceId: string | undefined, range: string, granularity?: Granularity): string {
  const q = new URLSearchParams();
  if (range !== DEFAULT_RANGE) q.set('range', range);
  if (granularity) q.set('granularity', granularity);
  const s = q.toString();
  return `/reports${serviceId ? `/${encodeURIComponent(serviceId)}` : ''}${s ? `?${s}` : ''}`;
}

export function ReportsPage({ serviceId }: { serviceId?: string }) {
  const { query } = useLocation();
  const rangeKey = query.get('range') ?? DEFAULT_RANGE;
  const g = query.get('granularity');
  const picked = isGranularity(g) ? g : undefined;
  // One range per day and choice: the query's variables stay the same until midnight.
  const day = new Date().toISOString().slice(0, 10);
  const { from, to, choice } = useMemo(() => reportRange(rangeKey), [rangeKey, day]);
  const granularity = picked ?? choice.granularity;
  const vars = { from, to, granularity };
  const pickers = (
    <div className="toolbar">
      <div className="field">
        <label htmlFor="rep-range">Period</label>
        <select id="rep-range" value={choice.key} onChange={(e) => navigate(reportsURL(serviceId, e.target.value, picked))}>
          {RANGES.map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="rep-gran">Per</label>
        <select id="rep-gran" value={granularity} onChange={(e) => navigate(reportsURL(serviceId, choice.key, e.target.value as Granularity))}>
          <option value="DAY">day</option>
          <option value="WEEK">week</option>
          <option value="MONTH">month</option>
        </select>
      </div>
    </div>
  );
  return serviceId ? (
    <ServiceReportView serviceId={serviceId} vars={vars} rangeKey={choice.key} picked={picked} pickers={pickers} />
  ) : (
    <Portfolio vars={vars} rangeKey={choice.key} picked={picked} pickers={pickers} />
  );
}

interface Vars {
  from: string;
  to: string;
  granularity: Granularity;
}

/** The CSV export: a real link; with a bearer token, fetched with it (a plain link would not send it). */
function ExportLink({ href, name }: { href: string; name: string }) {
  const [get, st] = useAction(() => downloadFrom(href, name));
  return (
    <>
      <a
        className="button"
        href={href}
        download={name}
        onClick={(e) => {
          if (!getToken()) return;
          e.preventDefault();
          void get();
        }}
      >
        Export CSV
      </a>
      {st.error && <ErrorBox error={st.error} title="Could not export" />}
    </>
  );
}

function exportHref(path: string, v: Vars): string {
  return `${path}?${new URLSearchParams({ from: v.from, to: v.to, granularity: v.granularity }).toString()}`;
}

type PortfolioRow = PortfolioResult['serviceReports'][number];

function Portfolio({ vars, rangeKey, picked, pickers }: { vars: Vars; rangeKey: string; picked: Granularity | undefined; pickers: React.ReactNode }) {
  const q = useQuery(PortfolioQuery, vars);
  const rows = q.data?.serviceReports ?? [];
  const columns: Column<PortfolioRow>[] = [
    { key: 'rank', header: '#', render: (r) => rows.indexOf(r) + 1, sort: (r) => rows.indexOf(r), className: 'num' },
    {
      key: 'service',
      header: 'Service',
      sort: (r) => r.service.name,
      render: (r) => (
        <>
          <Link to={reportsURL(r.service.id, rangeKey, picked)}>{r.service.name}</Link> <span className="muted small">{r.service.class}</span>
        </>
      ),
    },
    { key: 'target', header: 'Target', sort: (r) => r.sla?.availabilityTarget ?? -1, render: (r) => pct(r.sla?.availabilityTarget, 3), className: 'num' },
    {
      key: 'availability',
      header: 'Availability',
      sort: (r) => r.total.availability ?? 101,
      render: (r) => (
        <>
          {pct(r.total.availability, 3)} {r.total.availabilityMet === false && <Badge value="MISSED" kind="down" />}
        </>
      ),
      className: 'num',
    },
    { key: 'budget', header: 'Error budget used', sort: (r) => r.total.errorBudgetUsedPercent ?? -1, render: (r) => pct(r.total.errorBudgetUsedPercent, 1), className: 'num' },
    { key: 'outage', header: 'Outage', sort: (r) => r.total.outageMinutes, render: (r) => mins(r.total.outageMinutes), className: 'num' },
    { key: 'breaches', header: 'SLA breaches', sort: (r) => r.total.slaBreaches, render: (r) => r.total.slaBreaches, className: 'num' },
    { key: 'incidents', header: 'Incidents', sort: (r) => r.total.incidents.opened, render: (r) => r.total.incidents.opened, className: 'num' },
    { key: 'mtta', header: 'MTTA', sort: (r) => r.total.mttaMinutes ?? -1, render: (r) => mins(r.total.mttaMinutes), className: 'num' },
    { key: 'mttr', header: 'MTTR', sort: (r) => r.total.mttrMinutes ?? -1, render: (r) => mins(r.total.mttrMinutes), className: 'num' },
    { key: 'cfr', header: 'Change failure rate', sort: (r) => r.total.changes.failureRate ?? -1, render: (r) => (r.total.changes.implemented ? `${pct(r.total.changes.failureRate, 1)} of ${r.total.changes.implemented}` : 'none implemented'), className: 'num' },
  ];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Reports</h1>
        <ExportLink href={exportHref('/api/v1/reports/services', vars)} name="reports.csv" />
      </div>
      {pickers}
      <ErrorBox error={q.error} title="Could not compute the reports" />
      <Section title={`Services, worst first (${rows.length})`}>
        <p className="small muted">
          Worst first: error budget used (services without an SLA last), then availability, then SLA breaches. From {formatTime(vars.from)} to {formatTime(vars.to)}.
        </p>
        {q.loading && <Loading what="reports" />}
        {q.data && rows.length === 0 && <Empty>No business or application service to report on.</Empty>}
        {rows.length > 0 && <DataTable rows={rows} columns={columns} rowKey={(r) => r.service.id} caption="Service portfolio" />}
      </Section>
    </div>
  );
}

function ServiceReportView({
  serviceId,
  vars,
  rangeKey,
  picked,
  pickers,
}: {
  serviceId: string;
  vars: Vars;
  rangeKey: string;
  picked: Granularity | undefined;
  pickers: React.ReactNode;
}) {
  const q = useQuery(ServiceReportQuery, { serviceId, ...vars });
  const rep = q.data?.serviceReport;
  const charts = useMemo(() => (rep ? reportCharts(rep.series, rep.granularity as Granularity) : undefined), [rep]);
  const notFound = q.error?.code === 'NOT_FOUND';
  const gate = recordGate('service report', notFound ? { ...q, error: undefined as ApiError | undefined } : q, notFound ? null : rep, serviceId);
  if (gate) return gate;
  const r = rep!;
  const t = r.total;
  const name = r.service.name;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to={reportsURL(undefined, rangeKey, picked)}>Reports</Link>
          </p>
          <h1>{name}</h1>
          <p className="muted small">
            {r.sla ? `${r.sla.name}: ${pct(r.sla.availabilityTarget, 3)} availability` : 'No SLA: measured 24×7 without a target'} · {formatTime(r.from)} to {formatTime(r.to)} · periods begin in{' '}
            {r.timeZone}
          </p>
        </div>
        <ExportLink href={exportHref(`/api/v1/reports/services/${encodeURIComponent(serviceId)}`, vars)} name={`report-${serviceId}.csv`} />
      </div>
      {pickers}
      <Section title="Figures">
        <div data-testid="report-figures">
          <Facts
            items={[
              ['Availability', <span key="a" data-testid="availability">{pct(t.availability, 3)}</span>],
              ['Target', pct(t.availabilityTarget, 3)],
              ['Target met', t.availabilityMet == null ? '—' : t.availabilityMet ? 'yes' : 'no'],
              ['Error budget used', pct(t.errorBudgetUsedPercent, 1)],
              ['Outage', mins(t.outageMinutes)],
              ['Failures', t.failures],
              ['SLA breaches', t.slaBreaches],
              ['MTTA', mins(t.mttaMinutes)],
              ['MTTR', mins(t.mttrMinutes)],
              ['MTBF', mins(t.mtbfMinutes)],
            ]}
          />
          <Facts
            items={[
              ['Incidents opened', t.incidents.opened],
              ['Incidents resolved', t.incidents.resolved],
              ['Problems opened', t.problems.opened],
              ['Problems resolved', t.problems.resolved],
              ['Known errors', t.problems.knownErrors],
              ['Changes implemented', t.changes.implemented],
              ['Changes failed', t.changes.failed],
              ['Change failure rate', pct(t.changes.failureRate, 1)],
            ]}
          />
        </div>
      </Section>
      {charts && (
        <div className="grid2 charts">
          <Section title="Availability against target">
            <Chart option={charts.availability} label={`Availability of ${name} per period against its target; the table below lists the figures.`} />
          </Section>
          <Section title="Incidents by priority">
            <Chart option={charts.incidents} label={`Incidents of ${name} opened per period by priority; the table below lists the figures.`} />
          </Section>
          <Section title="MTTA and MTTR">
            <Chart option={charts.times} label={`Mean time to acknowledge and to resolve, in minutes, per period; the table below lists the figures.`} />
          </Section>
          <Section title="Change failure rate">
            <Chart option={charts.changes} label={`Changes implemented and failed per period, and the failure rate; the table below lists the figures.`} />
          </Section>
        </div>
      )}
      <Section title="Per period">
        <PeriodTable series={r.series} granularity={r.granularity as Granularity} />
      </Section>
      <div className="grid2">
        <Section title="Response and resolution by priority">
          <table>
            <caption className="sr-only">Compliance by priority</caption>
            <thead>
              <tr>
                <th scope="col">Priority</th>
                <th scope="col" className="num">
                  Response met
                </th>
                <th scope="col" className="num">
                  Resolution met
                </th>
              </tr>
            </thead>
            <tbody>
              {t.compliance.map((c) => (
                <tr key={c.priority}>
                  <th scope="row">
                    <Badge value={c.priority} />
                  </th>
                  <td className="num">
                    {pct(c.responseCompliance, 1)} <span className="muted small">({c.responseMet} of {c.responseMet + c.responseMissed})</span>
                  </td>
                  <td className="num">
                    {pct(c.resolutionCompliance, 1)} <span className="muted small">({c.resolutionMet} of {c.resolutionMet + c.resolutionMissed})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Changes that caused incidents">
          {r.changesCausingIncidents.length === 0 ? (
            <Empty>None in this period.</Empty>
          ) : (
            <ul className="plain">
              {r.changesCausingIncidents.map((c) => (
                <li key={c.id}>
                  <Link to={`/changes/${c.id}`}>{c.title}</Link> <Badge value={c.outcome ?? c.state} />
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
    </div>
  );
}

function PeriodTable({ series, granularity }: { series: ReportPeriodFieldsFragment[]; granularity: Granularity }) {
  const columns: Column<ReportPeriodFieldsFragment>[] = [
    { key: 'period', header: 'Period', sort: (p) => p.start, render: (p) => periodLabel(p.start, granularity) },
    { key: 'availability', header: 'Availability', sort: (p) => p.availability ?? 101, render: (p) => pct(p.availability, 3), className: 'num' },
    { key: 'outage', header: 'Outage', sort: (p) => p.outageMinutes, render: (p) => mins(p.outageMinutes), className: 'num' },
    { key: 'budget', header: 'Budget used', sort: (p) => p.errorBudgetUsedPercent ?? -1, render: (p) => pct(p.errorBudgetUsedPercent, 1), className: 'num' },
    { key: 'incidents', header: 'Incidents', sort: (p) => p.incidents.opened, render: (p) => p.incidents.opened, className: 'num' },
    { key: 'breaches', header: 'SLA breaches', sort: (p) => p.slaBreaches, render: (p) => p.slaBreaches, className: 'num' },
    { key: 'mtta', header: 'MTTA', sort: (p) => p.mttaMinutes ?? -1, render: (p) => mins(p.mttaMinutes), className: 'num' },
    { key: 'mttr', header: 'MTTR', sort: (p) => p.mttrMinutes ?? -1, render: (p) => mins(p.mttrMinutes), className: 'num' },
    { key: 'changes', header: 'Changes (failed)', sort: (p) => p.changes.implemented, render: (p) => `${p.changes.implemented} (${p.changes.failed})`, className: 'num' },
    { key: 'cfr', header: 'Failure rate', sort: (p) => p.changes.failureRate ?? -1, render: (p) => pct(p.changes.failureRate, 1), className: 'num' },
  ];
  return <DataTable rows={series} columns={columns} rowKey={(p) => p.start} caption="Figures per period" />;
}

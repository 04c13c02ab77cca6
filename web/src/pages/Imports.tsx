// Import runs, newest first, and an upload for a dry run.
import { useState } from 'react';
import { type ImportFormatName, uploadImport } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { ImportRunsQuery } from '../api/operations';
import { rememberDryRun } from '../api/pendingUploads';
import { type Column, DataTable } from '../components/DataTable';
import { Badge, Empty, ErrorBox, Loading, Permitted, Section } from '../components/ui';
import type { ImportRunsQuery as Runs } from '../gql/graphql';
import { formatTime } from '../lib/format';
import { Link, navigate } from '../router';

type Run = Runs['importRuns']['edges'][number]['node'];

const FORMATS: { value: ImportFormatName; label: string }[] = [
  { value: 'nmap', label: 'nmap XML (nmap -oX)' },
  { value: 'kubernetes', label: 'Kubernetes (kubectl get … -o json)' },
  { value: 'terraform', label: 'Terraform state (v4)' },
  { value: 'csv', label: 'CSV with a mapping' },
  { value: 'json', label: 'JSON / JSON Lines with a mapping' },
];

export function ImportsPage() {
  const q = useQuery(ImportRunsQuery, { first: 100 });
  const runs = q.data?.importRuns.edges.map((e) => e.node) ?? [];
  const columns: Column<Run>[] = [
    { key: 'started', header: 'Started', sort: (r) => r.started, render: (r) => <Link to={`/imports/${r.id}`}>{formatTime(r.started)}</Link> },
    { key: 'outcome', header: 'Outcome', sort: (r) => r.outcome, render: (r) => <Badge value={r.outcome} /> },
    { key: 'source', header: 'Source', sort: (r) => r.source, render: (r) => `${r.source}${r.format !== r.source ? ` (${r.format})` : ''}` },
    { key: 'scope', header: 'Scope', sort: (r) => r.scope, render: (r) => r.scope || '—' },
    { key: 'actor', header: 'By', sort: (r) => r.actor, render: (r) => r.actor },
    { key: 'created', header: 'Created', sort: (r) => r.counts.created, render: (r) => r.counts.created, className: 'num' },
    { key: 'updated', header: 'Updated', sort: (r) => r.counts.updated, render: (r) => r.counts.updated, className: 'num' },
    { key: 'unchanged', header: 'Unchanged', sort: (r) => r.counts.unchanged, render: (r) => r.counts.unchanged, className: 'num hide-narrow' },
    { key: 'stale', header: 'Stale', sort: (r) => r.counts.stale, render: (r) => r.counts.stale, className: 'num' },
    { key: 'retired', header: 'Retired', sort: (r) => r.counts.retired, render: (r) => r.counts.retired, className: 'num hide-narrow' },
    { key: 'problems', header: 'Problems', sort: (r) => r.counts.problems, render: (r) => r.counts.problems, className: 'num' },
  ];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Imports</h1>
      </div>
      <Upload />
      <Section title={`Runs (${q.data?.importRuns.totalCount ?? '…'})`} id="runs-title" actions={<button type="button" onClick={q.reload}>Refresh</button>}>
        <ErrorBox error={q.error} title="Could not load import runs" />
        {q.loading && <Loading what="import runs" />}
        {q.data && runs.length === 0 && <Empty>No import has run yet. Upload a file above, or run <code>ripple import</code>.</Empty>}
        {runs.length > 0 && <DataTable rows={runs} columns={columns} rowKey={(r) => r.id} caption="Import runs" />}
      </Section>
    </div>
  );
}

function Upload() {
  const [format, setFormat] = useState<ImportFormatName>('nmap');
  const [file, setFile] = useState<File>();
  const [scope, setScope] = useState('');
  const [source, setSource] = useState('');
  const [mapping, setMapping] = useState('');
  const needsMapping = format === 'csv' || format === 'json';
  const [send, st] = useAction(async () => {
    if (!file) return;
    const u = { format, file, scope: scope || undefined, source: source || undefined, mapping: needsMapping ? mapping : undefined, dryRun: true };
    const ans = await uploadImport(u);
    rememberDryRun(ans.run.id, u);
    navigate(`/imports/${ans.run.id}`);
  });
  return (
    <Section title="Dry-run an import" id="upload-title">
      <p className="small muted">The file is planned, not applied: you read the plan and its impact on services first, then apply it from the run's page.</p>
      <Permitted permission="imports.run" what="run imports">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <div className="form-row">
          <div className="field">
            <label htmlFor="imp-format">Format</label>
            <select id="imp-format" value={format} onChange={(e) => setFormat(e.target.value as ImportFormatName)}>
              {FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="imp-file">File</label>
            <input id="imp-file" type="file" required onChange={(e) => setFile(e.target.files?.[0])} />
          </div>
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor="imp-scope">Scope {format === 'kubernetes' || needsMapping ? '(required)' : '(optional)'}</label>
            <input id="imp-scope" value={scope} onChange={(e) => setScope(e.target.value)} placeholder={format === 'kubernetes' ? 'e.g. prod-eu' : 'what the input covers'} />
          </div>
          <div className="field">
            <label htmlFor="imp-source">Source (optional)</label>
            <input id="imp-source" value={source} onChange={(e) => setSource(e.target.value)} placeholder={format} />
          </div>
        </div>
        {needsMapping && (
          <div className="field">
            <label htmlFor="imp-mapping">Mapping (JSON)</label>
            <textarea id="imp-mapping" rows={5} value={mapping} onChange={(e) => setMapping(e.target.value)} placeholder='{"class": "Server", "name": "hostname", "identifiers": {"serial": "serial"}}' />
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={!file || st.running}>
            {st.running ? 'Planning…' : 'Plan (dry run)'}
          </button>
        </div>
        <ErrorBox error={st.error} title="The import was refused" />
      </form>
      </Permitted>
    </Section>
  );
}

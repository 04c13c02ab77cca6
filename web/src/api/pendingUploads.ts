// Files uploaded for a dry run, kept in this tab so that the run's page can
// apply exactly the input it planned (the server keeps plans, not files).
import type { ImportUpload } from './client';

const pending = new Map<string, ImportUpload>();

export function rememberDryRun(runId: string, u: ImportUpload): void {
  pending.set(runId, { ...u, dryRun: false });
}

export function uploadFor(runId: string): ImportUpload | undefined {
  return pending.get(runId);
}

export function forget(runId: string): void {
  pending.delete(runId);
}

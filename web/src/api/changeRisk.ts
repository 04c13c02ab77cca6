// Changes in a time range with what each live one puts at risk: the
// services it hits, the changes it collides with and the freezes it
// violates. One changeImpact per live change (bounded), in parallel.
import { useEffect, useState } from 'react';
import type { ChangeRiskQuery as ChangeRiskResult, ChangesQuery as ChangesResult } from '../gql/graphql';
import { isLiveChange } from '../lib/states';
import { ApiError, request } from './client';
import { useQuery } from './hooks';
import { ChangeRiskQuery, ChangesQuery } from './operations';

export type ChangeRisk = ChangeRiskResult['changeImpact'];
export type ChangeNode = ChangesResult['changes']['edges'][number]['node'];
export type WindowNode = ChangesResult['windows'][number];

/** At most this many changes are assessed per view. */
export const MAX_ASSESSED = 60;

export interface ChangesWithRisk {
  changes: ChangeNode[];
  windows: WindowNode[];
  risk: Map<string, ChangeRisk>;
  riskErrors: Map<string, ApiError>;
  error: ApiError | undefined;
  loading: boolean;
  updatedAt: Date | undefined;
  reload: () => void;
}

export function useChangesWithRisk(from: string, to: string, opts: { pollMs?: number } = {}): ChangesWithRisk {
  const q = useQuery(ChangesQuery, { from, to }, opts);
  const [risk, setRisk] = useState<{ map: Map<string, ChangeRisk>; errors: Map<string, ApiError> }>({ map: new Map(), errors: new Map() });
  const changes = q.data?.changes.edges.map((e) => e.node) ?? [];
  const liveKey = changes
    .filter((c) => isLiveChange(c.state))
    .slice(0, MAX_ASSESSED)
    .map((c) => c.id)
    .join(',');
  const stamp = q.updatedAt?.getTime();
  useEffect(() => {
    if (!liveKey) {
      setRisk({ map: new Map(), errors: new Map() });
      return;
    }
    const ctl = new AbortController();
    const ids = liveKey.split(',');
    Promise.all(
      ids.map((id) =>
        request(ChangeRiskQuery, { id }, ctl.signal).then(
          (r) => [id, r.changeImpact, undefined] as const,
          (e: unknown) => [id, undefined, e instanceof ApiError ? e : new ApiError(String(e))] as const,
        ),
      ),
    ).then((results) => {
      if (ctl.signal.aborted) return;
      const map = new Map<string, ChangeRisk>();
      const errors = new Map<string, ApiError>();
      for (const [id, r, e] of results) {
        if (r) map.set(id, r);
        if (e) errors.set(id, e);
      }
      setRisk({ map, errors });
    });
    return () => ctl.abort();
  }, [liveKey, stamp]);
  return {
    changes,
    windows: q.data?.windows ?? [],
    risk: risk.map,
    riskErrors: risk.errors,
    error: q.error,
    loading: q.loading,
    updatedAt: q.updatedAt,
    reload: q.reload,
  };
}

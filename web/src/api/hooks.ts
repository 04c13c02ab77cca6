import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { TypedDocumentString } from '../gql/graphql';
import { type AllPages, type ConnectionShape, collectPages } from '../lib/paging';
import { ApiError, currentActor, request, subscribeActor } from './client';

export interface QueryState<R> {
  data: R | undefined;
  error: ApiError | undefined;
  /** True until the first answer (later reloads keep showing the last data). */
  loading: boolean;
  /** When the data shown was fetched. */
  updatedAt: Date | undefined;
  reload: () => void;
}

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e));
}

/**
 * Runs a query now and whenever its variables change (compared as JSON),
 * optionally every pollMs. Data from the previous variables stays on screen
 * while the next answer is on its way, so pages do not flash.
 */
export function useQuery<R, V>(
  doc: TypedDocumentString<R, V>,
  variables: V,
  opts: { pollMs?: number; skip?: boolean } = {},
): QueryState<R> {
  return useLoad((signal) => request(doc, variables, signal), JSON.stringify(variables ?? {}), opts);
}

/**
 * Like useQuery, for a list read whole: every page of the connection
 * connection(answer) picks, pageSize at a time (the API's paging, first
 * and after), so the page can sort and filter all of it.
 */
export function useAllPages<R, V extends { first?: number | null; after?: string | null }, N>(
  doc: TypedDocumentString<R, V>,
  variables: Omit<V, 'first' | 'after'>,
  connection: (answer: R) => ConnectionShape<N>,
  opts: { pageSize: number; pollMs?: number; skip?: boolean },
): QueryState<AllPages<N>> {
  return useLoad(
    (signal) => collectPages((after) => request(doc, { ...variables, first: opts.pageSize, after } as V, signal).then(connection)),
    JSON.stringify([variables ?? {}, opts.pageSize]),
    opts,
  );
}

/** The loading, polling and error state of useQuery and useAllPages: load runs again when key changes. */
function useLoad<R>(load: (signal: AbortSignal) => Promise<R>, key: string, opts: { pollMs?: number; skip?: boolean }): QueryState<R> {
  const [state, setState] = useState<{ data?: R; error?: ApiError; updatedAt?: Date; key?: string }>({});
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (opts.skip) return;
    const ctl = new AbortController();
    loadRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, updatedAt: new Date(), key }),
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ ...s, error: asApiError(e), key }));
      },
    );
    return () => ctl.abort();
  }, [key, tick, opts.skip]);

  useEffect(() => {
    if (!opts.pollMs || opts.skip) return;
    const t = setInterval(() => setTick((n) => n + 1), opts.pollMs);
    return () => clearInterval(t);
  }, [opts.pollMs, opts.skip]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  const fresh = state.key === key;
  return {
    data: state.data,
    error: fresh ? state.error : undefined,
    loading: !opts.skip && state.data === undefined && !(fresh && state.error),
    updatedAt: state.updatedAt,
    reload,
  };
}

export interface MutationState {
  running: boolean;
  error: ApiError | undefined;
  reset: () => void;
}

/** A write: run(vars) resolves to the data, or to undefined with error set. */
export function useMutation<R, V>(doc: TypedDocumentString<R, V>): [(v: V) => Promise<R | undefined>, MutationState] {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = useCallback(
    async (v: V) => {
      setRunning(true);
      setError(undefined);
      try {
        return await request(doc, v);
      } catch (e) {
        setError(asApiError(e));
        return undefined;
      } finally {
        setRunning(false);
      }
    },
    [doc],
  );
  const reset = useCallback(() => setError(undefined), []);
  return [run, { running, error, reset }];
}

/** Runs an async action (several requests, an upload) with the same running/error state as a mutation. */
export function useAction<A extends unknown[], R>(f: (...args: A) => Promise<R>): [(...args: A) => Promise<R | undefined>, MutationState] {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError>();
  const ref = useRef(f);
  ref.current = f;
  const run = useCallback(async (...args: A) => {
    setRunning(true);
    setError(undefined);
    try {
      return await ref.current(...args);
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setRunning(false);
    }
  }, []);
  const reset = useCallback(() => setError(undefined), []);
  return [run, { running, error, reset }];
}

/** The actor name writes are attributed to, re-rendering when it changes. */
export function useActor(): string {
  return useSyncExternalStore(subscribeActor, currentActor, () => '');
}

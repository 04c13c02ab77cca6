// Sorting for the tables: one comparator per column, stable, and a
// direction that flips when the same column is picked again.

export type Direction = 'asc' | 'desc';

export interface SortState<K extends string> {
  key: K;
  dir: Direction;
}

export function nextSort<K extends string>(cur: SortState<K>, key: K): SortState<K> {
  return cur.key === key ? { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' };
}

export function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/** A sorted copy; ties keep their input order. */
export function sortBy<T, K extends string>(rows: readonly T[], s: SortState<K>, value: (row: T, key: K) => string | number): T[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => sign * compareValues(value(x.row, s.key), value(y.row, s.key)) || x.i - y.i)
    .map((x) => x.row);
}

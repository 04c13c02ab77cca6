// A sortable table: column headers are buttons (keyboard-usable) with
// aria-sort, and long tables show a page at a time so that thousands of
// rows do not block the page.
import { type ReactNode, useMemo, useState } from 'react';
import { type SortState, nextSort, sortBy } from '../lib/sort';

export interface Column<T> {
  key: string;
  header: string;
  /** The value sorted on; columns without it are not sortable. */
  sort?: (row: T) => string | number;
  render: (row: T) => ReactNode;
  className?: string;
}

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  initialSort,
  pageSize = 100,
  caption,
  rowClass,
}: {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  initialSort?: SortState<string>;
  pageSize?: number;
  caption?: string;
  rowClass?: (row: T) => string | undefined;
}) {
  const [sort, setSort] = useState<SortState<string> | undefined>(initialSort);
  const [shown, setShown] = useState(pageSize);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    return col?.sort ? sortBy(rows, sort, (r) => col.sort!(r)) : rows;
  }, [rows, sort, columns]);
  const visible = sorted.slice(0, shown);
  return (
    <div className="table-wrap">
      <table>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} scope="col" className={c.className} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {c.sort ? (
                    <button type="button" className="sort" onClick={() => setSort((s) => (s ? nextSort(s, c.key) : { key: c.key, dir: 'asc' }))}>
                      {c.header}
                      <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {visible.map((r) => (
            <tr key={rowKey(r)} className={rowClass?.(r)}>
              {columns.map((c) => (
                <td key={c.key} className={c.className}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {sorted.length > shown && (
        <p className="more">
          Showing {shown} of {sorted.length}.{' '}
          <button type="button" onClick={() => setShown((n) => n + pageSize * 5)}>
            Show {Math.min(pageSize * 5, sorted.length - shown)} more
          </button>{' '}
          <button type="button" onClick={() => setShown(sorted.length)}>
            Show all
          </button>
        </p>
      )}
    </div>
  );
}

// Previous/Next over a Relay connection, with where the page is in the
// whole; the page's position lives in the caller's state (usePages).
import { useState } from 'react';
import { type PageInfoShape, type PagePosition, firstPage, nextPage, pageRange, previousPage } from '../lib/paging';

/** The page of a connection shown, and the moves from it. */
export function usePages(size: number) {
  const [at, setAt] = useState<PagePosition>(() => firstPage(size));
  return {
    at,
    next: (info: PageInfoShape, shown: number) => setAt((p) => nextPage(p, size, info, shown)),
    previous: (info: PageInfoShape) => setAt((p) => previousPage(p, size, info)),
  };
}

/** Nothing when everything fits on the page. */
export function Pager({
  label,
  pages,
  info,
  shown,
  total,
}: {
  label: string;
  pages: ReturnType<typeof usePages>;
  info: PageInfoShape;
  shown: number;
  total: number;
}) {
  if (!info.hasNextPage && !info.hasPreviousPage && pages.at.offset === 0) return null;
  return (
    <nav className="pager" aria-label={label}>
      <span data-testid="page-range">{pageRange(pages.at.offset, shown, total)}</span>{' '}
      <button type="button" disabled={!info.hasPreviousPage} onClick={() => pages.previous(info)}>
        Previous
      </button>{' '}
      <button type="button" disabled={!info.hasNextPage} onClick={() => pages.next(info, shown)}>
        Next
      </button>
    </nav>
  );
}

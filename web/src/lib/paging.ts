// Relay cursor paging as the console shows it: a page at a time, Previous
// and Next, and where the page is in the whole ("11–20 of 57"). The API
// gives cursors, not offsets, so the offset is counted here as the reader
// moves; the total comes from the connection's totalCount.

export interface PageVars {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** The page shown: the variables that ask for it and the offset of its first item. */
export interface PagePosition {
  vars: PageVars;
  offset: number;
}

export const firstPage = (size: number): PagePosition => ({ vars: { first: size }, offset: 0 });

/** The page after the one shown (which held shown items). */
export function nextPage(at: PagePosition, size: number, info: PageInfoShape, shown: number): PagePosition {
  if (!info.hasNextPage || !info.endCursor) return at;
  return { vars: { first: size, after: info.endCursor }, offset: at.offset + shown };
}

/** The page before the one shown: the size items just before its start. */
export function previousPage(at: PagePosition, size: number, info: PageInfoShape): PagePosition {
  if (!info.hasPreviousPage || !info.startCursor || at.offset - size <= 0) return firstPage(size);
  return { vars: { last: size, before: info.startCursor }, offset: at.offset - size };
}

/** "11–20 of 57", "none". */
export function pageRange(offset: number, shown: number, total: number): string {
  if (shown === 0) return total === 0 ? 'none' : `none of ${total} here`;
  return `${offset + 1}–${offset + shown} of ${total}`;
}

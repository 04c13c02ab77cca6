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

/** A Relay connection as far as reading it whole needs. */
export interface ConnectionShape<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: readonly { node: N }[];
}

/** Every node of a connection and its total. */
export interface AllPages<N> {
  nodes: N[];
  totalCount: number;
}

/**
 * Reads a connection from its start to its end, one page after another
 * (fetchPage(after) asks for the page after that cursor; null for the
 * first), for lists the console sorts and filters whole: a table that
 * sorts by priority or time left must have every row, not the first page.
 * The total is the last page's, the freshest answer.
 */
export async function collectPages<N>(fetchPage: (after: string | null) => Promise<ConnectionShape<N>>): Promise<AllPages<N>> {
  const nodes: N[] = [];
  let after: string | null = null;
  for (;;) {
    const page: ConnectionShape<N> = await fetchPage(after);
    nodes.push(...page.edges.map((e) => e.node));
    // An empty page, or one without a cursor, ends it even if the server says there is more: never loop on the same page.
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor || page.edges.length === 0 || page.pageInfo.endCursor === after) {
      return { nodes, totalCount: page.totalCount };
    }
    after = page.pageInfo.endCursor;
  }
}

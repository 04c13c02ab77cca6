import { describe, expect, it } from 'vitest';
import { collectPages, firstPage, nextPage, pageRange, previousPage } from './paging';

const info = (hasPreviousPage: boolean, hasNextPage: boolean) => ({ hasPreviousPage, hasNextPage, startCursor: 's', endCursor: 'e' });

describe('cursor paging', () => {
  it('moves forward after the end cursor, counting what was shown', () => {
    const p2 = nextPage(firstPage(10), 10, info(false, true), 10);
    expect(p2).toEqual({ vars: { first: 10, after: 'e' }, offset: 10 });
    expect(nextPage(p2, 10, info(true, true), 10).offset).toBe(20);
  });

  it('stays put without a next page', () => {
    const p = firstPage(10);
    expect(nextPage(p, 10, info(false, false), 3)).toBe(p);
  });

  it('moves back before the start cursor, and to the first page from the second', () => {
    const p3 = { vars: { first: 10, after: 'x' }, offset: 20 };
    expect(previousPage(p3, 10, info(true, true))).toEqual({ vars: { last: 10, before: 's' }, offset: 10 });
    expect(previousPage({ vars: { first: 10, after: 'x' }, offset: 10 }, 10, info(true, false))).toEqual(firstPage(10));
  });

  it('says where the page is', () => {
    expect(pageRange(10, 10, 57)).toBe('11–20 of 57');
    expect(pageRange(0, 3, 3)).toBe('1–3 of 3');
    expect(pageRange(0, 0, 0)).toBe('none');
  });
});

describe('reading a connection whole', () => {
  const pages = (sizes: number[], total: number) => (after: string | null) => {
    const i = after === null ? 0 : Number(after);
    const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
    const edges = Array.from({ length: sizes[i] ?? 0 }, (_, k) => ({ node: start + k }));
    return Promise.resolve({ totalCount: total, pageInfo: { hasNextPage: i + 1 < sizes.length, endCursor: String(i + 1) }, edges });
  };

  it('follows the end cursors to the last page', async () => {
    const got = await collectPages(pages([3, 3, 1], 7));
    expect(got.totalCount).toBe(7);
    expect(got.nodes).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('reads one page when there is no next', async () => {
    expect(await collectPages(pages([2], 2))).toEqual({ nodes: [0, 1], totalCount: 2 });
  });

  it('stops on an empty page or a cursor that does not move', async () => {
    const stuck = () => Promise.resolve({ totalCount: 9, pageInfo: { hasNextPage: true, endCursor: 'same' }, edges: [{ node: 1 }] });
    expect(await collectPages(stuck)).toEqual({ nodes: [1, 1], totalCount: 9 });
    const empty = () => Promise.resolve({ totalCount: 9, pageInfo: { hasNextPage: true, endCursor: 'x' }, edges: [] });
    expect(await collectPages(empty)).toEqual({ nodes: [], totalCount: 9 });
  });
});

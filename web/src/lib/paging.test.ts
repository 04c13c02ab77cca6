import { describe, expect, it } from 'vitest';
import { firstPage, nextPage, pageRange, previousPage } from './paging';

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

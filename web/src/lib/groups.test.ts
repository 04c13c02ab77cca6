import { describe, expect, it } from 'vitest';
import { inOpenGroup, incidentCount, scorePercent, ungrouped } from './groups';

const row = (id: string, state: string, major = false, parentState?: string) => ({ id, state, major, parent: parentState ? { state: parentState } : null });

describe('incident groups on the Incidents page', () => {
  const rows = [row('major', 'NEW', true), row('a', 'NEW', false, 'NEW'), row('b', 'RESOLVED', false, 'IN_PROGRESS'), row('lone', 'NEW'), row('other', 'ON_HOLD')];

  it('an open major incident and its children, open or not, are in an open group', () => {
    expect(rows.filter(inOpenGroup).map((r) => r.id)).toEqual(['major', 'a', 'b']);
  });

  it('a resolved major incident and its children are not', () => {
    expect(inOpenGroup(row('m', 'RESOLVED', true))).toBe(false);
    expect(inOpenGroup(row('c', 'NEW', false, 'CLOSED'))).toBe(false);
  });

  it('keeps in the table only what no open group lists, in order', () => {
    expect(ungrouped(rows).map((r) => r.id)).toEqual(['lone', 'other']);
  });

  it('formats the score and the count', () => {
    expect(scorePercent(1)).toBe('100%');
    expect(scorePercent(0.874)).toBe('87%');
    expect(scorePercent(0)).toBe('0%');
    expect(scorePercent(0.99875)).toBe('>99%');
    expect(scorePercent(0.0009)).toBe('<1%');
    expect(scorePercent(0.006)).toBe('1%');
    expect(incidentCount(1)).toBe('1 incident');
    expect(incidentCount(2)).toBe('2 incidents');
  });
});

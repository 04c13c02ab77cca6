import { describe, expect, it } from 'vitest';
import { groupedIds, incidentCount, scorePercent, ungrouped } from './groups';

const group = (id: string, ...children: string[]) => ({ id, children: { edges: children.map((c) => ({ node: { id: c } })) } });

describe('incident groups on the Incidents page', () => {
  const rows = [{ id: 'major' }, { id: 'a' }, { id: 'b' }, { id: 'lone' }, { id: 'other' }];

  it('collects every parent and child the groups show', () => {
    expect([...groupedIds([group('major', 'a', 'b'), group('m2', 'c')])].sort()).toEqual(['a', 'b', 'c', 'm2', 'major']);
    expect(groupedIds([]).size).toBe(0);
  });

  it('keeps in the table only what no group shows, in order', () => {
    const left = ungrouped(rows, [group('major', 'a', 'b')]);
    expect(left.map((r) => r.id)).toEqual(['lone', 'other']);
  });

  it('keeps every row when there is no group', () => {
    expect(ungrouped(rows, []).map((r) => r.id)).toEqual(rows.map((r) => r.id));
  });

  it('formats the score and the count', () => {
    expect(scorePercent(1)).toBe('100%');
    expect(scorePercent(0.874)).toBe('87%');
    expect(scorePercent(0)).toBe('0%');
    expect(incidentCount(1)).toBe('1 incident');
    expect(incidentCount(2)).toBe('2 incidents');
  });
});

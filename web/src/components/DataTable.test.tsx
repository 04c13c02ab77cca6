import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTable } from './DataTable';

afterEach(cleanup);

const rows = Array.from({ length: 60 }, (_, i) => ({ id: `r${i}`, name: `ci-${i}`, distance: i % 7 }));

describe('DataTable', () => {
  it('sorts by a column header button and pages long tables', { timeout: 30_000 }, () => {
    render(
      <DataTable
        rows={rows}
        caption="CIs"
        rowKey={(r) => r.id}
        pageSize={25}
        columns={[
          { key: 'name', header: 'Name', sort: (r) => r.name, render: (r) => r.name },
          { key: 'distance', header: 'Distance', sort: (r) => r.distance, render: (r) => r.distance },
        ]}
      />,
    );
    const table = screen.getByRole('table');
    expect(table.querySelectorAll('tr')).toHaveLength(26);
    const header = screen.getByRole('button', { name: /Distance/ });
    fireEvent.click(header);
    fireEvent.click(header);
    expect(screen.getByRole('columnheader', { name: /Distance/ }).getAttribute('aria-sort')).toBe('descending');
    expect(table.querySelectorAll('tr')[1]!.textContent).toContain('6');
    fireEvent.click(screen.getByRole('button', { name: 'Show all' }));
    expect(table.querySelectorAll('tr')).toHaveLength(61);
  });
});

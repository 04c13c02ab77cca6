// What correlation found, as both incident pages show it: the ranking's
// evidence, and a group's children with why each is in the group.
import { useQuery } from '../api/hooks';
import { GroupChildrenQuery } from '../api/operations';
import { Link } from '../router';
import { incidentCount } from '../lib/groups';
import { Pager, usePages } from './Pager';
import { Badge, ErrorBox, Loading } from './ui';

/** A major incident's page shows its grouped incidents this many at a time. */
const CHILDREN_PAGE = 10;

export interface EvidenceItem {
  kind: string;
  detail: string;
  weight: number;
}

/** Evidence items with their signed weight (positive supports the cause). */
export function EvidenceList({ items }: { items: readonly EvidenceItem[] }) {
  return (
    <ul className="small">
      {items.map((e, i) => (
        <li key={i}>
          <code>{e.kind}</code> {e.weight > 0 ? '+' : ''}
          {e.weight.toFixed(2)}: {e.detail}
        </li>
      ))}
    </ul>
  );
}

export interface GroupChild {
  id: string;
  title: string;
  priority: string;
  state: string;
  grouping?: { explanation: string } | null;
}

/**
 * A major incident's children, each linked, with its state and explanation;
 * with totalCount, a link to the major incident for the ones not shown.
 */
export function GroupChildren({ parentId, items, totalCount, label }: { parentId: string; items: readonly GroupChild[]; totalCount?: number; label: string }) {
  return (
    <>
      <ul className="plain group-children" aria-label={label}>
        {items.map((c) => (
          <li key={c.id}>
            <Badge value={c.priority} /> <Link to={`/incidents/${c.id}`}>{c.title}</Link> <Badge value={c.state} />
            {c.grouping && <div className="muted small">{c.grouping.explanation}</div>}
          </li>
        ))}
      </ul>
      {totalCount !== undefined && totalCount > items.length && (
        <p className="small">
          {incidentCount(totalCount - items.length)} more: see <Link to={`/incidents/${parentId}`}>the major incident</Link>.
        </p>
      )}
    </>
  );
}

/** Every incident a major incident groups, a page at a time, with the total. */
export function GroupChildrenPages({ parentId }: { parentId: string }) {
  const pages = usePages(CHILDREN_PAGE);
  const q = useQuery(GroupChildrenQuery, { id: parentId, ...pages.at.vars });
  const children = q.data?.incident?.children;
  return (
    <>
      <ErrorBox error={q.error} title="Could not load the grouped incidents" />
      {q.loading && <Loading what="grouped incidents" />}
      {children && (
        <>
          <GroupChildren parentId={parentId} items={children.edges.map((e) => e.node)} label="Grouped incidents" />
          <Pager label="Grouped incident pages" pages={pages} info={children.pageInfo} shown={children.edges.length} total={children.totalCount} />
        </>
      )}
    </>
  );
}

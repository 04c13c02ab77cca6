// What correlation found, as both incident pages show it: the ranking's
// evidence, and a group's children with why each is in the group.
import { Link } from '../router';
import { incidentCount } from '../lib/groups';
import { Badge } from './ui';

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

/** A major incident's children, each linked, with its state and explanation. */
export function GroupChildren({ parentId, items, totalCount, label }: { parentId: string; items: readonly GroupChild[]; totalCount: number; label: string }) {
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
      {totalCount > items.length && (
        <p className="small">
          {incidentCount(totalCount - items.length)} more: see <Link to={`/incidents/${parentId}`}>the major incident</Link>.
        </p>
      )}
    </>
  );
}

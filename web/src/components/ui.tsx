// Small building blocks every page uses: status badges, the error,
// loading and empty states, and a titled section.
import { type ReactNode, useId } from 'react';
import type { ApiError } from '../api/client';
import { useSession } from '../api/session';
import { formatTime, words } from '../lib/format';
import { Link } from '../router';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** An API error where it happened: the message, and the code and field the API gave. */
export function ErrorBox({ error, title }: { error: ApiError | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{title ?? 'Ripple refused this'}</strong>
      {error.code && error.code !== 'ERROR' && <span className="code">{error.code}</span>}
      {error.field && <span className="code">field: {error.field}</span>}
      <div>{error.message}</div>
      {error.messages.length > 1 && (
        <ul>
          {error.messages.slice(1).map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A coloured label for an enum value: effects, states, priorities, outcomes. */
export function Badge({ value, kind, title }: { value: string; kind?: string; title?: string }) {
  return (
    <span className={`badge badge-${(kind ?? value).toLowerCase()}`} title={title}>
      {words(value).toUpperCase()}
    </span>
  );
}

/** A titled panel; its heading labels it (ids are generated, so sections never collide with form fields). */
export function Section({ title, actions, children }: { title: ReactNode; actions?: ReactNode; children: ReactNode; id?: string }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** A term/description list from pairs. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The states of a page about one record before it can show it: the error,
 * loading, or "not found" page — or null once the record is there.
 */
export function recordGate(what: string, q: { error: ApiError | undefined; loading: boolean; data: unknown }, record: unknown, id: string): ReactNode | null {
  if (q.error) {
    return (
      <div className="page">
        <ErrorBox error={q.error} title={`Could not load the ${what}`} />
      </div>
    );
  }
  if (q.loading || !q.data) {
    return (
      <div className="page">
        <Loading what={what} />
      </div>
    );
  }
  if (!record) {
    return (
      <div className="page">
        <h1>Not found</h1>
        <p>
          No {what} has the id <code>{id}</code>. It may have been deleted.
        </p>
      </div>
    );
  }
  return null;
}

/** A record's state changes, oldest first. */
export function TransitionList({ items, first }: { items: { from: string; to: string; at: string; actor: string; note: string }[]; first: string }) {
  return (
    <ol className="timeline-list">
      {items.map((t, i) => (
        <li key={i}>
          {t.from ? `${words(t.from)} → ` : `${first} `}
          <strong>{words(t.to)}</strong> by {t.actor} <span className="muted small">{formatTime(t.at)}</span>
          {t.note && <div className="small">“{t.note}”</div>}
        </li>
      ))}
    </ol>
  );
}

/**
 * Shows children only when the signed-in principal holds the permission
 * (as the server said, in `me`); otherwise a note of what the role may not
 * do. The API still decides every request.
 */
export function Permitted({ permission, what, children }: { permission: string; what: string; children: ReactNode }) {
  const s = useSession();
  if (s.can(permission)) return <>{children}</>;
  const roles = s.me?.roles.join(', ') || 'none';
  return (
    <p className="muted small" data-testid="not-permitted">
      Your role ({roles}) may not {what}: that needs the <code>{permission}</code> permission.
    </p>
  );
}

/** The services an incident or change reaches, each a link to its CI page. */
export function ServiceLinks({ services }: { services: readonly { id: string; name: string }[] }) {
  return (
    <>
      {services.map((s, k) => (
        <span key={s.id}>
          {k > 0 && ', '}
          <Link to={`/ci/${s.id}`}>{s.name}</Link>
        </span>
      ))}
    </>
  );
}

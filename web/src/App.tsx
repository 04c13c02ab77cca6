import { type ReactNode, useEffect, useRef, useState } from 'react';
import { setActor } from './api/client';
import { useActor } from './api/hooks';
import { Link, matchPath, navigate, useLocation } from './router';
import { BlastPage } from './pages/Blast';
import { CIPage } from './pages/CI';
import { ChangePage } from './pages/Change';
import { ChangesPage } from './pages/Changes';
import { HomePage } from './pages/Home';
import { ImportPage } from './pages/Import';
import { ImportsPage } from './pages/Imports';
import { IncidentPage } from './pages/Incident';
import { IncidentsPage } from './pages/Incidents';
import { ProblemPage } from './pages/Problem';
import { ProblemsPage } from './pages/Problems';
import { ReportsPage } from './pages/Reports';
import { SignInCallbackPage, SignInPage } from './pages/SignIn';
import { useSession } from './api/session';
import { ErrorBox, Loading } from './components/ui';

interface Route {
  pattern: string;
  title: string;
  render: (p: Record<string, string>) => ReactNode;
}

// The deep links; web/web.go answers the same paths with this app.
const routes: Route[] = [
  { pattern: '/', title: 'Service health', render: () => <HomePage /> },
  { pattern: '/blast', title: 'Blast radius', render: () => <BlastPage /> },
  { pattern: '/ci/:id', title: 'CI', render: (p) => <CIPage id={p.id!} /> },
  { pattern: '/changes', title: 'Changes', render: () => <ChangesPage /> },
  { pattern: '/changes/:id', title: 'Change', render: (p) => <ChangePage id={p.id!} /> },
  { pattern: '/incidents', title: 'Incidents', render: () => <IncidentsPage /> },
  { pattern: '/incidents/:id', title: 'Incident', render: (p) => <IncidentPage id={p.id!} /> },
  { pattern: '/problems', title: 'Problems', render: () => <ProblemsPage /> },
  { pattern: '/problems/:id', title: 'Problem', render: (p) => <ProblemPage id={p.id!} /> },
  { pattern: '/reports', title: 'Reports', render: () => <ReportsPage /> },
  { pattern: '/reports/:serviceId', title: 'Service report', render: (p) => <ReportsPage serviceId={p.serviceId!} /> },
  { pattern: '/imports', title: 'Imports', render: () => <ImportsPage /> },
  { pattern: '/imports/:id', title: 'Import run', render: (p) => <ImportPage id={p.id!} /> },
  { pattern: '/signin', title: 'Sign in', render: () => <SignInPage /> },
  { pattern: '/signin/callback', title: 'Signing in', render: () => <SignInCallbackPage /> },
];

const nav: [string, string][] = [
  ['/', 'Service health'],
  ['/blast', 'Blast radius'],
  ['/changes', 'Changes'],
  ['/incidents', 'Incidents'],
  ['/problems', 'Problems'],
  ['/imports', 'Imports'],
  ['/reports', 'Reports'],
];

/** Who is signed in (and sign out), or, with authentication off, the name writes are attributed to. */
function Who() {
  const s = useSession();
  if (s.status === 'open') return <ActorSetting />;
  if (s.status === 'signed-in' && s.me) {
    return (
      <div className="actor">
        <span className="muted">Signed in as</span> <strong data-testid="subject">{s.me.subject}</strong>{' '}
        <span className="muted small" data-testid="roles">
          ({s.me.roles.join(', ') || 'no role'})
        </span>{' '}
        <button
          type="button"
          className="link"
          onClick={() => {
            void s.signOut().then((leaving) => {
              if (!leaving) navigate('/signin', { replace: true });
            });
          }}
        >
          Sign out
        </button>
      </div>
    );
  }
  if (s.status === 'signed-out') {
    return (
      <div className="actor">
        <Link to="/signin">Sign in</Link>
      </div>
    );
  }
  return null;
}

function ActorSetting() {
  const actor = useActor();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(actor);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  if (!editing) {
    return (
      <div className="actor">
        <span className="muted">Acting as</span> <strong data-testid="actor">{actor || 'anonymous'}</strong>{' '}
        <button
          type="button"
          className="link"
          onClick={() => {
            setValue(actor);
            setEditing(true);
          }}
        >
          change
        </button>
      </div>
    );
  }
  return (
    <form
      className="actor"
      onSubmit={(e) => {
        e.preventDefault();
        setActor(value);
        setEditing(false);
      }}
    >
      <label htmlFor="actor-name">Your name</label>
      <input id="actor-name" ref={input} value={value} maxLength={128} onChange={(e) => setValue(e.target.value)} placeholder="e.g. alice" />
      <button type="submit">Save</button>
      <button type="button" className="link" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

export function App() {
  const { path, query } = useLocation();
  const session = useSession();
  const signingIn = path === '/signin' || path === '/signin/callback';
  // An unauthenticated visit lands on sign-in, and comes back after.
  const mustSignIn = session.status === 'signed-out' && !signingIn;
  const search = query.toString();
  useEffect(() => {
    if (mustSignIn) navigate(`/signin?next=${encodeURIComponent(path + (search ? `?${search}` : ''))}`, { replace: true });
  }, [mustSignIn, path, search]);
  let page: ReactNode = null;
  let title = 'Not found';
  for (const r of routes) {
    const params = matchPath(r.pattern, path);
    if (params) {
      page = r.render(params);
      title = r.title;
      break;
    }
  }
  useEffect(() => {
    document.title = `${title} · Ripple`;
  }, [title]);
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand" aria-label="Ripple home">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <circle cx="16" cy="16" r="5" fill="currentColor" />
            <circle cx="16" cy="16" r="10" fill="none" stroke="currentColor" strokeWidth="2" />
            <circle cx="16" cy="16" r="15" fill="none" stroke="currentColor" strokeWidth="1.5" opacity=".5" />
          </svg>
          Ripple
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => {
              const current = to === '/' ? path === '/' : section === to || (to === '/blast' && section === '/ci');
              return (
                <li key={to}>
                  <Link to={to} aria-current={current ? 'page' : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
            <li>
              <a href="/graphiql">GraphiQL</a>
            </li>
          </ul>
        </nav>
        <Who />
      </header>
      <main id="main" tabIndex={-1}>
        {!signingIn && (session.status === 'loading' || mustSignIn) ? (
          <div className="page">
            <Loading what="your session" />
          </div>
        ) : !signingIn && session.status === 'error' ? (
          <div className="page">
            <ErrorBox error={session.error} title="Could not reach Ripple" />
          </div>
        ) : (
          page ?? (
          <div className="page">
            <h1>Page not found</h1>
            <p>
              Nothing lives at <code>{path}</code>. Try <Link to="/">service health</Link>.
            </p>
          </div>
          )
        )}
      </main>
    </>
  );
}

// GraphiQL, bundled: served by Ripple at /graphiql with no request to any
// other host. Requests carry the console's actor (and, later, its token).
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import { graphqlEndpoint, requestHeaders } from './api/client';

async function fetcher(params: unknown, opts?: { headers?: Record<string, string> }) {
  const res = await fetch(graphqlEndpoint(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...requestHeaders(), ...(opts?.headers ?? {}) },
    body: JSON.stringify(params),
  });
  return res.json();
}

const defaultQuery = `# Ripple's GraphQL API. The console is at /.
query Services {
  slaAtRisk { service { name } status attainment budgetLeftMinutes reasons }
}
`;

createRoot(document.getElementById('graphiql')!).render(<GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} />);

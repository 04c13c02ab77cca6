// A real `ripple serve --demo` for the browser tests: built from this
// worktree, on a free loopback port, with the embedded store in a temp dir
// or (opts.store 'neo4j', default RIPPLE_E2E_STORE) on the test Neo4j at
// RIPPLE_TEST_NEO4J_URI, emptied first so that the demo loads fresh.
// With opts.tokens it runs with --auth token, after `ripple token create`
// made each token in the same store; their secrets come back in tokens.
// With opts.oidc ({ issuer, audience, subjectClaim? }) it also accepts that
// issuer's tokens (--auth oidc, or token,oidc with opts.tokens: the last --auth counts).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** The store the suite runs on: RIPPLE_E2E_STORE, embedded or neo4j. */
export const STORE = process.env.RIPPLE_E2E_STORE || 'embedded';
const NEO4J_URI = process.env.RIPPLE_TEST_NEO4J_URI || 'bolt://127.0.0.1:7687';

/** Why the store cannot be used ('' when it can): the test Neo4j must answer. */
export async function storeMissing(store = STORE) {
  if (store === 'embedded') return '';
  if (store !== 'neo4j') return `RIPPLE_E2E_STORE=${store}: not a store (embedded or neo4j)`;
  const { hostname, port } = new URL(NEO4J_URI);
  const up = await new Promise((ok) => {
    const s = connect({ host: hostname, port: Number(port) || 7687, timeout: 2000 });
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
    s.once('timeout', () => (s.destroy(), ok(false)));
  });
  return up ? '' : `Neo4j is not reachable at ${NEO4J_URI} (scripts/neo4j start, RIPPLE_TEST_NEO4J_URI)`;
}

/** A Go command of this repository: the prebuilt one named by env, or built into dir. */
function goBinary(env, pkg, dir) {
  if (process.env[env]) return process.env[env];
  const bin = join(dir, pkg.split('/').pop());
  execFileSync('go', ['build', '-o', bin, pkg], { cwd: repo, stdio: 'inherit' });
  return bin;
}

export async function startRipple(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-e2e-'));
  const bin = goBinary('RIPPLE_BIN', './cmd/ripple', dir);
  const store = opts.store ?? STORE;
  const storeArgs = store === 'neo4j' ? ['--store', 'neo4j', '--neo4j-uri', NEO4J_URI] : ['--data-dir', join(dir, 'data')];
  if (store === 'neo4j') {
    execFileSync(goBinary('RIPPLE_NEO4J_WIPE_BIN', './store/neo4j/neo4jtest/cmd/neo4j-wipe', dir), [NEO4J_URI], { stdio: 'inherit' });
  }
  const tokens = {};
  for (const t of opts.tokens ?? []) {
    const out = execFileSync(bin, ['token', 'create', '--name', t.name, '--role', t.role, ...storeArgs], { encoding: 'utf8' });
    tokens[t.name] = out.trim().split('\n').pop().trim();
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, ...storeArgs, '--log-format', 'json', '--log-level', 'warn'];
  if (opts.tokens) args.push('--auth', 'token');
  if (opts.oidc) args.push('--auth', opts.tokens ? 'token,oidc' : 'oidc', '--oidc-issuer', opts.oidc.issuer, '--oidc-audience', opts.oidc.audience, '--oidc-subject-claim', opts.oidc.subjectClaim ?? 'sub');
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  // Loading the demo into Neo4j takes tens of seconds on a busy machine.
  const readyIn = store === 'neo4j' ? 240 : 60;
  const deadline = Date.now() + readyIn * 1000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`ripple serve exited with ${proc.exitCode}:\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`ripple serve was not ready in ${readyIn}s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    store,
    log,
    tokens,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
    /** A GraphQL request from the test itself (setup and checks). */
    async gql(query, variables = {}, actor = 'e2e', token = undefined) {
      const headers = { 'content-type': 'application/json', 'x-ripple-actor': actor };
      if (token) headers.authorization = `Bearer ${token}`;
      const r = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = await r.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    async idOf(name) {
      const d = await this.gql('query($s:String!){ cis(filter:{search:$s}, first: 20){ edges { node { id name } } } }', { s: name });
      const hit = d.cis.edges.find((e) => e.node.name === name);
      if (!hit) throw new Error(`no CI named ${name}`);
      return hit.node.id;
    },
  };
}

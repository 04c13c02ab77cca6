// A real `ripple serve --demo` for the browser tests: built from this
// worktree, on a free loopback port, with the embedded store in a temp dir.
// With opts.tokens it runs with --auth token, after `ripple token create`
// made each token in the same store; their secrets come back in tokens.
// With opts.oidc ({ issuer, audience, subjectClaim? }) it also accepts that
// issuer's tokens (--auth oidc, or token,oidc with opts.tokens: the last --auth counts).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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

export async function startRipple(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-e2e-'));
  let bin = process.env.RIPPLE_BIN;
  if (!bin) {
    bin = join(dir, 'ripple');
    execFileSync('go', ['build', '-o', bin, './cmd/ripple'], { cwd: repo, stdio: 'inherit' });
  }
  const data = join(dir, 'data');
  const tokens = {};
  for (const t of opts.tokens ?? []) {
    const out = execFileSync(bin, ['token', 'create', '--name', t.name, '--role', t.role, '--data-dir', data], { encoding: 'utf8' });
    tokens[t.name] = out.trim().split('\n').pop().trim();
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data-dir', data, '--log-format', 'json', '--log-level', 'warn'];
  if (opts.tokens) args.push('--auth', 'token');
  if (opts.oidc) args.push('--auth', opts.tokens ? 'token,oidc' : 'oidc', '--oidc-issuer', opts.oidc.issuer, '--oidc-audience', opts.oidc.audience, '--oidc-subject-claim', opts.oidc.subjectClaim ?? 'sub');
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`ripple serve exited with ${proc.exitCode}:\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`ripple serve was not ready in 60s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
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

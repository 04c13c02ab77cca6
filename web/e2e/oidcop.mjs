// The test OpenID Provider (auth/oidctest/cmd/oidcop: github.com/zitadel/oidc's
// op package, a login form asking for a username) for the browser tests, on a
// free loopback port. RIPPLE_OIDCOP_BIN names a built oidcop; otherwise it is
// built from this worktree. Users: vera (viewer), olga (operator), carl
// (change-manager), ada (admin); client id ripple-console.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function startOIDCProvider(args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-oidcop-'));
  let bin = process.env.RIPPLE_OIDCOP_BIN;
  if (!bin) {
    bin = join(dir, 'oidcop');
    execFileSync('go', ['build', '-o', bin, './auth/oidctest/cmd/oidcop'], { cwd: repo, stdio: 'inherit' });
  }
  const proc = spawn(bin, ['-listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  proc.stderr.on('data', (d) => log.push(String(d)));
  // The first line on stdout is the issuer URL, printed once it serves.
  const issuer = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`oidcop printed no issuer in 30s:\n${log.join('')}`)), 30_000);
    proc.stdout.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        ok(out.slice(0, nl).trim());
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`oidcop exited with ${code}:\n${log.join('')}`));
    });
  });
  return {
    issuer,
    clientId: 'ripple-console',
    log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Single sign-on in real headless Chromium: a real OpenID Provider on
// loopback (auth/oidctest/cmd/oidcop, github.com/zitadel/oidc's op package)
// and a real `ripple serve --demo --auth oidc` trusting it. The console runs
// the authorization-code flow with PKCE, the browser fills in the provider's
// login form, and comes back signed in; signing out ends the provider's
// session too (RP-initiated logout), so the next sign-in shows its form; roles come from the ID token's roles
// claim, the subject from preferred_username (--oidc-subject-claim).
// Without Chromium the tests skip — except under CI=true, where they fail.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumAvailable, launch } from './browser.mjs';
import { startOIDCProvider } from './oidcop.mjs';
import { startRipple } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, '../test-results/screenshots');
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

const missing = !chromiumAvailable();
if (missing && process.env.CI === 'true') {
  test('Chromium is installed (single sign-on)', () => {
    assert.fail(`${CHROMIUM} is missing: scripts/test installs Debian's chromium with apt-get; the browser tests cannot be skipped under CI=true`);
  });
}

/** From Ripple's sign-in page to the provider's login form. */
async function goToProvider(page, op) {
  await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
  await page.getByRole('heading', { name: 'Sign in to the test OpenID provider', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).origin, op.issuer, 'the browser is at the provider');
}

/** Signs in at the provider's form as username; the browser goes back to Ripple, signed in. */
async function signInAtProvider(page, op, username) {
  await goToProvider(page, op);
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('subject').filter({ hasText: username }).waitFor();
}

const skip = missing ? `${CHROMIUM} is missing (apt-get install chromium)` : false;

describe('console with single sign-on (--auth oidc)', { skip }, () => {
  let op;
  let ripple;
  let browser;
  let page;
  const pageErrors = [];
  const offHost = [];

  before(async () => {
    op = await startOIDCProvider();
    ripple = await startRipple({ oidc: { issuer: op.issuer, audience: op.clientId, subjectClaim: 'preferred_username' } });
    browser = await launch();
    page = await browser.context.newPage();
    const hosts = [new URL(ripple.base).host, new URL(op.issuer).host];
    browser.context.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol.startsWith('http') && !hosts.includes(u.host)) offHost.push(r.url());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await ripple?.stop();
    await op?.stop();
  });

  const url = (p) => ripple.base + p;
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const signInHeading = () => page.getByRole('heading', { name: 'Sign in to Ripple', level: 1 });

  const toProvider = () => goToProvider(page, op);
  const signInAs = (username) => signInAtProvider(page, op, username);

  /** A GraphQL request with the tab's session token, as the console sends it. */
  async function asTab(query, variables = {}) {
    const token = await page.evaluate(() => sessionStorage.getItem('ripple.token'));
    assert.ok(token, 'the tab holds a session token');
    const r = await fetch(url('/graphql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: r.status, body: await r.json() };
  }

  test('an unauthenticated visit lands on sign-in, which offers single sign-on at the issuer', async () => {
    await page.goto(url('/changes'));
    await signInHeading().waitFor();
    assert.match(page.url(), /\/signin\?next=%2Fchanges$/);
    const sso = page.getByRole('region', { name: "With your organisation's account" });
    assert.match(await sso.innerText(), new RegExp(`Signs in at ${op.issuer.replace(/[.]/g, '\\.')}`));
    assert.equal(await page.getByLabel('API token', { exact: true }).count(), 0, 'no API token field with --auth oidc alone');
    await shot('oidc-signin');
    await page.addScriptTag({ content: axeSource });
    const bad = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    });
    assert.deepEqual(bad, [], 'sign-in: accessibility violations');
  });

  test('the viewer signs in at the provider and is back where they were, with their name and role', async () => {
    await toProvider();
    await shot('oidc-provider-login');
    // An unknown user is told so by the provider, and stays there.
    await page.getByLabel('Username').fill('mallory');
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.getByRole('alert').innerText(), /no user named "mallory"/);
    await page.getByLabel('Username').fill('vera');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Changes', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/changes');
    assert.equal(await page.getByTestId('subject').innerText(), 'vera');
    assert.match(await page.getByTestId('roles').innerText(), /viewer/);
    // The session is the provider's ID token, as Ripple verified it.
    const { body } = await asTab('{ me { subject roles authenticated } }');
    assert.deepEqual(body.data.me, { subject: 'vera', roles: ['viewer'], authenticated: true });
    await shot('oidc-signed-in');
  });

  test('the viewer may not act: actions hidden in the console, refused by the API', async () => {
    await page.getByRole('table', { name: 'Changes' }).getByRole('row', { name: /^Kernel patch/ }).getByRole('link', { name: /^Kernel patch/ }).click();
    await page.getByTestId('risk-score').waitFor();
    await page.getByTestId('not-permitted').filter({ hasText: 'changes.manage' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    await page.goto(url('/incidents'));
    await page.getByTestId('not-permitted').filter({ hasText: 'incidents.write' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Raise incident' }).count(), 0);
    const { body } = await asTab('mutation($ci: ID!) { createIncident(input: { title: "by a viewer", affectedCiIds: [$ci] }) { id } }', { ci: '00000000-0000-0000-0000-000000000000' });
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(body));
    assert.match(body.errors[0].message, /incidents\.write denied to vera/);
    // A reload keeps the session (the tab's sessionStorage).
    await page.reload();
    assert.equal(await page.getByTestId('subject').innerText(), 'vera');
  });

  test('signing out ends the session at the provider too: the next single sign-on asks who you are', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The browser goes to the provider's end_session_endpoint and comes back to sign-in.
    await page.getByRole('status').filter({ hasText: `You are signed out of Ripple and of ${op.issuer}.` }).waitFor();
    await signInHeading().waitFor();
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ripple.token')), null, 'signing out drops the token');
    await shot('oidc-signed-out');
    // Visiting the console again: sign-in, and the provider shows its form (its session is gone).
    await page.goto(url('/changes'));
    await signInHeading().waitFor();
    await toProvider();
    await page.getByLabel('Username').waitFor();
    await page.goto(url('/signin'));
    await signInHeading().waitFor();
  });

  test('a sign-in answer that does not match the one started, or is replayed, or refused, is refused with a clear message', async () => {

    const failure = () => page.getByRole('alert').filter({ hasText: 'Single sign-on failed' });
    // An answer with a state other than the one this tab sent.
    await toProvider();
    await page.goto(url('/signin/callback?code=forged-code&state=not-the-state'));
    await failure().waitFor();
    assert.match(await failure().innerText(), /does not match the request \(state\): start again/);
    await page.getByRole('heading', { name: 'Not signed in', level: 1 }).waitFor();
    await shot('oidc-state-refused');
    // The same answer again: nothing is pending in this tab any more.
    await page.reload();
    await failure().waitFor();
    assert.match(await failure().innerText(), /no sign-in was started in this tab: start again/);
    assert.equal(await page.getByTestId('subject').count(), 0, 'not signed in');
    // The user cancels at the provider: it answers access_denied.
    await page.getByRole('link', { name: 'Try again' }).click();
    await signInHeading().waitFor();
    await toProvider();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await failure().waitFor();
    assert.match(await failure().innerText(), /the identity provider refused: the user cancelled the sign-in/);
  });

  test('a change manager signs in and approves; the audit trail names them', async () => {
    await page.goto(url('/changes'));
    await signInHeading().waitFor();
    await signInAs('carl');
    assert.equal(new URL(page.url()).pathname, '/changes');
    assert.match(await page.getByTestId('roles').innerText(), /change-manager/);
    await page.getByRole('table', { name: 'Changes' }).getByRole('row', { name: /^Kernel patch/ }).getByRole('link', { name: /^Kernel patch/ }).click();
    await page.getByLabel(/Comment/).fill('approved after single sign-on');
    await page.getByRole('button', { name: 'Approve' }).click();
    const approvals = page.getByTestId('approvals');
    await approvals.getByText('carl').waitFor();
    assert.match(await approvals.innerText(), /APPROVED by carl/);
    await shot('oidc-change-manager-approved');
  });

  test('no request left Ripple and the provider, and no script error', () => {
    assert.deepEqual(offHost, []);
    assert.deepEqual(pageErrors, []);
  });
});

// ID tokens that live 10 seconds (long enough to sign in and act on a
// loaded machine, short enough to wait out): the session ends when Ripple stops
// accepting the token, and the console says so and signs in again.
describe('single sign-on: an expired ID token', { skip }, () => {
  let op;
  let ripple;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    op = await startOIDCProvider(['-id-token-lifetime', '10s']);
    ripple = await startRipple({ oidc: { issuer: op.issuer, audience: op.clientId, subjectClaim: 'preferred_username' } });
    browser = await launch();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await ripple?.stop();
    await op?.stop();
  });

  test('the expired session goes back to sign-in with why; the provider signs her in again without its form until she signs out; she raises an incident', async () => {
    await page.goto(ripple.base + '/');
    await page.getByRole('heading', { name: 'Sign in to Ripple', level: 1 }).waitFor();
    await signInAtProvider(page, op, 'olga');
    const signedIn = Date.now();
    assert.match(await page.getByTestId('roles').innerText(), /operator/);
    await new Promise((r) => setTimeout(r, Math.max(0, signedIn + 11_000 - Date.now())));
    await page.getByRole('navigation').getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('heading', { name: 'Sign in to Ripple', level: 1 }).waitFor();
    assert.match(page.url(), /\/signin\?next=%2Fincidents$/);
    assert.match(await page.getByRole('alert').innerText(), /Your sign-in expired or was revoked: sign in again/);
    await page.screenshot({ path: join(shots, 'oidc-expired.png'), fullPage: true });

    // The provider still knows her (its session lives on): single sign-on
    // comes straight back, without its form.
    await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
    await page.getByTestId('subject').filter({ hasText: 'olga' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/incidents');

    // Signing out ends that session: now the provider asks again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').filter({ hasText: 'You are signed out of Ripple and of' }).waitFor();
    await page.goto(ripple.base + '/incidents');
    await page.getByRole('heading', { name: 'Sign in to Ripple', level: 1 }).waitFor();
    await signInAtProvider(page, op, 'olga');
    assert.equal(new URL(page.url()).pathname, '/incidents');
    await page.getByLabel('Title').fill('Raised after single sign-on');
    const box = page.getByRole('combobox', { name: 'Affected CIs' });
    await box.fill('checkout-ap');
    await page.getByRole('option', { name: /^checkout-api\b/ }).first().click();
    await page.getByRole('button', { name: 'Raise incident' }).click();
    await page.getByRole('heading', { name: /Raised after single sign-on/ }).waitFor();
    assert.match(await page.getByTestId('incident-state').innerText(), /NEW/);
  });

  test('no script error when the session expires', () => {
    assert.deepEqual(pageErrors, []);
  });
});

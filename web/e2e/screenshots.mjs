// Writes the README's screenshots (docs/screenshots/*.png, 1280×800) from a
// real `ripple serve --demo` in headless Chromium: `npm run screenshots`.
// The browser tests keep full-page screenshots of every page in
// web/test-results (not in git); these few are curated and committed.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, CHROMIUM, launch } from './browser.mjs';
import { startRipple } from './server.mjs';

const out = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
if (!chromiumAvailable()) {
  console.error(`${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const ripple = await startRipple();
const browser = await launch();
try {
  const page = await browser.context.newPage();
  const url = (p) => ripple.base + p;
  const shot = async (name) => {
    await page.waitForLoadState('networkidle');
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.screenshot({ path: join(out, `${name}.png`) });
    console.log(`docs/screenshots/${name}.png`);
  };
  const drawn = () => page.waitForFunction(() => document.querySelector('[data-testid=blast-graph]')?.getAttribute('data-drawn') === 'true');

  await page.goto(url('/'));
  await page.getByTestId('service-card').first().waitFor();
  await shot('home');

  await page.goto(url(`/blast?ci=${await ripple.idOf('orders-db-primary')}`));
  await drawn();
  await page.getByTestId('blast-summary').getByRole('button', { name: 'Checkout' }).click();
  await page.getByTestId('selected-path').waitFor();
  await shot('blast');

  await page.goto(url('/changes'));
  await page.getByRole('table', { name: 'Changes' }).getByRole('link', { name: /^Upgrade PostgreSQL/ }).click();
  await page.getByTestId('collisions').waitFor();
  await shot('change');

  await page.goto(url('/incidents'));
  await page.getByTestId('root-causes').getByText('payments-api-0').first().waitFor();
  await shot('incidents');

  await page.goto(url(`/reports/${await ripple.idOf('Checkout')}`));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=chart][data-drawn=true] svg').length === 4);
  await page.getByRole('heading', { name: 'Availability against target' }).scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('reports');
} finally {
  await browser.close();
  await ripple.stop();
}

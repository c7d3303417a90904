// What a person sees on the landing page, in a real browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, artifacts } from './support.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'eelchat exits 0 on SIGTERM');
  }
}, { timeout: 60000 });

test('the landing page renders with its styles, logo and scripts', { timeout: 120000 }, async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('requestfailed', (r) => problems.push('failed: ' + r.url()));

  const res = await page.goto(server.base + '/');
  assert.equal(res.status(), 200);
  assert.equal(await page.title(), 'eelchat');
  await page.getByRole('heading', { name: "The world's finest discussion platform" }).waitFor();

  // Tailwind's orange-50 background and the logo image actually arrived.
  const bg = await page.locator('div.bg-orange-50').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(255, 247, 237)');
  const logoWidth = await page.locator('img[alt="eelchat logo"]').evaluate((img) => img.naturalWidth);
  assert.ok(logoWidth > 0, 'the logo loads');

  // The pinned front-end packages load and run.
  await page.waitForFunction(() => window.htmx && window._hyperscript);
  assert.match(await page.evaluate(() => window.htmx.version), /^2\./);

  await page.screenshot({ path: path.join(artifacts, 'landing.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown page says so, in the same look', { timeout: 120000 }, async () => {
  const page = await browser.newPage();
  const res = await page.goto(server.base + '/no/such/page');
  assert.equal(res.status(), 404);
  await page.getByText('Page not found.').waitFor();
  const bg = await page.locator('div.bg-orange-50').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(255, 247, 237)');
  await page.close();
});

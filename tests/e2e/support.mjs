// Shared by the browser tests: a scratch database, a real build/eelchat on a free port, and Debian's
// chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const adminUrl = process.env.EELCHAT_TEST_DATABASE_URL;
const bin = process.env.EELCHAT_BIN;

export const artifacts = path.resolve(process.env.EELCHAT_ARTIFACTS ?? 'build/e2e-artifacts');
mkdirSync(artifacts, { recursive: true });

function psql(url, sql) {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

// A free TCP port on 127.0.0.1 (to restart an instance on the same address).
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Starts eelchat against a fresh database (or `options.database`, shared with another instance);
// resolves once /readyz answers 200.
export async function startServer(extraEnv = {}, options = {}) {
  if (!adminUrl) throw new Error('EELCHAT_TEST_DATABASE_URL is not set; run the tests with scripts/test');
  if (!bin) throw new Error('EELCHAT_BIN is not set; run the tests through ctest');
  const owned = !options.database;
  const db = options.database ?? 'eelchat_e2e_' + randomBytes(6).toString('hex');
  if (owned) psql(adminUrl, `CREATE DATABASE ${db}`);
  // A known port, so BASE_URL (links, the WebSocket Origin check) matches what the browser uses.
  const port = extraEnv.PORT ?? String(await freePort());
  const env = { ...process.env, DATABASE_URL: withDatabase(adminUrl, db), PORT: String(port), THREADS: '2',
    BASE_URL: `http://localhost:${port}`, ...extraEnv };
  const proc = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  let log = '';
  let out = ''; // standard output: where eelchat prints emails when it has no SMTP settings
  proc.stdout.on('data', (chunk) => { out += chunk; });
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('eelchat did not start:\n' + log)), 30000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /event=listening .*port=(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`eelchat exited with ${code}:\n${log}`)); });
  });
  const base = `http://localhost:${listening}`;
  for (let i = 0; ; i++) {
    const res = await fetch(base + '/readyz').catch(() => null);
    if (res?.status === 200) break;
    if (i > 100) throw new Error('eelchat never became ready:\n' + log);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    database: db,
    port: listening,
    pid: proc.pid,
    log: () => log,
    // Waits (bounded) for the printed email to `to` matching `pattern`; returns the first group.
    async mail(to, pattern, after = 0) {
      for (let i = 0; i < 100; i++) {
        const mails = out.split(/(?=^TO: )/m).filter((m) => m.startsWith(`TO: ${to}\n`));
        for (const m of mails.slice(after)) {
          const found = pattern.exec(m);
          if (found) return found[1];
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no email to ${to} matching ${pattern}:\n${out}`);
    },
    // Stops the server (once; later calls return the same result) and drops its database if it owns it.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      // A graceful stop takes well under its 10 s grace period; a hang is a failure, not a stuck suite.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
      const result = await exited;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') throw new Error('eelchat did not stop on SIGTERM:\n' + log);
      if (owned && !options.keepDatabase) {
        try { psql(adminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`); } catch { /* best effort */ }
      }
      return result;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A fresh browser context (its own cookies) signed in as `email` on `server` through the emailed link.
// `problems` collects page errors and console errors (Chromium's log line for an expected 422 aside).
export async function signIn(browser, server, email, viewport) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 422/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.base + '/');
  await page.getByPlaceholder('Enter your email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByText('Check your inbox').waitFor();
  const link = await server.mail(email, /(http:\/\/\S+\/auth\/verify-link\/[0-9a-f]{64})/);
  await page.goto(link);
  await page.getByText('Select a community, or create a new one.').waitFor();
  return { context, page, problems };
}

// Creates a community from the sidebar's "New community" dialog (its Name field left empty gives the
// numbered default) and waits for its page.
export async function createCommunity(page, name) {
  await page.getByRole('button', { name: 'New community' }).click();
  if (name) await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create community' }).click();
  await page.waitForURL(/\/community\/[0-9a-f-]{36}$/);
}

// Creates a channel in the community shown, from the "New channel" dialog, and waits for its page.
export async function createChannel(page, name, { isPrivate = false } = {}) {
  await page.getByRole('button', { name: 'New channel' }).click();
  if (name) await page.getByLabel('Name').fill(name);
  if (isPrivate) await page.getByLabel('Private').check();
  await page.getByRole('button', { name: 'Create channel' }).click();
  await page.waitForURL(/\/channel\/[0-9a-f-]{36}$/);
}

// Sets the display name on the profile page and waits until it is saved.
export async function setName(page, name) {
  await page.goto(new URL('/profile', page.url()).toString());
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved').first().waitFor();
}

// Types `text` into the message box `box` of `page` and presses Enter; resolves once the box emptied
// (the post was accepted).
export async function send(page, text, box = '#text') {
  await page.locator(box).fill(text);
  await page.locator(box).press('Enter');
  await page.waitForFunction((sel) => document.querySelector(sel).value === '', box);
}

// The texts of the messages in the channel's list, top to bottom.
export const messageTexts = (page) => page.locator('#messages .message p').allInnerTexts();

// Single sign-on through a real OpenID Connect provider (tests/e2e/oidc_provider.mjs), in chromium:
// a person signs in at the provider and lands in eelchat as that email; tokens that are forged, for
// someone else or expired, and a replayed callback, are refused with the error page and no session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, freePort, createCommunity } from './support.mjs';
import { startProvider } from './oidc_provider.mjs';

let provider, server, browser;

function usersWithEmail(email) {
  const u = new URL(process.env.EELCHAT_TEST_DATABASE_URL);
  u.pathname = '/' + server.database;
  const out = execFileSync('psql', [u.toString(), '-qAtc', `SELECT count(*) FROM users WHERE email = '${email}'`]);
  return Number(String(out).trim());
}

before(async () => {
  const port = await freePort();
  provider = await startProvider({ redirectUri: `http://localhost:${port}/auth/oidc/callback` });
  server = await startServer({
    PORT: String(port),
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_NAME: 'Test ID',
  });
  browser = await launchBrowser();
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'eelchat exits 0 on SIGTERM');
  }
  await provider?.stop();
}, { timeout: 60000 });

// From eelchat's landing page through the provider's login and consent pages; resolves with the page
// and the callback URL the provider sent the browser to, once eelchat has answered it.
async function signInAtProvider(email) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const callback = page.waitForResponse((r) => r.url().startsWith(server.base + '/auth/oidc/callback'));
  await page.getByRole('button', { name: 'Continue' }).click();
  const response = await callback;
  await page.waitForLoadState();
  return { context, page, callbackUrl: response.url(), callbackStatus: response.status() };
}

async function assertSignedOut(page) {
  await page.goto(server.base + '/app');
  assert.equal(new URL(page.url()).pathname, '/', 'the app sends a browser without a session to sign in');
}

test('a person signs in through the provider and comes back to the same account', { timeout: 120000 }, async () => {
  const email = 'ada@example.org';
  const first = await signInAtProvider(email);
  assert.equal(first.callbackStatus, 303);
  await first.page.getByText('Select a community, or create a new one.').waitFor();
  await first.page.getByText(email).first().waitFor();
  await createCommunity(first.page, 'Signed in by SSO');
  await first.context.close();

  const second = await signInAtProvider(email);
  await second.page.getByText('Select a community, or create a new one.').waitFor();
  // The community the first sign-in created is this account's: the switcher lists it.
  await second.page.locator('#community-switcher option', { hasText: 'Signed in by SSO' }).waitFor({ state: 'attached' });
  assert.equal(usersWithEmail(email), 1, 'the second sign-in finds the same user');
  await second.context.close();
});

// Each tampered token fails for its own reason, which only the log says.
for (const [mode, email, reason] of [
  ['bad-signature', 'mallory@example.org', /signature does not verify/],
  ['wrong-aud', 'aud@example.org', /audience does not include the client id/],
  ['expired', 'late@example.org', /the ID token has expired/]]) {
  test(`an ID token with ${mode} is refused`, { timeout: 120000 }, async () => {
    provider.setTamper(mode);
    const before = provider.tamperedCount();
    try {
      const { context, page, callbackStatus } = await signInAtProvider(email);
      assert.equal(provider.tamperedCount(), before + 1, 'the token endpoint answered with the tampered token');
      assert.equal(callbackStatus, 400);
      await page.getByRole('heading', { name: 'Single sign-on failed' }).waitFor();
      await page.getByText("Single sign-on failed: the provider's answer could not be verified.").waitFor();
      await assertSignedOut(page);
      assert.equal(usersWithEmail(email), 0, 'no user was created');
      await context.close();
    } finally {
      provider.setTamper(null);
    }
    const failures = server.log().split('\n').filter((l) => l.includes('event=sso_failed'));
    assert.ok(failures.some((l) => reason.test(l)), `the log says why: ${failures.join('\n')}`);
  });
}

test('a replayed callback is refused', { timeout: 120000 }, async () => {
  const { context, page, callbackUrl } = await signInAtProvider('replay@example.org');
  await page.getByText('Select a community, or create a new one.').waitFor();
  const again = await page.goto(callbackUrl);
  assert.equal(again.status(), 400);
  await page.getByText('Single sign-on failed: this sign-in has expired or was already used').waitFor();
  await context.close();

  // The same URL in another browser, which never began a sign-in: refused too, and signed out.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  const res = await strangerPage.goto(callbackUrl);
  assert.equal(res.status(), 400);
  await strangerPage.getByRole('heading', { name: 'Single sign-on failed' }).waitFor();
  await assertSignedOut(strangerPage);
  await stranger.close();
});

test('with EMAIL_SIGNIN=off only single sign-on is offered and the email routes are refused', { timeout: 120000 }, async () => {
  const port = await freePort();
  const ssoOnly = await startServer({
    PORT: String(port), EMAIL_SIGNIN: 'off', OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret,
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(ssoOnly.base + '/');
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
    assert.equal(await page.getByPlaceholder('Enter your email address').count(), 0);
    await page.goto(ssoOnly.base + '/signin');
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
    assert.equal(await page.getByPlaceholder('Enter your email address').count(), 0);
    const refused = await page.goto(ssoOnly.base + '/link-sent?email=a@example.org');
    assert.equal(refused.status(), 403);
    await page.getByText('This server does not send sign-in links or codes.').waitFor();
    await context.close();
  } finally {
    await ssoOnly.stop();
  }
});

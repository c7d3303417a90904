// Two instances behind Debian's nginx running deploy/nginx.conf, as the README's Operations section sets
// them up: people chat through the proxy; a rolling restart (SIGTERM one instance, wait, start it again,
// then the other) moves every browser to the instance that is up, through nginx, and each page shows
// what was posted meanwhile once each, in order. While an instance drains, /readyz says 503 before its
// WebSockets close.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send, messageTexts, freePort } from './support.mjs';
import { startNginx } from './nginx.mjs';

let a, b, proxy, browser, front;
const env = {};
before(async () => {
  const port = await freePort();
  Object.assign(env, { TRUST_PROXY: '1', BASE_URL: `http://localhost:${port}`, SHUTDOWN_DRAIN_MS: '3000' });
  // The database outlives whichever instance stops first (the throwaway PostgreSQL goes at the end).
  a = await startServer(env, { keepDatabase: true });
  b = await startServer(env, { database: a.database });
  // nginx listens on the port BASE_URL names: the WebSocket Origin check compares them.
  proxy = await startNginx([a.port, b.port], port);
  browser = await launchBrowser();
  // Signing in through the proxy: the email goes out from whichever instance took the request.
  front = { base: proxy.base, mail: (to, pattern, n) => Promise.any([a.mail(to, pattern, n), b.mail(to, pattern, n)]) };
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await b?.stop();
  await a?.stop();
}, { timeout: 60000 });

// When an instance last accepted a WebSocket (the timestamp of its last request log line with status=101).
function lastUpgrade(server) {
  const lines = server.log().match(/^ts=\S+ .*event=request .*status=101.*$/gm) ?? [];
  return lines.length ? lines[lines.length - 1].split(' ')[0] : '';
}

async function until(what, check, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for ' + what);
}

// Resolves with the time (ms since the epoch) and code of the page's next WebSocket close.
const nextClose = (page) => page.evaluate(() => new Promise((resolve) => {
  document.body.addEventListener('htmx:wsClose', (e) => resolve({ at: Date.now(), code: e.detail.event.code }), { once: true });
}));

test('chat through nginx survives a rolling restart of both instances', { timeout: 180000 }, async () => {
  try {
    await rollingRestart();
  } catch (e) {
    // What nginx and both instances said, for whoever reads a failure in CI.
    console.error('nginx:\n' + proxy.log() + '\ninstance a:\n' + a.log().slice(-6000) + '\ninstance b:\n' +
      b.log().slice(-6000));
    throw e;
  }
});

async function rollingRestart() {
  const alice = await signIn(browser, front, 'alice@example.com');
  await createCommunity(alice.page);
  await createChannel(alice.page);
  const channelPath = new URL(alice.page.url()).pathname;
  await alice.page.locator('#messages[data-href]').waitFor();

  const bob = await signIn(browser, front, 'bob@example.com');
  await bob.page.goto(proxy.base + channelPath.replace(/\/channel\/.*$/, ''));
  await bob.page.getByRole('button', { name: 'Join this community' }).click();
  await bob.page.goto(proxy.base + channelPath);

  const expected = [];
  const post = async (page, text) => { await send(page, text); expected.push(text); };
  // Bob's page was rendered before this post, so it shows it only through its WebSocket: once it does,
  // his socket is the newest one either instance accepted. That instance goes first.
  await post(alice.page, 'hello through nginx');
  await bob.page.locator('#messages').getByText('hello through nginx').waitFor();
  const first = lastUpgrade(a) > lastUpgrade(b) ? a : b;

  // Step 1: SIGTERM the instance holding Bob's socket. It drains: /readyz says 503 first, while the
  // socket is still open; then the socket closes (1012) and the page reconnects through nginx.
  const closed = nextClose(bob.page);
  const stopped = first.stop();
  // The signal is handled asynchronously: ask until the answer changes.
  const drainingAt = await until('/readyz to answer 503', async () => {
    const res = await fetch(first.base + '/readyz').catch(() => null);
    return res?.status === 503 && (await res.text()) === 'draining\n' ? Date.now() : null;
  });
  const close = await closed;
  assert.ok(drainingAt < close.at, '/readyz answered 503 before the WebSocket closed');
  assert.ok([1012, 1006].includes(close.code), `closed with ${close.code}`);
  for (const n of [1, 2, 3]) await post(alice.page, `while moving ${n}`);
  await stopped;

  await bob.page.locator('#messages').getByText('while moving 3').waitFor({ timeout: 30000 });
  await post(bob.page, 'bob is back');
  await alice.page.locator('#messages').getByText('bob is back').waitFor();

  // Step 2: the first instance comes back on its port; then the other one stops. Everybody ends up on
  // the restarted one.
  const second = first === a ? b : a;
  const again = await startServer({ ...env, PORT: String(first.port) }, { database: a.database });
  if (first === a) a = again; else b = again;
  // nginx took the stopped instance out for fail_timeout; the next one may stop only once nginx sends
  // traffic to the restarted one again (the README's rolling restart says to wait for the same).
  await until('nginx to route to the restarted instance', async () => {
    await fetch(proxy.base + '/healthz');
    return /event=request .*path=\/healthz/.test(again.log());
  });
  const bobClosed = nextClose(bob.page);
  const aliceClosed = nextClose(alice.page);
  const stopping = second.stop();
  await Promise.all([bobClosed, aliceClosed]);
  for (const n of [1, 2]) await post(bob.page, `after the restart ${n}`);
  await stopping;
  await alice.page.locator('#messages').getByText('after the restart 2').waitFor({ timeout: 30000 });
  await post(alice.page, 'all done');
  await bob.page.locator('#messages').getByText('all done').waitFor();

  // Once each, in order, on both pages; and after a reload (from the database) the same.
  assert.deepEqual(await messageTexts(bob.page), expected);
  assert.deepEqual(await messageTexts(alice.page), expected);
  await bob.page.reload();
  await bob.page.locator('#messages').getByText('all done').waitFor();
  assert.deepEqual(await messageTexts(bob.page), expected);
  await alice.context.close();
  await bob.context.close();
}

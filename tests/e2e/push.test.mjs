// Web Push end to end, with two eelchat instances on one database and a stand-in push service that checks
// every request the way a browser vendor's would (push_service.mjs: the VAPID JWT with npm's jose, the
// RFC 8291 payload decrypted with npm's http_ece). Bob's page subscribes itself (the browser's own
// PushManager is replaced by one that hands out the stand-in's subscription, as Chromium here has no push
// service to talk to); Alice mentions him while he has no eelchat tab open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send, setName, freePort } from './support.mjs';
import { startPushService } from './push_service.mjs';

let a, b, strict, browser, push;
const metricsPorts = [];
before(async () => {
  push = await startPushService();
  metricsPorts.push(await freePort(), await freePort());
  a = await startServer({ PUSH_ALLOW_PRIVATE: '1', METRICS_ADDR: `127.0.0.1:${metricsPorts[0]}` });
  b = await startServer({ PUSH_ALLOW_PRIVATE: '1', METRICS_ADDR: `127.0.0.1:${metricsPorts[1]}` },
    { database: a.database });
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  await strict?.stop();
  await b?.stop();
  await a?.stop();
  await push?.close();
}, { timeout: 60000 });

// How many queued notifications both instances together left unpushed for `outcome` (e.g. visible).
async function notificationsCounted(outcome) {
  let n = 0;
  for (const port of metricsPorts) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new RegExp(`^eelchat_push_notifications_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
    if (m) n += Number(m[1]);
  }
  return n;
}
async function untilCounted(outcome, n) {
  for (let i = 0; i < 200 && (await notificationsCounted(outcome)) < n; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await notificationsCounted(outcome), n, `notifications counted as ${outcome}`);
}

// POSTs a subscription from the page, with its CSRF token as the page script does; [status, text].
const postSubscription = (page, sub, { csrf = true } = {}) => page.evaluate(async ([sub, csrf]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
  const headers = { 'Content-Type': 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = token;
  const res = await fetch('/push/subscriptions', { method: 'POST', headers, body: JSON.stringify(sub) });
  return [res.status, await res.text()];
}, [sub, csrf]);

// Replaces the browser's PushManager with one that hands out `sub` and remembers the key it was given.
async function fakePushManager(context, sub) {
  await context.addInitScript((sub) => {
    let current = null;
    PushManager.prototype.getSubscription = async function () { return current; };
    PushManager.prototype.subscribe = async function (options) {
      const key = new Uint8Array(options.applicationServerKey);
      window.__pushKey = btoa(String.fromCharCode(...key)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      current = { endpoint: sub.endpoint, options, toJSON: () => sub, unsubscribe: async () => { current = null; return true; } };
      return current;
    };
  }, sub);
}

test('the VAPID key is the installation\'s, and subscriptions are checked', { timeout: 60000 }, async () => {
  const keyA = await (await fetch(a.base + '/push/vapid-public-key')).text();
  const keyB = await (await fetch(b.base + '/push/vapid-public-key')).text();
  assert.equal(keyA, keyB, 'both instances sign with the one key pair of the database');
  const raw = Buffer.from(keyA, 'base64url');
  assert.equal(raw.length, 65);
  assert.equal(raw[0], 4);
  assert.equal(raw.toString('base64url'), keyA);

  strict = await startServer({}, { database: a.database });
  const carol = await signIn(browser, strict, 'carol@example.com');
  const good = push.subscribe('carol');
  assert.equal((await postSubscription(carol.page, good, { csrf: false }))[0], 403, 'no CSRF token, no change');
  const [status, text] = await postSubscription(carol.page, good);
  assert.equal(status, 422, 'without PUSH_ALLOW_PRIVATE an http endpoint is refused');
  assert.match(text, /https/);
  const https = { ...good, endpoint: good.endpoint.replace('http:', 'https:') };
  const [status2, text2] = await postSubscription(carol.page, https);
  assert.equal(status2, 422, 'and so is one on a loopback address');
  assert.match(text2, /not a public address|cannot be reached/);
  const badKeys = { ...https, endpoint: 'https://push.example.net/x', keys: { p256dh: 'AAAA', auth: good.keys.auth } };
  assert.equal((await postSubscription(carol.page, badKeys))[0], 422);
  await carol.context.close();
  await strict.stop();
});

test('mentions and direct pushes reach every browser of a person with no visible tab, once', { timeout: 180000 }, async () => {
  try {
    await pushes();
  } catch (e) {
    for (const s of [a, b]) console.log(s.log().split('\n').filter((l) => /push|notification|error|warn/i.test(l)).join('\n'));
    throw e;
  }
});

async function pushes() {
  const key = await (await fetch(a.base + '/push/vapid-public-key')).text();
  const alice = await signIn(browser, a, 'alice@example.com');
  const bob = await signIn(browser, b, 'bob@example.com');
  const A = alice.page;
  let B = bob.page;
  await setName(A, 'Alice');
  await setName(B, 'Bob');
  await createCommunity(A, 'Eel fans');
  const communityPath = new URL(A.url()).pathname;
  await createChannel(A, 'general');
  const generalPath = new URL(A.url()).pathname;
  await B.goto(b.base + communityPath);
  await B.getByRole('button', { name: 'Join this community' }).click();

  // Bob's page subscribes this browser by itself once notifications are allowed.
  const page = push.subscribe('bob-page');
  await fakePushManager(bob.context, page);
  await bob.context.grantPermissions(['notifications'], { origin: b.base });
  await B.goto(b.base + generalPath);
  await B.getByRole('button', { name: 'Notifications on' }).waitFor();
  assert.equal(await B.evaluate(() => window.__pushKey), key, 'subscribed with the server\'s VAPID key');
  // The service worker that shows them is installed for the whole site, and the app has a manifest.
  assert.equal(await B.evaluate(async () => (await navigator.serviceWorker.getRegistration('/'))?.scope),
    b.base + '/');
  const manifest = await (await fetch(b.base + '/manifest.webmanifest')).json();
  assert.equal(manifest.start_url, '/app');
  assert.equal(manifest.display, 'standalone');
  // Two more browsers of his: one whose subscription expired (410), one whose push service is busy once.
  assert.equal((await postSubscription(B, push.subscribe('bob-gone', 410)))[0], 201);
  assert.equal((await postSubscription(B, push.subscribe('bob-busy', (n) => (n === 0 ? 503 : 201))))[0], 201);

  // Alice watches who is here from the members page.
  const members = await alice.context.newPage();
  await members.goto(a.base + communityPath + '/members');
  const bobDot = (state) => members.locator('li', { hasText: 'Bob' }).getByRole('img', { name: state });
  await bobDot('online').waitFor();
  await B.close();
  await bobDot('offline').waitFor({ timeout: 60000 });

  // Alice, on the other instance, mentions him.
  await send(A, 'ping @**Bob** are you there?');
  await push.until(() => push.received('bob-page').length === 1 && push.received('bob-gone').length === 1,
    'the first push');
  const first = push.received('bob-page')[0];
  assert.equal(first.k, key);
  assert.equal(first.claims.aud, push.origin);
  assert.equal(first.payload.title, 'Alice in #general');
  assert.match(first.payload.body, /are you there\?/);
  assert.match(first.payload.url, /^\/community\/[0-9a-f-]{36}\/channel\/[0-9a-f-]{36}\?at=[0-9a-f-]{36}$/);
  // The busy one is tried again a little later, and only it.
  await push.until(() => push.received('bob-busy').length === 2, 'the retry of the busy push service');
  assert.equal(push.received('bob-busy')[1].payload.body, first.payload.body);

  // A message that does not mention him tells him nothing; the next mention does, once, and the
  // subscription that was gone is no longer tried.
  await send(A, 'just chatting');
  await send(A, 'and again @**Bob**');
  await push.until(() => push.received('bob-page').length === 2, 'the second push');
  assert.equal(push.received('bob-page')[1].payload.body, 'and again @Bob');
  assert.equal(push.received('bob-gone').length, 1, 'the expired subscription was removed');
  await push.until(() => push.received('bob-busy').length === 3, 'the second push to the other browser');
  assert.equal(push.received('bob-page').length, 2, 'each message is pushed once, with two instances');

  // While Bob has eelchat in front of him, he gets no push.
  B = await bob.context.newPage();
  await B.goto(b.base + generalPath);
  await bobDot('online').waitFor();
  await send(A, 'while you look @**Bob**');
  await B.locator('#messages .message', { hasText: 'while you look' }).waitFor();
  await untilCounted('visible', 1);
  // He asks for every message of general, then leaves.
  const saved = B.waitForResponse((r) => r.url().endsWith('/notifications'));
  await B.getByLabel('Notify me').selectOption('all');
  assert.equal((await saved).status(), 204);
  await B.close();
  await bobDot('offline').waitFor({ timeout: 60000 });
  await send(A, 'plain news for everyone');
  await push.until(() => push.received('bob-page').length === 3, 'the push of a message in an "all" channel');
  assert.equal(push.received('bob-page')[2].payload.body, 'plain news for everyone',
    'nothing was pushed while his tab was visible');

  // The notification's address opens the channel with the message.
  B = await bob.context.newPage();
  await B.goto(b.base + first.payload.url);
  await B.locator('#messages .message', { hasText: 'are you there?' }).waitFor();

  // What the browser does with the pushed payload: the service worker shows it as a notification.
  const cdp = await bob.context.newCDPSession(B);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  for (let i = 0; i < 100 && !registrations.some((r) => !r.isDeleted); i++) await new Promise((r) => setTimeout(r, 50));
  const registration = registrations.find((r) => !r.isDeleted);
  await cdp.send('ServiceWorker.deliverPushMessage',
    { origin: b.base, registrationId: registration.registrationId, data: JSON.stringify(first.payload) });
  const shown = () => B.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
    .map((n) => ({ title: n.title, body: n.body, url: n.data.url })));
  let notifications = [];
  for (let i = 0; i < 100 && !notifications.length; i++) {
    notifications = await shown();
    if (!notifications.length) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(notifications, [{ title: 'Alice in #general', body: first.payload.body, url: first.payload.url }]);
  assert.deepEqual(push.problems, []);
  assert.deepEqual(alice.problems, []);
}

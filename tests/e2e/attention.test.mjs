// Attention in real browsers, Alice and Bob on two eelchat instances sharing one database: an @mention
// picked from the composer's list shows on Bob's other page as unread and mentioned, live; reading the
// channel on one of Bob's pages clears it on the other; typing and presence appear and go; the unread
// state survives a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send, setName } from './support.mjs';

let a, b, browser;
before(async () => {
  a = await startServer();
  b = await startServer({}, { database: a.database });
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  await b?.stop();
  await a?.stop();
}, { timeout: 60000 });

const sidebarLink = (page, name) =>
  page.getByRole('navigation', { name: 'Communities and channels' }).getByRole('link', { name });

test('mentions, unread marks, typing and presence across two instances', { timeout: 240000 }, async () => {
  const alice = await signIn(browser, a, 'alice@example.com');
  const bob = await signIn(browser, b, 'bob@example.com');
  const A = alice.page, B = bob.page;
  await setName(A, 'Alice');
  await setName(B, 'Bob');

  await createCommunity(A, 'Eel fans');
  const communityPath = new URL(A.url()).pathname;
  await createChannel(A, 'general');
  const generalPath = new URL(A.url()).pathname;
  await createChannel(A, 'random');
  const randomPath = new URL(A.url()).pathname;
  await B.goto(b.base + communityPath);
  await B.getByRole('button', { name: 'Join this community' }).click();
  await B.goto(b.base + randomPath);
  // Bob's second page, on the other instance: the members list.
  const B2 = await bob.context.newPage();
  await B2.goto(a.base + communityPath + '/members');

  // Presence: Alice has eelchat open, and Bob's pages say so.
  const aliceDot = B2.locator('li', { hasText: 'Alice' }).locator('[title]').first();
  await B2.locator('li', { hasText: 'Alice' }).getByRole('img', { name: 'online' }).waitFor();
  assert.equal(await aliceDot.getAttribute('title'), 'online');

  // Alice mentions Bob in general, picking him from the list the composer offers after "@".
  await A.goto(a.base + generalPath);
  await A.locator('#text').click();
  await A.keyboard.type('hello @Bo');
  await A.getByRole('option', { name: 'Bob' }).waitFor();
  await A.keyboard.press('Enter');
  assert.match(await A.locator('#text').inputValue(), /@\*\*Bob\*\* $/);
  await A.keyboard.type('are you there?');
  await A.keyboard.press('Enter');
  await A.locator('#messages .mention', { hasText: '@Bob' }).waitFor();

  // Bob, on random (instance B), sees general unread and mentioned, live.
  await sidebarLink(B, /general.*1 unread.*mentioned/).waitFor();
  assert.match(await B.title(), /^\(1\) /);
  // His other page (instance A) too.
  await sidebarLink(B2, /general.*1 unread.*mentioned/).waitFor();

  // A message in general without a mention counts, without adding a mention.
  await send(A, 'second message');
  await sidebarLink(B, /general.*2 unread/).waitFor();

  // The state survives a reload.
  await B.reload();
  await sidebarLink(B, /general.*2 unread.*mentioned/).waitFor();

  // Typing: Alice types in random, Bob (on random) sees it, and it goes away when she stops.
  await A.goto(a.base + randomPath);
  await A.locator('#text').click();
  await A.keyboard.type('thinking');
  await B.locator('#typing', { hasText: 'Alice is typing' }).waitFor();
  await B.waitForFunction(() => document.getElementById('typing').textContent === '', null, { timeout: 20000 });

  // Bob reads general on his other page: the New line sits above the first unread message, and the
  // marks go from his first page.
  await B2.goto(a.base + generalPath);
  const line = B2.getByRole('separator').filter({ hasText: 'New' });
  await line.waitFor();
  const after = await B2.evaluate(() => {
    let el = document.getElementById('new-messages').nextElementSibling;
    while (el && !el.classList.contains('message')) el = el.nextElementSibling;
    return el && el.textContent;
  });
  assert.match(after, /hello @Bob are you there\?/);
  await B2.locator('#messages .message-mentions-me').first().waitFor();
  await sidebarLink(B, 'general').waitFor();
  await B.waitForFunction(() => Array.from(document.querySelectorAll('.channel-row .unread-badge')).every((x) => x.hidden));
  assert.equal(await sidebarLink(B, /unread/).count(), 0);
  await B.reload();
  assert.equal(await sidebarLink(B, /unread/).count(), 0, 'read stays read after a reload');

  // Mark as unread, on Bob's reading page: his other page shows the channel unread again.
  const msg = B2.locator('#messages .message', { hasText: 'second message' });
  await msg.hover();
  await msg.getByRole('button', { name: 'Mark as unread' }).click();
  await sidebarLink(B, /general.*1 unread/).waitFor();

  // Presence: Alice closes her last page; Bob sees her go.
  await B.goto(b.base + communityPath + '/members');
  await B.locator('li', { hasText: 'Alice' }).getByRole('img', { name: 'online' }).waitFor();
  await alice.context.close();
  await B.locator('li', { hasText: 'Alice' }).getByRole('img', { name: 'offline' }).waitFor({ timeout: 60000 });
});

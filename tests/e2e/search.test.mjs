// Search in a real browser, two eelchat instances sharing one database: a message posted on instance B
// is found from the search box on instance A as one types, with the word marked; a private channel the
// searcher is not in and a deleted message are never found; opening a result shows the channel at that
// message, highlighted, with the way back to the newest messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send } from './support.mjs';

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

const message = (page, text) => page.locator('#messages .message', { hasText: text });

test('search finds what others posted on the other instance, never private or deleted messages', { timeout: 180000 }, async () => {
  const bob = await signIn(browser, b, 'bob@example.com');
  const alice = await signIn(browser, a, 'alice@example.com');
  const B = bob.page, A = alice.page;

  // Bob (instance B) runs the community: a public channel, and a private one Alice is not in.
  await createCommunity(B, 'Search fans');
  const communityPath = new URL(B.url()).pathname;
  await createChannel(B, 'general');
  const generalPath = new URL(B.url()).pathname;
  await createChannel(B, 'hideout', { isPrivate: true });
  await send(B, 'zanzibar hideout plans');

  await A.goto(a.base + communityPath);
  await A.getByRole('button', { name: 'Join this community' }).click();
  await A.getByRole('link', { name: 'general' }).waitFor();

  // In general: one message to find, one deleted, and newer ones after it.
  await B.goto(b.base + generalPath);
  await send(B, 'the zanzibar migration report <is> here');
  await send(B, 'zanzibar mistake');
  await message(B, 'zanzibar mistake').hover();
  await message(B, 'zanzibar mistake').getByRole('button', { name: 'Delete', exact: true }).click();
  await message(B, 'zanzibar mistake').waitFor({ state: 'detached' });
  for (let i = 1; i <= 3; i++) await send(B, `later message ${i}`);

  // Alice types into the search box; the results come as she types, the word marked.
  const box = A.getByRole('searchbox', { name: 'Search' });
  await box.fill('zanzib');
  const hit = A.locator('.search-hit', { hasText: 'zanzibar migration report' });
  await hit.waitFor();
  assert.equal(await hit.locator('mark').first().innerText(), 'zanzibar');
  assert.match(await hit.innerText(), /general/);
  assert.match(await hit.innerText(), /<is> here/, 'the text is shown as typed, escaped');
  assert.equal(await A.locator('.search-hit').count(), 1, 'neither the private nor the deleted message');
  await box.fill('zanzibar hideout ');
  await A.getByText('No messages match.').waitFor();
  await box.fill('zanzibar mistake ');
  await A.getByText('No messages match.').waitFor();

  // The page itself, without htmx, answers at its address; a bad query gets a message, not an error.
  const page = await A.context().request.get(a.base + communityPath + '/search?q=' + encodeURIComponent('"zanzibar migration"'));
  assert.equal(page.status(), 200);
  assert.match(await page.text(), /<mark>zanzibar<\/mark> <mark>migration<\/mark>/);
  const bad = await A.context().request.get(a.base + communityPath + '/search?q=' + encodeURIComponent('-zanzibar'));
  assert.equal(bad.status(), 200);
  assert.match(await bad.text(), /Add a word to look for/);

  // Opening the result: the channel at that message, highlighted and in view, and a way back.
  await box.fill('zanzibar migration');
  await A.locator('.search-hit', { hasText: 'zanzibar migration report' }).waitFor();
  await A.locator('.search-hit-link', { hasText: 'zanzibar migration report' }).click();
  await A.waitForURL(/\/channel\/[0-9a-f-]{36}\?at=[0-9a-f-]{36}$/);
  const opened = A.locator('#messages .message-at');
  await opened.waitFor();
  assert.match(await opened.innerText(), /zanzibar migration report/);
  assert.equal(await A.locator('#messages .message-at').count(), 1);
  await A.waitForFunction(() => {
    const m = document.querySelector('#messages .message-at');
    const list = document.getElementById('messages');
    const r = m.getBoundingClientRect(), l = list.getBoundingClientRect();
    return r.top >= l.top - 1 && r.bottom <= l.bottom + 1;
  });
  await message(A, 'later message 3').waitFor();
  await A.getByRole('link', { name: 'Jump to the newest messages' }).click();
  await A.waitForURL(a.base + generalPath);
  assert.deepEqual(alice.problems, []);
});

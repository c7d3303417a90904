// Two people in real browsers: sign in through the printed link, create a community and a channel,
// post, reload and see the message; a second person joins by URL and sees it too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, artifacts, signIn, createCommunity, createChannel } from './support.mjs';

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

const signedIn = (email, viewport) => signIn(browser, server, email, viewport);

test('sign in, create a community and a channel, post, and a second person joins and reads', { timeout: 120000 }, async () => {
  const alice = await signedIn('alice@example.com');
  const a = alice.page;
  await createCommunity(a);
  const communityUrl = a.url();
  await createChannel(a);
  const channelUrl = a.url();

  // Enter sends; Shift+Enter makes a new line inside the message.
  const box = a.locator('#text');
  await box.fill('Hello from Alice <b>not bold</b>');
  await box.press('Shift+Enter');
  await box.type('second line');
  const posted = a.waitForResponse((r) => r.request().method() === 'POST' && r.url() === channelUrl);
  await box.press('Enter');
  assert.equal((await posted).status(), 200);
  await a.waitForFunction(() => document.querySelector('#text').value === '');

  // An empty message is refused, visibly, and nothing is stored.
  await box.fill('   ');
  await a.getByRole('button', { name: 'Send' }).click();
  await a.getByText('empty messages are not sent').waitFor();

  await a.reload();
  const message = a.locator('#messages .message').last();
  await message.getByText('Hello from Alice <b>not bold</b>').waitFor();
  assert.equal(await a.locator('#messages b').count(), 0, 'user text is never markup');
  assert.match(await message.locator('p').innerText(), /not bold<\/b>\nsecond line$/);
  await a.screenshot({ path: path.join(artifacts, 'channel.png'), fullPage: true });

  // Bob opens the shared community URL, joins, and reads Alice's message in the channel.
  const bob = await signedIn('bob@example.com', { width: 390, height: 844 });
  const b = bob.page;
  await b.goto(communityUrl);
  await b.getByRole('button', { name: 'Join this community' }).click();
  await b.getByRole('link', { name: /Channel #\d+/ }).click();
  await b.waitForURL(channelUrl);
  await b.getByText('Hello from Alice <b>not bold</b>').waitFor();
  await b.screenshot({ path: path.join(artifacts, 'channel-phone.png'), fullPage: true });
  // On a phone-width screen nothing runs off the side.
  const overflow = await b.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  // Bob is a member, not an admin: no channel controls.
  assert.equal(await b.getByRole('button', { name: 'New channel' }).count(), 0);

  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
  await alice.context.close();
  await bob.context.close();
});

test('an admin deletes a channel from the sidebar', { timeout: 120000 }, async () => {
  const carol = await signedIn('carol@example.com');
  const c = carol.page;
  await createCommunity(c);
  await createChannel(c);
  const title = await c.locator('nav span.font-bold').innerText();
  c.once('dialog', (d) => d.accept());
  await c.getByRole('button', { name: `Delete ${title}` }).click();
  await c.waitForURL(/\/community\/[0-9a-f-]{36}$/);
  await c.getByText('This community has no channels yet.').waitFor();
  assert.deepEqual(carol.problems, []);
  await carol.context.close();
});

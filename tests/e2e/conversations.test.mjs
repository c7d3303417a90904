// Conversations in real browsers, two people on two eelchat instances sharing one database: names, markdown,
// edit, delete, reactions and replies seen live by the other person; a page whose connection was cut
// while messages were edited and reacted to shows the final state after reconnecting, nothing twice;
// renames live; private channels and direct messages in the sidebar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, artifacts, send, setName } from './support.mjs';

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

// An action of a message: its toolbar shows on hover (and keyboard focus).
async function act(page, text, action) {
  const m = message(page, text);
  await m.hover();
  await m.getByRole('button', { name: action, exact: true }).click();
}

test('edit, delete, react and reply while another person watches on the other instance', { timeout: 180000 }, async () => {
  const alice = await signIn(browser, a, 'alice@example.com');
  const bob = await signIn(browser, b, 'bob@example.com');
  const A = alice.page, B = bob.page;
  await setName(A, 'Alice');
  await setName(B, 'Bob');

  // Names: the create dialogs ask for one.
  await createCommunity(A, 'Eel fans');
  const communityPath = new URL(A.url()).pathname;
  await createChannel(A, 'general');
  const channelPath = new URL(A.url()).pathname;
  await A.getByRole('heading', { name: 'general' }).waitFor();
  await B.goto(b.base + communityPath);
  await B.getByRole('button', { name: 'Join this community' }).click();
  await B.getByRole('link', { name: 'general' }).click();
  await B.waitForURL(b.base + channelPath);

  // Markdown, rendered for both.
  await send(A, 'hello **world**');
  await B.locator('#messages strong', { hasText: 'world' }).waitFor();

  // Alice edits; Bob sees the new text and the mark. Bob has no Edit button on Alice's message.
  await act(A, 'hello world', 'Edit');
  const box = A.locator('#messages textarea[name="text"]');
  await box.fill('hello _there_');
  await A.locator('#messages').getByRole('button', { name: 'Save' }).click();
  await B.locator('#messages em', { hasText: 'there' }).waitFor();
  await message(B, 'hello there').getByText('(edited)').waitFor();
  await message(B, 'hello there').hover();
  assert.equal(await message(B, 'hello there').getByRole('button', { name: 'Edit', exact: true }).count(), 0);

  // Reactions: both react with 👍, the count is 2 for both; Bob's own is pressed; clicking it removes it.
  await act(B, 'hello there', 'Add reaction');
  await B.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: '👍', exact: true }).click();
  await message(A, 'hello there').getByRole('button', { name: '👍 1' }).waitFor();
  await act(A, 'hello there', 'Add reaction');
  await A.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: '👍', exact: true }).click();
  const bobsReaction = message(B, 'hello there').getByRole('button', { name: '👍 2' });
  await bobsReaction.waitFor();
  assert.equal(await bobsReaction.getAttribute('aria-pressed'), 'true');
  await bobsReaction.click();
  await message(A, 'hello there').getByRole('button', { name: '👍 1' }).waitFor();
  // Any emoji typed works too.
  await act(B, 'hello there', 'Add reaction');
  await B.getByLabel('Any emoji').fill('🦀');
  await B.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: 'Add' }).click();
  await message(A, 'hello there').getByRole('button', { name: '🦀 1' }).waitFor();

  // Replies: Bob replies in the thread; Alice sees the count, opens the thread, and sees the next reply live.
  await act(B, 'hello there', 'Reply');
  const thread = B.getByRole('complementary', { name: 'Thread' });
  await thread.locator('textarea[name="text"]').waitFor();
  await send(B, 'a reply from bob', '#thread-text');
  await message(A, 'hello there').getByRole('button', { name: '1 reply' }).click();
  const aliceThread = A.getByRole('complementary', { name: 'Thread' });
  await aliceThread.getByText('a reply from bob').waitFor();
  await send(B, 'and another', '#thread-text');
  await aliceThread.getByText('and another').waitFor();
  await message(A, 'hello there').getByRole('button', { name: '2 replies' }).waitFor();
  assert.equal(await A.locator('#messages').getByText('a reply from bob').count(), 0, 'replies stay in the thread');
  await A.keyboard.press('Escape');
  assert.equal(await aliceThread.locator('textarea').count(), 0, 'Escape closes the thread');

  // Delete: Bob deletes his own message; it disappears for Alice.
  await send(B, 'a mistake');
  await message(A, 'a mistake').waitFor();
  await act(B, 'a mistake', 'Delete');
  await message(A, 'a mistake').waitFor({ state: 'detached' });

  // Up arrow in the empty composer edits one's last message.
  await A.locator('#text').focus();
  await A.keyboard.press('ArrowUp');
  await A.locator('#messages textarea[name="text"]').waitFor();
  await A.keyboard.press('Escape');

  // Bob's connection is cut (his instance restarts); meanwhile Alice edits and reacts. After the
  // reconnect Bob's page shows the final state, each message once.
  const closed = B.evaluate(() => new Promise((resolve) => {
    document.body.addEventListener('htmx:wsClose', () => resolve(true), { once: true });
  }));
  await b.stop();
  await closed;
  await act(A, 'hello there', 'Edit');
  await A.locator('#messages textarea[name="text"]').fill('the final text');
  await A.locator('#messages').getByRole('button', { name: 'Save' }).click();
  await message(A, 'the final text').waitFor();
  await act(A, 'the final text', 'Add reaction');
  await A.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: '🎉', exact: true }).click();
  await message(A, 'the final text').getByRole('button', { name: '🎉 1' }).waitFor();
  b = await startServer({ PORT: String(b.port) }, { database: a.database });
  await message(B, 'the final text').getByRole('button', { name: '🎉 1' }).waitFor({ timeout: 30000 });
  assert.equal(await B.locator('#messages .message').count(), 1);
  assert.equal(await message(B, 'the final text').getByText('(edited)').count(), 1);

  // Rename: live in Bob's page.
  await A.getByRole('button', { name: 'Rename' }).click();
  await A.getByLabel('Name').fill('eel-talk');
  await A.getByRole('button', { name: 'Save' }).click();
  await B.getByRole('heading', { name: 'eel-talk' }).waitFor();
  await B.screenshot({ path: path.join(artifacts, 'conversation.png'), fullPage: true });

  // A private channel: Bob does not see it. A direct message: Bob starts one with Alice; both list it.
  await createChannel(A, 'secret', { isPrivate: true });
  await B.reload();
  assert.equal(await B.getByRole('link', { name: /secret/ }).count(), 0);
  await B.getByRole('button', { name: 'New direct message' }).click();
  await B.getByLabel('Alice').check();
  await B.getByRole('button', { name: 'Start' }).click();
  await B.waitForURL(/\/channel\//);
  await send(B, 'psst');
  const dms = B.getByRole('heading', { name: 'Direct messages' });
  await dms.waitFor();
  await B.locator('nav').getByText('Alice').waitFor();
  await A.goto(a.base + communityPath);
  await A.locator('nav').getByRole('link', { name: 'Bob' }).click();
  await A.locator('#messages').getByText('psst').waitFor();

  const real = (p) => p !== 'Event' && !/WebSocket connection to .* failed/.test(p) && !/ERR_CONNECTION_REFUSED/.test(p);
  assert.deepEqual(alice.problems.filter(real), []);
  assert.deepEqual(bob.problems.filter(real), []);
  await alice.context.close();
  await bob.context.close();
});

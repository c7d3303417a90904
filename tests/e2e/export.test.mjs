// Export in a real browser: an admin opens the community's settings, clicks Export, and the download is a
// tar whose manifest names the community and holds the messages; a member who is not an admin has no
// Export and is refused the address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send } from './support.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60000 });

// The files of a ustar archive: name -> contents (enough of a reader for a test).
function untar(buf) {
  const files = new Map();
  for (let at = 0; at + 512 <= buf.length;) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    assert.equal(header.subarray(257, 262).toString('latin1'), 'ustar', `${name} has a ustar header`);
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, ''), 8);
    files.set(name, buf.subarray(at + 512, at + 512 + size).toString('utf8'));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

test('an admin downloads the community as a tar; a member who is not an admin cannot', { timeout: 120000 }, async () => {
  const alice = await signIn(browser, server, 'alice@example.com');
  const A = alice.page;
  await createCommunity(A, 'Export fans');
  const communityPath = new URL(A.url()).pathname;
  await createChannel(A, 'general');
  await send(A, 'a message worth keeping');

  await A.goto(server.base + communityPath);
  await A.getByRole('button', { name: 'Rename' }).click();
  const exportLink = A.getByRole('link', { name: 'Export' });
  await exportLink.waitFor();
  const [download] = await Promise.all([A.waitForEvent('download'), exportLink.click()]);
  assert.match(download.suggestedFilename(), /^eelchat-Export-fans-\d{4}-\d{2}-\d{2}\.tar$/);
  const files = untar(await fs.readFile(await download.path()));
  assert.deepEqual([...files.keys()],
    ['manifest.json', 'files/', 'members.jsonl', 'channels.jsonl', 'messages.jsonl', 'reactions.jsonl', 'uploads.jsonl']);
  const manifest = JSON.parse(files.get('manifest.json'));
  assert.equal(manifest.format, 'eelchat-export');
  assert.equal(manifest.version, 1);
  assert.equal(manifest.community.title, 'Export fans');
  const messages = files.get('messages.jsonl').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(messages.some((m) => m.text === 'a message worth keeping' && m.author === 'alice@example.com'));
  assert.deepEqual(JSON.parse(files.get('members.jsonl').trim()).roles, ['admin']);

  // Bob joins: a member, not an admin. No Rename (and so no Export) for him, and the address refuses him.
  const bob = await signIn(browser, server, 'bob@example.com');
  const B = bob.page;
  await B.goto(server.base + communityPath);
  await B.getByRole('button', { name: 'Join this community' }).click();
  await B.getByRole('link', { name: 'general' }).waitFor();
  assert.equal(await B.getByRole('button', { name: 'Rename' }).count(), 0);
  const refused = await B.request.get(server.base + communityPath + '/export', { maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  assert.notEqual(refused.headers()['content-type'], 'application/x-tar');

  // Someone signed out gets no archive either.
  const anonymous = await browser.newContext();
  const nobody = await anonymous.request.get(server.base + communityPath + '/export', { maxRedirects: 0 });
  assert.notEqual(nobody.status(), 200);
  await anonymous.close();
  assert.deepEqual(alice.problems, []);
});

// Feeds in a channel, as people use them: an admin types /subscribe with a feed's URL, and the newest
// entry arrives as a system message in a second person's open channel, live. /list shows the feed; a
// member who is not an admin is told that only admins can subscribe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { startServer, launchBrowser, artifacts, signIn, createCommunity, createChannel } from './support.mjs';

// A local feed server: one RSS feed whose newest item the test knows. Descriptions are HTML, escaped
// into the XML as real feeds do.
const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function rss(items) {
  const body = items.map((i) => `
    <item>
      <title>${i.title}</title>
      <link>https://example.org/${i.slug}</link>
      <guid>https://example.org/${i.slug}</guid>
      <dc:creator>${i.author}</dc:creator>
      <pubDate>${i.date}</pubDate>
      <description>${escapeXml(`<p>${i.body}</p>`)}</description>
    </item>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Eel News</title><link>https://example.org/</link>
<description>News about eels</description>${body}
</channel></rss>`;
}

let server, browser, feeds;
let fetches = 0;
before(async () => {
  feeds = http.createServer((req, res) => {
    if (req.url !== '/eels.xml') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'Content-Type': 'application/rss+xml' });
    res.end(rss([
      { title: 'Eels migrate again', slug: 'migrate', author: 'Ann', date: 'Tue, 10 Nov 2026 09:00:00 GMT',
        body: 'The <b>eels</b> are on their way to the Sargasso Sea.' },
      { title: 'An older story', slug: 'older', author: 'Ben', date: 'Mon, 09 Nov 2026 09:00:00 GMT',
        body: 'Older news.' },
    ]));
  });
  await new Promise((resolve) => feeds.listen(0, '127.0.0.1', resolve));
  server = await startServer({ FEEDS_ALLOW_PRIVATE: '1' });
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  feeds?.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'eelchat exits 0 on SIGTERM');
  }
}, { timeout: 60000 });

async function send(page, text) {
  const box = page.locator('#text');
  await box.fill(text);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === page.url());
  await box.press('Enter');
  assert.equal((await posted).status(), 200);
  await page.waitForFunction(() => document.querySelector('#text').value === '');
}

test('an admin subscribes a channel to a feed and its newest entry appears live for a member', { timeout: 120000 }, async () => {
  const feedUrl = `http://127.0.0.1:${feeds.address().port}/eels.xml`;
  const alice = await signIn(browser, server, 'alice@example.com');
  const a = alice.page;
  await createCommunity(a);
  const communityUrl = a.url();
  await createChannel(a);
  const channelUrl = a.url();

  // Bob joins and keeps the channel open.
  const bob = await signIn(browser, server, 'bob@example.com');
  const b = bob.page;
  await b.goto(communityUrl);
  await b.getByRole('button', { name: 'Join this community' }).click();
  await b.goto(channelUrl);

  // Bob is not an admin: his /subscribe is a message, and the system says why nothing happened.
  await send(b, `/subscribe ${feedUrl}`);
  await b.getByText('Only community admins can use /subscribe.').waitFor();

  await send(a, `/subscribe ${feedUrl}`);
  await b.getByText(`Subscribed to ${feedUrl}`).waitFor();
  // The feed is fetched at once; only its newest entry is posted, formatted as the original app did.
  const entry = b.locator('#messages .message', { hasText: 'Eels migrate again' });
  await entry.waitFor({ timeout: 20000 });
  const text = await entry.locator('p').innerText();
  assert.match(text, /^Eels migrate again \| Ann \| Tue Nov 10 09:00:00 UTC 2026\n/);
  assert.match(text, /\nThe eels are on their way to the Sargasso Sea\.\n/, 'the HTML body becomes plain text');
  assert.match(text, /https:\/\/example\.org\/migrate$/);
  assert.equal(await b.getByText('An older story').count(), 0, 'the first fetch posts only the newest entry');
  assert.equal(await entry.locator('b').count(), 0, 'feed HTML is shown as text');
  assert.equal(fetches, 1);

  await send(b, '/list');
  await b.getByText(`Subscriptions:\n- ${feedUrl}`, { exact: false }).waitFor();
  await b.screenshot({ path: path.join(artifacts, 'feeds.png'), fullPage: true });

  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
  await alice.context.close();
  await bob.context.close();
});

// Files in messages, in real browsers, two eelchat instances on one database: Alice posts on A, Bob reads
// on B. A pasted image shows as a picture in Bob's channel, linked to the original bytes; files chosen
// with the Attach control go out with the text; a file over UPLOAD_MAX_MB is refused in the page before a
// byte is sent, and by the server from its announced length alone; hostile HTML and SVG are only ever
// downloads, with a cleaned name; a cancelled upload is never attached; on a phone, a thread reply
// takes a file the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { startServer, launchBrowser, signIn, createCommunity, createChannel, send } from './support.mjs';

const MB = 1024 * 1024;
const limits = { UPLOAD_MAX_MB: '25' };

let a, b, browser, alice, bob, A, B, communityPath, channelPath, scratch;
before(async () => {
  a = await startServer(limits);
  b = await startServer(limits, { database: a.database });
  browser = await launchBrowser();
  scratch = mkdtempSync(path.join(tmpdir(), 'eelchat-uploads-'));
  bob = await signIn(browser, b, 'bob@example.com');
  alice = await signIn(browser, a, 'alice@example.com');
  A = alice.page;
  B = bob.page;
  await createCommunity(B, 'File fans');
  communityPath = new URL(B.url()).pathname;
  await createChannel(B, 'files');
  channelPath = new URL(B.url()).pathname;
  await A.goto(a.base + communityPath);
  await A.getByRole('button', { name: 'Join this community' }).click();
  await A.getByRole('link', { name: 'files' }).click();
  await A.waitForURL(a.base + channelPath);
}, { timeout: 90000 });
after(async () => {
  await browser?.close();
  await b?.stop();
  await a?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, { timeout: 60000 });

// --- A real PNG, so the server decodes it and makes a thumbnail -------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4), crc = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
// A width x height RGB gradient (each row: filter byte 0, then the pixels).
function png(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x * 4 % 256, y * 5 % 256, 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

// --- Helpers -------------------------------------------------------------------------------------

const message = (page, text) => page.locator('#messages .message', { hasText: text });
const chips = (page) => page.getByRole('list', { name: 'Attachments' }).getByRole('listitem');
const csrf = (page) => page.evaluate(() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']);

// The requests `page` makes to the channel's upload address from now on.
function watchUploads(page) {
  const seen = [];
  const listener = (r) => { if (new URL(r.url()).pathname === channelPath + '/uploads') seen.push(r); };
  page.on('request', listener);
  return { seen, stop: () => page.off('request', listener) };
}

// A 100 MB file on disk (sparse, so it costs nothing): Playwright hands buffers over 50 MB to the
// browser only as paths.
function bigFile(name, size) {
  const file = path.join(scratch, name);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

// --- The tests -----------------------------------------------------------------------------------

test('an image pasted into the message box shows in the other instance as a picture linking to the original', { timeout: 60000 }, async () => {
  const image = png(64, 48);
  await A.locator('#text').focus();
  await A.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
    const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    document.getElementById('text').dispatchEvent(paste);
  }, image.toString('base64'));
  await chips(A).filter({ hasText: 'pasted.png' }).waitFor();
  // Enter at once: the send waits for the upload, and an empty text with a file is a message.
  await A.locator('#text').press('Enter');

  const picture = B.locator('#messages .message a.attachment-image img[alt="pasted.png"]');
  await picture.waitFor();
  await B.waitForFunction(() => {
    const img = document.querySelector('#messages .message a.attachment-image img[alt="pasted.png"]');
    return img && img.complete && img.naturalWidth > 0;
  });
  const href = await picture.evaluate((img) => img.closest('a').getAttribute('href'));
  assert.match(href, /\/files\//);
  const fetched = await B.evaluate(async (h) => {
    const res = await fetch(h);
    const bytes = new Uint8Array(await res.arrayBuffer());
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return { status: res.status, length: bytes.length, b64: btoa(s) };
  }, href);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.length, image.length);
  assert.equal(fetched.b64, image.toString('base64'), 'the original bytes');
  // Alice's composer is empty again, ready for the next message.
  await chips(A).first().waitFor({ state: 'detached' });
  assert.equal(await A.locator('#compose input[name=attachment]').count(), 0);
});

test('several files chosen with Attach files go out in one message with its text', { timeout: 60000 }, async () => {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
    Buffer.alloc(1500, 0x20), Buffer.from('\n%%EOF\n')]);
  await A.getByLabel('Attach files').setInputFiles([
    { name: 'report.pdf', mimeType: 'application/pdf', buffer: pdf },
    { name: 'chart.png', mimeType: 'image/png', buffer: png(32, 32) },
  ]);
  await chips(A).filter({ hasText: 'report.pdf' }).waitFor();
  await chips(A).filter({ hasText: 'chart.png' }).waitFor();
  await A.locator('#text').fill('the quarterly report and its chart');
  await A.getByRole('button', { name: 'Send' }).click();

  const posted = message(B, 'the quarterly report and its chart');
  await posted.locator('.attachment-image img[alt="chart.png"]').waitFor();
  const file = posted.locator('a.attachment-file');
  assert.equal(await file.count(), 1);
  assert.equal(await file.getAttribute('download'), 'report.pdf');
  assert.equal(await file.locator('.attachment-name').innerText(), 'report.pdf');
  assert.match(await file.locator('.attachment-meta').innerText(), /^PDF document, 1\.\d KB$/);
  assert.equal(await message(B, 'the quarterly report and its chart').count(), 1, 'one message with both');
  await chips(A).first().waitFor({ state: 'detached' });
});

test('a file over the limit is refused in the page, and by the server before its body is read', { timeout: 90000 }, async () => {
  const before = await B.locator('#messages .message').count();
  const uploads = watchUploads(A);
  await A.getByLabel('Attach files').setInputFiles(bigFile('big.bin', 100 * MB));
  await A.locator('#compose-error').getByText('big.bin is 100 MB: files can be at most 25 MB.').waitFor();
  assert.equal(await chips(A).count(), 0);
  uploads.stop();
  assert.equal(uploads.seen.length, 0, 'not a byte sent');

  // The server on its own: the announced 100 MB is refused after the first megabyte, without the rest.
  const cookies = (await alice.context.cookies(a.base)).map((c) => `${c.name}=${c.value}`).join('; ');
  const token = await csrf(A);
  const answer = await new Promise((resolve, reject) => {
    const req = http.request(a.base + channelPath + '/uploads', {
      method: 'POST',
      headers: { Cookie: cookies, 'X-CSRF-Token': token, Origin: a.base, 'X-File-Name': 'direct.bin',
        'Content-Type': 'application/octet-stream', 'Content-Length': String(100 * MB) },
    });
    let answered = false;
    const timer = setTimeout(() => { req.destroy(); reject(new Error('no answer before the whole body')); }, 15000);
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => { clearTimeout(timer); req.destroy(); resolve({ status: res.statusCode, body }); });
    });
    // The server may close while we still write: that is the point, not a failure.
    req.on('error', (e) => { if (!answered) { clearTimeout(timer); reject(e); } });
    req.write(Buffer.alloc(MB));
  });
  assert.equal(answer.status, 413);
  assert.match(JSON.parse(answer.body).error, /direct\.bin is 100 MB: files can be at most 25 MB\./);

  await send(A, 'after the big file');
  await message(B, 'after the big file').waitFor();
  assert.equal(await B.locator('#messages .message').count(), before + 1, 'nothing else was posted');
  assert.equal(await message(B, 'after the big file').locator('.attachment').count(), 0);
});

test('hostile HTML and SVG files are only downloads, never run, and their names are cleaned', { timeout: 90000 }, async () => {
  const files = [
    { name: 'page.html', body: '<!doctype html><title>page</title><script>document.title="pwned";fetch("/xss-marker-html")</script>' },
    { name: 'drawing.svg', body: '<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/xss-marker-svg-onload\')"><script>document.title="pwned";fetch("/xss-marker-svg")</script><rect width="10" height="10"/></svg>' },
    { name: '../../etc/"evil"\u0007.html', body: '<script>document.title="pwned";fetch("/xss-marker-evil")</script>' },
  ];
  const sent = await A.evaluate(async ({ url, href, files }) => {
    const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
    const out = [];
    for (const f of files) {
      const res = await fetch(url, { method: 'POST', body: new Blob([f.body]),
        headers: { 'X-CSRF-Token': token, 'X-File-Name': encodeURIComponent(f.name), 'Content-Type': 'application/octet-stream' } });
      out.push({ status: res.status, json: await res.json() });
    }
    const form = new URLSearchParams([['__anti-forgery-token', token], ['client_id', crypto.randomUUID()], ['text', 'three hostile files']]);
    for (const o of out) if (o.json.id) form.append('attachment', o.json.id);
    const post = await fetch(href, { method: 'POST', body: form, headers: { 'X-CSRF-Token': token, 'HX-Request': 'true' } });
    return { uploads: out, post: post.status };
  }, { url: channelPath + '/uploads', href: channelPath, files });
  assert.deepEqual(sent.uploads.map((u) => u.status), [201, 201, 201], JSON.stringify(sent.uploads));
  assert.equal(sent.uploads[2].json.name, '"evil".html', 'the last path part, without the control character');
  assert.equal(sent.post, 200);

  const posted = message(B, 'three hostile files');
  await posted.waitFor();
  const links = posted.locator('a.attachment');
  assert.equal(await links.count(), 3);
  assert.equal(await posted.locator('img').count(), 0, 'an SVG is not shown as a picture');
  assert.deepEqual(await posted.locator('.attachment-name').allInnerTexts(), ['page.html', 'drawing.svg', '"evil".html']);
  assert.equal(await links.nth(2).getAttribute('download'), '"evil".html', 'quotes intact, escaped in the attribute');

  const markers = [];
  bob.context.on('request', (r) => { if (r.url().includes('xss-marker')) markers.push(r.url()); });
  for (let i = 0; i < 3; i++) {
    const href = await links.nth(i).getAttribute('href');
    const res = await bob.context.request.get(b.base + href);
    assert.equal(res.status(), 200, href);
    const headers = res.headers();
    assert.match(headers['content-disposition'], /^attachment\b/, href);
    assert.equal(headers['x-content-type-options'], 'nosniff', href);
    assert.match(headers['content-security-policy'], /\bsandbox\b/, href);
    assert.equal(await res.text(), files[i].body, 'the bytes as uploaded');
    // Opened in a tab of its own: a download, never a document of this origin.
    const tab = await bob.context.newPage();
    await tab.goto(b.base + href).catch(() => { /* "Download is starting": what we want */ });
    await tab.waitForTimeout(300);
    assert.notEqual(await tab.title(), 'pwned', href);
    await tab.close();
  }
  assert.deepEqual(markers, [], 'no script ran');
  for (const s of [a, b]) assert.doesNotMatch(s.log(), /xss-marker/);
});

test('a polyglot image is shown only as the picture we re-encoded, and a decompression bomb only as a file', { timeout: 90000 }, async () => {
  const polyglot = Buffer.concat([png(40, 30), Buffer.from('<html><script>fetch("/xss-marker-polyglot")</script></html>')]);
  // A PNG of a few dozen bytes whose header claims 30000 x 30000 pixels (2.7 GB decoded).
  const bombHeader = Buffer.alloc(13);
  bombHeader.writeUInt32BE(30000, 0);
  bombHeader.writeUInt32BE(30000, 4);
  bombHeader[8] = 8;
  bombHeader[9] = 2;
  const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', bombHeader),
    chunk('IDAT', deflateSync(Buffer.alloc(30001 * 3))), chunk('IEND', Buffer.alloc(0))]);
  const sent = await A.evaluate(async ({ url, href, files }) => {
    const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
    const out = [];
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      const res = await fetch(url, { method: 'POST', body: new Blob([bytes]),
        headers: { 'X-CSRF-Token': token, 'X-File-Name': encodeURIComponent(f.name), 'Content-Type': 'text/html' } });
      out.push({ status: res.status, json: await res.json() });
    }
    const form = new URLSearchParams([['__anti-forgery-token', token], ['client_id', crypto.randomUUID()], ['text', 'polyglot and bomb']]);
    for (const o of out) if (o.json.id) form.append('attachment', o.json.id);
    const post = await fetch(href, { method: 'POST', body: form, headers: { 'X-CSRF-Token': token, 'HX-Request': 'true' } });
    return { uploads: out, post: post.status };
  }, { url: channelPath + '/uploads', href: channelPath, files: [
    { name: 'cat.html', base64: polyglot.toString('base64') }, { name: 'bomb.png', base64: bomb.toString('base64') }] });
  assert.deepEqual(sent.uploads.map((u) => u.status), [201, 201], JSON.stringify(sent.uploads));
  assert.equal(sent.uploads[0].json.type, 'image/png', 'sniffed from the bytes, not the name or the header');
  assert.ok(sent.uploads[0].json.thumbnail_url, 'the polyglot decodes as an image');
  assert.equal(sent.uploads[1].json.thumbnail_url, null, 'the bomb is refused a preview');
  assert.equal(sent.post, 200);

  const posted = message(B, 'polyglot and bomb');
  await posted.waitFor();
  assert.equal(await posted.locator('img').count(), 1, 'only the polyglot is a picture');
  await posted.locator('a.attachment-file', { hasText: 'bomb.png' }).waitFor();

  const markers = [];
  bob.context.on('request', (r) => { if (r.url().includes('xss-marker')) markers.push(r.url()); });
  const thumb = await bob.context.request.get(b.base + await posted.locator('img').getAttribute('src'));
  assert.equal(thumb.status(), 200);
  assert.ok(!(await thumb.body()).includes('<script'), 'the thumbnail is our own encoding, without the appended HTML');
  const original = await posted.locator('a.attachment-image').getAttribute('href');
  const res = await bob.context.request.get(b.base + original);
  assert.equal(res.headers()['content-type'], 'image/png');
  assert.equal(res.headers()['x-content-type-options'], 'nosniff');
  assert.match(res.headers()['content-security-policy'], /\bsandbox\b/);
  const tab = await bob.context.newPage();
  await tab.goto(b.base + original);
  assert.equal(await tab.evaluate(() => document.contentType), 'image/png', 'the browser shows it as an image');
  await tab.close();
  assert.deepEqual(markers, [], 'no script ran');
  // The server that refused the bomb is still serving.
  assert.equal((await fetch(a.base + '/readyz')).status, 200);
});

test('a message naming a file that is gone is refused, and its text stays in the box', { timeout: 60000 }, async () => {
  await A.goto(a.base + channelPath);
  await A.evaluate(() => {
    const gone = document.createElement('input');
    gone.type = 'hidden';
    gone.name = 'attachment';
    gone.value = '5f0c2a1e-0000-4000-8000-000000000000';
    document.getElementById('compose').append(gone);
  });
  await A.locator('#text').fill('words worth keeping');
  await A.getByRole('button', { name: 'Send' }).click();
  await A.locator('#compose-error', { hasText: 'no longer there' }).waitFor();
  assert.equal(await A.locator('#text').inputValue(), 'words worth keeping');
  assert.equal(await message(B, 'words worth keeping').count(), 0);
  await A.goto(a.base + channelPath); // a fresh composer for the next test
});

test('a cancelled upload disappears and is not attached to the next message', { timeout: 90000 }, async () => {
  // A slow line, so the upload is still running when Cancel is pressed.
  const cdp = await alice.context.newCDPSession(A);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  const uploads = watchUploads(A);
  await A.getByLabel('Attach files').setInputFiles({ name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4 * MB, 7) });
  const chip = chips(A).filter({ hasText: 'slow.bin' });
  await chip.locator('progress').waitFor();
  await A.getByRole('button', { name: 'Cancel slow.bin' }).click();
  await chip.waitFor({ state: 'detached' });
  await cdp.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  uploads.stop();
  assert.equal(uploads.seen.length, 1);
  assert.notEqual(await uploads.seen[0].response().catch(() => null).then((r) => r?.status()), 201, 'it never finished');

  await send(A, 'after the cancel');
  await message(B, 'after the cancel').waitFor();
  assert.equal(await message(B, 'after the cancel').locator('.attachment').count(), 0);
  assert.deepEqual(alice.problems.filter((p) => !/status of 4\d\d/.test(p)), []);
});

test('on a phone-sized screen a thread reply takes a file, every control in view', { timeout: 90000 }, async () => {
  const carol = await signIn(browser, b, 'carol@example.com', { width: 390, height: 844 });
  const C = carol.page;
  await C.goto(b.base + communityPath);
  await C.getByRole('button', { name: 'Join this community' }).click();
  await C.getByRole('link', { name: 'files' }).click();
  await C.waitForURL(b.base + channelPath);
  await send(C, 'a question for a thread');
  await message(C, 'a question for a thread').hover();
  await message(C, 'a question for a thread').getByRole('button', { name: 'Reply' }).click();
  const reply = C.locator('#thread-compose');
  await reply.waitFor();
  await reply.getByLabel('Attach files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('the notes\n') });
  const remove = C.getByRole('button', { name: 'Remove notes.txt' });
  await remove.waitFor();
  for (const control of [remove, C.locator('#thread-compose .upload-attach'), reply.getByRole('button', { name: 'Send' })]) {
    const box = await control.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, 'in view: ' + JSON.stringify(box));
  }
  await C.locator('#thread-text').fill('see the notes');
  await C.locator('#thread-text').press('Enter');
  const answer = C.locator('#thread .message', { hasText: 'see the notes' });
  await answer.locator('a.attachment-file[download="notes.txt"]').waitFor();
  await C.locator('#thread-compose-attachments li').first().waitFor({ state: 'detached' });
  assert.equal(await C.locator('#compose-attachments li').count(), 0, 'the channel composer is untouched');
  assert.deepEqual(carol.problems, []);
});

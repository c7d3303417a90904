// The server's memory while it receives one large upload (issue 14: "uploads stream to storage"):
// starts eelchat with UPLOAD_MAX_MB above the file's size, signs in through a real browser, then sends
// SIZE_MB of bytes to the upload route from Node in 1 MiB writes while sampling the server's resident
// memory (/proc/PID/status) every 50 ms. Prints one JSON object: the bytes sent, the answer, how long it
// took, and the server's RSS before, at its peak during the upload, and after.
//
//   EELCHAT_TEST_DATABASE_URL=postgresql://... EELCHAT_BIN=build/eelchat node bench/upload_memory.mjs
//   SIZE_MB=1024 (default), UPLOADS_DIR=/some/dir to measure the directory storage instead of PostgreSQL.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signIn, createCommunity, createChannel } from '../tests/e2e/support.mjs';

const sizeMb = Number(process.env.SIZE_MB ?? 1024);
const env = { UPLOAD_MAX_MB: String(sizeMb + 16), UPLOAD_QUOTA_MB: '0', LOG_LEVEL: 'warn' };
if (process.env.UPLOADS_DIR) env.UPLOADS_DIR = process.env.UPLOADS_DIR;
const server = await startServer(env);
const browser = await launchBrowser();
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]);

try {
  const { page, context } = await signIn(browser, server, 'bench@example.com');
  await createCommunity(page, 'Bench');
  await createChannel(page, 'files');
  const href = new URL(page.url()).pathname;
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const csrf = await page.evaluate(() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']);

  const before = rssKb();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rssKb()); }, 50);
  const total = sizeMb * 1024 * 1024;
  const piece = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) & 0xff;
  const started = Date.now();
  const answer = await new Promise((resolve, reject) => {
    const req = http.request(server.base + href + '/uploads', {
      method: 'POST',
      headers: { 'Content-Length': total, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'big.bin',
        'X-CSRF-Token': csrf, Cookie: cookie },
    }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const after = rssKb();
  console.log(JSON.stringify({
    storage: process.env.UPLOADS_DIR ? 'directory' : 'postgresql', bytes: total, status: answer.status,
    seconds, mb_per_second: Math.round(sizeMb / seconds), rss_before_kb: before, rss_peak_kb: peak,
    rss_after_kb: after, rss_growth_kb: peak - before,
  }));
  if (answer.status !== 201) console.error(answer.body);
} finally {
  await browser.close();
  await server.stop();
}

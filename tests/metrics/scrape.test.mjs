// The Prometheus endpoint of a real eelchat: after a little traffic (pages, sign-in, a websocket, a post)
// GET /metrics answers the text format that `promtool check metrics` accepts, route labels are the
// router's patterns (never raw paths), the counters moved, and every metric the Grafana dashboard uses is
// one the server exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, freePort, startServer, launchBrowser, signIn, createCommunity, createChannel } from '../e2e/support.mjs';

const promtool = process.env.PROMTOOL ?? '/usr/bin/promtool';
const dashboardPath = new URL('../../deploy/grafana-dashboard.json', import.meta.url);

let server, browser, metricsBase;
before(async () => {
  const port = await freePort();
  metricsBase = `http://127.0.0.1:${port}`;
  server = await startServer({ METRICS_ADDR: `127.0.0.1:${port}` });
  browser = await launchBrowser();
}, { timeout: 60000 });
after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60000 });

async function scrape() {
  const res = await fetch(metricsBase + '/metrics');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

// name{labels} value lines, as [name, {label: value}, number].
function samples(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable sample line: ${line}`);
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push([m[1], labels, Number(m[3])]);
  }
  return out;
}

const total = (all, name, pred = () => true) =>
  all.filter(([n, l]) => n === name && pred(l)).reduce((sum, [, , v]) => sum + v, 0);

// The families a scrape declares (# TYPE lines), by name.
const declared = (text) => new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));

test('after some traffic /metrics passes promtool, labels routes by pattern and its counters moved', { timeout: 120000 }, async () => {
  const alice = await signIn(browser, server, 'alice@example.com');
  await createCommunity(alice.page);
  await createChannel(alice.page); // the channel page opens its websocket
  await alice.page.locator('#text').fill('hello metrics');
  await alice.page.locator('#text').press('Enter');
  await alice.page.locator('#messages').getByText('hello metrics').waitFor(); // came back over the socket
  await fetch(server.base + '/no/such/page/' + 'x'.repeat(10));

  // The lag and delivery are observed on the worker right after the frame is queued: the browser may see
  // it first by a hair, so poll briefly.
  let text, all;
  for (let i = 0; i < 50; i++) {
    text = await scrape();
    all = samples(text);
    if (total(all, 'eelchat_delivery_lag_seconds_count') >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  writeFileSync(path.join(artifacts, 'metrics.txt'), text); // for a look when something fails
  const checked = (() => {
    try {
      return { ok: true, out: execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }) };
    } catch (e) {
      return { ok: false, out: `${e.stdout}${e.stderr}` };
    }
  })();
  assert.ok(checked.ok, `promtool check metrics failed:\n${checked.out}`);

  const routes = new Set(all.filter(([n]) => n === 'eelchat_http_requests_total').map(([, l]) => l.route));
  assert.ok(routes.has('/community/:id/channel/:cid'), `route labels: ${[...routes].join(' ')}`);
  assert.ok(routes.has('/auth/send-link'));
  assert.ok(routes.has('other'), 'the unmatched path counts as other');
  for (const r of routes) {
    assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}/.test(r), `a raw path leaked into a label: ${r}`);
    assert.ok(r === 'other' || r === 'static' || r.startsWith('/'), r);
  }
  assert.ok(total(all, 'eelchat_http_requests_total', (l) => l.route === '/community/:id/channel/:cid/connect' && l.status === '101') >= 1);
  assert.ok(total(all, 'eelchat_http_requests_total', (l) => l.route === 'other' && l.status === '404') >= 1);
  assert.ok(total(all, 'eelchat_http_request_duration_seconds_count', (l) => l.route === '/') >= 1);
  assert.ok(total(all, 'eelchat_websockets_open') >= 1);
  assert.ok(total(all, 'eelchat_deliveries_total') >= 1);
  assert.ok(total(all, 'eelchat_delivery_lag_seconds_count') >= 1);
  assert.ok(total(all, 'eelchat_delivery_lag_seconds_sum') < 5, 'a local delivery takes well under seconds');
  assert.equal(total(all, 'eelchat_db_listener_connected'), 1);
  assert.ok(total(all, 'eelchat_db_message_batch_messages_count') >= 1);
  assert.ok(total(all, 'eelchat_db_call_duration_seconds_count', (l) => l.pool === 'eelchat') >= 1);
  assert.ok(total(all, 'process_resident_memory_bytes') > 0);
  assert.ok(total(all, 'process_open_fds') > 0);
  assert.ok(total(all, 'process_max_fds') >= total(all, 'process_open_fds'));
  assert.ok(total(all, 'process_start_time_seconds') > Date.now() / 1000 - 3600);

  // Closing the page closes its sockets (the channel's and the attention stream): counted by code (the
  // browser's 1001, going away), gauge back.
  await alice.context.close();
  for (let i = 0; i < 50; i++) {
    all = samples(await scrape());
    if (total(all, 'eelchat_websocket_closes_total') >= 2 && total(all, 'eelchat_websockets_open') === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(total(all, 'eelchat_websocket_closes_total') >= 2);
  assert.equal(total(all, 'eelchat_websockets_open'), 0);
});

test('the metrics listener answers 404 off /metrics and 405 to other methods', async () => {
  assert.equal((await fetch(metricsBase + '/')).status, 404);
  assert.equal((await fetch(metricsBase + '/metrics/x')).status, 404);
  assert.equal((await fetch(metricsBase + '/metrics', { method: 'POST' })).status, 405);
  assert.equal((await fetch(metricsBase + '/metrics?x=1')).status, 200);
  // The chat's own port does not serve them.
  assert.equal((await fetch(server.base + '/metrics')).status, 404);
});

test('every metric the Grafana dashboard queries is one the server exports', async () => {
  const types = declared(await scrape());
  const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8'));
  const exprs = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'expr' || k === 'query') && typeof x === 'string' ? exprs.push(x) : walk(x);
  };
  walk(dashboard);
  assert.ok(exprs.length >= 10, `only ${exprs.length} expressions found`);
  const unknown = new Set();
  let used = 0;
  for (const e of exprs) {
    for (const [name] of e.matchAll(/\b(?:eelchat|process)_[a-zA-Z0-9_]+/g)) {
      used++;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const known = types.has(name) || (base !== name && types.get(base) === 'histogram');
      if (!known) unknown.add(name);
    }
  }
  assert.ok(used >= 10);
  assert.deepEqual([...unknown], [], `the dashboard uses metrics the server does not export`);
  assert.ok(dashboard.schemaVersion >= 36);
  assert.ok(JSON.stringify(dashboard).includes('${datasource}'));
});

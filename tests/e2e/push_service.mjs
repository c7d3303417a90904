// A stand-in push service for the tests: what a browser vendor's service does with eelchat's requests,
// checked with implementations independent of eelchat's (npm's jose for the VAPID JWT, http_ece for
// RFC 8291 decryption). Each browser is a subscription made here, with its own P-256 key pair and auth
// secret, and an endpoint http://127.0.0.1:PORT/push/NAME. A request that does not check out is kept as
// a problem and answered 400.
import { createServer } from 'node:http';
import { createECDH, randomBytes } from 'node:crypto';
import ece from 'http_ece';
import { importJWK, jwtVerify } from 'jose';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export async function startPushService() {
  const subs = new Map(); // name -> { ecdh, auth, answer, received: [] }
  const problems = [];
  let waiters = [];

  async function check(name, req, body) {
    const s = subs.get(name);
    if (!s) throw new Error(`no subscription ${name}`);
    if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('Content-Encoding is not aes128gcm');
    if (!/^\d+$/.test(req.headers.ttl ?? '')) throw new Error('no TTL header');
    const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
    if (!m) throw new Error(`bad Authorization header: ${req.headers.authorization}`);
    const [, token, k] = m;
    const raw = Buffer.from(k, 'base64url');
    if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33)) }, 'ES256');
    const { payload: claims, protectedHeader } = await jwtVerify(token, key, { audience: service.origin, algorithms: ['ES256'] });
    if (protectedHeader.typ !== 'JWT') throw new Error('JWT header typ is not JWT');
    const now = Math.floor(Date.now() / 1000);
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} is not within 24 hours`);
    if (!/^(mailto:|https?:)/.test(claims.sub ?? '')) throw new Error(`sub ${claims.sub} is not a contact`);
    const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: s.ecdh, authSecret: b64url(s.auth) });
    return { k, claims, payload: JSON.parse(plain.toString('utf8')) };
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const name = decodeURIComponent((req.url ?? '').replace(/^\/push\//, ''));
      const s = subs.get(name);
      try {
        if (req.method !== 'POST') throw new Error(`${req.method} ${req.url}`);
        const got = await check(name, req, Buffer.concat(chunks));
        const status = typeof s.answer === 'function' ? s.answer(s.received.length) : s.answer;
        s.received.push({ ...got, status });
        res.writeHead(status).end();
      } catch (e) {
        problems.push(`${name}: ${e.message}`);
        res.writeHead(400).end();
      }
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const service = {
    origin: `http://127.0.0.1:${server.address().port}`,
    problems,
    // A browser's subscription: what PushSubscription.toJSON() gives. `answer`: the status this
    // endpoint answers (or a function of how many it received before).
    subscribe(name, answer = 201) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      subs.set(name, { ecdh, auth, answer, received: [] });
      return { endpoint: `${service.origin}/push/${name}`, expirationTime: null,
        keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) } };
    },
    received: (name) => subs.get(name)?.received ?? [],
    // Resolves once `predicate()` holds, checking after every request (bounded).
    async until(predicate, what, ms = 20000) {
      const deadline = Date.now() + ms;
      while (!predicate()) {
        if (problems.length) throw new Error('the push service saw bad requests:\n' + problems.join('\n'));
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, left); });
      }
    },
    close: () => new Promise((r) => server.close(r)),
  };
  return service;
}

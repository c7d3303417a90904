// A real OpenID Connect provider for the single sign-on browser test: npm's oidc-provider (a certified
// implementation) on a free loopback port over http, with one confidential client, signing keys this
// test generates (so it can sign tokens of its own), and accounts for whatever login name is typed in
// its development login page, each with that name as a verified email.
//
// The test can tamper with the token endpoint's answer: setTamper('bad-signature' | 'wrong-aud' |
// 'expired' | null) replaces the id_token the provider issued with a copy re-signed by a foreign key, or
// by the provider's own key with the audience changed or the expiry in the past. Everything else (the
// discovery document, the keys, the login, the code) stays the real provider's.
import http from 'node:http';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { freePort } from './support.mjs';

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

// Starts the provider for a client whose callback is `redirectUri`; resolves once it listens.
export async function startProvider({ redirectUri, clientId = 'eelchat', clientSecret = 'eelchat-test-secret' }) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const own = await signingKey('provider-key-1');
  const foreign = await signingKey('provider-key-1'); // the same kid: only the signature can tell
  let tamper = null;
  let tampered = 0;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [own.jwk] },
    cookies: { keys: ['oidc-provider test cookie key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // eelchat reads the email from the ID token, as most providers put it there for the email scope.
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true }; } };
    },
  });

  provider.use(async (ctx, next) => {
    await next();
    if (!tamper || ctx.oidc?.route !== 'token' || !ctx.body?.id_token) return;
    const header = decodeProtectedHeader(ctx.body.id_token);
    const claims = decodeJwt(ctx.body.id_token);
    let key = own.privateKey;
    const now = Math.floor(Date.now() / 1000);
    if (tamper === 'bad-signature') key = foreign.privateKey;
    else if (tamper === 'wrong-aud') claims.aud = 'someone-else';
    else if (tamper === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
    else throw new Error('unknown tamper mode ' + tamper);
    ctx.body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid }).sign(key);
    tampered += 1;
  });

  const server = http.createServer(provider.callback());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    issuer,
    clientId,
    clientSecret,
    setTamper(mode) { tamper = mode; },
    tamperedCount: () => tampered,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

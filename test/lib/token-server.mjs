// A token server for the registry's token auth mode (distribution docs/spec/auth/token.md),
// on 127.0.0.1 only. Users and what each may do are the test's: `grant(user, repository,
// requested)` returns the actions to put in the token, so a test can grant less than asked.
// Tokens are RS256 JWTs with the signing certificate in x5c, which the registry checks
// against its rootcertbundle.
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * opts: { certs (from makeTestCA), users: {name: password}, grant(user|undefined, repo, actions) -> actions,
 *         service, issuer, expiresIn (s) }
 * Resolves { url, requests: [{user, scopes}], stop() }.
 */
export async function startTokenServer(opts) {
  const key = createPrivateKey(readFileSync(opts.certs.tokenKey));
  const certDer = new X509Certificate(readFileSync(opts.certs.tokenCert)).raw.toString('base64');
  const requests = [];
  const server = createServer({ key: readFileSync(opts.certs.serverKey), cert: readFileSync(opts.certs.serverCert) }, (req, res) => {
    const url = new URL(req.url, 'https://127.0.0.1');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let user;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (opts.users[name] === undefined || opts.users[name] !== rest.join(':')) {
        requests.push({ user: name, scopes: url.searchParams.getAll('scope'), rejected: true });
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
        return;
      }
      user = name;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push({ user, scopes, service: url.searchParams.get('service') });
    const access = [];
    for (const s of scopes) {
      const m = /^repository:(.+):([^:]*)$/.exec(s);
      if (!m) continue;
      const actions = opts.grant(user, m[1], m[2].split(',').filter(Boolean));
      if (actions.length) access.push({ type: 'repository', name: m[1], actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresIn ?? 300;
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = { iss: opts.issuer, sub: user ?? '', aud: opts.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
    const token = `${input}.${signature}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address();
  return {
    url: `https://127.0.0.1:${port}/token`,
    requests,
    stop: () => new Promise((resolve) => server.close(resolve).closeAllConnections()),
  };
}

// The registry client against small in-process servers on 127.0.0.1: redirects that must
// not carry credentials to another host, token caching per scope and expiry, a 401 that
// asks for more than the cached token grants, upload Locations used exactly.
import { userFiles } from '../../dist/host/user-files.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { RegistrySession } from '../../dist/image/registry/client.js';

const servers = [];
async function serve(handler) {
  const s = createServer(handler);
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return `127.0.0.1:${s.address().port}`;
}
const config = { registries: {}, caFiles: [], maxConcurrentDownloads: 3, maxConcurrentUploads: 3, timeoutMs: 5000, retries: 2, maxRetryDelayMs: 50, chunkSize: 0, sources: [] };
const creds = { username: 'u', password: 'p', source: 'test' };
const session = (extra = {}) => new RegistrySession({ files: userFiles(process.env), config, tlsVerify: false, credentials: creds, ...extra });

test('a blob redirect to another host carries no Authorization; the same host keeps it', async () => {
  const seen = [];
  const storage = await serve((req, res) => {
    seen.push({ where: 'storage', auth: req.headers.authorization });
    res.writeHead(200, { 'Content-Length': 5 }).end('hello');
  });
  const reg = await serve((req, res) => {
    seen.push({ where: 'registry', path: req.url, auth: req.headers.authorization });
    if (!req.headers.authorization) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
    if (req.url === '/v2/') return res.writeHead(200).end('{}');
    if (req.url.startsWith('/v2/a/blobs/')) return res.writeHead(307, { Location: `http://${storage}/bucket/x?sig=1` }).end();
    res.writeHead(404).end();
  });
  const s = session();
  const repo = s.endpoint(reg).repository('a');
  const res = await repo.openBlob('sha256:' + 'a'.repeat(64), 0);
  let body = '';
  for await (const c of res.body) body += c;
  s.close();
  assert.is(body, 'hello');
  assert.is(res.url.host, storage);
  const toStorage = seen.filter((x) => x.where === 'storage');
  assert.is(toStorage.length, 1);
  assert.is(toStorage[0].auth, undefined, 'credentials leaked to the blob storage host');
  assert.ok(seen.some((x) => x.where === 'registry' && x.auth === `Basic ${Buffer.from('u:p').toString('base64')}`));
});

test('Bearer: one token per scope set while valid, a new one after expiry, a wider one when a 401 asks', async () => {
  const tokenRequests = [];
  let serial = 0;
  const auth = await serve((req, res) => {
    const u = new URL(req.url, 'http://x');
    tokenRequests.push(u.searchParams.getAll('scope'));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `t${++serial}:${u.searchParams.getAll('scope').join(' ')}`, expires_in: 1 }));
  });
  const reg = await serve((req, res) => {
    const a = req.headers.authorization ?? '';
    const needsPush = req.method === 'POST';
    const scope = `repository:a:${needsPush ? 'pull,push' : 'pull'}`;
    if (!a.startsWith('Bearer ') || (needsPush && !a.includes('pull,push'))) {
      return res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${auth}/token",service="svc",scope="${scope}"` }).end();
    }
    if (req.method === 'HEAD') return res.writeHead(404).end();
    if (req.method === 'POST') return res.writeHead(202, { Location: '/v2/a/blobs/uploads/xyz?_state=abc&x=1' }).end();
    res.writeHead(404).end();
  });
  const s = session();
  const pull = s.endpoint(reg).repository('a', ['pull']);
  const D = 'sha256:' + 'b'.repeat(64);
  assert.is(await pull.headBlob(D), undefined);
  assert.is(await pull.headBlob(D), undefined);
  assert.is(tokenRequests.length, 1, 'the token was reused');
  await new Promise((r) => setTimeout(r, 1100));
  await pull.headBlob(D);
  assert.is(tokenRequests.length, 2, 'an expired token was replaced');
  // A push-side request: the pull token is not enough; the 401 names pull,push and hx asks for it.
  const up = await pull.startUpload();
  assert.is(up.mounted, false);
  assert.equal(tokenRequests[2], ['repository:a:pull,push']);
  // The Location is kept exactly: path and query, resolved against the registry.
  assert.is(up.location.href, `http://${reg}/v2/a/blobs/uploads/xyz?_state=abc&x=1`);
  s.close();
});

test('a 503 is retried, then the answer is used; a 404 is not retried', async () => {
  let calls = 0;
  let flaky = 0;
  const reg = await serve((req, res) => {
    calls++;
    if (req.url.includes('flaky') && ++flaky < 3) return res.writeHead(503, { 'Retry-After': '0' }).end();
    if (req.url.includes('flaky')) return res.writeHead(200, { 'Docker-Content-Digest': 'sha256:' + 'c'.repeat(64), 'Content-Length': 2 }).end();
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  const retries = [];
  const s = session({ onRetry: (n) => retries.push(n) });
  const repo = s.endpoint(reg).repository('flaky');
  const head = await repo.headManifest('latest');
  assert.is(head.digest, 'sha256:' + 'c'.repeat(64));
  assert.is(retries.length, 2);
  calls = 0;
  const other = s.endpoint(reg).repository('gone');
  try {
    await other.getManifest('latest');
    assert.unreachable();
  } catch (e) {
    assert.match(e.message, 'manifest latest not found in');
  }
  assert.is(calls, 1);
  s.close();
});

test.after(() => {
  for (const s of servers) s.close();
});
test.run();

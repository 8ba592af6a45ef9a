// A minimal distribution-API server on 127.0.0.1 for tests that need a registry to lie:
// it serves /v2/, manifests and blobs exactly as a test put them (whatever digests and
// sizes their manifests claim), checks nothing, and logs each request as { method, path }.
// Plain http only; no auth, no push.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

export const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export async function startTinyRegistry() {
  const repos = new Map(); // name -> { manifests: Map(ref -> item), blobs: Map(digest -> item) }
  const log = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://registry').pathname;
    log.push({ method: req.method, path });
    req.resume();
    if (path === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    const repo = m && repos.get(m[1]);
    const item = repo?.[m[2]].get(decodeURIComponent(m[3]));
    if (!item) {
      const code = m?.[2] === 'blobs' ? 'BLOB_UNKNOWN' : m ? 'MANIFEST_UNKNOWN' : 'UNSUPPORTED';
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: 'not here' }] }));
      return;
    }
    const headers = { 'Content-Type': item.mediaType };
    if (m[2] === 'manifests') headers['Docker-Content-Digest'] = sha256(item.bytes);
    // chunked: no Content-Length, so the client learns the length only from the body.
    if (!item.chunked) headers['Content-Length'] = String(item.bytes.length);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else if (item.chunked) {
      res.write(item.bytes);
      res.end();
    } else res.end(item.bytes);
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address();
  return {
    port,
    host: `127.0.0.1:${port}`,
    log,
    /**
     * Serve repository NAME: manifests { ref: { bytes, mediaType } } (also under their
     * sha256 digest), blobs { digest: Buffer }; chunked: send blobs without Content-Length.
     */
    put(name, { manifests, blobs, chunked = false }) {
      const repo = { manifests: new Map(), blobs: new Map() };
      for (const [ref, mf] of Object.entries(manifests)) {
        repo.manifests.set(ref, mf);
        repo.manifests.set(sha256(mf.bytes), mf);
      }
      for (const [digest, bytes] of Object.entries(blobs)) repo.blobs.set(digest, { bytes, mediaType: 'application/octet-stream', chunked });
      repos.set(name, repo);
    },
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

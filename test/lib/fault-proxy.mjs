// A fault-injecting HTTP proxy in front of a plain-http registry, on 127.0.0.1 only.
// Rules (each with an optional `times` budget) act on requests whose path matches:
//   { match: /regex/, corrupt: true }        flip one byte in the middle of the body
//   { match, cutAfter: N }                   send headers and N body bytes, then drop the connection
//   { match, status: 503, retryAfter: '1' }  answer this status instead of forwarding
//   { match, method: 'GET' }                 restrict a rule to one method
//   { match, delayMs }                       wait before forwarding
// `log` records each request: { method, path, range, action }.
import { createServer, request } from 'node:http';

export async function startFaultProxy(upstreamPort) {
  const rules = [];
  const log = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const rule = rules.find((r) => r.match.test(req.url) && (!r.method || r.method === req.method) && (r.times === undefined || r.times > 0));
    if (rule && rule.times !== undefined) rule.times--;
    const entry = { method: req.method, path: req.url, range: req.headers.range, action: 'forward' };
    log.push(entry);
    if (rule?.status) {
      entry.action = `status ${rule.status}`;
      req.resume();
      const headers = { 'Content-Type': 'application/json' };
      if (rule.retryAfter) headers['Retry-After'] = rule.retryAfter;
      res.writeHead(rule.status, headers).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by the test proxy' }] }));
      return;
    }
    const forward = () => {
      const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        const headers = { ...upRes.headers };
        if (rule?.corrupt && upRes.statusCode === 200 && req.method === 'GET') {
          entry.action = 'corrupt';
          const chunks = [];
          upRes.on('data', (c) => chunks.push(c));
          upRes.on('end', () => {
            const body = Buffer.concat(chunks);
            if (body.length) body[body.length >> 1] ^= 0xff;
            res.writeHead(upRes.statusCode, headers).end(body);
          });
          return;
        }
        if (rule?.cutAfter !== undefined && (upRes.statusCode === 200 || upRes.statusCode === 206) && req.method === 'GET') {
          entry.action = `cut after ${rule.cutAfter}`;
          res.writeHead(upRes.statusCode, headers);
          let sent = 0;
          upRes.on('data', (c) => {
            if (sent >= rule.cutAfter) return;
            const part = c.subarray(0, rule.cutAfter - sent);
            sent += part.length;
            res.write(part);
            if (sent >= rule.cutAfter) {
              upRes.destroy();
              // Let the bytes leave, then drop the connection mid-body.
              setTimeout(() => res.socket?.destroy(), 20);
            }
          });
          return;
        }
        res.writeHead(upRes.statusCode, headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.socket?.destroy());
      req.pipe(up);
    };
    if (rule?.delayMs) setTimeout(forward, rule.delayMs).unref();
    else forward();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address();
  return {
    port,
    host: `127.0.0.1:${port}`,
    rules,
    log,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// Loopback ports for the network tests and bench: a free one, and a GET that waits for the server.
import { createServer } from 'node:net';

/** A TCP port nothing listens on (the kernel's pick, released at once). */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET 127.0.0.1:PORT/PATH, retried while the server starts: the body, or the last error's code. */
export async function getFromHost(port, path = '/index.html', ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${port}${path}`).then(
      async (res) => ({ body: await res.text(), status: res.status }),
      (e) => ({ error: e.cause?.code ?? String(e) }),
    );
    if (r.status === 200 || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

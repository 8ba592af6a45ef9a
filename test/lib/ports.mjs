// Loopback ports for the network tests and bench: a free one, and a GET that waits for the server.
import { createSocket } from 'node:dgram';
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

/** TEXT to 127.0.0.1:PORT over UDP, resent every 200 ms while the server starts: the answer, or undefined after 8 s. */
export function udpRoundTrip(port, text) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    let timer;
    const send = () => s.send(text, port, '127.0.0.1');
    s.on('message', (m) => {
      clearInterval(timer);
      s.close();
      resolve(String(m));
    });
    s.bind(0, '127.0.0.1', () => {
      send();
      timer = setInterval(send, 200); // the server may still be starting
    });
    setTimeout(() => {
      clearInterval(timer);
      try {
        s.close();
      } catch {}
      resolve(undefined);
    }, 8000);
  });
}

// What the network benches measure: start-to-exit medians, and the TCP rate of a 256 MiB GET
// from 127.0.0.1 through a published port (node's http client, in whatever namespace it runs).
import { request } from 'node:http';
import { freePort } from '../test/lib/ports.mjs';

export const BIG_MIB = 256;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time in ms of F over N runs (after one warm-up). */
export function time(n, f) {
  f();
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return median(t);
}

/** GET the big file from 127.0.0.1:PORT; MB/s (10^6 bytes), or undefined on error. */
function fetchRate(port) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let bytes = 0;
    const req = request({ host: '127.0.0.1', port, path: '/big' }, (res) => {
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => {
        const s = Number(process.hrtime.bigint() - start) / 1e9;
        resolve(bytes === BIG_MIB << 20 ? bytes / 1e6 / s : undefined);
      });
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** START(port) a server of /big, the median rate of five GETs, then STOP(its id). */
export async function throughput(start, stop) {
  const port = await freePort();
  const id = start(port);
  try {
    let rate;
    for (let i = 0; i < 100 && rate === undefined; i++) {
      rate = await fetchRate(port);
      if (rate === undefined) await sleep(100);
    }
    const rates = [rate];
    for (let i = 0; i < 4; i++) rates.push(await fetchRate(port));
    return median(rates.filter((r) => r !== undefined));
  } finally {
    stop(id);
  }
}

// The parallel gzip of layer/compress.ts (1 MiB members on libuv's pool) against one node:zlib
// stream, level 6, on 64 MiB of base64 text (compressible as text is), in one run, twice each.
// Run: node bench/gzip.mjs (after npm run build).
import { randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
const { parallelGzip } = await import(new URL('../dist/layer/compress.js', import.meta.url).pathname);
const data = Buffer.from(randomBytes(48 << 20).toString('base64')); // 64 MiB of base64 text
const chunks = []; for (let i = 0; i < data.length; i += 1 << 20) chunks.push(data.subarray(i, i + (1 << 20)));
async function single() { let n = 0; await pipeline(Readable.from(chunks), createGzip({ level: 6, chunkSize: 1 << 20 }), new Writable({ write(c, e, cb) { n += c.length; cb(); } })); return n; }
async function parallel() { let n = 0; for await (const c of parallelGzip(chunks)) n += c.length; return n; }
for (const [name, f] of [['node:zlib stream', single], ['parallelGzip', parallel], ['node:zlib stream', single], ['parallelGzip', parallel]]) {
  const t = process.hrtime.bigint(); const cpu0 = process.cpuUsage(); const n = await f(); const ms = Number(process.hrtime.bigint() - t) / 1e6; const cpu = process.cpuUsage(cpu0);
  console.log(`${name}: ${ms.toFixed(0)} ms, ${(data.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s, out ${(n / 1e6).toFixed(1)} MB, CPU ${((cpu.user + cpu.system) / 1000 / ms * 100).toFixed(0)}%`);
}

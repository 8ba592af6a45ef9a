// Each ingest stage alone on the same bytes, in this process: sha256 (node:crypto) of the
// blob, gunzip (node:zlib, 1 MiB and default chunks; fflate), sha256 of the tar, tar
// header walk (hx's TS and Wasm scanners). Prints [{stage, candidate, ms, mbps}] as JSON.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [, , gzFile, root, repsArg] = process.argv;
const reps = Number(repsArg ?? 3);
const { TarStreamParser } = await import(join(root, 'dist/layer/tar/parser.js'));
const fflate = await import(join(root, 'node_modules/fflate/esm/index.mjs')).catch(() => null);
const gz = readFileSync(gzFile);
const tar = gunzipSync(gz, { chunkSize: 1 << 20 });
const out = [];

async function time(stage, candidate, bytes, fn) {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const m = ms[Math.floor(ms.length / 2)];
  out.push({ stage, candidate, ms: m, mbps: bytes / 1e6 / (m / 1000) });
}

const chunks = (buf, size) => {
  const list = [];
  for (let i = 0; i < buf.length; i += size) list.push(buf.subarray(i, i + size));
  return list;
};
const sink = () => new Writable({ highWaterMark: 1 << 20, write(_c, _e, cb) { cb(); } });

await time('sha256 of blob', 'node:crypto', gz.length, () => createHash('sha256').update(gz).digest());
await time('gunzip', 'node:zlib stream, 1 MiB chunks', tar.length, () => pipeline(Readable.from(chunks(gz, 1 << 20)), createGunzip({ chunkSize: 1 << 20 }), sink()));
await time('gunzip', 'node:zlib stream, default 16 KiB chunks', tar.length, () => pipeline(Readable.from(chunks(gz, 1 << 20)), createGunzip(), sink()));
if (fflate) await time('gunzip', 'fflate (JS)', tar.length, () => fflate.gunzipSync(gz));
await time('sha256 of tar', 'node:crypto', tar.length, () => createHash('sha256').update(tar).digest());
for (const engine of ['ts', 'wasm']) {
  await time('tar header walk', `hx TarStreamParser (${engine}), 1 MiB pushes`, tar.length, () => {
    let n = 0;
    const p = new TarStreamParser({ onEntry: () => n++ }, { engine });
    for (const c of chunks(tar, 1 << 20)) p.push(c);
    p.end();
  });
}
process.stdout.write(JSON.stringify(out) + '\n');

// ADD of bzip2 and xz tars (issue 15): the decoder choice. Debian's `bzip2 -dc` / `xz -dc`
// spawned beside node (what engine/build/add-archive.ts does) against pure-JS/Wasm decoders
// from npm (seek-bzip, unbzip2-stream, xz-decompress), on the same archive: a tar of 32 MiB
// (half base64 text, half source-like repeated lines), compressed -6 by the programs, twice
// each, in one run. The JS decoders are not project dependencies: give their node_modules:
//   (cd /tmp/dec && npm i seek-bzip unbzip2-stream xz-decompress)
//   HX_BENCH_DECODERS=/tmp/dec/node_modules node bench/add-decompress.mjs
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const dir = mkdtempSync(join(tmpdir(), 'hx-bench-dec-'));
const text = Buffer.from(randomBytes(12 << 20).toString('base64')); // 16 MiB
const lines = Buffer.from(Array.from({ length: 400_000 }, (_, i) => `  const value${i % 977} = compute(${i}, "item-${i % 31}");\n`).join('')).subarray(0, 16 << 20);
writeFileSync(join(dir, 'a.txt'), text);
writeFileSync(join(dir, 'b.js'), lines);
spawnSync('tar', ['-C', dir, '-cf', join(dir, 'p.tar'), 'a.txt', 'b.js']);
const raw = readFileSync(join(dir, 'p.tar')).length;
for (const [prog, ext] of [['bzip2', 'bz2'], ['xz', 'xz']]) writeFileSync(join(dir, `p.tar.${ext}`), spawnSync(prog, ['-6', '-c', join(dir, 'p.tar')], { maxBuffer: 1 << 30 }).stdout);

function program(name, file) {
  return new Promise((resolve, reject) => {
    const child = spawn(name, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let n = 0;
    child.stdout.on('data', (d) => (n += d.length));
    child.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`${name} exit ${code}`))));
    createReadStream(file).pipe(child.stdin);
  });
}

const mods = process.env.HX_BENCH_DECODERS;
const req = mods ? createRequire(join(mods, 'x.js')) : undefined;
const candidates = [
  ['bzip2', 'bzip2 -dc (spawned)', (f) => program('bzip2', f)],
  ['bzip2', 'seek-bzip (JS, whole buffer)', req && ((f) => req('seek-bzip').decode(readFileSync(f)).length)],
  ['bzip2', 'unbzip2-stream (JS, streaming)', req && ((f) => new Promise((resolve, reject) => { let n = 0; createReadStream(f).pipe(req('unbzip2-stream')()).on('data', (d) => (n += d.length)).on('end', () => resolve(n)).on('error', reject); }))],
  ['xz', 'xz -dc (spawned)', (f) => program('xz', f)],
  ['xz', 'xz-decompress (Wasm, streaming)', req && (async (f) => { const { XzReadableStream } = req('xz-decompress'); let n = 0; for await (const c of new XzReadableStream(Readable.toWeb(createReadStream(f)))) n += c.length; return n; })],
];
console.log(`tar ${(raw / 1e6).toFixed(1)} MB; bzip2 ${(readFileSync(join(dir, 'p.tar.bz2')).length / 1e6).toFixed(1)} MB, xz ${(readFileSync(join(dir, 'p.tar.xz')).length / 1e6).toFixed(1)} MB`);
for (let round = 1; round <= 2; round++) {
  for (const [codec, name, f] of candidates) {
    if (!f) { console.log(`${name}: skipped (no HX_BENCH_DECODERS)`); continue; }
    const t = process.hrtime.bigint(); const cpu0 = process.cpuUsage();
    const n = await f(join(dir, `p.tar.${codec === 'bzip2' ? 'bz2' : 'xz'}`));
    const ms = Number(process.hrtime.bigint() - t) / 1e6; const cpu = process.cpuUsage(cpu0);
    if (n !== raw) throw new Error(`${name}: ${n} bytes out, want ${raw}`);
    console.log(`round ${round} ${name}: ${ms.toFixed(0)} ms, ${(raw / 1e6 / (ms / 1000)).toFixed(1)} MB/s out, node CPU ${((cpu.user + cpu.system) / 1000 / ms * 100).toFixed(0)}%`);
  }
}
rmSync(dir, { recursive: true, force: true });

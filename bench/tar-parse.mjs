// Tar header walk over a tar held in memory: tar-stream vs hx's TypeScript reader vs hx's
// Wasm reader (including the copy into Wasm memory), then whiteout classification + path
// cleaning of every entry name (TypeScript vs Wasm). Prints a markdown table.
//
//   node bench/tar-parse.mjs [--src /usr] [--tar FILE] [--format gnu|pax] [--chunk MiB] [--runs 5] [--keep]
//
// Without --tar it archives --src with GNU tar into /dev/shm first (and removes it after
// unless --keep). Needs `npm run build` (dist/ and build/hx.wasm).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import tarStream from 'tar-stream';
import { TarStreamParser, classifyWhiteout, classifyWhiteoutBatchWasm, classifyWhiteoutWasm } from '../dist/layer/tar/index.js';
import { wasmCopyStats } from '../dist/layer/tar/scan-wasm.js';

const { values: args } = parseArgs({
  options: {
    src: { type: 'string', default: '/usr' },
    tar: { type: 'string' },
    format: { type: 'string', default: 'gnu' },
    chunk: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const CHUNK = Math.round(Number(args.chunk) * 1024 * 1024);

let tarPath = args.tar;
let made = false;
if (!tarPath) {
  tarPath = `/dev/shm/hx-bench-${args.src.replace(/\W+/g, '_')}-${args.format}.tar`;
  if (!existsSync(tarPath)) {
    console.error(`making ${tarPath} from ${args.src} (--format=${args.format}) ...`);
    try {
      execFileSync('tar', [`--format=${args.format}`, '--ignore-failed-read', '-cf', tarPath, '-C', args.src, '.'], { stdio: ['ignore', 'ignore', 'ignore'] });
    } catch (e) {
      if (e.status !== 1) throw e; // 1: some files changed or were unreadable; the archive is fine
    }
    made = true;
  }
}

// The archive in memory, as 64 MiB Buffers (a single Buffer cannot exceed 4 GiB).
const fd = openSync(tarPath, 'r');
const total = fstatSync(fd).size;
const blocks = [];
for (let off = 0; off < total; ) {
  const b = Buffer.allocUnsafe(Math.min(64 * 1024 * 1024, total - off));
  let got = 0;
  while (got < b.length) got += readSync(fd, b, got, b.length - got, off + got);
  blocks.push(b);
  off += b.length;
}
closeSync(fd);
// The chunks every candidate is fed (views, no copies).
const chunks = [];
for (const b of blocks) for (let i = 0; i < b.length; i += CHUNK) chunks.push(b.subarray(i, Math.min(b.length, i + CHUNK)));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Time each candidate RUNS times, interleaved (A B C A B C ...) so that load from other
 * processes on the machine hits all of them alike; returns median and best per candidate.
 */
async function measureAll(fns) {
  for (const fn of fns) await fn(); // warm-up
  const times = fns.map(() => []);
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < fns.length; j++) {
      const t0 = process.hrtime.bigint();
      results[j] = await fns[j]();
      times[j].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  return fns.map((_, j) => ({ seconds: median(times[j]), best: Math.min(...times[j]), result: results[j] }));
}

function hxWalk(engine) {
  let entries = 0;
  let dataBytes = 0;
  const parser = new TarStreamParser(
    {
      onEntry() {
        entries++;
      },
      onData(_e, d) {
        dataBytes += d.length;
      },
    },
    { engine },
  );
  for (const c of chunks) parser.push(c);
  parser.end();
  return { entries, dataBytes };
}

function tarStreamWalk() {
  return new Promise((resolve, reject) => {
    const extract = tarStream.extract();
    let entries = 0;
    extract.on('entry', (_h, stream, next) => {
      entries++;
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', () => resolve({ entries }));
    extract.on('error', reject);
    let i = 0;
    const pump = () => {
      while (i < chunks.length) {
        if (!extract.write(chunks[i++])) {
          extract.once('drain', pump);
          return;
        }
      }
      extract.end();
    };
    pump();
  });
}

const rows = [];
const gb = (s) => (total / s / 1e9).toFixed(2);
const row = (candidate, m, entries, note = '') =>
  rows.push(`| ${candidate} | ${gb(m.seconds)} | ${gb(m.best)} | ${Math.round(entries / m.seconds).toLocaleString('en-US')} | ${m.seconds.toFixed(3)} | ${note} |`);

const copiedBefore = wasmCopyStats.bytes;
const [tsStream, ts, wasm] = await measureAll([tarStreamWalk, () => hxWalk('ts'), () => hxWalk('wasm')]);
const copiedShare = (wasmCopyStats.bytes - copiedBefore) / (RUNS + 1) / total;
if (ts.result.entries !== wasm.result.entries || ts.result.dataBytes !== wasm.result.dataBytes) throw new Error('engines disagree');
const entries = ts.result.entries;
if (tsStream.result.entries !== entries) throw new Error(`tar-stream saw ${tsStream.result.entries} entries, hx ${entries}`);
row('tar-stream 3 (extract stream, entries resumed)', tsStream, entries);
row('hx TarStreamParser, engine ts', ts, entries);
row('hx TarStreamParser, engine wasm (incl. copy into Wasm memory)', wasm, entries, `copies ${(copiedShare * 100).toFixed(1)}% of the bytes into Wasm memory`);

// Names: collect them once, then classify + clean all of them.
const names = [];
{
  const p = new TarStreamParser({ onEntry: (e) => names.push(e.name) }, { engine: 'ts' });
  for (const c of chunks) p.push(c);
  p.end();
}
const classifyAll = (fn) => () => {
  let whiteouts = 0;
  for (const n of names) {
    try {
      if (fn(n).kind !== 'normal') whiteouts++;
    } catch {
      whiteouts++;
    }
  }
  return { whiteouts };
};
const nameRows = [];
const nrow = (candidate, m) =>
  nameRows.push(`| ${candidate} | ${Math.round(names.length / m.seconds).toLocaleString('en-US')} | ${Math.round(names.length / m.best).toLocaleString('en-US')} | ${(m.seconds * 1000).toFixed(1)} |`);
const [cTs, cWasm, cBatch] = await measureAll([classifyAll(classifyWhiteout), classifyAll(classifyWhiteoutWasm), () => classifyWhiteoutBatchWasm(names)]);
nrow('classifyWhiteout (TypeScript)', cTs);
nrow('classifyWhiteoutWasm (one call per name)', cWasm);
nrow('classifyWhiteoutBatchWasm (all names in one call, incl. encode/decode)', cBatch);

console.log(`\nTar of ${args.tar ?? args.src} (--format=${args.format}): ${(total / 1e9).toFixed(2)} GB, ${entries.toLocaleString('en-US')} entries; fed in ${args.chunk} MiB chunks; median and best of ${RUNS} interleaved runs; load average ${loadavg()[0].toFixed(1)} at the end; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB.\n`);
console.log('| candidate | GB/s (median) | GB/s (best) | entries/s (median) | seconds (median) | note |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\nWhiteout classification + path cleaning of all ${names.length.toLocaleString('en-US')} names:\n`);
console.log('| candidate | names/s (median) | names/s (best) | ms (median) |');
console.log('|---|---|---|---|');
for (const r of nameRows) console.log(r);

if (made && !args.keep) rmSync(tarPath, { force: true });

// One stage of the layer pipeline, COUNT times, in a fresh process: what bench/layers.mjs times
// with hyperfine (an outside clock) to check the figures `hx bench layers` takes with its own
// timers. One stage run = (time of COUNT runs - time of 1 run) / (COUNT - 1): process start,
// imports, reading the files and the first (cold: JIT, Wasm compile) run cancel out, as
// `hx bench layers` leaves them out with its warm-up run. `noop` does everything but the stage.
//
//   node bench/layer-stage.mjs STAGE COUNT BLOB TAR [DIR]   (pipeline: COUNT 1, DIR, hx's namespace)
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

const [stage, countArg, blobPath, tarPath, dir] = process.argv.slice(2);
const count = Number(countArg);
const dist = new URL('../dist/', import.meta.url);
const { decompressor } = await import(new URL('layer/decompress.js', dist));
const { TarStreamParser } = await import(new URL('layer/tar/parser.js', dist));
const { ingestLayer } = await import(new URL('layer/ingest.js', dist));
const { layerContext } = await import(new URL('layer/context.js', dist));

const MiB = 1 << 20;
const blob = readFileSync(blobPath);
const tar = readFileSync(tarPath);
const chunks = function* (buf) {
  for (let o = 0; o < buf.length; o += MiB) yield buf.subarray(o, o + MiB);
};
const drain = async (s) => {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
};

for (let i = 0; i < count; i++) await runStage();

async function runStage() {
switch (stage) {
  case 'noop':
    break;
  case 'decompress': {
    const d = decompressor('gzip');
    const [, n] = await Promise.all([pipeline(Readable.from(chunks(blob)), d.stream), drain(d.stream)]);
    if (n !== tar.length) throw new Error('decompressed size differs');
    break;
  }
  case 'sha256-blob':
  case 'sha256-tar': {
    const h = createHash('sha256');
    for (const c of chunks(stage === 'sha256-blob' ? blob : tar)) h.update(c);
    h.digest();
    break;
  }
  case 'parse-ts':
  case 'parse-wasm': {
    const p = new TarStreamParser({ onEntry() {} }, { engine: stage === 'parse-ts' ? 'ts' : 'wasm' });
    for (const c of chunks(tar)) p.push(c);
    p.end();
    break;
  }
  case 'compress': {
    const gz = zlib.createGzip({ level: 6, chunkSize: MiB });
    await Promise.all([pipeline(Readable.from(chunks(tar)), gz), drain(gz)]);
    break;
  }
  case 'pipeline': {
    await ingestLayer({
      source: createReadStream(blobPath, { highWaterMark: MiB }),
      blobFile: `${dir}.blob`,
      apply: { ...layerContext(), root: dir, lowers: [] },
    });
    break;
  }
  default:
    throw new Error(`unknown stage ${stage}`);
}
}

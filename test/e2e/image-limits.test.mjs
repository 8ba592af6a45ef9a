// A layer of 10 million tiny entries: hx stops at its entry limit with a clear error,
// exit 1 (docker's for a failed command), memory stays bounded (it never holds the layer), and nothing is stored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { hxBin, need, removeTree, tempDir } from '../lib/hx.mjs';
import { header, makeTar } from '../lib/tar-build.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-limits-');
const ENTRIES = 10_000_000;
const LIMIT = 200_000;

/** Stream a gzip'd tar of ENTRIES empty files to FILE; returns the diff_id and blob digest. */
async function tinyEntriesLayer(file) {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  const gz = createGzip({ level: 1, chunkSize: 1 << 20 });
  const out = createWriteStream(file);
  gz.on('data', (d) => gzHash.update(d));
  gz.pipe(out);
  const template = header({ name: 'd/00000000', data: '' });
  // the checksum field covers the name: recompute it from the template's sum minus its name digits
  const BATCH = 2048;
  for (let i = 0; i < ENTRIES; i += BATCH) {
    const buf = Buffer.alloc(512 * Math.min(BATCH, ENTRIES - i));
    for (let j = 0; j * 512 < buf.length; j++) {
      const h = buf.subarray(j * 512, j * 512 + 512);
      template.copy(h);
      const digits = String(i + j).padStart(8, '0');
      h.write(digits, 2, 8, 'latin1');
      h.fill(0x20, 148, 156);
      let sum = 0;
      for (let k = 0; k < 512; k++) sum += h[k];
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
    }
    tarHash.update(buf);
    if (!gz.write(buf)) await new Promise((r) => gz.once('drain', r));
  }
  const end = Buffer.alloc(1024);
  tarHash.update(end);
  gz.end(end);
  await new Promise((r) => out.on('close', r));
  return { diffId: `sha256:${tarHash.digest('hex')}`, digest: `sha256:${gzHash.digest('hex')}` };
}

test(`a layer of ${ENTRIES} entries stops at the limit with bounded memory`, async () => {
  const layerFile = join(work, 'layer.tar.gz');
  const { diffId, digest } = await tinyEntriesLayer(layerFile);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const cfgHex = createHash('sha256').update(config).digest('hex');
  const layer = readFileSync(layerFile);
  const archive = join(work, 'many.tar');
  const fd = openSync(archive, 'w');
  writeSync(fd, makeTar([
    { name: `blobs/sha256/${cfgHex}`, data: config },
    { name: `blobs/sha256/${digest.slice(7)}`, data: layer },
    { name: 'manifest.json', data: JSON.stringify([{ Config: `blobs/sha256/${cfgHex}`, RepoTags: ['many:1'], Layers: [`blobs/sha256/${digest.slice(7)}`] }]) },
  ]));
  closeSync(fd);
  const store = join(work, 'store');
  const child = spawn(hxBin, ['load', '-i', archive], { env: { ...process.env, HX_STORAGE_ROOT: store, HX_MAX_LAYER_ENTRIES: String(LIMIT) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 20);
  const code = await new Promise((r) => child.on('close', r));
  clearInterval(poll);
  assert.is(code, 1, stderr);
  assert.match(stderr, new RegExp(`more than ${LIMIT} entries`));
  console.log(`  peak RSS of hx load: ${peak} kB (stopped after ${LIMIT} of ${ENTRIES} entries)`);
  assert.ok(peak > 0 && peak < 400 * 1024, `peak RSS ${peak} kB`);
  for (const d of ['images', 'layers', 'tmp']) assert.equal(readdirSync(join(store, d)), [], `${d} is empty`);
});

test.after(() => removeTree(work));
test.run();

// Issue 6: synthetic layers are valid tars (GNU tar reads them the way the plan says), exactly
// the planned size, deterministic per seed, and shaped like their profile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { planSynthetic, syntheticTarChunks } from '../../dist/bench/synthetic.js';
import { readTarBuffer } from '../../dist/layer/tar/parser.js';

const work = mkdtempSync(join(tmpdir(), 'hx-bench-syn-'));

function tarOf(plan) {
  const parts = [];
  for (const c of syntheticTarChunks(plan, 64 << 10)) parts.push(Buffer.from(c)); // the chunk buffer is reused
  return Buffer.concat(parts);
}

test('small-files: GNU tar lists every planned entry with its type, size and owner', () => {
  const plan = planSynthetic({ profile: 'small-files', size: 2 << 20, seed: 7 });
  const tar = tarOf(plan);
  assert.is(tar.length, plan.tarBytes);
  assert.is(plan.fileBytes, 2 << 20);
  const file = join(work, 'small.tar');
  writeFileSync(file, tar);
  const r = spawnSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, plan.entries.length);
  const typeChar = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h' };
  lines.forEach((line, i) => {
    const e = plan.entries[i];
    // e.g. "-rw-r--r-- 1000/1000     123 2023-11-14 22:13 bench/small/0/0/f0.txt"
    const m = /^(\S)\S+ (\d+)\/(\d+)\s+(\d+) \S+ \S+ (.*)$/.exec(line);
    assert.ok(m, line);
    assert.is(m[1], typeChar[e.type], line);
    if (e.type === 'hardlink') assert.ok(line.endsWith(` link to ${e.linkname}`), line);
    if (e.type === 'symlink') assert.ok(line.endsWith(` -> ${e.linkname}`), line);
    assert.is(Number(m[2]), e.uid);
    assert.is(Number(m[4]), e.type === 'file' ? e.size : 0, line);
    assert.ok(m[5].startsWith(e.name), `${m[5]} vs ${e.name}`);
  });
  const c = plan.counts;
  assert.ok(c.files > 100 && c.dirs > 2 && c.symlinks > 0 && c.hardlinks > 0 && c.whiteouts > 0 && c.opaques === 1, JSON.stringify(c));
  assert.ok(plan.entries.some((e) => e.uid === 1000), 'some files owned by another user');
});

test('GNU tar extracts it without complaint; hx reads the same entries', () => {
  const plan = planSynthetic({ profile: 'mixed', size: 12 << 20, seed: 3 });
  const tar = tarOf(plan);
  const file = join(work, 'mixed.tar');
  writeFileSync(file, tar);
  const dir = join(work, 'x');
  spawnSync('mkdir', [dir]);
  const r = spawnSync('tar', ['-xf', file, '-C', dir, '--no-same-owner'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const entries = readTarBuffer(tar);
  assert.is(entries.length, plan.entries.length);
  assert.equal(entries.map((e) => e.entry.name), plan.entries.map((e) => e.name));
  const sizes = plan.entries.filter((e) => e.type === 'file').map((e) => e.size);
  assert.ok(Math.max(...sizes) >= 4 << 20, 'mixed has large files');
  assert.ok(sizes.filter((s) => s <= 16 << 10).length > 100, 'and small ones');
});

test('large-files: few big files', () => {
  const plan = planSynthetic({ profile: 'large-files', size: 100 << 20, seed: 1 });
  const files = plan.entries.filter((e) => e.type === 'file');
  assert.ok(files.length >= 2 && files.length <= 13, `${files.length} files`);
  assert.is(files.reduce((a, e) => a + e.size, 0), 100 << 20);
});

test('deterministic per seed; the seed changes the bytes', () => {
  const a = tarOf(planSynthetic({ profile: 'small-files', size: 1 << 20, seed: 1 }));
  const b = tarOf(planSynthetic({ profile: 'small-files', size: 1 << 20, seed: 1 }));
  const c = tarOf(planSynthetic({ profile: 'small-files', size: 1 << 20, seed: 2 }));
  const h = (x) => createHash('sha256').update(x).digest('hex');
  assert.is(h(a), h(b));
  assert.is.not(h(a), h(c));
});

test('contents compress like real layers (not all zeros, not random)', () => {
  const tar = tarOf(planSynthetic({ profile: 'mixed', size: 6 << 20, seed: 1 }));
  const ratio = tar.length / gzipSync(tar).length;
  assert.ok(ratio > 1.5 && ratio < 6, `gzip ratio ${ratio.toFixed(2)}`);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();

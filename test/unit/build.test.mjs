import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeRoot } from '../lib/hx.mjs';

test('without a C compiler the build names the package to install', () => {
  const r = spawnSync(process.execPath, [join(treeRoot, 'scripts', 'build.mjs'), 'native'], {
    encoding: 'utf8',
    env: { PATH: '/nonexistent', HOME: process.env.HOME ?? '/' },
  });
  assert.is(r.status, 1);
  assert.match(r.stderr, /no C compiler found/);
  assert.match(r.stderr, /apt-get install gcc/);
  assert.match(r.stderr, /dnf install gcc/);
  assert.match(r.stderr, /apk add build-base/);
});

test('build/run.cjs has no dynamic import(): it runs inside a vm.Script, where import() throws', () => {
  const source = readFileSync(join(treeRoot, 'build', 'run.cjs'), 'utf8');
  assert.not.match(source, /\bimport\(/);
});

test.run();

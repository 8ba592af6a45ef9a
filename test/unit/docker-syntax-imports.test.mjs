// engine/docker-syntax is pure: its modules import src/errors.ts, Go's syntaxes and moby's types
// (src/go, src/moby: floor 0) and each other, nothing else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../src/engine/docker-syntax');

test('every import is ../../errors.js, ../../go/, ../../moby/ or a sibling', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 14, `found ${files.length} modules`);
  const siblings = new Set(files.map((f) => `./${f.replace(/\.ts$/, '.js')}`));
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8');
    const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'([^']+)'/g)].map((m) => m[1]);
    const dynamic = [...src.matchAll(/import\(\s*'([^']+)'/g)].map((m) => m[1]);
    for (const spec of [...specs, ...dynamic]) {
      assert.ok(spec === '../../errors.js' || /^\.\.\/\.\.\/(go|moby)\/[a-z-]+\.js$/.test(spec) || siblings.has(spec), `${f} imports ${spec}`);
    }
    assert.not.match(src, /\bprocess\.|\bDate\.now\(|\brequire\(/, `${f} reaches for the host`);
  }
});

test('the front door re-exports every parser', async () => {
  const api = await import('../../dist/engine/docker-syntax/index.js');
  for (const name of ['randomName', 'validateName', 'parsePublish', 'publishAll', 'restartPolicy', 'shouldRestart', 'ramInBytes', 'parseNanoCpus',
    'validateCpuset', 'parseDuration', 'getTimestamp', 'parseSignal', 'signalName', 'validateLogConfig', 'parseExtraHost', 'validateDnsSearch',
    'parseEnvFile', 'parseLabelFile', 'invalidFlagArgument', 'parseIP']) {
    assert.type(api[name], 'function', name);
  }
});

test.run();

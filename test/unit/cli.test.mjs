import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hx } from '../lib/hx.mjs';
import { formatError } from '../../dist/cli/errors.js';
import { HxError } from '../../dist/errors.js';

test('hx --help lists the commands and exits 0', () => {
  const r = hx(['--help']);
  assert.is(r.code, 0);
  // docker's layout: one "  NAME   Summary" line per command
  for (const cmd of ['info', 'unshare', 'version']) assert.match(r.stdout, new RegExp(`^  ${cmd} +\\S`, 'm'));
});

test('an HxError prints one line plus its hint with its exit code', () => {
  const { text, exitCode } = formatError(new HxError('rootfs /x does not exist', { hint: 'create it', exitCode: 125 }));
  assert.is(text, 'hx: rootfs /x does not exist\n  hint: create it\n');
  assert.is(exitCode, 125);
  assert.is(formatError(new Error('boom')).exitCode, 125);
});

test("unknown commands exit 1 and unknown flags 125, as docker's CLI", () => {
  assert.is(hx(['nonsense-command']).code, 1);
  assert.is(hx(['version', '--nope']).code, 125);
});

test.run();

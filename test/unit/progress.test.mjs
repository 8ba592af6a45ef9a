// The pull/push progress renderer: plain lines per status change off a terminal, rows
// redrawn in place (cursor up, clear line) on one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressRenderer, formatBytes, tlsVerifyFlag } from '../../dist/cli/ui/progress.js';

const sink = () => {
  const s = { text: '', write: (t) => (s.text += t) };
  return s;
};
const D = (c) => 'sha256:' + c.repeat(64);

test('not a terminal: one plain line per status change, no bars, no escapes', () => {
  const out = sink();
  const err = sink();
  const p = new ProgressRenderer(out, err, false);
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'waiting', current: 0, total: 2_000_000 });
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'downloading', current: 10, total: 2_000_000 });
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'downloading', current: 20, total: 2_000_000 });
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'complete' });
  p.handle({ type: 'layer', index: 1, digest: D('b'), status: 'exists' });
  p.handle({ type: 'retry', what: 'layer aaaa', reason: 'connection dropped', delayMs: 1500, attempt: 2 });
  p.finish();
  assert.is(out.text, 'aaaaaaaaaaaa: Waiting\naaaaaaaaaaaa: Downloading 2.00MB\naaaaaaaaaaaa: Pull complete\nbbbbbbbbbbbb: Already exists\n');
  assert.is(err.text, 'layer aaaa: retrying in 1.5 s (attempt 2): connection dropped\n');
  assert.not.match(out.text, '\x1b');
});

test('a terminal: rows redrawn in place with bar, bytes and total', () => {
  const out = sink();
  const p = new ProgressRenderer(out, sink(), true);
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'downloading', current: 500_000, total: 1_000_000 });
  p.handle({ type: 'layer', index: 1, digest: D('b'), status: 'waiting' });
  p.handle({ type: 'layer', index: 0, digest: D('a'), status: 'complete' });
  p.finish();
  assert.match(out.text, 'aaaaaaaaaaaa: Downloading [==============>               ] 500kB/1.00MB');
  assert.match(out.text, '\x1b[2A'); // moved up over the two rows to redraw them
  const last = out.text.split('\x1b[2A').pop();
  assert.match(last, 'aaaaaaaaaaaa: Pull complete');
  assert.match(last, 'bbbbbbbbbbbb: Waiting');
});

test('sizes and the --tls-verify flag', () => {
  assert.is(formatBytes(999), '999B');
  assert.is(formatBytes(1500), '1.50kB');
  assert.is(formatBytes(53_700_000), '53.7MB');
  assert.is(tlsVerifyFlag(undefined), undefined);
  assert.is(tlsVerifyFlag(true), true);
  assert.is(tlsVerifyFlag('false'), false);
  assert.throws(() => tlsVerifyFlag('maybe'), /true or false/);
});

test.run();

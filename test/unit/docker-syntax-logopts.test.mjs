// --log-opt for json-file: docker CLI parseLoggingOpts, moby logger.ValidateLogOpts and jsonfilelog.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLoggingOpts, logOptsToMap, validateLogConfig } from '../../dist/engine/docker-syntax/logopts.js';

const fail = (fn, message) => assert.throws(fn, (e) => e.message === message && e.kind === 'invalid-argument', message);

test('KEY=VALUE pairs to a map; a bare KEY is empty; none takes no options', () => {
  assert.equal(logOptsToMap(['max-size=10m', 'max-file=3', 'tag', 'labels=a=b']), { 'max-size': '10m', 'max-file': '3', tag: '', labels: 'a=b' });
  assert.equal(logOptsToMap(['max-file=2', 'max-file=5']), { 'max-file': '5' });
  assert.equal(parseLoggingOpts('none', []), {});
  fail(() => parseLoggingOpts('none', ['a=b']), 'invalid logging opts for driver none');
});

test('json-file options and defaults', () => {
  const d = (cfg) => validateLogConfig('json-file', cfg);
  assert.equal(d({}), { maxSize: -1, maxFiles: 1, compress: false, mode: 'blocking', maxBufferSize: 1000000 });
  // max-size is decimal (FromHumanSize): 10m is ten million bytes.
  assert.equal(d({ 'max-size': '10m', 'max-file': '3', compress: 'true' }), { maxSize: 10000000, maxFiles: 3, compress: true, mode: 'blocking', maxBufferSize: 1000000 });
  assert.equal(d({ mode: 'non-blocking', 'max-buffer-size': '4m' }).maxBufferSize, 4194304);
  assert.equal(d({ compress: 'f', labels: 'a,b', 'labels-regex': '^x', env: 'A', 'env-regex': '^B', tag: '{{.Name}}' }).compress, false);
  assert.is(validateLogConfig('none', { anything: '1' }), undefined);
});

test("refusals, with the daemon's messages", () => {
  const d = (cfg) => () => validateLogConfig('json-file', cfg);
  fail(d({ 'max-sizes': '1m' }), "unknown log opt 'max-sizes' for json-file log driver");
  fail(d({ 'max-size': '1x' }), "invalid suffix: 'x'");
  fail(d({ 'max-size': 'abc' }), "invalid size: 'abc'");
  fail(d({ 'max-size': '0' }), 'max-size must be a positive number');
  fail(d({ 'max-file': '0' }), 'max-file cannot be less than 1');
  fail(d({ 'max-file': 'x' }), 'strconv.Atoi: parsing "x": invalid syntax');
  fail(d({ compress: 'yes' }), 'strconv.ParseBool: parsing "yes": invalid syntax');
  fail(d({ compress: 'true' }), 'compress cannot be true when max-file is less than 2 or max-size is not set');
  fail(d({ compress: 'true', 'max-file': '3' }), 'compress cannot be true when max-file is less than 2 or max-size is not set');
  fail(d({ mode: 'fast' }), 'logger: logging mode not supported: fast');
  fail(d({ 'max-buffer-size': '1m' }), "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  fail(d({ mode: 'non-blocking', 'max-buffer-size': 'x' }), "error parsing option max-buffer-size: invalid size: 'x'");
  fail(() => validateLogConfig('syslogx', {}), "logger: no log driver named 'syslogx' is registered");
});

test.run();

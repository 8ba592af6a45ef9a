// The image config validator (image/config.ts): the OCI image-spec's field types, with
// docker's leniencies (null for absent, strslice strings, Env without '=') accepted and
// every refusal an HxError of kind 'data' naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseImageConfig, validateImageConfig, ImageConfigError } from '../../dist/image/config.js';
import { HxError } from '../../dist/errors.js';

const D = (c) => `sha256:${c.repeat(64)}`;
const base = () => ({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [D('a')] } });
/** base() with CONFIG as its "config" (or top-level fields merged when TOP is given). */
const withConfig = (config) => ({ ...base(), config });
const withTop = (top) => ({ ...base(), ...top });

// Configs docker and podman accept and run: hx must take them too.
const good = [
  ['the minimal config (no config object at all)', base()],
  ['config: null', withConfig(null)],
  ['null arrays (Cmd, Entrypoint, Env, OnBuild, Shell)', withConfig({ Cmd: null, Entrypoint: null, Env: null, OnBuild: null, Shell: null })],
  ['null for every string and map', withConfig({ User: null, WorkingDir: null, StopSignal: null, Labels: null, Volumes: null, ExposedPorts: null, Healthcheck: null })],
  ['Env entries without "="', withConfig({ Env: ['PATH=/bin', 'JUSTAKEY', ''] })],
  ['empty and null Volumes values, a non-empty object value', withConfig({ Volumes: { '/data': {}, '/cache': null, '/x': { any: 'thing' } } })],
  ['ExposedPorts: tcp, udp, sctp, bare port, a range, upper case', withConfig({ ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9/sctp': {}, '8080': {}, '7000-7010/tcp': {}, '443/TCP': null } })],
  ['a full docker config', withConfig({
    User: 'app:app', Env: ['A=1'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], WorkingDir: '/srv', Labels: { a: 'b' }, StopSignal: 'SIGQUIT',
    Healthcheck: { Test: ['CMD', 'true'], Interval: 30_000_000_000, Timeout: 5_000_000_000, StartPeriod: 0, StartInterval: 1, Retries: 3 },
    OnBuild: ['RUN true'], Shell: ['/bin/bash', '-c'], ArgsEscaped: true,
    Hostname: '', Tty: false, Image: 'sha256:x', AttachStdout: false, // docker fields hx does not read
  })],
  ['created with a fraction and an offset; history entries', withTop({
    created: '2024-02-29T23:59:59.123456789+05:30', author: 'me',
    history: [{ created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c x', comment: '', empty_layer: true }, {}, { created: null, empty_layer: null }],
  })],
  ['null created, author, variant, history', withTop({ created: null, author: null, variant: null, history: null })],
  ['missing architecture and os (docker takes the host\'s)', { rootfs: { type: 'layers', diff_ids: [] } }],
  ['os.version, os.features, variant', withTop({ 'os.version': '10.0', 'os.features': ['win32k'], variant: 'v8' })],
  ['unknown fields are kept, not judged', withTop({ container_config: { Cmd: 5 }, docker_version: 20, whatever: [1, 2] })],
];

// Configs docker or podman refuse (Go's json into their types), or no runtime can start.
const bad = [
  ['Cmd with a number', withConfig({ Cmd: ['sh', 1] }), /^image config: config\.Cmd\[1\] is a number, not a string$/],
  ['Entrypoint an object', withConfig({ Entrypoint: { a: 1 } }), /config\.Entrypoint is an object, not an array of strings/],
  ['Cmd a number', withConfig({ Cmd: 7 }), /config\.Cmd is a number, not an array of strings/],
  ['Env a single string (docker\'s Env is []string)', withConfig({ Env: 'A=1' }), /config\.Env is a string, not an array of strings/],
  ['Env with null', withConfig({ Env: ['A=1', null] }), /config\.Env\[1\] is null, not a string/],
  ['Env with a NUL byte', withConfig({ Env: ['A=1\u0000B=2'] }), /config\.Env\[0\] holds a NUL byte/],
  ['Cmd with a NUL byte', withConfig({ Cmd: ['/bin/true\u0000', 'x'] }), /config\.Cmd\[0\] holds a NUL byte/],
  ['User a number', withConfig({ User: 1000 }), /config\.User is a number, not a string/],
  ['WorkingDir an array', withConfig({ WorkingDir: ['/'] }), /config\.WorkingDir is an array, not a string/],
  ['StopSignal a number', withConfig({ StopSignal: 9 }), /config\.StopSignal is a number, not a string/],
  ['Labels with a number value', withConfig({ Labels: { a: 'b', version: 2 } }), /config\.Labels\["version"\] is a number, not a string/],
  ['Labels an array', withConfig({ Labels: ['a=b'] }), /config\.Labels is an array, not an object of strings/],
  ['Volumes an array', withConfig({ Volumes: ['/data'] }), /config\.Volumes is an array, not an object/],
  ['Volumes value a string', withConfig({ Volumes: { '/data': 'yes' } }), /config\.Volumes\["\/data"\] is a string, not an object/],
  ['ExposedPorts an array', withConfig({ ExposedPorts: ['80/tcp'] }), /config\.ExposedPorts is an array, not an object/],
  ['ExposedPorts with a bad protocol', withConfig({ ExposedPorts: { '80/tcx': {} } }), /config\.ExposedPorts key "80\/tcx" is not a port/],
  ['ExposedPorts with a port above 65535', withConfig({ ExposedPorts: { '70000/tcp': {} } }), /config\.ExposedPorts key "70000\/tcp" is not a port/],
  ['ExposedPorts with a reversed range', withConfig({ ExposedPorts: { '90-80': {} } }), /key "90-80" is not a port/],
  ['ExposedPorts value a number', withConfig({ ExposedPorts: { '80/tcp': 1 } }), /config\.ExposedPorts\["80\/tcp"\] is a number, not an object/],
  ['Healthcheck.Test a string', withConfig({ Healthcheck: { Test: 'true' } }), /config\.Healthcheck\.Test is a string, not an array of strings/],
  ['Healthcheck.Interval a fraction', withConfig({ Healthcheck: { Interval: 1.5 } }), /config\.Healthcheck\.Interval is 1\.5, not an integer \(nanoseconds\)/],
  ['Healthcheck.Retries a string', withConfig({ Healthcheck: { Retries: '3' } }), /config\.Healthcheck\.Retries is a string, not an integer/],
  ['OnBuild a string', withConfig({ OnBuild: 'RUN x' }), /config\.OnBuild is a string, not an array of strings/],
  ['Shell with a boolean', withConfig({ Shell: ['/bin/sh', true] }), /config\.Shell\[1\] is a boolean, not a string/],
  ['ArgsEscaped a string', withConfig({ ArgsEscaped: 'yes' }), /config\.ArgsEscaped is a string, not a boolean/],
  ['config an array', withConfig([]), /^image config: config is an array, not an object$/],
  ['created not a date', withTop({ created: 'yesterday' }), /created "yesterday" is not an RFC 3339 date-time/],
  ['created without a zone', withTop({ created: '2024-01-01T00:00:00' }), /created .* is not an RFC 3339/],
  ['created on February 30', withTop({ created: '2024-02-30T00:00:00Z' }), /created .* is not an RFC 3339/],
  ['created empty (Go\'s time.Time refuses "")', withTop({ created: '' }), /created "" is not an RFC 3339/],
  ['created a number', withTop({ created: 1700000000 }), /^image config: created is a number, not a string$/],
  ['author a number', withTop({ author: 1 }), /author is a number, not a string/],
  ['architecture a number', withTop({ architecture: 64 }), /architecture is a number, not a string/],
  ['os an object', withTop({ os: { name: 'linux' } }), /os is an object, not a string/],
  ['os.features a string', withTop({ 'os.features': 'x' }), /os\.features is a string, not an array of strings/],
  ['no rootfs', { architecture: 'amd64', os: 'linux' }, /rootfs is missing/],
  ['rootfs.type not layers', withTop({ rootfs: { type: 'tar', diff_ids: [] } }), /rootfs\.type is "tar", not "layers"/],
  ['rootfs.diff_ids missing', withTop({ rootfs: { type: 'layers' } }), /rootfs\.diff_ids is missing \(it must be an array of digests\)/],
  ['a diff_id that is not sha256', withTop({ rootfs: { type: 'layers', diff_ids: [D('a'), 'md5:' + '0'.repeat(32)] } }), /rootfs\.diff_ids\[1\] "md5:0+" is not a sha256 digest/],
  ['a diff_id that is a number', withTop({ rootfs: { type: 'layers', diff_ids: [5] } }), /rootfs\.diff_ids\[0\] is a number, not a digest string/],
  ['history an object', withTop({ history: {} }), /^image config: history is an object, not an array$/],
  ['history entry a string', withTop({ history: ['x'] }), /history\[0\] is a string, not an object/],
  ['history created_by a number', withTop({ history: [{}, { created_by: 3 }] }), /history\[1\]\.created_by is a number, not a string/],
  ['history empty_layer a string', withTop({ history: [{ empty_layer: 'true' }] }), /history\[0\]\.empty_layer is a string, not a boolean/],
  ['history created not a date', withTop({ history: [{ created: '1 Jan 2024' }] }), /history\[0\]\.created "1 Jan 2024" is not an RFC 3339/],
  ['the document an array', [base()], /^image config: the document is an array, not a JSON object$/],
  ['the document a string', 'config', /the document is a string, not a JSON object/],
];

test('configs docker and podman run are accepted', () => {
  for (const [name, doc] of good) {
    try {
      validateImageConfig(doc);
    } catch (e) {
      assert.unreachable(`${name}: refused (${e.message})`);
    }
  }
});

test('each refusal is an HxError of kind data naming the field', () => {
  for (const [name, doc, message] of bad) {
    let error;
    try {
      validateImageConfig(doc);
    } catch (e) {
      error = e;
    }
    assert.ok(error, `${name}: accepted`);
    assert.instance(error, ImageConfigError, name);
    assert.instance(error, HxError, name);
    assert.is(error.kind, 'data', name);
    assert.match(error.message, message, `${name}: ${error.message}`);
    assert.ok(error.hint, `${name}: a hint`);
  }
});

test('docker\'s strslice forms are read as lists; null labels as ""; null architecture as absent', () => {
  const c = validateImageConfig(withConfig({ Cmd: 'echo hi', Entrypoint: '/entry', Shell: '/bin/ash', Labels: { a: null, b: 'x' } }));
  assert.equal(c.config.Cmd, ['echo hi']);
  assert.equal(c.config.Entrypoint, ['/entry']);
  assert.equal(c.config.Shell, ['/bin/ash']);
  assert.equal(c.config.Labels, { a: '', b: 'x' });
  assert.is(c.architecture, 'amd64');
  const n = validateImageConfig(withTop({ architecture: null, os: null }));
  assert.not.ok('architecture' in n);
  assert.not.ok('os' in n);
  // Arrays as given are the document's own (nothing copied that needs no change).
  const doc = withConfig({ Cmd: ['a'], Env: ['X=1'] });
  assert.is(validateImageConfig(doc).config.Cmd, doc.config.Cmd);
});

test('parseImageConfig: bytes that are not JSON name the config', () => {
  assert.throws(() => parseImageConfig(Buffer.from('{"rootfs":')), (e) => e instanceof ImageConfigError && /^image config: not valid JSON/.test(e.message));
  assert.throws(() => parseImageConfig('null'), /the document is null, not a JSON object/);
  assert.is(parseImageConfig(JSON.stringify(base())).rootfs.diff_ids[0], D('a'));
});

test.run();

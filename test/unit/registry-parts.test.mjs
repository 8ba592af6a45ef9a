// Registry client pieces that need no server: challenges, manifests, platforms,
// credential lookup (files and a credential helper), config parsing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenges } from '../../dist/image/registry/challenge.js';
import { parseManifest, selectPlatform } from '../../dist/image/registry/manifest.js';
import { parsePlatform, platformMatches, formatPlatform, hostPlatform } from '../../dist/image/platform.js';
import { findCredentials as findIn, matchAuthKey } from '../../dist/image/registry/credentials.js';
import { userFiles } from '../../dist/host/user-files.js';

// the files as the engine computes them from the environment each test sets
const findCredentials = (registry, repository) => findIn(userFiles(process.env), registry, repository);
import { saveCredentials, removeCredentials } from '../../dist/image/registry/auth-store.js';
import { loadRegistryConfig, settingsFor } from '../../dist/image/registry/config.js';
import { mergeScopes } from '../../dist/image/registry/auth.js';
import { retryAfterMs, withRetries, TransientError } from '../../dist/image/registry/http.js';

const D = (c) => 'sha256:' + c.repeat(64);

test('WWW-Authenticate: Bearer with quoted params, several challenges', () => {
  const [b] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
  assert.is(b.scheme, 'bearer');
  assert.equal(b.params, { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' });
  const two = parseChallenges('Basic realm="basic-realm", Bearer realm="x", error="insufficient_scope"');
  assert.is(two.length, 2);
  assert.is(two[0].scheme, 'basic');
  assert.is(two[0].params.realm, 'basic-realm');
  assert.is(two[1].params.error, 'insufficient_scope');
  assert.is(parseChallenges('Bearer realm="a \\"q\\" b"')[0].params.realm, 'a "q" b');
  assert.equal(parseChallenges(undefined), []);
});

test('scopes merge per repository', () => {
  assert.equal(mergeScopes([{ repository: 'a', actions: ['pull'] }], [{ repository: 'a', actions: ['push', 'pull'] }, { repository: 'b', actions: ['pull'] }]), [
    { repository: 'a', actions: ['pull', 'push'] },
    { repository: 'b', actions: ['pull'] },
  ]);
});

const oci = (layers) => Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 },
  layers,
}));

test('manifests: OCI and docker, index, schema 1 refused, mismatched type refused', () => {
  const m = parseManifest(oci([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 5 }]), 'application/vnd.oci.image.manifest.v1+json', 'x');
  assert.is(m.kind, 'image');
  assert.is(m.manifest.layers.length, 1);
  const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
  assert.throws(() => parseManifest(s1, 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'x:y'), /schema 1.*not supported/);
  assert.throws(() => parseManifest(oci([]), 'application/vnd.docker.distribution.manifest.v2+json', 'x'), /says/);
  assert.throws(() => parseManifest(oci([{ mediaType: 't', digest: 'sha256:XYZ', size: 1 }]), undefined, 'x'), /invalid digest/);
  assert.throws(() => parseManifest(Buffer.from('{'), undefined, 'x'), /not valid JSON/);
  // No mediaType in the body: the header decides.
  const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  assert.is(parseManifest(bare, 'application/vnd.docker.distribution.manifest.list.v2+json', 'x').kind, 'index');
});

test('descriptors: digests hx cannot verify and impossible sizes are refused at parse, naming the field', () => {
  const layer = (digest, size = 5) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size });
  const refused = (bytes, pattern) => assert.throws(() => parseManifest(bytes, undefined, 'r/x:1'), (e) => e.name === 'ManifestError' && e.kind === 'data' && pattern.test(e.message));
  refused(oci([layer(D('1')), layer('md5:' + 'a'.repeat(32))]), /^r\/x:1: manifest layers\[1\]: digest algorithm md5 is not supported \(hx verifies sha256\)$/);
  // sha512 is an OCI algorithm, but layers and configs are stored and verified by sha256 only.
  refused(oci([layer('sha512:' + 'b'.repeat(128))]), /manifest layers\[0\]: digest algorithm sha512 is not supported/);
  const md5Config = JSON.parse(oci([]).toString());
  md5Config.config.digest = 'md5:' + 'c'.repeat(32);
  refused(Buffer.from(JSON.stringify(md5Config)), /manifest config: digest algorithm md5 is not supported/);
  refused(oci([layer('sha512:' + 'b'.repeat(64))]), /manifest layers\[0\]: invalid digest/); // sha512 needs 128 hex digits
  refused(oci([layer('sha256:' + 'A'.repeat(64))]), /invalid digest/);
  refused(oci([layer(D('1'), -1)]), /manifest layers\[0\]: invalid size -1/);
  refused(oci([layer(D('1'), 2 ** 53)]), /invalid size/);
  refused(oci([layer(D('1'), 1.5)]), /invalid size 1\.5/);
  // Index entries are checked for form; the one chosen is checked when it is chosen (pull).
  const index = (digest) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1 }] }));
  assert.is(parseManifest(index('sha512:' + 'd'.repeat(128)), undefined, 'r').kind, 'index');
  assert.is(parseManifest(index('blake3:' + 'e'.repeat(64)), undefined, 'r').kind, 'index');
  refused(index('sha256:xyz'), /index manifests\[0\]: invalid digest/);
});

test('platform choice from an index: first match, variants, a clear error listing what exists', () => {
  const entry = (architecture, variant, c) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D(c), size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index = { schemaVersion: 2, manifests: [entry('amd64', undefined, '1'), entry('arm', 'v7', '2'), entry('arm64', undefined, '3'), entry('amd64', undefined, '4'),
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('5'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } }] };
  assert.is(selectPlatform(index, parsePlatform('linux/amd64'), 'r').digest, D('1'));
  assert.is(selectPlatform(index, parsePlatform('linux/arm64/v8'), 'r').digest, D('3'));
  assert.is(selectPlatform(index, parsePlatform('linux/arm/v7'), 'r').digest, D('2'));
  assert.throws(() => selectPlatform(index, parsePlatform('linux/s390x'), 'r'), (e) => /no image for platform linux\/s390x/.test(e.message) && /linux\/amd64, linux\/arm\/v7, linux\/arm64/.test(e.hint) && !/unknown/.test(e.hint));
  assert.throws(() => selectPlatform(index, parsePlatform('linux/arm/v6'), 'r'), /no image/);
  assert.is(formatPlatform(parsePlatform('aarch64')), 'linux/arm64');
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.is(hostPlatform().os, 'linux');
  assert.throws(() => parsePlatform('linux//x'), /invalid platform/);
});

const tmp = mkdtempSync(join(tmpdir(), 'hx-cred-'));
const env = { ...process.env };
function withEnv(vars, fn) {
  return async () => {
    Object.assign(process.env, vars);
    try {
      await fn();
    } finally {
      for (const k of Object.keys(vars)) delete process.env[k];
      Object.assign(process.env, env);
    }
  };
}

test('auth key matching: exact host, scheme and /v1/ forms, most specific repo prefix', () => {
  const keys = ['https://index.docker.io/v1/', 'quay.io', 'quay.io/org', 'quay.io/org/app', 'quay.io/other', 'http://h:5000'];
  assert.is(matchAuthKey(keys, 'docker.io', 'library/alpine'), 'https://index.docker.io/v1/');
  assert.is(matchAuthKey(keys, 'quay.io', 'org/app'), 'quay.io/org/app');
  assert.is(matchAuthKey(keys, 'quay.io', 'org/x'), 'quay.io/org');
  assert.is(matchAuthKey(keys, 'quay.io', 'orgx/y'), 'quay.io');
  assert.is(matchAuthKey(keys, 'h:5000', 'a'), 'http://h:5000');
  assert.is(matchAuthKey(keys, 'h:5001', 'a'), undefined);
});

test('credentials: hx file first, then containers auth.json, then docker config with a helper', withEnv({ HOME: tmp, XDG_CONFIG_HOME: join(tmp, 'cfg'), XDG_RUNTIME_DIR: join(tmp, 'run') }, async () => {
  mkdirSync(join(tmp, 'run', 'containers'), { recursive: true });
  mkdirSync(join(tmp, '.docker'), { recursive: true });
  const b64 = (s) => Buffer.from(s).toString('base64');
  writeFileSync(join(tmp, 'run', 'containers', 'auth.json'), JSON.stringify({ auths: { 'both.example': { auth: b64('podman:pw1') }, 'podman.example': { auth: b64('p:q:with:colons') } } }));
  // A credential helper speaking docker's protocol: `get` reads the server URL on stdin.
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker-credential-hxtest'), '#!/bin/sh\nread url\ncase "$url" in\n  helper.example) echo \'{"ServerURL":"helper.example","Username":"hu","Secret":"hs"}\';;\n  https://index.docker.io/v1/) echo \'{"Username":"<token>","Secret":"refresh"}\';;\n  *) echo "credentials not found in native keychain"; exit 1;;\nesac\n');
  chmodSync(join(bin, 'docker-credential-hxtest'), 0o755);
  process.env.PATH = `${bin}:${env.PATH}`;
  writeFileSync(join(tmp, '.docker', 'config.json'), JSON.stringify({ auths: { 'both.example': { auth: b64('docker:pw2') }, 'docker.example': { username: 'du', password: 'dp' } }, credHelpers: { 'helper.example': 'hxtest', 'docker.io': 'hxtest' }, credsStore: 'hxtest' }));
  assert.is((await findCredentials('both.example')).username, 'podman');
  assert.is((await findCredentials('podman.example')).password, 'q:with:colons');
  assert.equal((await findCredentials('docker.example')).username, 'du');
  const h = await findCredentials('helper.example');
  assert.is(h.username, 'hu');
  assert.is(h.password, 'hs');
  assert.is(h.source, 'docker-credential-hxtest');
  assert.is((await findCredentials('docker.io', 'library/alpine')).identityToken, 'refresh');
  assert.is(await findCredentials('nothing.example'), undefined);
  // hx login's file wins and is written 0600.
  const own = join(tmp, 'cfg', 'hx', 'auth.json');
  saveCredentials(own, 'both.example', 'mine', 'secret');
  assert.is((await findCredentials('both.example')).username, 'mine');
  assert.is(statSync(own).mode & 0o777, 0o600);
  assert.is(statSync(join(tmp, 'cfg', 'hx')).mode & 0o777, 0o700);
  assert.ok(removeCredentials(own, 'both.example'));
  assert.not.ok(removeCredentials(own, 'both.example'));
  assert.is((await findCredentials('both.example')).username, 'podman');
  assert.equal(JSON.parse(readFileSync(own, 'utf8')).auths, {});
}));

test('registries config: merge, per-registry settings, errors name the file', withEnv({}, () => {
  const a = join(tmp, 'a.json');
  const b = join(tmp, 'b.json');
  writeFileSync(a, JSON.stringify({ registries: { 'r:5000': { insecure: true, mirrors: ['m:1/pre'] } }, ca: '/x.pem', timeoutSeconds: 5 }));
  writeFileSync(b, JSON.stringify({ registries: { 'r:5000': { ca: '/y.pem' } }, maxConcurrentDownloads: 6 }));
  const c = loadRegistryConfig([a, join(tmp, 'missing.json'), b]);
  assert.equal(settingsFor(c, 'r:5000'), { insecure: true, caFiles: ['/x.pem', '/y.pem'], mirrors: ['m:1/pre'] });
  assert.equal(settingsFor(c, 'other'), { insecure: false, caFiles: ['/x.pem'], mirrors: [] });
  assert.is(c.timeoutMs, 5000);
  assert.is(c.maxConcurrentDownloads, 6);
  writeFileSync(a, '{"registries": {"x": {"insecure": "yes"}}}');
  assert.throws(() => loadRegistryConfig([a]), (e) => e.message.includes(a) && /insecure/.test(e.message));
  writeFileSync(a, '{nope');
  assert.throws(() => loadRegistryConfig([a]), /not valid JSON/);
}));

test('retries: Retry-After parsing; transient errors retried, others not', async () => {
  assert.is(retryAfterMs('3'), 3000);
  assert.is(retryAfterMs(undefined), undefined);
  assert.ok(retryAfterMs(new Date(Date.now() + 5000).toUTCString()) > 3000);
  let n = 0;
  const waits = [];
  const v = await withRetries({ retries: 3, maxDelayMs: 20, baseDelayMs: 1 }, async () => {
    if (++n < 3) throw new TransientError('flaky', { retryAfterMs: 15 });
    return 'ok';
  }, (_e, d) => waits.push(d));
  assert.is(v, 'ok');
  assert.equal(waits, [15, 15]);
  n = 0;
  await withRetries({ retries: 3, maxDelayMs: 5 }, async () => {
    n++;
    throw new Error('permanent');
  }).catch(() => {});
  assert.is(n, 1);
  n = 0;
  await withRetries({ retries: 2, maxDelayMs: 1, baseDelayMs: 1 }, async () => {
    n++;
    throw new TransientError('x');
  }).catch(() => {});
  assert.is(n, 3);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

// Issue 5: authentication against real servers on 127.0.0.1: the registry's htpasswd
// Basic mode over TLS from a test CA, and its token mode behind a token server this test
// runs (Bearer tokens, per-scope caching, grants narrower than asked). Credentials from
// hx login, and from a docker credential helper.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as hxLib from '../lib/hx.mjs';
import { registryTestWorld, startRegistry } from '../lib/registry.mjs';
import { makeTestCA } from '../lib/test-ca.mjs';
import { startTokenServer } from '../lib/token-server.mjs';
import { buildLayout, busyboxFiles, pushLayout, pushLayoutAsync, skopeoAsync } from '../lib/oci-build.mjs';

const world = await registryTestWorld(hxLib);
const certDir = join(world.base, 'certs');
mkdirSync(certDir);
const certs = makeTestCA(certDir);
// hx gets the test CA the way users usually do: NODE_EXTRA_CA_CERTS (the launcher hands it on).
const env = { ...world.env, NODE_EXTRA_CA_CERTS: certs.caCert };
const tls = { cert: certs.serverCert, key: certs.serverKey };

const basic = await startRegistry({ dir: join(world.base, 'basic'), tls, htpasswd: [['alice', 'alice-pw']] });
const service = 'hx-test-registry';
const issuer = 'hx-test-issuer';
const tokens = await startTokenServer({
  certs,
  service,
  issuer,
  users: { alice: 'a-pw', bob: 'b-pw', carol: 'c-pw' },
  grant: (user, repo, actions) => {
    if (user === 'alice') return actions;
    if (user === 'bob') return actions.filter((a) => a === 'pull');
    if (user === 'carol') return repo.startsWith('carol/') ? actions : [];
    return repo.startsWith('public/') ? actions.filter((a) => a === 'pull') : [];
  },
});
const tokenReg = await startRegistry({ dir: join(world.base, 'token'), tls, token: { realm: tokens.url, service, issuer, rootCert: certs.tokenCert } });
const B = basic.host;
const T = tokenReg.host;

const layout = join(world.base, 'layout');
const built = buildLayout(layout, [{ tag: 'app', layers: [busyboxFiles(), { 'etc/secret': 'private\n' }] }]);
pushLayout(layout, 'app', `${B}/team/app:1`, { creds: 'alice:alice-pw' });
// Async: the token server runs in this process.
await pushLayoutAsync(layout, 'app', `${T}/public/app:1`, { creds: 'alice:a-pw' });
await pushLayoutAsync(layout, 'app', `${T}/private/app:1`, { creds: 'alice:a-pw' });

const hxa = (args, extra = {}) => hxLib.hxAsync(args, { env: { ...env, ...extra } });
const login = (registry, user, password, extra = {}) => hxLib.hxAsync(['login', '-u', user, '--password-stdin', registry], { env: { ...env, ...extra }, input: `${password}\n` });
const authFile = join(env.XDG_CONFIG_HOME, 'hx', 'auth.json');

test('Basic auth over TLS: anonymous refused, a wrong password named, login checked and saved 0600, then pull', async () => {
  const anon = await hxa(['pull', `${B}/team/app:1`]);
  assert.is(anon.code, 1);
  assert.match(anon.stderr, B);
  assert.match(anon.stderr, `hx login ${B}`);
  const wrong = await login(B, 'alice', 'not-the-password');
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, `login to ${B} failed: wrong username or password`);
  assert.not.ok(existsSync(authFile), 'nothing saved after a failed login');
  const ok = await login(B, 'alice', 'alice-pw');
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, 'Login Succeeded');
  assert.is(statSync(authFile).mode & 0o777, 0o600);
  assert.is(JSON.parse(readFileSync(authFile, 'utf8')).auths[B].auth, Buffer.from('alice:alice-pw').toString('base64'));
  const pulled = await hxa(['pull', '-q', `${B}/team/app:1`]);
  assert.is(pulled.code, 0, pulled.stderr);
  assert.is(pulled.stdout.trim(), `${B}/team/app:1`, 'pull -q prints the reference, as docker does');
});

test('TLS: an unknown CA is a clear error; the CA from the registries config works too', async () => {
  // a loopback registry is insecure by default (docker's 127.0.0.0/8): ask for verification
  const noCa = await hxa(['pull', '--tls-verify', `${B}/team/app:1`], { NODE_EXTRA_CA_CERTS: '' });
  assert.is(noCa.code, 1);
  assert.match(noCa.stderr, `TLS certificate of ${B} is not trusted`);
  assert.match(noCa.stderr, /hint: .*"ca"/);
  world.setConfig({ registries: { [B]: { ca: certs.caCert } } });
  const withCa = await hxa(['pull', '-q', '--tls-verify', `${B}/team/app:1`], { NODE_EXTRA_CA_CERTS: '' });
  world.setConfig({});
  assert.is(withCa.code, 0, withCa.stderr);
});

test('logout removes the saved login; a second logout says there was none', async () => {
  const out = await hxa(['logout', B]);
  assert.is(out.code, 0, out.stderr);
  assert.equal(JSON.parse(readFileSync(authFile, 'utf8')).auths, {});
  const again = await hxa(['logout', B]);
  assert.is(again.code, 0, 'docker: not being logged in is not an error');
  assert.match(again.stdout, `Not logged in to ${B}`);
  const anon = await hxa(['pull', '-q', `${B}/team/app:1`]);
  assert.is(anon.code, 1);
});

test('Bearer: an anonymous pull of a public repository, one token for the whole pull', async () => {
  tokens.requests.length = 0;
  const r = await hxa(['pull', `${T}/public/app:1`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(tokens.requests.length, 1, JSON.stringify(tokens.requests));
  assert.equal(tokens.requests[0].scopes, ['repository:public/app:pull']);
  assert.is(tokens.requests[0].user, undefined);
  assert.is(tokens.requests[0].service, service);
  const priv = await hxa(['pull', `${T}/private/app:1`]);
  assert.is(priv.code, 1);
  assert.match(priv.stderr, T);
  assert.match(priv.stderr, `hx login ${T}`);
});

test('Bearer: wrong password named; a pull-only account pulls, and its push fails before any upload', async () => {
  const wrong = await login(T, 'bob', 'nope');
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, `login to ${T} failed: wrong username or password`);
  const ok = await login(T, 'bob', 'b-pw');
  assert.is(ok.code, 0, ok.stderr);
  const pulled = await hxa(['pull', '-q', `${T}/private/app:1`]);
  assert.is(pulled.code, 0, pulled.stderr);
  const push = await hxa(['push', `${T}/private/app:1`, `${T}/private/bob-copy:1`]);
  assert.is(push.code, 1);
  assert.match(push.stderr, `${T} does not grant push access to private/bob-copy (granted: pull)`);
  const inspect = await skopeoAsync(['inspect', '--tls-verify=false', '--creds', 'alice:a-pw', `docker://${T}/private/bob-copy:1`], { allowFail: true });
  assert.is.not(inspect.status, 0, 'nothing was pushed');
});

test('Bearer with a docker credential helper: push mounts from the source repository', async () => {
  assert.is((await hxa(['logout', T])).code, 0);
  const bin = join(world.base, 'bin');
  mkdirSync(bin, { recursive: true });
  const helper = join(bin, 'docker-credential-hxtest');
  writeFileSync(helper, `#!/bin/sh\n[ "$1" = get ] || exit 1\nread url\n[ "$url" = "${T}" ] && echo '{"ServerURL":"${T}","Username":"alice","Secret":"a-pw"}' && exit 0\necho "credentials not found in native keychain"\nexit 1\n`);
  chmodSync(helper, 0o755);
  mkdirSync(env.DOCKER_CONFIG, { recursive: true });
  writeFileSync(join(env.DOCKER_CONFIG, 'config.json'), JSON.stringify({ credHelpers: { [T]: 'hxtest' } }));
  const PATH = `${bin}:${process.env.PATH}`;
  tokens.requests.length = 0;
  const r = await hxa(['push', `${T}/private/app:1`, `${T}/private/alice-copy:1`], { PATH });
  assert.is(r.code, 0, r.stderr);
  // The image is known in two repositories of this registry (both pulled): either is a mount source.
  const from = /: Mounted from ((?:public|private)\/app)/.exec(r.stdout)?.[1];
  assert.ok(from, r.stdout);
  for (const l of built.app.layers) assert.match(r.stdout, `${l.digest.slice(7, 19)}: Mounted from ${from}`);
  assert.ok(tokens.requests.every((q) => q.user === 'alice'), JSON.stringify(tokens.requests));
  assert.ok(tokens.requests.some((q) => q.scopes.includes(`repository:${from}:pull`) && q.scopes.includes('repository:private/alice-copy:pull,push')), JSON.stringify(tokens.requests));
  assert.is(JSON.parse((await skopeoAsync(['inspect', '--tls-verify=false', '--creds', 'alice:a-pw', `docker://${T}/private/alice-copy:1`])).stdout).Digest, built.app.manifestDigest);
});

test('a grant narrower than asked: no pull right on the mount source, so the push uploads instead', async () => {
  writeFileSync(join(env.DOCKER_CONFIG, 'config.json'), JSON.stringify({ auths: { [T]: { auth: Buffer.from('carol:c-pw').toString('base64') } } }));
  const r = await hxa(['push', `${T}/private/app:1`, `${T}/carol/app:1`]);
  assert.is(r.code, 0, r.stderr);
  for (const l of built.app.layers) assert.match(r.stdout, `${l.digest.slice(7, 19)}: Pushed`);
  assert.is(JSON.parse((await skopeoAsync(['inspect', '--tls-verify=false', '--creds', 'alice:a-pw', `docker://${T}/carol/app:1`])).stdout).Digest, built.app.manifestDigest);
});

test.after(async () => {
  await basic.stop();
  await tokenReg.stop();
  await tokens.stop();
  world.cleanup();
});

test.run();

// Debian's docker-registry (the distribution registry) started by a test on 127.0.0.1:
// plain http, htpasswd Basic auth over TLS, or token auth pointing at a token server.
// Storage lives in a temp dir; stop() ends the process and removes nothing else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Wait until something accepts TCP connections on 127.0.0.1:PORT. */
export async function waitForPort(port, timeoutMs = 15_000, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the server for port ${port} exited`);
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

let cryptFn;
/** An htpasswd line with a bcrypt hash (what the registry's htpasswd mode accepts), via libcrypt. */
export function htpasswdLine(user, password) {
  if (!cryptFn) {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi');
    cryptFn = koffi.load('libcrypt.so.1').func('const char *crypt(const char *key, const char *salt)');
  }
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const salt = [...randomBytes(22)].map((b) => alphabet[b & 63]).join('');
  // The last salt char carries only 2 significant bits; libxcrypt wants one of ".Oeu".
  const fixed = salt.slice(0, 21) + '.Oeu'[randomBytes(1)[0] & 3];
  const hash = cryptFn(password, `$2b$05$${fixed}`);
  if (!hash || !hash.startsWith('$2b$')) throw new Error('libcrypt has no bcrypt');
  return `${user}:${hash}`;
}

/**
 * Start a registry. opts: { dir (temp dir for storage/config/logs), tls: {cert, key},
 *   htpasswd: [[user, password]...], token: { realm, service, issuer, rootCert } }
 * Resolves { port, host: '127.0.0.1:PORT', url, storage, logFile, stop() }.
 */
export async function startRegistry(opts) {
  const storage = join(opts.dir, 'storage');
  mkdirSync(storage, { recursive: true });
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
    ];
    if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`);
    if (opts.htpasswd) {
      const file = join(opts.dir, 'htpasswd');
      writeFileSync(file, opts.htpasswd.map(([u, p]) => htpasswdLine(u, p)).join('\n') + '\n');
      lines.push('auth:', '  htpasswd:', '    realm: hx-test-realm', `    path: ${file}`);
    } else if (opts.token) {
      lines.push('auth:', '  token:', `    realm: ${opts.token.realm}`, `    service: ${opts.token.service}`, `    issuer: ${opts.token.issuer}`, `    rootcertbundle: ${opts.token.rootCert}`);
    }
    const config = join(opts.dir, 'config.yml');
    writeFileSync(config, lines.join('\n') + '\n');
    const logFile = join(opts.dir, `registry-${port}.log`);
    const log = openSync(logFile, 'w');
    const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', log, log], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    closeSync(log);
    let exited = false;
    // If the test process dies (a failed setup, an uncaught error), the registry goes with it.
    const reap = () => child.kill('SIGKILL');
    process.on('exit', reap);
    child.on('exit', () => {
      exited = true;
      process.off('exit', reap);
    });
    try {
      await waitForPort(port, 15_000, () => !exited);
    } catch (e) {
      child.kill('SIGKILL');
      const text = readFileSync(logFile, 'utf8');
      if (tries < 3 && /address already in use/.test(text)) continue;
      throw new Error(`docker-registry did not start: ${e.message}\n${text}`);
    }
    const scheme = opts.tls ? 'https' : 'http';
    return {
      port,
      host: `127.0.0.1:${port}`,
      url: `${scheme}://127.0.0.1:${port}`,
      storage,
      logFile,
      pid: child.pid,
      stop: () =>
        new Promise((resolve) => {
          if (exited) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => !exited && child.kill('SIGKILL'), 3000).unref();
        }),
    };
  }
}

/**
 * A private world for one registry test file: runtime dir (own holder), store, HOME and
 * config dirs, so no file of the test user is read or written. cleanup() removes it all.
 */
export async function registryTestWorld(hxLib) {
  const base = hxLib.tempDir('hx-reg-');
  const env = {
    XDG_RUNTIME_DIR: join(base, 'run'),
    HX_STORAGE_ROOT: join(base, 'store'),
    HOME: join(base, 'home'),
    XDG_CONFIG_HOME: join(base, 'config'),
    HX_REGISTRIES_CONF: join(base, 'registries.json'),
    DOCKER_CONFIG: join(base, 'home', '.docker'),
  };
  for (const d of [env.XDG_RUNTIME_DIR, env.HOME, env.XDG_CONFIG_HOME]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const cleanup = () => {
    // Layer files belong to subordinate ids: delete them from inside the namespace.
    if (process.getuid() !== 0) hxLib.hx(['unshare', '--', 'rm', '-rf', env.HX_STORAGE_ROOT], { env });
    try {
      const pid = Number(readFileSync(join(env.XDG_RUNTIME_DIR, 'hx', 'holder.pid'), 'utf8').split(' ')[0]);
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch {}
    rmSync(base, { recursive: true, force: true });
  };
  return { base, env, cleanup, setConfig: (doc) => writeFileSync(env.HX_REGISTRIES_CONF, JSON.stringify(doc)) };
}

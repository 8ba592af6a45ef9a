// What the test suites need on this machine. As root (CI), installs and creates it;
// as a normal user, reports what is missing and the command that would provide it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

/** Debian packages the suites use (binary checked -> package). */
export const PACKAGES = {
  newuidmap: 'uidmap',
  busybox: 'busybox-static',
  pasta: 'passt',
  slirp4netns: 'slirp4netns',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  podman: 'podman',
  runc: 'runc',
  'fuse-overlayfs': 'fuse-overlayfs',
  openssl: 'openssl',
  script: 'bsdutils',
  tmux: 'tmux',
  zsh: 'zsh',
  fish: 'fish',
  ip: 'iproute2',
  nft: 'nftables',
  setfattr: 'attr',
  zstd: 'zstd',
};

export const TEST_USER = 'hxtest';
export const NOSUB_USER = 'hxnosub';
export const TEST_RANGE = { start: 200000, count: 65536 };

const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });

export function which(bin) {
  const r = sh('sh', ['-c', `command -v ${bin}`]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function missingPackages() {
  return [...new Set(Object.entries(PACKAGES).filter(([bin]) => !which(bin)).map(([, pkg]) => pkg))];
}

export function userExists(name) {
  return sh('id', ['-u', name]).status === 0;
}

function rangesOf(file, user) {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.split(':')[0] === user);
  } catch {
    return [];
  }
}

/** Give USER exactly LINES in /etc/subuid and /etc/subgid (useradd may have added its own). */
function setRanges(user, lines) {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const kept = text.split('\n').filter((l) => l && l.split(':')[0] !== user);
    const want = [...kept, ...lines].join('\n') + '\n';
    // Rewritten only when it differs, and by rename: a suite running meanwhile (a second
    // checkout's) must never read a truncated file and see its user without a range.
    if (want === text) continue;
    writeFileSync(`${file}.hx-tmp`, want, { mode: 0o644 });
    renameSync(`${file}.hx-tmp`, file);
  }
}

function ensureUser(name) {
  if (!userExists(name)) {
    const r = sh('useradd', ['-m', '-s', '/bin/sh', name]);
    if (r.status !== 0) throw new Error(`useradd ${name} failed: ${r.stderr}`);
  }
}

/** As root: install packages and create the test users. Returns log lines. */
export function provisionAsRoot() {
  const log = [];
  const missing = missingPackages();
  if (missing.length) {
    log.push(`installing: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    sh('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
    const r = sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
  }
  ensureUser(TEST_USER);
  ensureUser(NOSUB_USER);
  setRanges(TEST_USER, [`${TEST_USER}:${TEST_RANGE.start}:${TEST_RANGE.count}`]);
  setRanges(NOSUB_USER, []);
  log.push(`users: ${TEST_USER} (subuid ${TEST_RANGE.start}:${TEST_RANGE.count}), ${NOSUB_USER} (no range)`);
  // Without udev these stay 0600 and fuse-overlayfs, pasta and slirp4netns fail for users;
  // Debian's udev rules make both 0666, which is what a desktop has.
  for (const dev of DEVICES) {
    if (!existsSync(dev)) continue;
    if ((statSync(dev).mode & 0o777) !== 0o666) {
      chmodSync(dev, 0o666);
      log.push(`${dev}: made 0666 (as udev does)`);
    }
  }
  return log;
}

/** Character devices the rootless suites need usable by users. */
export const DEVICES = ['/dev/fuse', '/dev/net/tun'];

/** As a normal user: can the rootless e2e suite run as me? */
export function rootlessReadiness() {
  const problems = [];
  const user = sh('id', ['-un']).stdout.trim();
  if (!which('newuidmap')) problems.push('newuidmap missing (sudo apt-get install uidmap)');
  if (rangesOf('/etc/subuid', user).length === 0) problems.push(`no /etc/subuid range for ${user}`);
  for (const dev of DEVICES) {
    if (existsSync(dev) && (statSync(dev).mode & 0o006) !== 0o006) problems.push(`${dev} is not usable by users (sudo chmod 0666 ${dev}, as udev does)`);
  }
  return { user, problems };
}

// `npm test`: provisions what the suites need (as root), runs every suite as the user it
// is meant for, and prints one closing line: `N passed, N failed[, N skipped]`.
//   test/unit/        any user, in place
//   test/e2e/         an unprivileged user with a subuid range (hxtest when run as root)
//   test/e2e-nosub/   an unprivileged user without a range (hxnosub when run as root)
//   test/root/        root only (rootful mode)
// Each test file runs in its own process with a time limit.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOSUB_USER, TEST_USER, provisionAsRoot, rootlessReadiness } from './provision.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const isRoot = process.getuid() === 0;
const only = process.argv.slice(2); // optional filters: substrings of test file paths
const FILE_TIMEOUT_MS = Number(process.env.HX_TEST_FILE_TIMEOUT_MS || 15 * 60 * 1000);
const totals = { passed: 0, failed: 0, skipped: 0 };
const skippedSuites = [];

function files(dir) {
  const full = join(root, 'test', dir);
  if (!existsSync(full)) return [];
  return readdirSync(full)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => join('test', dir, f))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
}

const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Per checkout, so that two checkouts' suites (git worktrees) can run at once without
// sharing a test tree copy or a namespace holder.
const treeTag = createHash('sha256').update(root).digest('hex').slice(0, 8);

/** A runtime dir of USER's own for this checkout (what a login session's XDG_RUNTIME_DIR is). */
function userRuntimeDir(user) {
  const dir = `/tmp/hx-rt-${treeTag}-${user}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  spawnSync('chown', [`${user}:`, dir]);
  chmodSync(dir, 0o700);
  return dir;
}

function userEnv(user) {
  return {
    PATH: CLEAN_PATH,
    XDG_RUNTIME_DIR: userRuntimeDir(user),
    HOME: `/home/${user}`,
    USER: user,
    LOGNAME: user,
    LANG: 'C.UTF-8',
    SHELL: '/bin/sh',
    FORCE_COLOR: '0',
    NODE_DISABLE_COLORS: '1',
  };
}

/** Run one uvu file; parse its summary. `as` is a user name to switch to (root only). */
function runFile(treeRoot, file, as, extraEnv = {}) {
  const script = join(treeRoot, file);
  const env = as
    ? { ...userEnv(as), HX_BIN: join(treeRoot, 'build', 'hx'), ...extraEnv }
    : { ...process.env, FORCE_COLOR: '0', NODE_DISABLE_COLORS: '1', HX_BIN: join(treeRoot, 'build', 'hx'), ...extraEnv };
  const cmd = as ? 'runuser' : process.execPath;
  const args = as ? ['-u', as, '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, script] : [script];
  process.stdout.write(`\n── ${file}${as ? ` (as ${as})` : ''}\n`);
  const r = spawnSync(cmd, args, { cwd: treeRoot, env, encoding: 'utf8', timeout: FILE_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  const total = /Total:\s+(\d+)/.exec(r.stdout || '');
  const passed = /Passed:\s+(\d+)/.exec(r.stdout || '');
  const skipped = /Skipped:\s+(\d+)/.exec(r.stdout || '');
  if (!total || !passed) {
    // A crash or time-out before uvu's summary: count the whole file as one failure.
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status} without a summary`;
    process.stdout.write(`  FAILED: ${file} did not finish (${why})\n`);
    totals.failed += 1;
    return;
  }
  const t = Number(total[1]);
  const p = Number(passed[1]);
  totals.passed += p;
  totals.failed += t - p;
  totals.skipped += skipped ? Number(skipped[1]) : 0;
  if (r.status !== 0 && t === p) {
    process.stdout.write(`  FAILED: ${file} exited ${r.status} after its tests\n`);
    totals.failed += 1;
  }
}

function skipSuite(suite, list, why, enable) {
  if (list.length === 0) return;
  skippedSuites.push(`${suite} (${list.length} files): ${why}; to run it: ${enable}`);
  totals.skipped += list.length;
}

/** A copy of the tree that the test users can read (the CI clone may sit under /root). */
function readableTree() {
  const probe = spawnSync('runuser', ['-u', TEST_USER, '--', 'test', '-r', join(root, 'dist/cli/main.js'), '-a', '-x', join(root, 'build/hx')]);
  if (probe.status === 0) return root;
  const copy = `/var/tmp/hx-test-tree-${treeTag}`;
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  for (const part of ['package.json', 'build', 'dist', 'node_modules', 'test', 'bench', 'native', 'assembly']) {
    if (existsSync(join(root, part))) cpSync(join(root, part), join(copy, part), { recursive: true, verbatimSymlinks: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  chmodSync(copy, 0o755);
  return copy;
}

function main() {
  if (!existsSync(join(root, 'dist/cli/main.js')) || !existsSync(join(root, 'build/hx'))) {
    console.error('hx is not built: run `npm install` first');
    process.exit(1);
  }
  const unit = files('unit');
  const e2e = files('e2e');
  const nosub = files('e2e-nosub');
  const rootSuite = files('root');

  if (isRoot) {
    for (const line of provisionAsRoot()) console.log(`provision: ${line}`);
  }

  for (const f of unit) runFile(root, f);

  if (isRoot) {
    const tree = e2e.length || nosub.length || rootSuite.length ? readableTree() : root;
    for (const f of e2e) runFile(tree, f, TEST_USER);
    for (const f of nosub) runFile(tree, f, NOSUB_USER);
    // Root suites that act as the test users need a launcher those users can run.
    // rootful containers default to docker's bridge, made in hx's own network namespace: the
    // root suites put theirs on none, so no bridge or rule lands on this machine's network
    // (network-bridge.test.mjs runs hx inside namespaces of its own, with the default back)
    for (const f of rootSuite) runFile(root, f, undefined, { HX_USER_BIN: join(tree, 'build', 'hx'), HX_DEFAULT_NETWORK: 'none' });
  } else {
    const { user, problems } = rootlessReadiness();
    if (problems.length === 0) {
      for (const f of e2e) runFile(root, f);
      skipSuite('test/e2e-nosub', nosub, `${user} has a subuid range, and only root can switch to a user without one`, 'sudo npm test');
    } else {
      skipSuite('test/e2e', e2e, problems.join('; '), 'sudo npm test (creates the test users), or add a range for you in /etc/subuid and /etc/subgid');
      for (const f of nosub) runFile(root, f);
    }
    skipSuite('test/root', rootSuite, 'needs root', 'sudo npm test');
  }

  if (skippedSuites.length) {
    console.log('\nskipped suites:');
    for (const s of skippedSuites) console.log(`  - ${s}`);
  }
  console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

main();

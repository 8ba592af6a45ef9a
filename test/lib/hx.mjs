// Helpers for e2e tests: run the hx launcher and other commands, make temp dirs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const treeRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const hxBin = process.env.HX_BIN || join(treeRoot, 'build', 'hx');

/** Run hx synchronously. opts: { env, input, cwd, timeout } -> { code, signal, stdout, stderr } */
export function hx(args, opts = {}) {
  return run(hxBin, args, opts);
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, ...(opts.env || {}) },
    input: opts.input,
    cwd: opts.cwd,
    timeout: opts.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Run hx asynchronously; resolves like hx(). */
export function hxAsync(args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(hxBin, args, { env: { ...process.env, ...(opts.env || {}) }, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid }));
  });
}

export function tempDir(prefix = 'hx-test-') {
  return mkdtempSync(join(process.env.HX_TEST_TMP || tmpdir(), prefix));
}

/** Remove a dir that may hold files owned by subordinate ids: delete it from inside the namespace. */
export function removeTree(dir) {
  if (process.getuid() !== 0) hx(['unshare', '--', 'rm', '-rf', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Fail loudly: for preconditions that must hold on a provisioned machine. */
export function need(condition, what) {
  if (!condition) throw new Error(`test precondition failed: ${what}`);
}

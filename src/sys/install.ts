// Where the built parts of hx live. Two layouts run this code: the CLI bundle
// (build/cli.cjs, what the launcher starts) and the tsc output (dist/sys/paths.js, what
// the library and the tests import). Both sit one level below the project root.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  // In the CJS bundle __filename is build/cli.cjs; in ESM it is undefined and
  // import.meta.url is dist/sys/paths.js.
  if (typeof __filename === 'string') return join(dirname(__filename), '..');
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

const projectRoot = findProjectRoot();

export function hxRoot(): string {
  return projectRoot;
}

export function buildDir(): string {
  return join(projectRoot, 'build');
}

export function launcherPath(): string {
  return process.env.HX_LAUNCHER || join(buildDir(), 'hx');
}

/** True when running from the CLI bundle rather than from dist/. */
export function runningFromBundle(): boolean {
  return typeof __filename === 'string' && __filename.endsWith('.cjs');
}

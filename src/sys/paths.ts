// Where the built parts of hx live (build/ beside dist/).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function buildDir(): string {
  return join(projectRoot, 'build');
}

export function launcherPath(): string {
  return process.env.HX_LAUNCHER || join(buildDir(), 'hx');
}

export function hxRoot(): string {
  return projectRoot;
}

import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { buildDir, hxRoot } from '../../sys/install.js';

export interface VersionInfo {
  hx: string;
  node: string;
  kernel: string;
  builds: Record<string, string>;
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(join(hxRoot(), 'package.json'), 'utf8')) as { version: string };
  let builds: Record<string, string> = {};
  try {
    builds = JSON.parse(readFileSync(join(buildDir(), 'build-info.json'), 'utf8')) as Record<string, string>;
  } catch {
    /* not built: shown as empty */
  }
  return { hx: pkg.version, node: process.version, kernel: release(), builds };
}

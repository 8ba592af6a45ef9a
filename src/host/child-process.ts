// node:child_process and node:net on demand, through require (build/run.cjs runs inside a vm.Script,
// where import() throws; a static import would cost every command its load).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { hxRoot } from '../sys/install.js';

export function childProcess(): typeof import('node:child_process') {
  return createRequire(join(hxRoot(), 'package.json'))('node:child_process') as typeof import('node:child_process');
}

export function netModule(): typeof import('node:net') {
  return createRequire(join(hxRoot(), 'package.json'))('node:net') as typeof import('node:net');
}

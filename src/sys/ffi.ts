// The only module that loads koffi. Loaded lazily: commands that need no syscalls
// (hx --help, hx version) never pay for it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Koffi from 'koffi';
import { buildDir, hxRoot } from './install.js';

export type KoffiModule = typeof Koffi;
export type KoffiLib = ReturnType<KoffiModule['load']>;

let koffiModule: KoffiModule | undefined;
let libc: KoffiLib | undefined;
let libhxns: KoffiLib | undefined;

export function koffi(): KoffiModule {
  if (!koffiModule) koffiModule = createRequire(join(hxRoot(), 'package.json'))('koffi') as KoffiModule;
  return koffiModule;
}

export function libcHandle(): KoffiLib {
  if (!libc) libc = koffi().load('libc.so.6');
  return libc;
}

export function libhxnsHandle(): KoffiLib {
  if (!libhxns) {
    const path = join(buildDir(), 'libhxns.so');
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm install\` (or \`npm run build\`) in the hx directory`);
    libhxns = koffi().load(path);
  }
  return libhxns;
}

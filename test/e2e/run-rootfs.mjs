// A busybox root filesystem for `hx run --rootfs` tests, made from Debian's busybox-static:
// bin/busybox plus a symlink per applet, etc/passwd and etc/group with root and a user
// 1000 (alice) in two supplementary groups, a world-writable tmp, and two files for the
// exit-code tests (one not executable, one script whose interpreter is missing).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export function makeBusyboxRootfs(dir) {
  if (!existsSync(BUSYBOX)) throw new Error(`test precondition failed: ${BUSYBOX} (Debian package busybox-static) is installed`);
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/alice']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of list) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nwheel:x:10:alice\naudio:x:29:alice\nalice:x:1000:\n');
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'bin/notexec'), '#!/bin/sh\necho should not run\n', { mode: 0o644 });
  writeFileSync(join(dir, 'bin/badinterp'), '#!/no/such/interpreter\n', { mode: 0o755 });
  return dir;
}

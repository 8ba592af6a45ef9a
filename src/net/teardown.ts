// The deletions of a rootful plane change: links (bridges) and iptables chains. Each waits for
// the kernel's RCU grace periods (a bridge 40-70 ms, an iptables-restore that deletes 15-30 ms
// here), which is most of what a rootful `run --rm` on a bridge cost. So when the caller holds
// the plane lock, they run in a detached child that inherits the lock's descriptor: the hx
// that asked returns at once, and the next change on the plane (which takes the lock) waits
// until they are done, so it never sees half of them. Without a lock (the sweep) they run now.
import { closeSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { linkNames } from './bridge.js';
import { inNetns, SELF_NETNS } from './netns.js';

export interface Teardown {
  /** Links of hx's own namespace to delete (those not there are skipped). */
  links: string[];
  /** An iptables-restore --noflush input, or nothing to change. */
  firewall?: string | undefined;
}

/** $1 is ip's batch, $2 iptables-restore's input; either may be empty. */
const SCRIPT = '[ -z "$1" ] || printf %s "$1" | ip -force -batch -; [ -z "$2" ] || printf %s "$2" | iptables-restore -w --noflush';

/** T done: by a detached child holding the plane lock through HOLD, or now. Errors of a
 * detached run go to PLANE/teardown.log. */
export function tearDown(t: Teardown, plane: string, hold?: number): void {
  const present = new Set(linkNames(SELF_NETNS));
  const links = t.links.filter((l) => present.has(l)).map((l) => `link del ${l}\n`).join('');
  if (!links && !t.firewall) return;
  if (hold === undefined) {
    if (links) inNetns(SELF_NETNS, ['ip', '-force', '-batch', '-'], links);
    if (t.firewall) inNetns(SELF_NETNS, ['iptables-restore', '-w', '--noflush'], t.firewall);
    return;
  }
  const log = openSync(join(plane, 'teardown.log'), 'w', 0o600);
  try {
    spawn('sh', ['-c', SCRIPT, 'hx-teardown', links, t.firewall ?? ''], { detached: true, stdio: ['ignore', 'ignore', log, hold] }).unref();
  } finally {
    closeSync(log);
  }
}

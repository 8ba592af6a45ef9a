// The deletions of a rootful plane change: bridges and firewall chains (iptables or nft).
// Each waits for the kernel's RCU grace periods (a bridge 40-70 ms, an iptables-restore that
// deletes 15-30 ms here), which is most of what a rootful `run --rm` on a bridge cost. So when the caller holds
// the plane lock, they run in a detached child that inherits the lock's descriptor: the hx
// that asked returns at once, and the next change on the plane (which takes the lock) waits
// until they are done, so it never sees half of them. Without a lock (the sweep) they run now.
// A deferred teardown is written ahead to PLANE/teardown.json and removed by its child when
// done; whoever takes the lock next and finds it (the child was killed) finishes it, the
// firewall part computed again from the rules as they are then.
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { linkNames } from './bridge.js';
import { firewall } from './firewall.js';
import { inNetns, SELF_NETNS } from './netns.js';

export interface Teardown {
  /** The bridges to delete, with their networks' chains (those not there are skipped). */
  bridges: string[];
  /** hx's top chains go too (no network is left). */
  top: boolean;
  /** Other links to delete (veths of containers that left a bridge and still run). */
  links?: string[] | undefined;
}

const PENDING = 'teardown.json';

/** $1 is ip's batch, $2 the firewall's input (either may be empty), $3 the record to remove,
 * the rest the firewall's command (iptables-restore or nft). */
const SCRIPT = 'l=$1 f=$2 r=$3; shift 3; [ -z "$l" ] || printf %s "$l" | ip -force -batch -; [ -z "$f" ] || printf %s "$f" | "$@"; rm -f "$r"';

/** T done: by a detached child holding the plane lock through HOLD, or now. Errors of a
 * detached run go to PLANE/teardown.log. */
export function tearDown(t: Teardown, plane: string, hold?: number): void {
  if (!t.bridges.length && !t.top && !t.links?.length) return;
  // the record first: a kill while the deletions are worked out leaves them to the next holder
  const pending = join(plane, PENDING);
  if (hold !== undefined) {
    // whole or absent (runtime state: no fsync)
    writeFileSync(`${pending}.tmp`, JSON.stringify(t), { mode: 0o600 });
    renameSync(`${pending}.tmp`, pending);
  }
  const present = new Set(linkNames(SELF_NETNS));
  const links = [...new Set([...(t.links ?? []), ...t.bridges])].filter((l) => present.has(l)).map((l) => `link del ${l}\n`).join('');
  const fw = firewall();
  const rules = t.bridges.length || t.top ? fw.networksRemoval(t.bridges, t.top) : undefined;
  if (!links && !rules) {
    if (hold !== undefined) rmSync(pending, { force: true });
    return;
  }
  if (hold === undefined) {
    if (links) inNetns(SELF_NETNS, ['ip', '-force', '-batch', '-'], links);
    if (rules) inNetns(SELF_NETNS, fw.restoreCommand(), rules);
    return;
  }
  const log = openSync(join(plane, 'teardown.log'), 'w', 0o600);
  try {
    spawn('sh', ['-c', SCRIPT, 'hx-teardown', links, rules ?? '', pending, ...fw.restoreCommand()], { detached: true, stdio: ['ignore', 'ignore', log, hold] }).unref();
  } finally {
    closeSync(log);
  }
}

/** A deferred teardown whose child was killed, finished now (call holding the plane lock). */
export function finishTeardown(plane: string): void {
  const pending = join(plane, PENDING);
  if (!existsSync(pending)) return;
  let t: Teardown | undefined;
  try {
    t = JSON.parse(readFileSync(pending, 'utf8')) as Teardown;
  } catch {
    /* unreadable: nothing to finish */
  }
  if (t && Array.isArray(t.bridges)) tearDown({ bridges: t.bridges, top: t.top === true, links: Array.isArray(t.links) ? t.links : [] }, plane);
  rmSync(pending, { force: true });
}

/** Is a deferred teardown recorded (running, or killed and left for the next lock holder)? */
export function teardownRecorded(plane: string): boolean {
  return existsSync(join(plane, PENDING));
}

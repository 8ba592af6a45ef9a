// The pieces of a user network's data plane (issue 14), measured on their real code paths
// inside hx's user namespace (run it with `hx unshare -- node bench/network-plane.mjs`, as
// the unprivileged user): the time of one veth setup through iproute2 (plugVeth: a veth
// pair from the bridge in a held namespace into another process's namespace, addressed, up,
// default route; then removed), and hx-dns's start time (spawn to "ready") and resident
// memory. Every namespace is made here and removed after; no packet leaves them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');
const { ensureHeldNetns, releaseHeldNetns, inNetns } = await import(join(root, 'dist/net/netns.js'));
const { ensureBridge, plugVeth, removeLink } = await import(join(root, 'dist/net/bridge.js'));
const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-plane-'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const plane = join(base, 'plane');
const t0 = process.hrtime.bigint();
const ns = ensureHeldNetns(plane);
const netnsMs = ms(t0);
ensureBridge(ns, 'hxbr-bench', '10.89.250.1', 24, '02:42:0a:59:fa:01');
// the "container": a process in a namespace of its own
const target = spawn('unshare', ['--net', '--', 'sleep', '600'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 200));
const pid = Number(spawnSync('pgrep', ['-P', String(target.pid)], { encoding: 'utf8' }).stdout.trim()) || target.pid;
const veth = [];
for (let i = 0; i < 21; i++) {
  const t = process.hrtime.bigint();
  plugVeth(ns, pid, { bridge: 'hxbr-bench', hostVeth: 'hxvbench', ifname: 'eth0', ip: '10.89.250.2', prefixLength: 24, mac: '02:42:0a:59:fa:02', gateway: '10.89.250.1', defaultRoute: true });
  veth.push(ms(t));
  removeLink(ns, 'hxvbench');
}
target.kill('SIGKILL');

// hx-dns on the held namespace's loopback
writeFileSync(join(base, 'names'), '10.89.250.2 web www\n');
const starts = [];
let rssKb = 0;
for (let i = 0; i < 11; i++) {
  const t = process.hrtime.bigint();
  const child = spawn('nsenter', [`--net=${ns}`, '--', join(root, 'build/hx-dns'), '127.0.0.1', join(base, 'names')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
  starts.push(ms(t));
  rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
}
const lo = inNetns(ns, ['ip', '-o', 'link', 'show']).stdout.split('\n').length;
releaseHeldNetns(plane);
rmSync(base, { recursive: true, force: true });
console.log(`| held namespace made (unshare + bind mount of its nsfs file) | ${netnsMs.toFixed(1)} ms |`);
console.log(`| one veth setup through ip -batch (2 nsenter+ip, median of ${veth.length}) | ${median(veth).toFixed(1)} ms |`);
console.log(`| hx-dns spawn to ready (through nsenter, median of ${starts.length}) | ${median(starts).toFixed(1)} ms |`);
console.log(`| hx-dns resident memory | ${(rssKb / 1024).toFixed(2)} MiB |`);
if (lo < 1) console.log('(links could not be listed)');

// Rootful networking (issue 14), hx against rootful podman (runc, cgroupfs, its default
// bridge network), in one run, as root, inside a network namespace this bench makes (so
// neither engine's bridge or iptables rules touch the machine's network):
//   - TCP throughput through a published port: a 256 MiB file served by busybox httpd in the
//     container, fetched by node from the namespace's loopback (both engines DNAT it);
//   - start-to-exit time of `run --rm IMAGE true` with --network none and the default bridge.
// podman runs with --ulimit nofile=1024:1024 and nproc=1024:1024: its defaults are above this
// shell's hard limit (20000), which runc may not raise (EPERM).
// Run as root: node bench/network-root.mjs [DIR] (default /dev/shm).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';
import { BIG_MIB, time, throughput } from './net-measure.mjs';

if (process.getuid() !== 0) throw new Error('run as root: the rootful bridge is what is measured');
const NS = 'hxbenchnet';
if (!process.env.HX_BENCH_IN_NETNS) {
  // this script again, inside a namespace of its own with loopback up
  spawnSync('ip', ['netns', 'del', NS]);
  must('ip', ['netns', 'add', NS]);
  try {
    must('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    // nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup mounts runc needs
    const r = spawnSync('nsenter', [`--net=/run/netns/${NS}`, '--', process.execPath, new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, HX_BENCH_IN_NETNS: '1' } });
    process.exitCode = r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', NS]);
  }
} else {
  const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-netroot-'));
  const { hx, hxEnv, podman, cleanup } = peers(base);
  const fs = join(base, 'rootfs');
  must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp ${fs}/www && cp /bin/busybox ${fs}/bin/ && for a in sh true httpd; do ln -s busybox ${fs}/bin/$a; done && ` +
    `head -c ${BIG_MIB}M /dev/urandom > ${fs}/www/big && printf 'hosts: files\\n' > ${fs}/etc/nsswitch.conf && tar -C ${fs} -cf ${base}/bb.tar .`]);
  hx('import', `${base}/bb.tar`, 'bb');
  podman('import', `${base}/bb.tar`, 'bb');
  rmSync(fs, { recursive: true, force: true });
  const httpd = ['bb', 'httpd', '-f', '-p', '8080', '-h', '/www'];
  const tput = {
    hx: await throughput((p) => hx('run', '-d', '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(), (id) => hx('rm', '-f', id)),
    podman: await throughput((p) => podman('run', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '-d', '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(), (id) => podman('rm', '-f', '-t', '0', id)),
  };
  const starts = [];
  for (const mode of ['none', 'bridge']) {
    starts.push({ mode, hx: time(10, () => hx('run', '--rm', '--network', mode, 'bb', 'true')), podman: time(10, () => podman('run', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rm', '--network', mode, 'bb', 'true')) });
  }
  // hx's nftables backend where nft is installed: the same runs with HX_FIREWALL=nftables
  const hxBin = join(new URL('.', import.meta.url).pathname, '..', 'build', 'hx');
  const nft = spawnSync('sh', ['-c', 'PATH=$PATH:/usr/sbin:/sbin command -v nft']).status === 0
    ? time(10, () => must(hxBin, ['run', '--rm', '--network', 'bridge', 'bb', 'true'], { ...hxEnv, HX_FIREWALL: 'nftables' }))
    : undefined;
  const f1 = (x) => x.toFixed(1);
  const lines = [`machine: ${machine()}`, '', '| rootful, TCP through a published port (256 MiB GET, loopback) | hx MB/s | podman MB/s | hx / podman |', '|---|---:|---:|---:|'];
  lines.push(`| bridge, -p 127.0.0.1:P:8080 | ${f1(tput.hx)} | ${f1(tput.podman)} | ${(tput.hx / tput.podman).toFixed(2)}x |`);
  lines.push('', '| rootful run --rm IMAGE true | hx ms | podman ms | hx cost over none | podman cost over none |', '|---|---:|---:|---:|---:|');
  for (const s of starts) lines.push(`| --network ${s.mode} | ${f1(s.hx)} | ${f1(s.podman)} | ${s.mode === 'none' ? '' : f1(s.hx - starts[0].hx)} | ${s.mode === 'none' ? '' : f1(s.podman - starts[0].podman)} |`);
  if (nft !== undefined) lines.push(`| --network bridge, hx with HX_FIREWALL=nftables | ${f1(nft)} |  | ${f1(nft - starts[0].hx)} |  |`);
  console.log(lines.join('\n'));
  try {
    podman('rm', '-a', '-f');
  } catch {
    /* nothing left */
  }
  cleanup();
}

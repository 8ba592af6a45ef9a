// Rootless networking (issue 14), hx against rootless podman (runc, cgroupfs) with the same
// helper, as the same user, in one run:
//   - TCP throughput through a published port: a 256 MiB file served by busybox httpd in the
//     container, fetched by node over the host's loopback (127.0.0.1 only);
//   - start-to-exit time of `run --rm IMAGE true` per network mode (none, slirp4netns,
//     pasta, a user network made with `network create`), and the cost of each mode over none;
//   - the same throughput on a user network (hx: pasta spliced into the container; podman: rootlessport).
// podman 4.3 has no pasta mode: pasta is measured for hx alone. podman's slirp4netns runs
// with port_handler=slirp4netns, so both forward through slirp4netns' own hostfwd.
// Run as the unprivileged user: node bench/network.mjs [DIR] (default /dev/shm).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';
import { BIG_MIB, time, throughput } from './net-measure.mjs';

const root = join(new URL('.', import.meta.url).pathname, '..');
const hxBin = join(root, 'build', 'hx');
const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-net-'));
const { hxEnv, podmanArgs, hx, podman, cleanup } = peers(base);

// a busybox root filesystem with a big file, imported into both
const fs = join(base, 'rootfs');
must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp ${fs}/www && cp /bin/busybox ${fs}/bin/ && for a in sh true httpd; do ln -s busybox ${fs}/bin/$a; done && ` +
  `head -c ${BIG_MIB}M /dev/urandom > ${fs}/www/big && printf 'hosts: files\\n' > ${fs}/etc/nsswitch.conf && tar -C ${fs} -cf ${base}/bb.tar .`]);
hx('import', `${base}/bb.tar`, 'bb');
podman('import', `${base}/bb.tar`, 'bb');
rmSync(fs, { recursive: true, force: true });

const httpd = ['bb', 'httpd', '-f', '-p', '8080', '-h', '/www'];
const tput = [];
for (const helper of ['slirp4netns', 'pasta']) {
  const h = await throughput((p) => hx('run', '-d', '--network', helper, '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(), (id) => hx('rm', '-f', id));
  const pm = helper === 'pasta' ? undefined : await throughput(
    (p) => podman('run', '-d', '--network', 'slirp4netns:port_handler=slirp4netns', '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(),
    (id) => podman('rm', '-f', '-t', '0', id));
  tput.push({ helper, hx: h, podman: pm });
}

const starts = [];
for (const mode of ['none', 'slirp4netns', 'pasta']) {
  const h = time(10, () => hx('run', '--rm', '--network', mode, 'bb', 'true'));
  const pm = mode === 'pasta' ? undefined : time(10, () => podman('run', '--rm', '--network', mode, 'bb', 'true'));
  starts.push({ mode, hx: h, podman: pm });
}
const none = starts[0];
// a user network: hx's held namespace, bridge, veth and DNS responder against podman's
// rootless netns (CNI bridge + slirp4netns + dnsname/aardvark as installed), both made anew
// by the first run and kept while the median's runs follow one another
// podman keeps network configs per user (~/.config/cni), not in --root: a name of this run's
const net = `hxbench${process.pid}`;
hx('network', 'create', net);
let podmanNet;
try {
  podman('network', 'create', net);
  podmanNet = () => podman('run', '--rm', '--network', net, 'bb', 'true');
  podmanNet();
} catch (e) {
  console.error(`podman cannot run on a user network here: ${String(e.message ?? e).split('\n')[0]}`);
  podmanNet = undefined;
}
// published ports on a user network: hx's pasta into the container (spliced) against
// podman's rootlessport (a userland proxy into its rootless netns)
tput.push({
  helper: 'NET (user network)',
  hx: await throughput((p) => hx('run', '-d', '--network', net, '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(), (id) => hx('rm', '-f', id)),
  podman: podmanNet ? await throughput((p) => podman('run', '-d', '--network', net, '-p', `127.0.0.1:${p}:8080`, ...httpd).trim(), (id) => podman('rm', '-f', '-t', '0', id)) : undefined,
});
starts.push({ mode: 'NET (user network)', hx: time(10, () => hx('run', '--rm', '--network', net, 'bb', 'true')), podman: podmanNet ? time(10, podmanNet) : undefined });
hx('network', 'rm', net);
try {
  podman('network', 'rm', net);
} catch {}

const f1 = (x) => (x === undefined ? 'n/a' : x.toFixed(1));
const lines = [];
lines.push(`machine: ${machine()}`);
lines.push('', '| TCP through a published port (256 MiB GET, loopback) | hx MB/s | podman MB/s | hx / podman |', '|---|---:|---:|---:|');
for (const t of tput) lines.push(`| ${t.helper} | ${f1(t.hx)} | ${f1(t.podman)} | ${t.podman ? (t.hx / t.podman).toFixed(2) + 'x' : 'n/a'} |`);
lines.push('', '| run --rm IMAGE true | hx ms | podman ms | hx cost over none | podman cost over none |', '|---|---:|---:|---:|---:|');
for (const s of starts) {
  const hc = s.mode === 'none' ? '' : f1(s.hx - none.hx);
  const pc = s.mode === 'none' || s.podman === undefined ? '' : f1(s.podman - none.podman);
  lines.push(`| --network ${s.mode} | ${f1(s.hx)} | ${f1(s.podman)} | ${hc} | ${pc} |`);
}
console.log(lines.join('\n'));
try {
  podman('rm', '-a', '-f');
} catch {}
cleanup();

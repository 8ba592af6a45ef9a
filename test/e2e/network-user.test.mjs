// User-defined networks, rootless: `hx network create|ls|inspect|rm|prune|connect|
// disconnect` with docker's messages and exit codes, IPAM without duplicates under
// concurrency, two containers reaching each other by name and alias through the network's
// DNS responder (nslookup, wget, nc), a third on another network reaching neither, a name
// gone after `disconnect`, and nothing left behind (no veth or bridge in hx's network
// namespace, the namespace released, no DNS responder).
//
// Network safety: every packet stays inside network namespaces hx made (the held one and
// the containers') or goes to the host's loopback: the only outbound traffic is to
// 10.0.2.2, which the held namespace's pasta maps to 127.0.0.1 (asserted before anything
// is sent), and hx-dns answers only its network's names (it never forwards). The image
// resolves through /etc/hosts and the network's DNS only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { hx, hxAsync, hxBin, need, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';
import { freePort, getFromHost, udpRoundTrip } from '../lib/ports.mjs';
import { responders as liveResponders } from '../lib/responders.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');

const work = tempDir('hx-usernet-');
const store = join(work, 'store');
const runtime = join(work, 'run');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: runtime };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const HA = (args) => hxAsync(args, { env });
const netnsFile = join(runtime, 'networks', 'netns');

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
writeFileSync(join(rootfs, 'index.html'), 'served on the user network\n');
assert.is(run('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/udpecho'), join(treeRoot, 'test/fixtures/udpecho/udpecho.c')]).code, 0);
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bb']).code, 0);

test.after.each(() => {
  const ids = H(['ps', '-aq']).stdout.trim();
  if (ids) H(['rm', '-f', ...ids.split('\n')]);
  for (const n of H(['network', 'ls', '-q', '--filter', 'type=custom']).stdout.split('\n').filter(Boolean)) H(['network', 'rm', n]);
});

const responders = () => liveResponders(runtime);

/** Whether hx's network namespace is held (its nsfs bind in the holder's mount namespace). */
function netnsHeld() {
  const r = H(['unshare', '--', 'cat', '/proc/self/mountinfo']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').some((l) => l.split(' ')[4] === netnsFile);
}

/** The links in hx's network namespace ([] when it is not held). */
function heldLinks() {
  if (!netnsHeld()) return [];
  const r = H(['unshare', '--', 'nsenter', `--net=${netnsFile}`, 'ip', '-o', 'link', 'show']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter(Boolean);
}

/** A detached container's monitor cleans up after `stop`/`rm` return: wait for it a little. */
function settle() {
  for (let i = 0; i < 50 && (responders().length || netnsHeld() || planePastas().length); i++) run('sleep', ['0.1']);
}

/** Live pasta processes attached to this test's held namespace. */
function planePastas() {
  return processesNaming(join(runtime, 'networks', 'pasta.pid'));
}

function assertNothingLeft() {
  settle();
  assert.equal(planePastas(), [], 'no pasta for the held namespace');
  assert.equal(responders(), [], 'no DNS responder');
  assert.not.ok(netnsHeld(), 'the held network namespace is released');
  assert.equal(H(['network', 'ls', '--format', '{{.Name}}']).stdout, 'bridge\nhost\nnone\n');
}

function create(name, ...flags) {
  const r = H(['network', 'create', ...flags, name]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[a-f0-9]{64}\n$/);
  return r.stdout.trim();
}

function gatewayOf(net) {
  return H(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', net]).stdout.trim();
}

function ipOf(ctr, net) {
  return H(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, ctr]).stdout.trim();
}

test('network create, ls, inspect, rm: docker\'s documents, predefined networks, default subnets from 10.89.N.0/24', () => {
  const id = create('testnet', '--label', 'team=a');
  const two = create('second', '--subnet', '10.123.0.0/16', '--gateway', '10.123.0.254', '--ip-range', '10.123.7.0/24', '--internal');
  const doc = JSON.parse(H(['network', 'inspect', 'testnet']).stdout)[0];
  assert.is(doc.Name, 'testnet');
  assert.is(doc.Id, id);
  assert.is(doc.Driver, 'bridge');
  assert.is(doc.Scope, 'local');
  assert.is(doc.EnableIPv6, false);
  assert.is(doc.Internal, false);
  assert.match(doc.IPAM.Config[0].Subnet, /^10\.89\.\d+\.0\/24$/);
  assert.equal(doc.Labels, { team: 'a' });
  assert.equal(doc.Containers, {});
  const d2 = JSON.parse(H(['network', 'inspect', two.slice(0, 12)]).stdout)[0];
  assert.equal(d2.IPAM.Config, [{ Subnet: '10.123.0.0/16', Gateway: '10.123.0.254', IPRange: '10.123.7.0/24' }]);
  assert.is(d2.Internal, true);
  const ls = H(['network', 'ls']);
  assert.is(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trim().split('\n');
  assert.match(lines[0], /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
  assert.equal(lines.slice(1).map((l) => l.split(/\s+/).slice(1)), [['bridge', 'bridge', 'local'], ['host', 'host', 'local'], ['none', 'null', 'local'], ['second', 'bridge', 'local'], ['testnet', 'bridge', 'local']]);
  assert.is(H(['network', 'ls', '-q', '--filter', 'label=team=a']).stdout, `${id.slice(0, 12)}\n`);
  assert.is(H(['network', 'ls', '-q', '--no-trunc', '--filter', 'name=sec']).stdout, `${two}\n`);
  assert.is(H(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}']).stdout, 'bridge\nhost\nnone\n');
  assert.is(H(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}} {{.ID}}']).stdout.split(' ')[0], 'none');
  // a third default network gets the next free /24
  create('third');
  assert.is.not(H(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'third']).stdout, H(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'testnet']).stdout);
  const rm = H(['network', 'rm', 'testnet', 'second', 'third']);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(rm.stdout, 'testnet\nsecond\nthird\n');
  assertNothingLeft();
});

test('bad input: docker\'s messages and exit codes, nothing left behind', () => {
  create('testnet', '--subnet', '10.124.0.0/24');
  const overlap = H(['network', 'create', '--subnet', '10.124.0.128/25', 'other']);
  assert.is(overlap.code, 1);
  assert.is(overlap.stderr, 'Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n');
  const dup = H(['network', 'create', 'testnet']);
  assert.is(dup.code, 1);
  assert.is(dup.stderr, 'Error response from daemon: network with name testnet already exists\n');
  const badCidr = H(['network', 'create', '--subnet', '10.1.0.0/33', 'x']);
  assert.is(badCidr.code, 1);
  assert.is(badCidr.stderr, 'Error response from daemon: invalid CIDR address: 10.1.0.0/33\n');
  const hostBits = H(['network', 'create', '--subnet', '10.1.2.3/16', 'x']);
  assert.is(hostBits.stderr, 'Error response from daemon: invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16\n');
  const badDriver = H(['network', 'create', '-d', 'macvlan', 'x']);
  assert.is(badDriver.code, 1);
  assert.is(badDriver.stderr, 'Error response from daemon: plugin "macvlan" not found\n');
  const missing = H(['network', 'rm', 'nosuch']);
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'Error response from daemon: network nosuch not found\n');
  assert.is(H(['network', 'rm', '-f', 'nosuch']).code, 0);
  const inspectMissing = H(['network', 'inspect', 'nosuch']);
  assert.is(inspectMissing.code, 1);
  assert.match(inspectMissing.stderr, 'network nosuch not found');
  const predefined = H(['network', 'rm', 'bridge']);
  assert.is(predefined.code, 1);
  assert.is(predefined.stderr, 'Error response from daemon: bridge is a pre-defined network and cannot be removed\n');
  const runMissing = H(['run', '--rm', '--network', 'nosuch', 'bb', 'true']);
  assert.is(runMissing.code, 125);
  assert.match(runMissing.stderr, 'network nosuch not found');
  const outside = H(['run', '--rm', '--network', 'testnet', '--ip', '10.125.0.5', 'bb', 'true']);
  assert.is(outside.code, 125);
  assert.match(outside.stderr, 'invalid config for network testnet: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.125.0.5');
  const aliasDefault = H(['create', '--network-alias', 'a', 'bb', 'true']);
  assert.is(aliasDefault.code, 125);
  assert.match(aliasDefault.stderr, 'network-scoped aliases are only supported for user-defined networks');
  // an alias is one word of the DNS responder's names file: no way to name another address
  const badAlias = H(['run', '--rm', '--network', 'testnet', '--network-alias', 'a\n10.9.9.9 evil', 'bb', 'true']);
  assert.is(badAlias.code, 125);
  assert.match(badAlias.stderr, 'invalid network alias "a\\n10.9.9.9 evil"');
  // in use: refused while a container (even a stopped one) is on it
  const c = H(['create', '--name', 'member', '--network', 'testnet', 'bb', 'true']);
  assert.is(c.code, 0, c.stderr);
  const netId = H(['network', 'inspect', '-f', '{{.Id}}', 'testnet']).stdout.trim();
  const inUse = H(['network', 'rm', 'testnet']);
  assert.is(inUse.code, 1);
  assert.is(inUse.stderr, `Error response from daemon: error while removing network: network testnet id ${netId} has active endpoints\n`);
  const connectOutside = H(['network', 'connect', '--ip', '10.9.9.9', 'testnet', 'member']);
  assert.is(connectOutside.code, 1);
  const notOn = H(['network', 'disconnect', 'testnet', 'nosuchctr']);
  assert.is(notOn.code, 1);
  assert.match(notOn.stderr, 'No such container: nosuchctr');
  assert.is(H(['rm', 'member']).code, 0);
  assert.is(H(['network', 'rm', 'testnet']).code, 0);
  assert.equal(H(['ps', '-aq']).stdout, '');
  assertNothingLeft();
});

test('IPAM: parallel creates on one network get distinct addresses; --ip is kept; rm frees the address', async () => {
  create('testnet', '--subnet', '10.126.0.0/24');
  const made = await Promise.all(Array.from({ length: 8 }, (_, i) => HA(['create', '--name', `p${i}`, '--network', 'testnet', 'bb', 'true'])));
  for (const r of made) assert.is(r.code, 0, r.stderr);
  const ips = Array.from({ length: 8 }, (_, i) => ipOf(`p${i}`, 'testnet'));
  assert.is(new Set(ips).size, 8, ips.join(' '));
  for (const ip of ips) assert.match(ip, /^10\.126\.0\.([2-9])$/);
  const fixed = H(['create', '--name', 'fixed', '--network', 'testnet', '--ip', '10.126.0.200', 'bb', 'true']);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.is(ipOf('fixed', 'testnet'), '10.126.0.200');
  assert.equal(JSON.parse(H(['inspect', '-f', '{{json (index .NetworkSettings.Networks "testnet").IPAMConfig}}', 'fixed']).stdout), { IPv4Address: '10.126.0.200' });
  const taken = H(['create', '--network', 'testnet', '--ip', '10.126.0.200', 'bb', 'true']);
  assert.is(taken.code, 125);
  assert.match(taken.stderr, 'Address already in use');
  const freed = ipOf('p3', 'testnet');
  assert.is(H(['rm', 'p3']).code, 0);
  assert.is(H(['create', '--name', 'again', '--network', 'testnet', 'bb', 'true']).code, 0);
  assert.is(ipOf('again', 'testnet'), freed);
});

test('two containers on one network reach each other by name and alias; a third on another network reaches neither', async () => {
  create('testnet');
  create('othernet');
  const gw = gatewayOf('testnet');
  const web = H(['run', '-d', '--name', 'web', '--network', 'testnet', '--network-alias', 'www', 'bb', 'httpd', '-f', '-p', '8080', '-h', '/']);
  assert.is(web.code, 0, web.stderr);
  const webIp = ipOf('web', 'testnet');
  assert.match(webIp, /^10\.89\.\d+\.2$/);
  const net = JSON.parse(H(['network', 'inspect', 'testnet']).stdout)[0];
  assert.is(net.Containers[web.stdout.trim()].Name, 'web');
  assert.is(net.Containers[web.stdout.trim()].IPv4Address, `${webIp}/24`);
  const script = [
    `grep -qx "nameserver ${gw}" /etc/resolv.conf || { echo no-resolver; exit 3; }`,
    `nslookup web ${gw} | grep -q "Address: ${webIp}" || { echo no-name; exit 4; }`,
    `nslookup www ${gw} | grep -q "Address: ${webIp}" || { echo no-alias; exit 5; }`,
    'wget -q -O - http://web:8080/index.html',
    'wget -q -O - http://www:8080/index.html',
    "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc web 8080 | tail -1",
  ].join('; ');
  const client = await HA(['run', '--rm', '--network', 'testnet', 'bb', 'sh', '-c', script]);
  assert.is(client.code, 0, client.stdout + client.stderr);
  assert.is(client.stdout, 'served on the user network\n'.repeat(3));
  // the other network: its own DNS does not know web, and web's address is unreachable
  const ogw = gatewayOf('othernet');
  const stranger = await HA(['run', '--rm', '--network', 'othernet', 'bb', 'sh', '-c', `nslookup web ${ogw}; echo dns=$?; timeout 3 nc ${webIp} 8080 </dev/null; echo ip=$?`]);
  assert.is(stranger.code, 0, stranger.stderr);
  assert.match(stranger.stdout, "can't find web");
  assert.match(stranger.stdout, /dns=1\n/);
  assert.not.match(stranger.stdout, /ip=0\n/);
  assert.ok(responders().length >= 1);
  assert.is(H(['rm', '-f', 'web']).code, 0);
  assert.equal(heldLinks(), [], 'nothing in the held namespace');
  assertNothingLeftButNetworks();
});

test('--link on a user network: the alias in /etc/hosts, HostConfig.Links; the refusals of docker and of a network without addresses', async () => {
  create('linknet');
  assert.is(H(['run', '-d', '--name', 'lsrv', '--hostname', 'srvhost', '--network', 'linknet', 'bb', 'httpd', '-f', '-p', '8080', '-h', '/']).code, 0);
  const ip = ipOf('lsrv', 'linknet');
  assert.is(H(['create', '--name', 'lcli', '--network', 'linknet', '--link', 'lsrv:backend', 'bb', 'sh', '-c', 'grep backend /etc/hosts; wget -q -O - http://backend:8080/index.html; env | grep -c BACKEND_']).code, 0);
  assert.is(H(['inspect', '-f', '{{json .HostConfig.Links}}', 'lcli']).stdout.trim(), '["/lsrv:/lcli/backend"]');
  const r = await HA(['start', '-a', 'lcli']);
  // on a user network a link is a name only: no environment (docker's legacy variables are the default bridge's)
  assert.is(r.stdout, `${ip}\tbackend srvhost lsrv\nserved on the user network\n0\n`, r.stderr);
  // the target stopped: the start fails with docker's message
  assert.is(H(['stop', '-t', '0', 'lsrv']).code, 0);
  const stopped = H(['start', 'lcli']);
  assert.is.not(stopped.code, 0);
  assert.match(stopped.stderr, 'Cannot link to a non running container: /lsrv AS /lcli/backend');
  const cases = [
    [['--network', 'linknet', '--link', 'nosuch'], /could not get container for nosuch/],
    [['--network', 'linknet', '--link', 'a:b:c'], /bad format for links: a:b:c/],
    [['--link', 'lsrv'], /links need a bridge network: with --network (pasta|slirp4netns)/],
    [['--network', 'host', '--link', 'lsrv'], /conflicting options: host type networking can't be used with links/],
    [['--network', 'none', '--link', 'lsrv'], /links need a bridge network/],
  ];
  for (const [flags, message] of cases) {
    const bad = H(['run', '--rm', ...flags, 'bb', 'true']);
    assert.is(bad.code, 125, `${flags}: ${bad.stderr}`);
    assert.match(bad.stderr, message);
  }
  assert.is(H(['ps', '-aq']).stdout.trim().split('\n').length, 2, 'nothing made by the refused runs');
});

function assertNothingLeftButNetworks() {
  settle();
  assert.equal(planePastas(), [], 'no pasta for the held namespace');
  assert.equal(responders(), [], 'no DNS responder');
  assert.not.ok(netnsHeld(), 'the held network namespace is released');
}

test('connect and disconnect a running container: its name resolves, then stops resolving', () => {
  create('testnet');
  create('othernet');
  const gw = gatewayOf('testnet');
  assert.is(H(['run', '-d', '--name', 'client', '--network', 'testnet', 'bb', 'sleep', '300']).code, 0);
  assert.is(H(['run', '-d', '--name', 'srv', '--network', 'othernet', 'bb', 'httpd', '-f', '-p', '8080', '-h', '/']).code, 0);
  const before = H(['exec', 'client', 'nslookup', 'srv', gw]);
  assert.is.not(before.code, 0, 'srv is not on testnet yet');
  const c = H(['network', 'connect', '--alias', 'api', 'testnet', 'srv']);
  assert.is(c.code, 0, c.stderr);
  assert.is(c.stdout, '');
  const srvIp = ipOf('srv', 'testnet');
  const addrs = H(['exec', 'srv', 'ip', '-4', '-o', 'addr']).stdout;
  assert.match(addrs, `eth1    inet ${srvIp}/24`);
  const on = H(['exec', 'client', 'sh', '-c', `nslookup api ${gw} | grep -q "Address: ${srvIp}" && wget -q -O - http://srv:8080/index.html`]);
  assert.is(on.code, 0, on.stdout + on.stderr);
  assert.is(on.stdout, 'served on the user network\n');
  const again = H(['network', 'connect', 'testnet', 'srv']);
  assert.is(again.code, 1);
  assert.match(again.stderr, 'endpoint with name srv already exists in network testnet');
  const bridgeMac = () => H(['unshare', '--', 'nsenter', `--net=${netnsFile}`, 'ip', '-o', 'link', 'show', `hxbr-${H(['network', 'inspect', '-f', '{{.Id}}', 'testnet']).stdout.slice(0, 8)}`]).stdout.match(/link\/ether (\S+)/)?.[1];
  const macBefore = bridgeMac();
  assert.is(macBefore, `02:42:${gw.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`, 'the gateway\'s MAC is fixed');
  const d = H(['network', 'disconnect', 'testnet', 'srv']);
  assert.is(d.code, 0, d.stderr);
  const gone = H(['exec', 'client', 'nslookup', 'srv', gw]);
  assert.is.not(gone.code, 0, gone.stdout);
  assert.match(gone.stdout + gone.stderr, "can't find srv", gone.stdout + gone.stderr);
  assert.is(bridgeMac(), macBefore, 'unplugging a port does not change the gateway\'s MAC');
  assert.not.match(H(['exec', 'srv', 'ip', '-4', '-o', 'addr']).stdout, 'eth1');
  const notConnected = H(['network', 'disconnect', 'testnet', 'srv']);
  assert.is(notConnected.code, 1);
  assert.match(notConnected.stderr, 'is not connected to network testnet');
  assert.is(H(['rm', '-f', 'client', 'srv']).code, 0);
  assert.is(H(['network', 'rm', 'testnet', 'othernet']).code, 0);
  assertNothingLeft();
});

test('a restart plugs the endpoint again; stop withdraws the name; prune removes unused networks', () => {
  create('testnet');
  assert.is(H(['run', '-d', '--name', 'svc', '--network', 'testnet', 'bb', 'sleep', '300']).code, 0);
  const ip = ipOf('svc', 'testnet');
  const restarted = H(['restart', '-t', '0', 'svc']);
  assert.is(restarted.code, 0, restarted.stderr);
  const addrs = H(['exec', 'svc', 'ip', '-4', '-o', 'addr']);
  assert.match(addrs.stdout, `eth0    inet ${ip}/24`, `${addrs.stdout}${addrs.stderr} ${H(['ps', '-a']).stdout}`);
  assert.is(H(['stop', '-t', '0', 'svc']).code, 0);
  assertNothingLeftButNetworks();
  const pruneInUse = H(['network', 'prune', '-f']);
  assert.is(pruneInUse.code, 0);
  assert.is(pruneInUse.stdout, '', 'a stopped container still holds its network');
  assert.is(H(['rm', 'svc']).code, 0);
  create('unused', '--label', 'keep=no');
  const pruned = H(['network', 'prune', '-f']);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.is(pruned.stdout, 'Deleted Networks:\ntestnet\nunused\n');
  assertNothingLeft();
});

test('--network container:CTR shares CTR\'s namespace: identical ip addr, localhost between them, CTR\'s /etc files; docker\'s conflicts', async () => {
  create('testnet');
  const pod = H(['run', '-d', '--name', 'pod', '--network', 'testnet', 'bb', 'sh', '-c', 'httpd -p 127.0.0.1:8080 -h /; exec sleep 300']);
  assert.is(pod.code, 0, pod.stderr);
  const podAddr = H(['exec', 'pod', 'ip', 'addr']);
  assert.is(podAddr.code, 0, podAddr.stderr);
  const joined = await HA(['run', '--rm', '--network', 'container:pod', 'bb', 'sh', '-c', 'ip addr > /tmp/addr; cat /tmp/addr; echo ---; wget -q -O - http://127.0.0.1:8080/index.html; cat /etc/hostname /etc/resolv.conf']);
  assert.is(joined.code, 0, joined.stderr);
  const [addr, rest] = joined.stdout.split('---\n');
  assert.is(addr, podAddr.stdout, 'the same interfaces');
  const podHostname = H(['exec', 'pod', 'hostname']).stdout;
  assert.is(rest, `served on the user network\n${podHostname}nameserver ${gatewayOf('testnet')}\n`);
  // a detached one too; its NetworkMode names the container, as docker's
  const side = H(['run', '-d', '--name', 'side', '--network', 'container:pod', 'bb', 'sleep', '300']);
  assert.is(side.code, 0, side.stderr);
  assert.is(H(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'side']).stdout.trim(), `container:${pod.stdout.trim()}`);
  assert.is(H(['exec', 'side', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']).stdout, 'served on the user network\n');
  const conflicts = [
    [['-p', '8080:80'], 'conflicting options: port publishing and the container type network mode'],
    [['-h', 'x'], 'conflicting options: hostname and the network mode'],
    [['--dns', '127.0.0.1'], 'conflicting options: dns and the network mode'],
    [['--add-host', 'a:127.0.0.1'], 'conflicting options: custom host-to-IP mapping and the network mode'],
  ];
  for (const [flags, msg] of conflicts) {
    const r = H(['run', '--rm', '--network', 'container:pod', ...flags, 'bb', 'true']);
    assert.is(r.code, 125, flags.join(' '));
    assert.match(r.stderr, msg);
  }
  const missing = H(['run', '--rm', '--network', 'container:nosuch', 'bb', 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, 'No such container: nosuch');
  const stopped = H(['create', '--name', 'stopped', 'bb', 'true']).stdout.trim();
  const notRunning = H(['run', '--rm', '--network', 'container:stopped', 'bb', 'true']);
  assert.is(notRunning.code, 125);
  assert.match(notRunning.stderr, `cannot join network of a non running container: ${stopped}`);
  assert.is(H(['ps', '-a', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort().join(' '), 'pod side stopped', 'the refused --rm run left no record');
  assert.is(H(['rm', '-f', 'pod', 'side', 'stopped']).code, 0);
  assert.is(H(['network', 'rm', 'testnet']).code, 0);
  assertNothingLeft();
});

test('kill -9 of a foreground hx on a user network: the next command sweeps its endpoint and the namespace', async () => {
  create('testnet');
  const p = HA(['run', '--name', 'fg', '--network', 'testnet', 'bb', 'sleep', '300']);
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const st = H(['inspect', '-f', '{{.State.Status}}', 'fg']).stdout.trim();
    if (st === 'running') pid = Number(H(['inspect', '-f', '{{.State.Pid}}', 'fg']).stdout.trim());
  }
  assert.ok(pid > 0, 'the container runs');
  assert.ok(netnsHeld());
  // the foreground hx is the node process whose argv has "fg": kill it without its cleanup
  const owner = JSON.parse(readFileSync(join(store, 'containers', H(['inspect', '-f', '{{.Id}}', 'fg']).stdout.trim(), 'state.json'), 'utf8')).owner;
  assert.ok(owner?.pid > 0, 'the record names its owner');
  process.kill(owner.pid, 'SIGKILL');
  await p;
  const ps = H(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
  assert.is(ps.code, 0, ps.stderr);
  assert.is(ps.stdout, 'fg exited\n');
  assertNothingLeftButNetworks();
});

test('kill -9 of hx at points of a start on a user network: the next commands leave nothing behind', async () => {
  create('testnet');
  let caught = 0;
  // the network part of a start is about 35-110 ms after hx starts here: kills land before, in and after it
  for (const delay of [30, 50, 70, 90, 110, 150, 250]) {
    const p = spawn(hxBin, ['run', '--rm', '--network', 'testnet', 'bb', 'sleep', '30'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, delay));
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    if (netnsHeld()) caught++;
    // the next commands: ps sweeps the dead owner's container, rm takes what is left
    assert.is(H(['ps', '-a']).code, 0);
    const ids = H(['ps', '-aq']).stdout.trim();
    if (ids) assert.is(H(['rm', '-f', ...ids.split('\n')]).code, 0);
    settle();
    assert.equal(planePastas(), [], `no pasta for the held namespace after a kill at ${delay} ms`);
    assert.equal(responders(), [], `no DNS responder after a kill at ${delay} ms`);
    assert.not.ok(netnsHeld(), `the held namespace is released after a kill at ${delay} ms`);
  }
  console.log(`  (${caught} of 7 kills left the held namespace for the next command to release)`);
});

/** Live processes whose command line names PATTERN (this test's containers only: an ID). */
function processesNaming(pattern) {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd.includes(pattern) && state !== 'Z') out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

test('a failing network hook fails `run -d` at once with exit 125 and its error; nothing is left running', async () => {
  create('testnet');
  // a directory where the held namespace's nsfs bind goes: the hook's mount fails
  const blocker = join(runtime, 'networks', 'netns');
  mkdirSync(join(blocker, 'x'), { recursive: true });
  const t0 = Date.now();
  const run1 = HA(['run', '-d', '--name', 'hookfail', '--network', 'testnet', 'bb', 'sleep', '300']);
  const r = await Promise.race([run1, new Promise((res) => setTimeout(() => res({ code: 'hung' }), 30_000))]);
  assert.is(r.code, 125, `${r.stdout}${r.stderr}`);
  assert.ok(Date.now() - t0 < 20_000, 'fails without waiting for a timeout');
  assert.match(r.stderr, "could not make hx's network namespace");
  assert.match(r.stderr, 'Not a directory');
  const id = H(['inspect', '-f', '{{.Id}}', 'hookfail']).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  settle();
  assert.equal(processesNaming(id), [], 'no monitor or container process');
  assert.is(H(['inspect', '-f', '{{.State.Running}}', 'hookfail']).stdout, 'false\n');
  assert.equal(responders(), [], 'no DNS responder');
  assert.not.ok(netnsHeld());
  // the state fixed, the same container starts
  rmdirSync(join(blocker, 'x'));
  rmdirSync(blocker);
  const st = H(['start', 'hookfail']);
  assert.is(st.code, 0, st.stderr);
  assert.is(H(['inspect', '-f', '{{.State.Running}}', 'hookfail']).stdout, 'true\n');
  assert.is(H(['rm', '-f', 'hookfail']).code, 0);
  assertNothingLeftButNetworks();
});

/** An HTTP service on the host's 127.0.0.1 that answers every request with a line and counts them. */
async function loopbackService(line) {
  const seen = { connections: 0 };
  const server = createServer((req, res) => res.end(`${line}\n`));
  server.on('connection', () => seen.connections++);
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return { port: server.address().port, seen, close: () => new Promise((res) => server.close(res)) };
}

/** The held namespace's routes and firewall (it must be held): whether forwarding drops by
 * default, pasta's tap masquerades, and (bridgeOut) a bridge is let out through it; in iptables
 * rules, or in hx's nft table with HX_FIREWALL=nftables (network-user-nft.test.mjs). */
function heldState() {
  const inHeld = (args) => H(['unshare', '--', 'nsenter', `--net=${netnsFile}`, ...args]);
  const routes = inHeld(['ip', 'route']);
  assert.is(routes.code, 0, routes.stderr);
  if (process.env.HX_FIREWALL === 'nftables') {
    const t = inHeld(['nft', 'list', 'table', 'ip', 'hx']);
    assert.is(t.code, 0, t.stderr);
    return {
      routes: routes.stdout,
      forwardDrop: /chain forward \{\s*type filter hook forward priority filter; policy drop;/.test(t.stdout),
      masquerade: /oifname "hxtap0" masquerade/.test(t.stdout),
      bridgeOut: (id8) => new RegExp(`chain HXB-${id8} \\{[^}]*oifname "hxtap0" accept`).test(t.stdout),
    };
  }
  const filter = inHeld(['iptables', '-S']);
  const nat = inHeld(['iptables', '-t', 'nat', '-S']);
  for (const r of [filter, nat]) assert.is(r.code, 0, r.stderr);
  return {
    routes: routes.stdout,
    forwardDrop: /^-P FORWARD DROP$/m.test(filter.stdout),
    masquerade: /^-A POSTROUTING -o hxtap0 -j MASQUERADE$/m.test(nat.stdout),
    bridgeOut: (id8) => filter.stdout.includes(`-i hxbr-${id8} -o hxtap0`),
  };
}

test('outbound: a container on a user network reaches a service on the host\'s loopback by the mapped gateway and host.containers.internal; an --internal network\'s cannot', async () => {
  const svc = await loopbackService('hello from the host');
  try {
    create('testnet');
    const netId = create('isolated', '--internal');
    const keep = H(['run', '-d', '--name', 'keeper', '--network', 'testnet', 'bb', 'sleep', '300']);
    assert.is(keep.code, 0, keep.stderr);
    // The mapping in force before anything is sent: the held namespace's only way out is
    // pasta's tap with the gateway pasta maps to the host's loopback (it runs without
    // --no-map-gw), so 10.0.2.2 cannot leave the machine.
    const held = heldState();
    assert.match(held.routes, /^default via 10\.0\.2\.2 dev hxtap0 /m);
    assert.ok(held.forwardDrop, 'forwarding drops by default');
    assert.ok(held.masquerade, "pasta's tap masquerades");
    assert.ok(held.bridgeOut(H(['network', 'inspect', '-f', '{{.Id}}', 'testnet']).stdout.slice(0, 8)), 'testnet is let out');
    const pastas = planePastas();
    assert.is(pastas.length, 1, 'one pasta for the held namespace');
    const argv = readFileSync(`/proc/${pastas[0]}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--gateway') && argv[argv.indexOf('--gateway') + 1] === '10.0.2.2' && !argv.includes('--no-map-gw'), argv.join(' '));
    const gw = gatewayOf('testnet');
    const script = [
      'grep -q "^10.0.2.2\thost.containers.internal" /etc/hosts || { echo no-mapping; exit 3; }',
      `ip route | grep -q "^default via ${gw} " || { echo no-route; exit 4; }`,
      `wget -q -O - http://10.0.2.2:${svc.port}/`,
      `wget -q -O - http://host.containers.internal:${svc.port}/`,
    ].join('; ');
    const out = await HA(['run', '--rm', '--network', 'testnet', 'bb', 'sh', '-c', script]);
    assert.is(out.code, 0, out.stdout + out.stderr);
    assert.is(out.stdout, 'hello from the host\n'.repeat(2));
    assert.is(svc.seen.connections, 2);
    // --internal: no route out, no name for the host, no accept rule for its bridge
    const shut = await HA(['run', '--rm', '--network', 'isolated', 'bb', 'sh', '-c', `grep -c host.containers.internal /etc/hosts; ip route | grep -c default; timeout 5 nc 10.0.2.2 ${svc.port} </dev/null; echo nc=$?`]);
    assert.is(shut.code, 0, shut.stderr);
    assert.is(shut.stdout, '0\n0\nnc=1\n');
    assert.match(shut.stderr, /unreachable/i);
    assert.is(svc.seen.connections, 2, 'nothing reached the service from the internal network');
    assert.not.ok(heldState().bridgeOut(netId.slice(0, 8)), 'the internal network is not let out');
    assert.is(H(['rm', '-f', 'keeper']).code, 0);
    assertNothingLeftButNetworks();
  } finally {
    await svc.close();
  }
});

test.after(() => {
  H(['rm', '-f', ...H(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  H(['unshare', '--', 'rm', '-rf', work]);
  run('rm', ['-rf', work]);
});



test('published ports of a container on a user network: the host\'s loopback reaches it, hx port and inspect agree, rm frees the port', async () => {
  create('testnet');
  const port = await freePort();
  const r = H(['run', '-d', '--name', 'pub', '--network', 'testnet', '-p', `127.0.0.1:${port}:8080`, '--expose', '9090', '-P', 'bb', 'sh', '-c', 'httpd -p 9090 -h /; exec httpd -f -p 8080 -h /']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.is((await getFromHost(port)).body, 'served on the user network\n');
  const lines = H(['port', 'pub']).stdout.split('\n').filter(Boolean).sort();
  assert.is(lines[0], `8080/tcp -> 127.0.0.1:${port}`);
  const m = /^9090\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(lines[1] ?? '');
  assert.ok(m, lines.join('\n'));
  assert.is((await getFromHost(Number(m[1]))).body, 'served on the user network\n', '-P picked a port that answers');
  const ports = JSON.parse(H(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pub']).stdout);
  assert.equal(ports['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
  // its network is unchanged: reached by name from the network, default route through its veth
  const peer = await HA(['run', '--rm', '--network', 'testnet', 'bb', 'wget', '-q', '-O', '-', 'http://pub:8080/index.html']);
  assert.is(peer.stdout, 'served on the user network\n', peer.stderr);
  const routes = H(['exec', 'pub', 'ip', 'route']).stdout;
  assert.match(routes, new RegExp(`^default via ${gatewayOf('testnet').replace(/\./g, '\\.')} dev eth0`, 'm'));
  // a port in use fails before the container starts
  const clash = H(['run', '-d', '--network', 'testnet', '-p', `127.0.0.1:${port}:8080`, 'bb', 'sleep', '60']);
  assert.is(clash.code, 125, clash.stderr);
  assert.match(clash.stderr, /already (in use|allocated)/);
  assert.is(H(['ps', '-q']).stdout, `${id.slice(0, 12)}\n`, 'the refused container is left created, as docker leaves it: it never ran');
  // a restart publishes the same ports again (a new pasta for the new namespace)
  const restarted = H(['restart', '-t', '0', 'pub']);
  assert.is(restarted.code, 0, restarted.stderr);
  assert.is((await getFromHost(port)).body, 'served on the user network\n', 'served after the restart');
  assert.is(H(['port', 'pub', '8080']).stdout, `127.0.0.1:${port}\n`);
  assert.is(H(['rm', '-f', 'pub']).code, 0);
  // UDP: relayed by hx-portrelay into the container (pasta 2023-03 loses the answers from loopback)
  const uport = await freePort();
  const u = H(['run', '-d', '--name', 'pubu', '--network', 'testnet', '-p', `127.0.0.1:${uport}:7000/udp`, 'bb', 'udpecho', '7000']);
  assert.is(u.code, 0, u.stderr);
  assert.is(await udpRoundTrip(uport, 'over the user network'), 'echo over the user network');
  assert.is(H(['port', 'pubu']).stdout, `7000/udp -> 127.0.0.1:${uport}\n`);
  const relay = `\u0000udp\u0000127.0.0.1\u0000${uport}\u00007000\u0000`; // hx-portrelay's arguments
  assert.is(processesNaming(relay).length, 1, 'the UDP relay runs');
  assert.is(H(['rm', '-f', 'pubu']).code, 0);
  settle();
  assert.equal(processesNaming(`${id}/pasta.pid`), [], 'the ports pasta ended with the container');
  assert.equal(processesNaming(relay), [], 'the UDP relay ended with its container');
  assert.is((await getFromHost(port, '/index.html', 0)).error, 'ECONNREFUSED', 'nothing listens on the port after rm');
  assertNothingLeftButNetworks();
});

test.run();

// Rootful networking: docker's default bridge and user networks on Linux bridges in hx's
// own network namespace, outbound NAT, published ports by DNAT (from loopback and from
// another host), names on user networks, isolation between networks, and nothing left
// behind (links, iptables rules, DNS responders).
//
// Network safety: hx runs only inside a network namespace this test makes (`ip netns exec
// NS`), so its bridges and rules never touch the machine's own network. A second namespace
// (OUT) stands for "another host": a veth 10.77.0.1 (NS) <-> 10.77.0.2 (OUT), nothing else.
// NS's resolv.conf (/etc/netns/NS/resolv.conf) names 10.77.0.2, inside OUT; no test resolves
// a name outside its own network, and hx-dns never forwards single labels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { hxBin, need, removeTree, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from '../e2e/run-rootfs.mjs';
import { responders as liveResponders } from '../lib/responders.mjs';

need(process.getuid() === 0, 'root suites run as root');
need(run('iptables', ['--version']).code === 0, 'iptables is installed (Debian package iptables)');
const hasNft = run('nft', ['--version']).code === 0;
if (process.env.HX_FIREWALL === 'nftables') need(hasNft, 'nft is installed (Debian package nftables)');

const NS = `hxbr${process.pid % 100000}`;
const OUT = `hxbo${process.pid % 100000}`;
const work = tempDir('hx-bridge-root-');
const runtime = join(work, 'run');
// HX_DEFAULT_NETWORK: the runner puts root suites on none; this one tests the default
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: runtime, HX_DEFAULT_NETWORK: '' };
const inNs = (ns, cmd, args, o = {}) => run('ip', ['netns', 'exec', ns, cmd, ...args], { ...o, env: { ...env, ...(o.env ?? {}) } });
const H = (args, o = {}) => inNs(NS, hxBin, args, o);
const ok = (r, what) => assert.is(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);

function setupNamespaces() {
  for (const n of [NS, OUT]) {
    run('ip', ['netns', 'del', n]);
    assert.is(run('ip', ['netns', 'add', n]).code, 0);
    assert.is(run('ip', ['-n', n, 'link', 'set', 'lo', 'up']).code, 0);
  }
  ok(run('ip', ['link', 'add', 'hxbrt-a', 'netns', NS, 'type', 'veth', 'peer', 'name', 'hxbrt-b', 'netns', OUT]), 'veth');
  ok(run('ip', ['-n', NS, 'addr', 'add', '10.77.0.1/24', 'dev', 'hxbrt-a']), 'addr NS');
  ok(run('ip', ['-n', OUT, 'addr', 'add', '10.77.0.2/24', 'dev', 'hxbrt-b']), 'addr OUT');
  ok(run('ip', ['-n', NS, 'link', 'set', 'hxbrt-a', 'up']), 'up NS');
  ok(run('ip', ['-n', OUT, 'link', 'set', 'hxbrt-b', 'up']), 'up OUT');
  mkdirSync(`/etc/netns/${NS}`, { recursive: true });
  writeFileSync(`/etc/netns/${NS}/resolv.conf`, 'nameserver 10.77.0.2\n');
}

setupNamespaces();
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
writeFileSync(join(rootfs, 'index.html'), 'served on the bridge\n');
// a UDP server for the published-port test (busybox's nc has no -u): the DNS tests' resolver
writeFileSync(join(rootfs, 'etc/testdns.conf'), 'over.udp 192.0.2.7\n');
assert.is(run('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/dnstool'), join(treeRoot, 'test/fixtures/dns/dnstool.c')]).code, 0);
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
ok(H(['import', tarball, 'bb']), 'import');

// rootful, the plane lock is one per network namespace (two stores in one take turns)
const planeLock = `/run/lock/hx-net-${inNs(NS, 'stat', ['-L', '-c', '%d-%i', '/proc/self/ns/net']).stdout.trim()}.lock`;

/** NS's links and iptables rules, to compare before and after; first, the teardown a
 * command left running is waited for (it holds the plane lock until it is done). */
function netState() {
  if (existsSync(planeLock)) ok(run('flock', [planeLock, 'true']), 'the plane lock');
  const links = inNs(NS, 'ip', ['-o', 'link', 'show']).stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter(Boolean).sort();
  // rules and user chains; the built-in chains' lines appear once a table exists
  const rules = inNs(NS, 'iptables-save', []).stdout.split('\n').filter((l) => l.startsWith('-A') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|OUTPUT|POSTROUTING|FORWARD) /.test(l)));
  // and hx's nft table (HX_FIREWALL=nftables: network-bridge-nft.test.mjs)
  const table = hasNft ? inNs(NS, 'nft', ['list', 'table', 'ip', 'hx']) : { code: 1, stdout: '' };
  if (table.code === 0) rules.push(...table.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  return { links, rules };
}
const before = netState();

const responders = () => liveResponders(runtime);

test.after.each(() => {
  const ids = H(['ps', '-aq']).stdout.trim();
  if (ids) H(['rm', '-f', ...ids.split('\n')]);
  for (const n of H(['network', 'ls', '-q', '--filter', 'type=custom']).stdout.split('\n').filter(Boolean)) H(['network', 'rm', n]);
});

test.after(() => {
  for (const n of [NS, OUT]) run('ip', ['netns', 'del', n]);
  rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  rmSync(planeLock, { force: true });
  removeTree(work);
});

test("a rootful container's default network is docker's bridge: 172.17.0.0/16, routed through its gateway", () => {
  const r = H(['run', '--rm', 'bb', 'sh', '-c', 'ip -o -4 addr show eth0; ip route; cat /etc/resolv.conf /etc/hosts']);
  ok(r, 'run');
  assert.match(r.stdout, /inet 172\.17\.0\.\d+\/16/);
  assert.match(r.stdout, /default via 172\.17\.0\.1 dev eth0/);
  // docker's default bridge has no DNS of its own: the host's resolvers (here NS's)
  assert.match(r.stdout, /^nameserver 10\.77\.0\.2$/m);
  assert.match(r.stdout, /^172\.17\.0\.1\thost\.containers\.internal/m);
  const same = H(['run', '--rm', '--network', 'bridge', 'bb', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  ok(same, '--network bridge');
  assert.match(same.stdout, /inet 172\.17\.0\.\d+\/16/);
  const doc = JSON.parse(H(['network', 'inspect', 'bridge']).stdout)[0];
  assert.is(doc.IPAM.Config[0].Subnet, '172.17.0.0/16');
  const none = H(['run', '--rm', 'bb', 'ip', '-o', 'link'], { env: { HX_DEFAULT_NETWORK: 'none' } });
  ok(none, 'HX_DEFAULT_NETWORK=none');
  assert.not.match(none.stdout, /eth0/);
});

/** An HTTP GET with curl from namespace NS (exit code and body). */
const curl = (ns, url) => inNs(ns, 'curl', ['-sS', '-m', '5', url]);

test('published ports: loopback and outside clients reach the container, which sees the outside client', () => {
  const id = H(['run', '-d', '--name', 'web', '-p', '127.0.0.1:18080:8080', '-p', '18081:8080', '-p', '127.0.0.1:53:53/udp', 'bb', 'sh', '-c', 'dnstool serve /etc/testdns.conf > /tmp/udp & exec httpd -f -v -p 8080 -h /']);
  ok(id, 'run -d');
  let got;
  for (let i = 0; i < 50; i++) {
    got = curl(NS, 'http://127.0.0.1:18080/index.html');
    if (got.code === 0) break;
    run('sleep', ['0.1']);
  }
  assert.is(got.stdout, 'served on the bridge\n', got.stderr);
  assert.is(curl(NS, 'http://127.0.0.1:18081/index.html').stdout, 'served on the bridge\n');
  // from "another host": only the port published on every address
  assert.is(curl(OUT, 'http://10.77.0.1:18081/index.html').stdout, 'served on the bridge\n');
  assert.is.not(curl(OUT, 'http://10.77.0.1:18080/index.html').code, 0, '18080 is published on 127.0.0.1 only');
  // DNAT keeps the client's address: httpd -v logs it
  const logs = H(['logs', 'web']);
  assert.match(logs.stderr + logs.stdout, /10\.77\.0\.2/);
  assert.is(H(['port', 'web']).stdout, '8080/tcp -> 127.0.0.1:18080\n8080/tcp -> 0.0.0.0:18081\n53/udp -> 127.0.0.1:53\n');
  const ports = JSON.parse(H(['inspect', 'web']).stdout)[0].NetworkSettings.Ports;
  assert.equal(ports['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: '18080' }, { HostIp: '0.0.0.0', HostPort: '18081' }]);
  // UDP through the same DNAT: a question from NS's loopback answered by the container
  const ask = inNs(NS, join(rootfs, 'bin/dnstool'), ['ask', '127.0.0.1', '77', 'over.udp']);
  assert.match(ask.stdout, /over\.udp id=77 rcode=0 tc=0 .*192\.0\.2\.7/, ask.stdout + ask.stderr);
  assert.match(H(['exec', 'web', 'cat', '/tmp/udp']).stdout, /77 over\.udp/);
  // a DNAT rule holds no socket: the port is still another container's
  const clash = H(['run', '-d', '--name', 'web2', '-p', '18081:8080', 'bb', 'httpd', '-f', '-p', '8080', '-h', '/']);
  assert.is(clash.code, 125);
  assert.match(clash.stderr, /Bind for 0\.0\.0\.0:18081 failed: port is already allocated/);
  assert.is(curl(OUT, 'http://10.77.0.1:18081/index.html').stdout, 'served on the bridge\n', 'the first keeps its port');
  ok(H(['rm', '-f', 'web', 'web2']), 'rm');
  assert.is.not(curl(NS, 'http://127.0.0.1:18081/index.html').code, 0, 'the port is gone with the container');
});

test('outbound: a container reaches another host, masqueraded; an --internal network does not', async () => {
  const www = join(work, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), 'from the other host\n');
  // OUT knows no route to the bridge's subnet: an answer proves the masquerade
  assert.not.match(inNs(OUT, 'ip', ['route']).stdout, /172\.17|default/);
  const server = spawn('ip', ['netns', 'exec', OUT, 'busybox', 'httpd', '-f', '-p', '10.77.0.2:8000', '-h', www], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && curl(OUT, 'http://10.77.0.2:8000/index.html').code !== 0; i++) run('sleep', ['0.1']);
    // back to back: each run's bridge and rules are torn down after it returns, under the
    // plane lock, so the next run must find them either whole or gone, never half
    for (let i = 0; i < 3; i++) {
      const r = H(['run', '--rm', 'bb', 'wget', '-q', '-O', '-', 'http://10.77.0.2:8000/index.html']);
      ok(r, `wget from the default bridge (run ${i + 1})`);
      assert.is(r.stdout, 'from the other host\n');
    }
    // once the plane lock is free, the last run's teardown is done: no bridge, no rule
    assert.equal(netState(), before);
    ok(H(['network', 'create', 'isolated', '--internal']), 'create --internal');
    const internal = H(['run', '--rm', '--network', 'isolated', 'bb', 'sh', '-c', 'timeout 3 wget -q -O - http://10.77.0.2:8000/index.html; echo "rc=$?"']);
    assert.not.match(internal.stdout, /from the other host/);
    assert.match(internal.stdout, /rc=[1-9]/);
  } finally {
    server.kill('SIGKILL');
  }
});

test('user networks: names and aliases on one network, nothing across networks, a name gone after disconnect', () => {
  ok(H(['network', 'create', 'na']), 'create na');
  ok(H(['network', 'create', 'nb']), 'create nb');
  ok(H(['run', '-d', '--name', 'a1', '--network', 'na', '--network-alias', 'al', 'bb', 'httpd', '-f', '-p', '80', '-h', '/']), 'a1');
  ok(H(['run', '-d', '--name', 'b1', '--network', 'nb', 'bb', 'httpd', '-f', '-p', '80', '-h', '/']), 'b1');
  const b1 = H(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'b1']).stdout.trim();
  assert.match(b1, /^10\.89\.\d+\.\d+$/);
  const r = H(['run', '--rm', '--network', 'na', 'bb', 'sh', '-c', `cat /etc/resolv.conf; nslookup a1; wget -q -O - http://al/index.html; echo "rc=$?"; timeout 3 wget -q -O - http://${b1}/index.html; echo "cross=$?"; nslookup b1; echo "b1=$?"`]);
  assert.match(r.stdout, /^nameserver 10\.89\.\d+\.1$/m);
  assert.match(r.stdout, /Name:\s+a1\nAddress: 10\.89\.\d+\.2/);
  assert.match(r.stdout, /served on the bridge\nrc=0/);
  assert.match(r.stdout, /cross=[1-9]/);
  assert.match(r.stdout, /b1=1/);
  ok(H(['network', 'connect', 'na', 'b1']), 'connect b1 to na');
  assert.match(H(['run', '--rm', '--network', 'na', 'bb', 'wget', '-q', '-O', '-', 'http://b1/index.html']).stdout, /served on the bridge/);
  ok(H(['network', 'disconnect', 'na', 'b1']), 'disconnect');
  const gone = H(['run', '--rm', '--network', 'na', 'bb', 'sh', '-c', 'nslookup b1; echo "rc=$?"']);
  assert.match(gone.stdout, /rc=1/);
});

test('nothing is left: no bridge, veth, iptables rule or DNS responder once containers and networks are removed', () => {
  ok(H(['network', 'create', 'leftovers']), 'create');
  ok(H(['run', '-d', '--name', 'l1', '--network', 'leftovers', '-p', '18090:80', 'bb', 'httpd', '-f', '-p', '80', '-h', '/']), 'l1');
  ok(H(['run', '-d', '--name', 'l2', '-p', '18091:80', 'bb', 'httpd', '-f', '-p', '80', '-h', '/']), 'l2');
  const during = netState();
  assert.ok(during.links.some((l) => l.startsWith('hxbr-')), `a bridge while they run: ${during.links}`);
  assert.ok(during.rules.some((l) => l.includes('HXC-')), 'the published ports are rules');
  // in the backend asked for, and only there
  if (process.env.HX_FIREWALL === 'nftables') assert.ok(during.rules.some((l) => l.startsWith('chain HXC-')) && !during.rules.some((l) => l.startsWith(':HX')), `nft only: ${during.rules}`);
  else assert.ok(during.rules.some((l) => l.startsWith(':HX-FORWARD')) && !during.rules.some((l) => l.startsWith('chain ')), `iptables only: ${during.rules}`);
  assert.is(responders().length, 1, 'one responder: the user network (the default bridge has none)');
  ok(H(['rm', '-f', 'l1', 'l2']), 'rm');
  ok(H(['network', 'rm', 'leftovers']), 'network rm');
  assert.equal(netState(), before);
  assert.equal(responders(), []);
});

test('kill -9 of hx at points of a rootful start: the next commands leave nothing behind', async () => {
  ok(H(['network', 'create', 'killed']), 'create');
  let caught = 0;
  // the network part of a start is about 40-100 ms after hx starts here: kills land before, in and after it
  for (const delay of [30, 50, 70, 90, 110, 130, 160, 200, 300]) {
    const p = spawn('ip', ['netns', 'exec', NS, hxBin, 'run', '--rm', '--network', 'killed', 'bb', 'sleep', '30'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, delay));
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    if (netState().links.some((l) => l.startsWith('hxbr-'))) caught++;
    // the next commands: ps sweeps the dead owner's container, rm takes what is left
    ok(H(['ps', '-a']), 'ps after the kill');
    const ids = H(['ps', '-aq']).stdout.trim();
    if (ids) ok(H(['rm', '-f', ...ids.split('\n')]), 'rm after the kill');
    assert.equal(netState(), before, `after a kill at ${delay} ms`);
    assert.equal(responders(), [], `no responder after a kill at ${delay} ms`);
  }
  // not an assertion on timing, only a note of what the kills hit
  console.log(`  (${caught} of 9 kills left a bridge for the next command to remove)`);
  ok(H(['network', 'rm', 'killed']), 'network rm');
});

test('--link on the default bridge: /etc/hosts and docker\'s link environment; the target renamed, stopped, removed', () => {
  ok(H(['run', '-d', '--name', 'lk-db', '--hostname', 'dbhost', '-e', 'SECRET=s1', '--expose', '5432', 'bb', 'httpd', '-f', '-p', '5432', '-h', '/']), 'target');
  const ip = H(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'lk-db']).stdout.trim();
  assert.match(ip, /^172\.17\.\d+\.\d+$/);
  const script = 'grep -w db /etc/hosts; env | grep ^DB_ | sort; wget -q -O - http://db:5432/index.html';
  const r = H(['run', '--rm', '--name', 'lk-cli', '-e', 'DB_ENV_SECRET=mine', '--link', 'lk-db:db', 'bb', 'sh', '-c', script]);
  ok(r, 'client');
  assert.is(r.stdout, [
    `${ip}\tdb dbhost lk-db`,
    'DB_ENV_SECRET=mine', // the container's own variable wins
    'DB_NAME=/lk-cli/db',
    `DB_PORT=tcp://${ip}:5432`,
    `DB_PORT_5432_TCP=tcp://${ip}:5432`,
    `DB_PORT_5432_TCP_ADDR=${ip}`,
    'DB_PORT_5432_TCP_PORT=5432',
    'DB_PORT_5432_TCP_PROTO=tcp',
    'served on the bridge',
    '',
  ].join('\n'));
  // an exec has the link's environment too, as docker's
  ok(H(['run', '-d', '--name', 'lk-cli3', '--link', 'lk-db:db', 'bb', 'sleep', '60']), 'detached client');
  assert.is(H(['exec', 'lk-cli3', 'sh', '-c', 'echo $DB_NAME $DB_ENV_SECRET']).stdout, '/lk-cli3/db s1\n');
  ok(H(['rm', '-f', 'lk-cli3']), 'rm detached client');
  // the link follows a rename; a stopped target stops the start; a removed one takes its link along
  ok(H(['create', '--name', 'lk-c2', '--link', 'lk-db', 'bb', 'grep', '-c', 'lk-db', '/etc/hosts']), 'create');
  ok(H(['rename', 'lk-db', 'lk-db2']), 'rename');
  assert.is(H(['inspect', '-f', '{{json .HostConfig.Links}}', 'lk-c2']).stdout.trim(), '["/lk-db2:/lk-c2/lk-db"]');
  ok(H(['stop', '-t', '0', 'lk-db2']), 'stop');
  const stopped = H(['start', 'lk-c2']);
  assert.is.not(stopped.code, 0);
  assert.match(stopped.stderr, 'Cannot link to a non running container: /lk-db2 AS /lk-c2/lk-db');
  ok(H(['rm', 'lk-db2']), 'rm');
  const after = H(['start', '-a', 'lk-c2']);
  assert.is(after.stdout, '0\n', 'no link line once the target is gone');
  ok(H(['rm', 'lk-c2']), 'rm client');
  assert.equal(netState(), before);
});

test('network connect and disconnect of the default bridge; docker\'s refusals of host, of an alias and an --ip there', () => {
  ok(H(['network', 'create', 'cbnet']), 'create');
  ok(H(['run', '-d', '--name', 'cb1', '--network', 'cbnet', 'bb', 'sleep', '60']), 'run');
  ok(H(['network', 'connect', 'bridge', 'cb1']), 'connect bridge');
  const ip = H(['inspect', '-f', '{{(index .NetworkSettings.Networks "bridge").IPAddress}}', 'cb1']).stdout.trim();
  assert.match(ip, /^172\.17\.\d+\.\d+$/);
  assert.match(H(['exec', 'cb1', 'ip', '-o', '-4', 'addr']).stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/16`));
  const doc = JSON.parse(H(['network', 'inspect', 'bridge']).stdout)[0];
  assert.equal(Object.values(doc.Containers).map((c) => c.Name), ['cb1']);
  // the default bridge's gateway is reached from the container
  ok(H(['exec', 'cb1', 'ping', '-c', '1', '-W', '2', '172.17.0.1']), 'ping the bridge gateway');
  ok(H(['network', 'disconnect', 'bridge', 'cb1']), 'disconnect');
  for (const [flags, message] of [[['--alias', 'x'], /network-scoped alias is supported only for containers in user defined networks/], [['--ip', '172.17.9.9'], /user specified IP address is supported on user defined networks only/]]) {
    const r = H(['network', 'connect', ...flags, 'bridge', 'cb1']);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, message);
  }
  const host = H(['network', 'connect', 'host', 'cb1']);
  assert.is.not(host.code, 0);
  assert.match(host.stderr, /container cannot be disconnected from host network or connected to host network/);
  assert.not.match(H(['exec', 'cb1', 'ip', '-o', '-4', 'addr']).stdout, /172\.17\./, 'off the bridge after disconnect');
  ok(H(['rm', '-f', 'cb1']), 'rm');
  ok(H(['network', 'rm', 'cbnet']), 'network rm');
  assert.equal(netState(), before);
});

test("the default bridge takes docker's next pool when the host uses 172.17.0.0/16, and its store keeps it", () => {
  const alt = { HX_STORAGE_ROOT: join(work, 'store-alt'), HX_RUNTIME_DIR: join(work, 'run-alt') };
  ok(inNs(NS, 'ip', ['addr', 'add', '172.17.200.1/24', 'dev', 'hxbrt-a']), 'a host address in 172.17.0.0/16');
  try {
    ok(H(['import', tarball, 'bb'], { env: alt }), 'import');
    const r = H(['run', '--rm', 'bb', 'ip', '-o', '-4', 'addr', 'show', 'eth0'], { env: alt });
    ok(r, 'run');
    assert.match(r.stdout, /inet 172\.18\.0\.2\/16/);
    const ipam = () => JSON.parse(H(['network', 'inspect', 'bridge'], { env: alt }).stdout)[0].IPAM.Config;
    assert.equal(ipam(), [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
    ok(inNs(NS, 'ip', ['addr', 'del', '172.17.200.1/24', 'dev', 'hxbrt-a']), 'the address removed');
    assert.equal(ipam(), [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }], 'kept for the containers it has');
  } finally {
    inNs(NS, 'ip', ['addr', 'del', '172.17.200.1/24', 'dev', 'hxbrt-a']);
    ok(run('flock', [planeLock, 'true']), 'its teardown done');
  }
  assert.equal(netState(), before);
});

test("two stores in one network namespace: two default bridges, and one store's last stop leaves the other's rules", async () => {
  const b = { HX_STORAGE_ROOT: join(work, 'store-b'), HX_RUNTIME_DIR: join(work, 'run-b') };
  ok(H(['import', tarball, 'bb'], { env: b }), 'import into the second store');
  const httpd = ['bb', 'httpd', '-f', '-p', '80', '-h', '/'];
  ok(H(['run', '-d', '--name', 'sa', '-p', '18097:80', ...httpd]), 'first store');
  ok(H(['run', '-d', '--name', 'sb', '-p', '18098:80', ...httpd], { env: b }), 'second store');
  const bridgeOf = (env) => JSON.parse(H(['network', 'inspect', 'bridge'], { env }).stdout)[0];
  const [da, db] = [bridgeOf({}), bridgeOf(b)];
  assert.is.not(da.Id, db.Id, 'two default bridges');
  assert.is(da.IPAM.Config[0].Subnet, '172.17.0.0/16');
  assert.is(db.IPAM.Config[0].Subnet, '172.18.0.0/16', "the second store's avoids the first's route");
  const served = (port) => curl(OUT, `http://10.77.0.1:${port}/index.html`).stdout;
  assert.is(served(18097), 'served on the bridge\n');
  assert.is(served(18098), 'served on the bridge\n');
  ok(H(['rm', '-f', 'sa']), 'rm in the first store');
  netState(); // its teardown done
  assert.is(served(18098), 'served on the bridge\n', "the second store's container is still reached");
  ok(H(['rm', '-f', 'sb'], { env: b }), 'rm in the second store');
  assert.equal(netState(), before);
});

test('a deferred teardown killed midway is finished by the next command', async () => {
  // an iptables-restore (and nft) that waits when the teardown's sh runs it: the kill lands
  // after the bridge is deleted and before the chains are
  const shim = join(work, 'shim');
  mkdirSync(shim, { recursive: true });
  for (const tool of ['iptables-restore', ...(hasNft ? ['nft'] : [])]) {
    const real = run('sh', ['-c', `command -v ${tool}`]).stdout.trim();
    writeFileSync(join(shim, tool), `#!/bin/sh\ncase "$(tr '\\0' ' ' < /proc/$PPID/cmdline)" in *hx-teardown*) sleep 60;; esac\nexec ${real} "$@"\n`, { mode: 0o755 });
  }
  const shimmed = { env: { PATH: `${shim}:${process.env.PATH}` } };
  ok(H(['network', 'create', 'cut']), 'create');
  // the shim in both: the stop's cleanup runs with the environment the start had
  ok(H(['run', '-d', '--name', 'cut1', '--network', 'cut', 'bb', 'sleep', '30'], shimmed), 'run');
  ok(H(['rm', '-f', 'cut1'], shimmed), 'rm');
  // this test's teardown only: its command line names its record
  const record = join(runtime, 'networks', 'teardown.json');
  let teardown;
  for (let i = 0; i < 100 && !teardown; i++) {
    teardown = run('pgrep', ['-f', `hx-teardown.*${record}`]).stdout.trim().split('\n').filter(Boolean).map(Number)[0];
    if (!teardown) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(teardown, 'the deferred teardown runs');
  for (let i = 0; i < 100 && run('pgrep', ['-g', String(teardown), '-x', 'sleep']).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
  process.kill(-teardown, 'SIGKILL');
  const left = netState();
  assert.not.ok(left.links.some((l) => l.startsWith('hxbr-')), 'the bridge went before the kill');
  assert.ok(left.rules.some((l) => l.includes('HXN-')), `the kill left the network's chains: ${left.rules}`);
  assert.ok(existsSync(record), 'and its record');
  ok(H(['ps']), 'the next command');
  assert.equal(netState(), before);
  assert.not.ok(existsSync(record), 'the record is gone');
  ok(H(['network', 'rm', 'cut']), 'network rm');
});

test('an IPv6 host address is relayed to the IPv4 container (hx-portrelay, docker-proxy\'s job); rm takes it away', () => {
  const r = H(['run', '-d', '--name', 'v6', '-p', '[::1]:18095:80', '-p', '127.0.0.1:18096:80', 'bb', 'httpd', '-f', '-p', '80', '-h', '/']);
  ok(r, 'run');
  const v6 = (port) => inNs(NS, 'curl', ['-sS', '-g', '-m', '5', `http://[::1]:${port}/index.html`]);
  assert.is(v6(18095).stdout, 'served on the bridge\n');
  assert.is(curl(NS, 'http://127.0.0.1:18096/index.html').stdout, 'served on the bridge\n', 'and IPv4 by DNAT beside it');
  assert.equal(H(['port', 'v6']).stdout.split('\n').filter(Boolean).sort(), ['80/tcp -> 127.0.0.1:18096', '80/tcp -> [::1]:18095']);
  ok(H(['rm', '-f', 'v6']), 'rm');
  assert.is.not(v6(18095).code, 0, 'nothing listens on [::1]:18095 after rm');
  assert.equal(netState(), before);
});

test('bad input: a network that does not exist; nothing left', () => {
  const missing = H(['run', '--rm', '--network', 'nosuch', 'bb', 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /network nosuch not found/);
  assert.is(H(['ps', '-aq']).stdout, '');
  assert.equal(netState(), before);
});

test.run();

// src/net/: --network's value and the rootless default, the generated /etc files, the
// helpers' command lines, and the published ports checked against real sockets on the
// loopback (a port held by this test is "already allocated"; a range skips it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkMode } from '../../dist/net/mode.js';
import { hostsFile, resolvConf, parseResolv } from '../../dist/net/etc-files.js';
import { pastaArgs } from '../../dist/net/pasta.js';
import { slirpArgs, slirpOptionFlags } from '../../dist/net/slirp4netns.js';
import { describeForwards, portsDocument, resolveForwards, tryBind } from '../../dist/net/ports.js';
import { checkTun } from '../../dist/net/helper.js';
import { HELPER_ADDRESSES } from '../../dist/net/types.js';

const both = { pasta: true, slirp4netns: true };

test('--network: the rootless default is pasta, else slirp4netns, else none with a warning', () => {
  assert.equal(parseNetworkMode(undefined, true, both), { mode: 'pasta', helperOptions: [] });
  assert.equal(parseNetworkMode(undefined, true, { pasta: false, slirp4netns: true }), { mode: 'slirp4netns', helperOptions: [] });
  const none = parseNetworkMode(undefined, true, { pasta: false, slirp4netns: false });
  assert.is(none.mode, 'none');
  assert.match(none.warning, 'install the passt package');
  assert.is(parseNetworkMode(undefined, false, both).mode, 'bridge'); // rootful: docker's default bridge
  assert.is(parseNetworkMode('bridge', false, both).mode, 'bridge');
});

test('--network pasta:OPTS and slirp4netns:OPTS split at commas; none and host take none; unknown names are docker\'s not found', () => {
  assert.equal(parseNetworkMode('pasta:-o,127.0.0.1', true, both), { mode: 'pasta', helperOptions: ['-o', '127.0.0.1'] });
  assert.equal(parseNetworkMode('slirp4netns:allow_host_loopback=false,mtu=1500', true, both).helperOptions, ['allow_host_loopback=false', 'mtu=1500']);
  assert.is(parseNetworkMode('host', true, both).mode, 'host');
  assert.throws(() => parseNetworkMode('none:x', true, both), /takes no options/);
  assert.throws(() => parseNetworkMode('nosuch', true, both), (e) => e.message === 'network nosuch not found' && e.kind === 'not-found');
  assert.throws(() => parseNetworkMode('pasta', true, { pasta: false, slirp4netns: true }), (e) => e.kind === 'host-setup' && /apt-get install passt/.test(e.hint));
  assert.equal(parseNetworkMode('container:web', true, both), { mode: 'container', helperOptions: [], container: 'web' });
  assert.throws(() => parseNetworkMode('container:', true, both), (e) => e.message === 'invalid network mode: container:' && e.kind === 'invalid-argument');
});

test('/etc/hosts: docker\'s localhost block, --add-host, the host\'s mapped address, the container\'s own line', () => {
  const text = hostsFile({ mode: 'pasta', hostname: 'abc', name: 'web', extraHosts: [{ name: 'db', address: '10.1.2.3' }], addresses: HELPER_ADDRESSES });
  assert.is(text, [
    '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '10.1.2.3\tdb', '10.0.2.2\thost.containers.internal host.docker.internal', '10.0.2.100\tabc web', '',
  ].join('\n'));
  const none = hostsFile({ mode: 'none', hostname: 'abc', extraHosts: [] });
  assert.not.match(none, 'host.containers.internal');
  assert.match(none, /\n127\.0\.0\.1\tabc\n$/);
  const host = hostsFile({ mode: 'host', hostname: 'h', extraHosts: [{ name: 'x', address: '1.2.3.4' }], hostHosts: '127.0.0.1 localhost\n10.9.9.9 box' });
  assert.is(host, '1.2.3.4\tx\n127.0.0.1 localhost\n10.9.9.9 box\n');
});

test('/etc/hosts on a user network: the host is 10.0.2.2 (the held namespace\'s pasta) unless every network is --internal', () => {
  const addresses = { container: '10.89.0.2', prefixLength: 24, gateway: '10.89.0.1', dns: '10.89.0.1' };
  const out = hostsFile({ mode: 'bridge', hostname: 'abc', extraHosts: [], addresses, outbound: true });
  assert.match(out, /\n10\.0\.2\.2\thost\.containers\.internal host\.docker\.internal\n10\.89\.0\.2\tabc\n$/);
  const internal = hostsFile({ mode: 'bridge', hostname: 'abc', extraHosts: [], addresses, outbound: false });
  assert.not.match(internal, 'host.containers.internal');
  assert.match(internal, /\n10\.89\.0\.2\tabc\n$/);
});

test('resolv.conf: a loopback stub is replaced by the helper\'s forwarder, other servers kept; --dns* replace the host\'s', () => {
  const hostResolv = '# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.test\noptions edns0 trust-ad\n';
  assert.equal(parseResolv(hostResolv), { nameservers: ['127.0.0.53', '192.0.2.53'], search: ['corp.test'], options: ['edns0', 'trust-ad'] });
  const base = { hostResolv, dns: [], dnsSearch: [], dnsOptions: [] };
  assert.is(resolvConf({ ...base, mode: 'slirp4netns', forwarder: '10.0.2.3' }), 'search corp.test\nnameserver 10.0.2.3\nnameserver 192.0.2.53\noptions edns0 trust-ad\n');
  assert.is(resolvConf({ ...base, mode: 'none' }), 'search corp.test\nnameserver 192.0.2.53\noptions edns0 trust-ad\n');
  assert.is(resolvConf({ ...base, mode: 'host' }), 'search corp.test\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\n');
  assert.is(resolvConf({ mode: 'pasta', hostResolv: 'nameserver 127.0.0.53\n', dns: [], dnsSearch: [], dnsOptions: [], forwarder: '10.0.2.3' }), 'nameserver 10.0.2.3\n');
  assert.is(resolvConf({ ...base, mode: 'pasta', forwarder: '10.0.2.3', dns: ['1.1.1.1'], dnsSearch: ['a.test'], dnsOptions: ['ndots:2'] }), 'search a.test\nnameserver 1.1.1.1\noptions ndots:2\n');
  assert.is(resolvConf({ ...base, mode: 'pasta', forwarder: '10.0.2.3', dnsSearch: ['.'] }), 'nameserver 10.0.2.3\nnameserver 192.0.2.53\noptions edns0 trust-ad\n');
});

test('pasta: the addresses, -t/-u per forward (none when there is none), nothing forwarded back to the host, options before --netns', () => {
  const args = pastaArgs({
    netnsPath: '/proc/self/fd/3', addresses: HELPER_ADDRESSES, options: ['-o', '127.0.0.1'], pidFile: '/r/pasta.pid', logFile: '/d/pasta.log',
    forwards: [{ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, containerPort: 8080 }, { proto: 'tcp', hostIp: '', hostPort: 9000, containerPort: 90 }],
  });
  assert.equal(args, ['--config-net', '--quiet', '--pid', '/r/pasta.pid', '--log-file', '/d/pasta.log', '--address', '10.0.2.100', '--netmask', '24', '--gateway', '10.0.2.2',
    '--dns-forward', '10.0.2.3', '-t', '127.0.0.1/18080:8080', '-t', '9000:90', '-u', 'none', '-T', 'none', '-U', 'none', '-o', '127.0.0.1', '--no-netns-quit', '--netns', '/proc/self/fd/3']);
  assert.not.ok(args.includes('--no-map-gw'), 'the gateway is mapped to the host (host.containers.internal)');
});

test('slirp4netns: podman\'s options as flags; host loopback allowed unless asked; unknown options refused', () => {
  assert.equal(slirpOptionFlags([]), ['--mtu=65520']);
  assert.equal(slirpOptionFlags(['allow_host_loopback=false', 'mtu=1500', 'outbound_addr=127.0.0.1', 'enable_ipv6=true']), ['--mtu=1500', '--outbound-addr=127.0.0.1', '--enable-ipv6', '--disable-host-loopback']);
  assert.throws(() => slirpOptionFlags(['cidr=10.5.0.0/24']), /unknown slirp4netns option/);
  assert.throws(() => slirpOptionFlags(['enable_ipv6=maybe']), /not true or false/);
  assert.equal(slirpArgs('/proc/7/ns/net', []), ['--configure', '--mtu=65520', '--api-socket=slirp4netns.sock', '--exit-fd=3', '--ready-fd=4', '--netns-type=path', '/proc/7/ns/net', 'tap0']);
});

const policy = { rootless: true, unprivilegedPortStart: 1024 };

test('ports: a held port is "already allocated"; a range skips it; an empty host port gets a free one', async () => {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const held = srv.address().port;
  try {
    await resolveForwards({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(held) }] }, policy).then(
      () => assert.unreachable('a held port was accepted'),
      (e) => {
        assert.is(e.message, `Bind for 127.0.0.1:${held} failed: port is already allocated`);
        assert.is(e.kind, 'conflict');
      },
    );
    const ranged = await resolveForwards({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: `${held}-${held + 20}` }] }, policy);
    assert.ok(ranged[0].hostPort > held && ranged[0].hostPort <= held + 20, String(ranged[0].hostPort));
    const free = await resolveForwards({ '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, policy);
    assert.is(free[0].proto, 'udp');
    const bound = await tryBind('udp', '127.0.0.1', free[0].hostPort);
    assert.is(bound.port, free[0].hostPort, 'the port given is free');
  } finally {
    srv.close();
  }
});

test('ports: rootless ports below the unprivileged start name the sysctl; sctp is refused; one port twice is a conflict', async () => {
  const fails = async (bindings, p, re) => resolveForwards(bindings, p).then(() => assert.unreachable('accepted'), (e) => assert.match(e.message, re));
  await fails({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '80' }] }, policy, /cannot expose privileged port 80, you can add 'net\.ipv4\.ip_unprivileged_port_start=80'/);
  await fails({ '80/sctp': [{ HostIp: '', HostPort: '9999' }] }, policy, /sctp/);
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  await fails({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] }, policy, /already allocated/);
});

test('ports as docker shows them: ps PORTS and inspect NetworkSettings.Ports', () => {
  const f = [{ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, containerPort: 8080 }, { proto: 'udp', hostIp: '', hostPort: 5353, containerPort: 53 }];
  assert.is(describeForwards(f), '127.0.0.1:18080->8080/tcp, 0.0.0.0:5353->53/udp');
  assert.equal(portsDocument(['8080/tcp', '9000/tcp'], f), {
    '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }],
    '9000/tcp': null,
    '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
  });
});

test('/dev/net/tun not usable (mode 0600 on hosts without udev) fails with the fix', () => {
  if (process.getuid() === 0) return; // root opens any mode
  const dir = mkdtempSync(join(tmpdir(), 'hx-tun-'));
  const fake = join(dir, 'tun');
  writeFileSync(fake, '');
  chmodSync(fake, 0o000);
  assert.throws(() => checkTun(fake), (e) => e.kind === 'host-setup' && /mode 0000/.test(e.message) && /chmod 0666/.test(e.hint) && /udev rule/.test(e.hint));
  assert.throws(() => checkTun(join(dir, 'missing')), (e) => /missing/.test(e.message) && /modprobe tun/.test(e.hint));
});

test.run();

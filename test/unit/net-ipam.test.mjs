// src/net/ipam.ts and host-subnets.ts: CIDR parsing with docker's messages, overlaps,
// the default subnet skipping what is taken, pools with --gateway/--ip-range, address
// allocation, and the host's routes and addresses read from their real text formats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  assignable,
  contains,
  defaultBridgeSubnet,
  defaultSubnet,
  formatIPv4,
  formatSubnet,
  macFor,
  nextAddress,
  overlaps,
  parseIPv4,
  parseSubnet,
  poolConfig,
  requestedAddress,
} from '../../dist/net/ipam.js';
import { hostSubnets, parseIpAddrJson, parseProcRoutes } from '../../dist/net/host-subnets.js';
import { hostsFile, resolvConf } from '../../dist/net/etc-files.js';

const S = (t) => parseSubnet(t);
const throwsMsg = (f, msg) => {
  try {
    f();
  } catch (e) {
    assert.is(e.message, msg);
    return e;
  }
  assert.unreachable(`expected: ${msg}`);
};

test('parseIPv4 and formatIPv4 round-trip; malformed addresses are refused', () => {
  for (const a of ['0.0.0.0', '10.89.0.1', '255.255.255.255', '192.168.1.10']) assert.is(formatIPv4(parseIPv4(a)), a);
  for (const bad of ['10.89.0', '10.89.0.256', '10.089.0.1', '1.2.3.4.5', 'a.b.c.d', '', '1..2.3']) assert.is(parseIPv4(bad), undefined, bad);
});

test('parseSubnet: Go\'s CIDR syntax, zero host bits, room for a gateway', () => {
  assert.equal(formatSubnet(S('10.89.0.0/24')), '10.89.0.0/24');
  assert.equal(formatSubnet(S('0.0.0.0/0')), '0.0.0.0/0');
  throwsMsg(() => S('10.1.0.0/33'), 'invalid CIDR address: 10.1.0.0/33');
  throwsMsg(() => S('10.1.0.0'), 'invalid CIDR address: 10.1.0.0');
  throwsMsg(() => S('10.1.0.0/'), 'invalid CIDR address: 10.1.0.0/');
  throwsMsg(() => S('fd00::/64'), 'invalid CIDR address: fd00::/64');
  throwsMsg(() => S('10.1.2.3/16'), 'invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16');
  throwsMsg(() => S('10.1.2.4/31'), 'invalid subnet 10.1.2.4/31: a /31 has no room for a gateway and a container');
  const e = throwsMsg(() => S('x/8'), 'invalid CIDR address: x/8');
  assert.is(e.kind, 'invalid-argument');
});

test('overlaps and contains', () => {
  assert.ok(overlaps(S('10.0.0.0/8'), S('10.89.3.0/24')));
  assert.ok(overlaps(S('10.89.3.0/24'), S('10.0.0.0/8')));
  assert.ok(overlaps(S('10.124.0.0/24'), S('10.124.0.128/25')));
  assert.not.ok(overlaps(S('10.89.0.0/24'), S('10.89.1.0/24')));
  assert.not.ok(overlaps(S('192.168.0.0/16'), S('10.0.0.0/8')));
  assert.ok(contains(S('10.89.0.0/24'), parseIPv4('10.89.0.255')));
  assert.not.ok(contains(S('10.89.0.0/24'), parseIPv4('10.89.1.0')));
});

test('defaultSubnet: podman\'s 10.89.N.0/24, skipping other networks and host subnets', () => {
  assert.is(formatSubnet(defaultSubnet([])), '10.89.0.0/24');
  assert.is(formatSubnet(defaultSubnet([S('10.89.0.0/24'), S('10.89.1.0/24')])), '10.89.2.0/24');
  // a host route covering the first eight /24s
  assert.is(formatSubnet(defaultSubnet([S('10.89.0.0/21')])), '10.89.8.0/24');
  // the whole pool taken
  const e = throwsMsg(() => defaultSubnet([S('10.0.0.0/8')]), 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  assert.is(e.kind, 'unavailable');
});

test('poolConfig: the gateway defaults to .1, --gateway and --ip-range must lie in the subnet', () => {
  const p = poolConfig(S('10.123.0.0/16'), '10.123.0.254', '10.123.7.0/24');
  assert.is(formatIPv4(p.gateway), '10.123.0.254');
  assert.is(formatSubnet(p.range), '10.123.7.0/24');
  assert.is(formatIPv4(poolConfig(S('10.5.0.0/24')).gateway), '10.5.0.1');
  throwsMsg(() => poolConfig(S('10.5.0.0/24'), '10.6.0.1'), 'invalid network config: gateway 10.6.0.1 is not a host address of subnet 10.5.0.0/24');
  throwsMsg(() => poolConfig(S('10.5.0.0/24'), '10.5.0.255'), 'invalid network config: gateway 10.5.0.255 is not a host address of subnet 10.5.0.0/24');
  throwsMsg(() => poolConfig(S('10.5.0.0/24'), 'nope'), 'invalid gateway address nope');
  throwsMsg(() => poolConfig(S('10.5.0.0/24'), undefined, '10.6.0.0/25'), 'invalid network config: ip-range 10.6.0.0/25 is not within subnet 10.5.0.0/24');
  throwsMsg(() => poolConfig(S('10.5.0.0/24'), undefined, '10.5.0.0/16'), 'invalid network config: ip-range 10.5.0.0/16 is not within subnet 10.5.0.0/24');
});

test('nextAddress: lowest free, never the network, broadcast or gateway; exhaustion is an error', () => {
  const p = poolConfig(S('10.7.0.0/29')); // .0 network, .1 gateway, .2-.6 hosts, .7 broadcast
  const taken = new Set();
  const got = [];
  for (let i = 0; i < 5; i++) {
    const a = nextAddress(p, taken, 'n');
    taken.add(a);
    got.push(formatIPv4(a));
  }
  assert.equal(got, ['10.7.0.2', '10.7.0.3', '10.7.0.4', '10.7.0.5', '10.7.0.6']);
  throwsMsg(() => nextAddress(p, taken, 'n'), 'no available IPv4 addresses on network n');
  taken.delete(parseIPv4('10.7.0.4'));
  assert.is(formatIPv4(nextAddress(p, taken, 'n')), '10.7.0.4');
  // with a range, only its addresses; a gateway inside the range is skipped
  const r = poolConfig(S('10.8.0.0/24'), '10.8.0.16', '10.8.0.16/30');
  assert.is(formatIPv4(nextAddress(r, new Set(), 'r')), '10.8.0.17');
  assert.not.ok(assignable(r, parseIPv4('10.8.0.2')));
});

test('requestedAddress: docker\'s message for an address outside the subnet or range; taken ones conflict', () => {
  const p = poolConfig(S('10.9.0.0/24'), undefined, '10.9.0.128/25');
  assert.is(formatIPv4(requestedAddress(p, '10.9.0.200', new Set(), 'net')), '10.9.0.200');
  const msg = (ip) => `invalid config for network net: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${ip}`;
  throwsMsg(() => requestedAddress(p, '10.9.1.5', new Set(), 'net'), msg('10.9.1.5'));
  throwsMsg(() => requestedAddress(p, '10.9.0.5', new Set(), 'net'), msg('10.9.0.5'));
  throwsMsg(() => requestedAddress(p, '10.9.0.255', new Set(), 'net'), msg('10.9.0.255'));
  const e = throwsMsg(() => requestedAddress(p, '10.9.0.200', new Set([parseIPv4('10.9.0.200')]), 'net'), 'Address already in use');
  assert.is(e.kind, 'conflict');
  throwsMsg(() => requestedAddress(p, '10.9.0', new Set(), 'net'), 'invalid IPv4 address: 10.9.0');
});

test('macFor: docker\'s 02:42 prefix and the address bytes', () => {
  assert.is(macFor(parseIPv4('10.89.0.2')), '02:42:0a:59:00:02');
  assert.is(macFor(parseIPv4('172.17.255.1')), '02:42:ac:11:ff:01');
});

test('host subnets: /proc/net/route (little-endian hex) and ip -j addr, the default route left out', () => {
  const route = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'wg0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  assert.equal(parseProcRoutes(route).map(formatSubnet), ['192.0.2.0/24', '10.89.0.0/16']);
  const addr = JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
    { ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.89.4.7', prefixlen: 22 }] },
  ]);
  assert.equal(parseIpAddrJson(addr).map(formatSubnet), ['127.0.0.0/8', '10.89.4.0/22']);
  assert.equal(parseIpAddrJson('not json'), []);
  // this machine's own: every route of /proc/net/route but the default is among them
  const real = hostSubnets().map(formatSubnet);
  const routes = parseProcRoutes(readFileSync('/proc/net/route', 'utf8')).map(formatSubnet);
  for (const r of routes) assert.ok(real.includes(r), r);
  assert.not.ok(real.includes('0.0.0.0/0'));
  assert.ok(real.includes('127.0.0.0/8'), 'loopback from ip -j addr');
});

test('/etc files on a user network: the gateway is the nameserver, no host search domains, no host.containers.internal', () => {
  const addresses = { container: '10.89.0.2', prefixLength: 24, gateway: '10.89.0.1', dns: '10.89.0.1' };
  const hosts = hostsFile({ mode: 'bridge', hostname: 'abc', name: 'web', extraHosts: [], addresses });
  assert.match(hosts, '10.89.0.2\tabc web\n');
  assert.not.match(hosts, 'host.containers.internal');
  const resolv = resolvConf({ mode: 'bridge', hostResolv: 'search corp.example\nnameserver 192.0.2.53\noptions ndots:2\n', dns: [], dnsSearch: [], dnsOptions: [], forwarder: '10.89.0.1' });
  assert.is(resolv, 'nameserver 10.89.0.1\noptions ndots:2\n');
});

test("docker's default bridge: 172.17.0.0/16 unless taken, then 172.18-31, then 192.168.N.0/20", () => {
  const s = (t) => parseSubnet(t);
  assert.is(formatSubnet(defaultBridgeSubnet([])), '172.17.0.0/16');
  assert.is(formatSubnet(defaultBridgeSubnet([s('172.17.5.0/24')])), '172.18.0.0/16');
  assert.is(formatSubnet(defaultBridgeSubnet([s('172.16.0.0/12')])), '192.168.0.0/20');
  assert.is(formatSubnet(defaultBridgeSubnet([s('172.16.0.0/12'), s('192.168.1.0/24')])), '192.168.16.0/20');
  assert.throws(() => defaultBridgeSubnet([s('172.16.0.0/12'), s('192.168.0.0/16')]), (e) => e.kind === 'unavailable' && /default bridge/.test(e.message));
});

test.run();

// hx-dns beyond its own names (issue 14), rootless: a container with --dns has its
// network's gateway in resolv.conf and hx-dns forwards what the network does not know to
// the --dns resolver (the answer relayed with the client's ID, the NXDOMAIN and a truncated
// answer relayed as they are, concurrent questions with one ID kept apart, a silent
// resolver timed out to SERVFAIL); TCP on the gateway's port 53 (questions on one
// connection, local and forwarded over UDP; a truncated answer asked again over TCP; an
// idle connection dropped); a container on two networks resolves the names of both, one
// on a single network only its own; nothing left afterwards.
//
// Network safety: the only resolver anything is forwarded to is the test's own
// (test/fixtures/dns/dnstool.c, built static, busybox-static has no dnsd) in a container on
// the test's network; before any forwarded question, the test checks that the asking
// container's resolv.conf names the gateway and that its line in the names file names that
// resolver, so nothing goes to hx-dns's default upstream (pasta's 10.0.2.3, the host's
// resolver). Containers without --dns ask only names that the network knows or single
// labels, which hx-dns answers itself (NXDOMAIN) and never forwards. The names served are
// under .example (RFC 2606) with addresses of 192.0.2.0/24 (TEST-NET-1) that nothing
// connects to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxAsync, need, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(run('cc', ['--version']).code === 0, 'a C compiler for the test resolver');

const work = tempDir('hx-dns-');
const store = join(work, 'store');
const runtime = join(work, 'run');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: runtime };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const HA = (args) => hxAsync(args, { env });
const plane = join(runtime, 'networks');

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
writeFileSync(join(rootfs, 'etc/testdns.conf'), 'foo.example 192.0.2.10\nbar.example 192.0.2.11\nbaz.example 192.0.2.12\n');
assert.is(run('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/dnstool'), join(treeRoot, 'test/fixtures/dns/dnstool.c')]).code, 0);
chmodSync(join(rootfs, 'bin/dnstool'), 0o755);
const tarball = join(work, 'bbdns.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bbdns']).code, 0);

test.after.each(() => {
  const ids = H(['ps', '-aq']).stdout.trim();
  if (ids) H(['rm', '-f', ...ids.split('\n')]);
  for (const n of H(['network', 'ls', '-q', '--filter', 'type=custom']).stdout.split('\n').filter(Boolean)) H(['network', 'rm', n]);
});

/** hx-dns processes of this test's runtime dir that are alive (not zombies), with their command lines. */
function responders() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd[0]?.endsWith('hx-dns') && cmd.some((a) => a.startsWith(runtime)) && state !== 'Z') out.push({ pid: Number(pid), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Every names file under the plane (none once everything is gone). */
function namesFiles() {
  if (!existsSync(plane)) return [];
  return readdirSync(plane).filter((d) => /^[a-f0-9]{64}$/.test(d) && existsSync(join(plane, d, 'names'))).map((d) => join(plane, d, 'names'));
}

function assertNothingLeft() {
  for (let i = 0; i < 50 && (responders().length || namesFiles().length); i++) run('sleep', ['0.1']);
  assert.equal(responders(), [], 'no DNS responder');
  assert.equal(namesFiles(), [], 'no names file');
}

function create(name, ...flags) {
  const r = H(['network', 'create', ...flags, name]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

const gatewayOf = (net) => H(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', net]).stdout.trim();
const ipOf = (ctr, net) => H(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, ctr]).stdout.trim();
const namesOf = (netId) => readFileSync(join(plane, netId, 'names'), 'utf8');

function runD(...args) {
  const r = H(['run', '-d', ...args]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

function exec(ctr, script) {
  return H(['exec', ctr, 'sh', '-c', script]);
}

/** DNS questions (A, IN, RD) length-prefixed for TCP, as printf octal escapes. */
function tcpQuestions(qs) {
  const bytes = [];
  for (const { id, name } of qs) {
    const msg = [id >> 8, id & 0xff, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for (const label of name.split('.')) msg.push(label.length, ...Buffer.from(label));
    msg.push(0, 0, 1, 0, 1);
    bytes.push(msg.length >> 8, msg.length & 0xff, ...msg);
  }
  return bytes.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
}

/** Length-prefixed DNS answers from od's hex: [{ id, rcode, tc, addresses }]. */
function parseTcpAnswers(odText) {
  const buf = Buffer.from(odText.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));
  const out = [];
  for (let off = 0; off + 2 <= buf.length; ) {
    const len = buf.readUInt16BE(off);
    const m = buf.subarray(off + 2, off + 2 + len);
    off += 2 + len;
    let p = 12;
    while (m[p]) p += m[p] + 1;
    p += 5;
    const addresses = [];
    for (let i = 0; i < m.readUInt16BE(6); i++) {
      p += (m[p] & 0xc0) === 0xc0 ? 2 : 0;
      const type = m.readUInt16BE(p);
      const rdlen = m.readUInt16BE(p + 8);
      if (type === 1) addresses.push([...m.subarray(p + 10, p + 14)].join('.'));
      p += 10 + rdlen;
    }
    out.push({ id: m.readUInt16BE(0), rcode: m[3] & 0xf, tc: (m[2] >> 1) & 1, addresses });
  }
  return out;
}

const RESOLVER = '10.89.200.53';
const RESOLVER_TCP = '10.89.200.54';

test('--dns on a user network: resolv.conf names the gateway, hx-dns forwards to the --dns resolver (UDP and TCP), local names still answered', async () => {
  const netId = create('dnsnet', '--subnet', '10.89.200.0/24', '--gateway', '10.89.200.1');
  const gw = gatewayOf('dnsnet');
  assert.is(gw, '10.89.200.1');
  runD('--name', 'resolver', '--network', 'dnsnet', '--ip', RESOLVER, 'bbdns', 'dnstool', 'serve', '/etc/testdns.conf');
  runD('--name', 'peer', '--network', 'dnsnet', 'bbdns', 'sleep', '300');
  runD('--name', 'client', '--network', 'dnsnet', '--dns', RESOLVER, 'bbdns', 'sleep', '300');
  const clientIp = ipOf('client', 'dnsnet');
  const peerIp = ipOf('peer', 'dnsnet');
  // before anything is forwarded: the client asks hx-dns, and hx-dns forwards its questions to the test's resolver only
  assert.is(exec('client', 'cat /etc/resolv.conf').stdout, `nameserver ${gw}\n`, 'the gateway, not the --dns address');
  const names = namesOf(netId);
  assert.ok(names.split('\n').includes(`dns ${clientIp} ${RESOLVER}`), names);
  assert.is(names.split('\n').filter((l) => l.startsWith('dns ')).length, 1, 'only the client has upstreams of its own');
  const rs = responders();
  assert.is(rs.length, 1);
  assert.equal(rs[0].cmd.slice(1), [gw, join(plane, netId, 'names'), '10.0.2.3'], 'the default upstream (pasta) is for clients without --dns, which ask nothing unknown here');
  assert.match(H(['logs', 'resolver']).stdout, 'serving 3 names');

  // forwarded over UDP: the answer, an NXDOMAIN relayed; a local name still answered locally
  const fwd = exec('client', 'nslookup foo.example; echo rc=$?; nslookup nope.example; echo rc=$?; nslookup peer; echo rc=$?');
  assert.match(fwd.stdout, /Name:\s+foo\.example\nAddress: 192\.0\.2\.10\n/);
  assert.match(fwd.stdout, "can't find nope.example: NXDOMAIN");
  assert.match(fwd.stdout, new RegExp(`Name:\\s+peer\\nAddress: ${peerIp.replace(/\./g, '\\.')}\\n`));
  assert.equal(fwd.stdout.match(/rc=\d/g), ['rc=0', 'rc=1', 'rc=0']);
  // four clients at once with the same ID: each gets its own answer, under its own ID; the resolver saw four IDs
  const before = H(['logs', 'resolver']).stdout.split('\n').length;
  const ask = exec('client', `dnstool ask ${gw} 4660 foo.example bar.example baz.example tc.example nope.example peer`);
  assert.is(ask.code, 0, ask.stderr);
  assert.is(ask.stdout, [
    'foo.example id=4660 rcode=0 tc=0 q=foo.example 192.0.2.10',
    'bar.example id=4660 rcode=0 tc=0 q=bar.example 192.0.2.11',
    'baz.example id=4660 rcode=0 tc=0 q=baz.example 192.0.2.12',
    'tc.example id=4660 rcode=0 tc=1 q=tc.example',
    'nope.example id=4660 rcode=3 tc=0 q=nope.example',
    `peer id=4660 rcode=0 tc=0 q=peer ${peerIp}`,
    '',
  ].join('\n'));
  const seen = H(['logs', 'resolver']).stdout.split('\n').slice(before - 1).filter((l) => /^\d+ /.test(l));
  assert.equal(seen.map((l) => l.split(' ')[1]).sort(), ['bar.example', 'baz.example', 'foo.example', 'nope.example', 'tc.example'], 'peer is never forwarded');
  assert.is(new Set(seen.map((l) => l.split(' ')[0])).size, 5, `distinct upstream IDs: ${seen.join(', ')}`);
  // a resolver that stays silent: SERVFAIL after the upstream's timeout
  const t0 = Date.now();
  const silent = exec('client', `dnstool ask ${gw} 7 drop.example`);
  assert.is(silent.stdout, 'drop.example id=7 rcode=2 tc=0 q=drop.example\n');
  assert.ok(Date.now() - t0 >= 1500, 'answered after the timeout');

  // TCP: two questions on one connection, a local one and one forwarded (over UDP: the resolver has no TCP)
  // (and a truncated UDP answer: asked again over TCP, refused by this UDP-only resolver, so relayed as it is)
  const tcp = exec('client', `printf '${tcpQuestions([{ id: 0x0a0b, name: 'peer' }, { id: 0x0c0d, name: 'foo.example' }, { id: 0x0e0f, name: 'tc.example' }])}' | timeout 8 nc ${gw} 53 | od -A n -t x1 -v`);
  assert.is(tcp.code, 0, tcp.stderr);
  const answers = parseTcpAnswers(tcp.stdout).sort((a, b) => a.id - b.id);
  assert.equal(answers, [
    { id: 0x0a0b, rcode: 0, tc: 0, addresses: [peerIp] },
    { id: 0x0c0d, rcode: 0, tc: 0, addresses: ['192.0.2.10'] },
    { id: 0x0e0f, rcode: 0, tc: 1, addresses: [] },
  ]);
  // a resolver that speaks TCP too: a TCP client's truncated answer is fetched again over TCP
  runD('--name', 'resolver2', '--network', 'dnsnet', '--ip', RESOLVER_TCP, 'bbdns', 'dnstool', 'serve-tcp', '/etc/testdns.conf');
  runD('--name', 'client2', '--network', 'dnsnet', '--dns', RESOLVER_TCP, 'bbdns', 'sleep', '300');
  assert.is(exec('client2', 'cat /etc/resolv.conf').stdout, `nameserver ${gw}\n`);
  assert.ok(namesOf(netId).split('\n').includes(`dns ${ipOf('client2', 'dnsnet')} ${RESOLVER_TCP}`), namesOf(netId));
  assert.match(H(['logs', 'resolver2']).stdout, 'serving 3 names (udp, tcp)');
  const viaTcp = exec('client2', `printf '${tcpQuestions([{ id: 0x1111, name: 'tc.example' }])}' | timeout 8 nc ${gw} 53 | od -A n -t x1 -v`);
  assert.equal(parseTcpAnswers(viaTcp.stdout), [{ id: 0x1111, rcode: 0, tc: 0, addresses: ['192.0.2.99'] }]);
  const udpFirst = exec('client2', `dnstool ask ${gw} 9 tc.example`);
  assert.is(udpFirst.stdout, 'tc.example id=9 rcode=0 tc=1 q=tc.example\n', 'a UDP client gets the truncated answer as it is');
  assert.equal(H(['logs', 'resolver2']).stdout.split('\n').filter((l) => / tc\.example /.test(l)).map((l) => l.split(' ').slice(1).join(' ')), ['tc.example 1', 'tc.example 1 tcp', 'tc.example 1']);
  // a slow TCP client (connected, sends nothing) does not hold up UDP
  const idle = exec('client', `(sleep 4 | nc ${gw} 53 >/dev/null &) ; sleep 0.5; dnstool ask ${gw} 1 peer`);
  assert.is(idle.stdout, `peer id=1 rcode=0 tc=0 q=peer ${peerIp}\n`);
  // an idle connection is dropped after some seconds (nc ends when hx-dns closes it; its stdin never does)
  const dropped = exec('client', `mkfifo /tmp/never; exec 3<>/tmp/never; s=$(date +%s); timeout 25 nc ${gw} 53 <&3; echo rc=$? took=$(( $(date +%s) - s ))`);
  const took = Number(/rc=0 took=(\d+)/.exec(dropped.stdout)?.[1]);
  assert.ok(took >= 8 && took <= 15, dropped.stdout);

  assert.is(H(['rm', '-f', 'client', 'client2', 'peer', 'resolver', 'resolver2']).code, 0);
  assertNothingLeft();
});

test('two networks: X on A and B resolves Y (A) and Z (B) from A\'s responder; Y does not resolve Z; a disconnect takes B\'s names away', async () => {
  const a = create('neta');
  const b = create('netb');
  runD('--name', 'ctrx', '--network', 'neta', 'bbdns', 'sleep', '300');
  const c = H(['network', 'connect', 'netb', 'ctrx']);
  assert.is(c.code, 0, c.stderr);
  runD('--name', 'ctry', '--network', 'neta', 'bbdns', 'sleep', '300');
  runD('--name', 'ctrz', '--network', 'netb', 'bbdns', 'sleep', '300');
  const [xa, xb, y, z] = [ipOf('ctrx', 'neta'), ipOf('ctrx', 'netb'), ipOf('ctry', 'neta'), ipOf('ctrz', 'netb')];
  assert.is(exec('ctrx', 'cat /etc/resolv.conf').stdout, `nameserver ${gatewayOf('neta')}\n`);
  assert.ok(namesOf(a).split('\n').includes(`also ${xa} ${join(plane, b, 'names')}`), namesOf(a));
  assert.ok(namesOf(b).split('\n').includes(`also ${xb} ${join(plane, a, 'names')}`), namesOf(b));
  assert.not.match(namesOf(a), `also ${y}`);
  // single labels only: hx-dns answers them itself, nothing is forwarded
  const fromX = exec('ctrx', 'nslookup ctry; nslookup ctrz; nslookup ctrx');
  assert.is(fromX.code, 0, fromX.stdout + fromX.stderr);
  assert.match(fromX.stdout, new RegExp(`Name:\\s+ctry\\nAddress: ${y}\\n`));
  assert.match(fromX.stdout, new RegExp(`Name:\\s+ctrz\\nAddress: ${z}\\n`));
  assert.match(fromX.stdout, new RegExp(`Name:\\s+ctrx\\nAddress: ${xa}\\n`), 'its own name: the address on its first network');
  const fromY = exec('ctry', 'nslookup ctrz; echo rc=$?; nslookup ctrx');
  assert.match(fromY.stdout, "can't find ctrz: NXDOMAIN");
  assert.match(fromY.stdout, /rc=1\n/);
  assert.match(fromY.stdout, new RegExp(`Name:\\s+ctrx\\nAddress: ${xa}\\n`));
  const fromZ = exec('ctrz', 'nslookup ctrx; nslookup ctry; echo rc=$?');
  assert.match(fromZ.stdout, new RegExp(`Name:\\s+ctrx\\nAddress: ${xb}\\n`));
  assert.match(fromZ.stdout, "can't find ctry: NXDOMAIN");
  // X leaves B: Z's name goes from X's view, A's file loses the also line
  const d = H(['network', 'disconnect', 'netb', 'ctrx']);
  assert.is(d.code, 0, d.stderr);
  assert.not.match(namesOf(a), 'also');
  const after = exec('ctrx', 'nslookup ctrz; echo rc=$?; nslookup ctry');
  assert.match(after.stdout, "can't find ctrz: NXDOMAIN");
  assert.match(after.stdout, new RegExp(`Name:\\s+ctry\\nAddress: ${y}\\n`));
  // back on B, then B's last other container goes: X still resolves Y, and its own B entry keeps B's file
  assert.is(H(['network', 'connect', 'netb', 'ctrx']).code, 0);
  assert.match(exec('ctrx', 'nslookup ctrz').stdout, new RegExp(`Address: ${z}\\n`));
  assert.is(H(['rm', '-f', 'ctrz']).code, 0);
  assert.match(exec('ctrx', 'nslookup ctrz; echo rc=$?').stdout, /can't find ctrz: NXDOMAIN[\s\S]*rc=1/);
  assert.is(H(['rm', '-f', 'ctrx', 'ctry']).code, 0);
  assertNothingLeft();
});

test.run();

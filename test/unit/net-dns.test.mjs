// src/net/dns.ts: the names file hx-dns reads (entries, a client's --dns, the names files
// of a container's other networks) and how a change on one network rewrites the files of
// the others; src/net/etc-files.ts: a user network's resolv.conf names its gateway only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropEntry, liveEntries, namesText, putEntry, stopResponder, writeNames } from '../../dist/net/dns.js';
import { resolvConf } from '../../dist/net/etc-files.js';
import { readProcStat } from '../../dist/host/procstat.js';

const entry = (id, ip, names, more = {}) => ({ containerId: id, pid: process.pid, pidStart: readProcStat(process.pid).startTime, ip, names, hostVeth: `veth-${id}`, ...more });

test('namesText: one line per entry, a dns line for a client with --dns, an also line per other network', () => {
  assert.is(namesText([]), '');
  assert.is(namesText([entry('a', '10.89.0.2', ['web', 'aaa'])]), '10.89.0.2 web aaa\n');
  const text = namesText(
    [entry('a', '10.89.0.2', ['web']), entry('b', '10.89.0.3', ['cli'], { dns: ['10.89.0.9', '2001:db8::1'] })],
    new Map([['b', ['/r/n/B/names', '/r/n/C/names']]]),
  );
  assert.is(text, '10.89.0.2 web\n10.89.0.3 cli\ndns 10.89.0.3 10.89.0.9 2001:db8::1\nalso 10.89.0.3 /r/n/B/names\nalso 10.89.0.3 /r/n/C/names\n');
  // an empty --dns list is no dns line (the responder's defaults apply)
  assert.is(namesText([entry('a', '10.89.0.2', ['web'], { dns: [] })]), '10.89.0.2 web\n');
});

test('writeNames: a container on two networks gets an also line in each; disconnecting or stopping a network drops it', () => {
  const plane = mkdtempSync(join(tmpdir(), 'hx-dns-unit-'));
  try {
    const A = join(plane, 'a'.repeat(64));
    const B = join(plane, 'b'.repeat(64));
    putEntry(A, entry('x', '10.89.0.2', ['x']));
    putEntry(A, entry('y', '10.89.0.3', ['y']));
    writeNames(A, liveEntries(A));
    assert.is(readFileSync(join(A, 'names'), 'utf8'), '10.89.0.2 x\n10.89.0.3 y\n');
    // x joins B: B's file names A's for x, and A's file is rewritten to name B's
    putEntry(B, entry('x', '10.90.0.2', ['x']));
    putEntry(B, entry('z', '10.90.0.3', ['z']));
    writeNames(B, liveEntries(B));
    assert.is(readFileSync(join(B, 'names'), 'utf8'), `10.90.0.2 x\nalso 10.90.0.2 ${join(A, 'names')}\n10.90.0.3 z\n`);
    assert.is(readFileSync(join(A, 'names'), 'utf8'), `10.89.0.2 x\nalso 10.89.0.2 ${join(B, 'names')}\n10.89.0.3 y\n`);
    // x leaves B (z stays): both files lose the also lines
    dropEntry(B, 'x');
    writeNames(B, liveEntries(B));
    assert.is(readFileSync(join(B, 'names'), 'utf8'), '10.90.0.3 z\n');
    assert.is(readFileSync(join(A, 'names'), 'utf8'), '10.89.0.2 x\n10.89.0.3 y\n');
    // x back on B, then B's last container goes: A's also line goes with B's responder
    putEntry(B, entry('x', '10.90.0.2', ['x']));
    writeNames(B, liveEntries(B));
    assert.match(readFileSync(join(A, 'names'), 'utf8'), 'also 10.89.0.2');
    dropEntry(B, 'x');
    dropEntry(B, 'z');
    stopResponder(B);
    assert.not.ok(existsSync(join(B, 'names')));
    assert.is(readFileSync(join(A, 'names'), 'utf8'), '10.89.0.2 x\n10.89.0.3 y\n');
    // a dead container's entry is dropped, and with it its also line elsewhere
    putEntry(B, { ...entry('y', '10.90.0.4', ['y']), pidStart: '1' });
    writeNames(A, liveEntries(A));
    assert.not.match(readFileSync(join(A, 'names'), 'utf8'), 'also');
  } finally {
    rmSync(plane, { recursive: true, force: true });
  }
});

test('resolv.conf on a user network: the gateway only, even with --dns (they are hx-dns\'s upstreams); search as before', () => {
  const hostResolv = 'nameserver 192.0.2.53\nsearch corp.test\noptions edns0\n';
  const base = { mode: 'bridge', hostResolv, dnsSearch: [], dnsOptions: [], forwarder: '10.89.0.1' };
  assert.is(resolvConf({ ...base, dns: [] }), 'nameserver 10.89.0.1\noptions edns0\n');
  assert.is(resolvConf({ ...base, dns: ['10.89.0.9', '192.0.2.1'] }), 'nameserver 10.89.0.1\noptions edns0\n');
  assert.is(resolvConf({ ...base, dns: ['10.89.0.9'], dnsSearch: ['a.test'], dnsOptions: ['ndots:2'] }), 'search a.test\nnameserver 10.89.0.1\noptions ndots:2\n');
  // pasta keeps docker's rule: --dns replace the servers
  assert.is(resolvConf({ ...base, mode: 'pasta', forwarder: '10.0.2.3', dns: ['10.89.0.9'] }), 'search corp.test\nnameserver 10.89.0.9\noptions edns0\n');
});

test.run();

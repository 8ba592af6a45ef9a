// --add-host, --dns, --dns-search, --dns-option: docker CLI opts; messages as `docker run` 28.2 prints them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExtraHost, validateIPAddress, validateDnsSearch, validateDnsOption } from '../../dist/engine/docker-syntax/hosts.js';

const fail = (fn, message, label) => assert.throws(fn, (e) => e.message === message && e.kind === 'invalid-argument', label ?? message);

test('--add-host NAME:IP or NAME=IP, IPv6 with or without brackets, host-gateway', () => {
  const cases = [
    ['a:1.2.3.4', 'a', '1.2.3.4'], ['a=1.2.3.4', 'a', '1.2.3.4'], ['a:::1', 'a', '::1'], ['a=::1', 'a', '::1'],
    ['a:[::1]', 'a', '::1'], ['a=[::1]', 'a', '::1'], ['a:host-gateway', 'a', 'host-gateway'], ['a=host-gateway', 'a', 'host-gateway'],
    ['a b:1.2.3.4', 'a b', '1.2.3.4'], ['a,b:1.2.3.4', 'a,b', '1.2.3.4'], ['my_host:1.1.1.1', 'my_host', '1.1.1.1'],
    ['a:[1.2.3.4]', 'a', '1.2.3.4'], ['a: 1.2.3.4', 'a', ' 1.2.3.4'], ['a=b:c=1.2.3.4', 'a', 'b:c=1.2.3.4'],
  ];
  for (const [v, name, address] of cases) {
    if (address.includes('=')) {
      fail(() => parseExtraHost(v), `invalid IP address in add-host: "${address}"`, v);
      continue;
    }
    assert.equal(parseExtraHost(v), { name, address, normalized: `${name}:${address}` }, v);
  }
});

test('bad --add-host values', () => {
  const cases = [
    ['a', 'bad format for add-host: "a"'], [':1.2.3.4', 'bad format for add-host: ":1.2.3.4"'], ['=1.2.3.4', 'bad format for add-host: "=1.2.3.4"'],
    ['a:bad', 'invalid IP address in add-host: "bad"'], ['a:1.2.3.4:5', 'invalid IP address in add-host: "1.2.3.4:5"'],
    ['a:', 'invalid IP address in add-host: ""'], ['a:fe80::1%eth0', 'invalid IP address in add-host: "fe80::1%eth0"'],
    ['[::1]:a', 'invalid IP address in add-host: ":1]:a"'], ['a=[::1', 'invalid IP address in add-host: "[::1"'],
    ['a:1.2.3', 'invalid IP address in add-host: "1.2.3"'], ['a:b=1.2.3.4', 'bad format for add-host: "a:b=1.2.3.4"'],
  ];
  for (const [v, message] of cases) fail(() => parseExtraHost(v), message, v);
});

test('--dns takes IPv4 or IPv6 (spaces around allowed) and normalises like Go', () => {
  const cases = [['1.1.1.1', '1.1.1.1'], ['::1', '::1'], [' 1.1.1.1', '1.1.1.1'], ['1.1.1.1 ', '1.1.1.1'], ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::', '::'], ['0:0:0:0:0:0:0:1', '::1'], ['::1.2.3.4', '::102:304'], ['2001:DB8::1', '2001:db8::1']];
  for (const [v, want] of cases) assert.is(validateIPAddress(v), want, v);
  for (const v of ['bad', '01.1.1.1', 'fe80::1%eth0', '', '1.2.3.4.5', '[::1]', '1::2::3', '1:2:3:4:5:6:7:8:9', 'abcd::12345']) {
    fail(() => validateIPAddress(v), `IP address is not correctly formatted: ${v}`, v);
  }
});

test("--dns-search: docker's domain pattern, quirks included", () => {
  const cases = [['example.com', 'example.com'], ['.', '.'], [' example.com ', 'example.com'], [' . ', '.'], ['a.b.', 'a.b'],
    ['xn--a.com', 'xn--a.com'], ['a.123', 'a.123'], [':example.com', ':example.com'], ['a:.b', 'a:.b'], ['a.b  ', 'a.b'],
    ['a.b.  ', 'a.b'], ['a.b\t', 'a.b']];
  for (const [v, want] of cases) assert.is(validateDnsSearch(v), want, JSON.stringify(v));
  for (const v of ['123', '-bad', 'bad-', 'a..b', 'exa_mple.com', '', 'a b', 'a.b\\t', '\ta.b', `${'a'.repeat(255)}`]) {
    fail(() => validateDnsSearch(v), `${v.replace(/^ +| +$/g, '')} is not a valid domain`, JSON.stringify(v));
  }
});

test('--dns-option is passed through', () => {
  for (const v of ['ndots:2', 'anything', '', 'a b']) assert.is(validateDnsOption(v), v);
});

test.run();

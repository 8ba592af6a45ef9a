// -p / --expose / -P: go-connections nat and docker CLI rules; messages as `docker run` 28.2 prints them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parsePortSpec, parsePublish, parseExpose, parsePorts, publishAll, splitProtoPort, parsePortRange, toStandardNotation, normalizeExposedKey,
} from '../../dist/engine/docker-syntax/publish.js';
import { parseIP, formatIP } from '../../dist/engine/docker-syntax/ip.js';

const b = (HostIp, HostPort) => ({ HostIp, HostPort });

test('one -p value becomes mappings in docker\'s PortBindings shape', () => {
  const cases = [
    ['80', [['80/tcp', b('', '')]]],
    ['8080:80', [['80/tcp', b('', '8080')]]],
    ['127.0.0.1:8080:80/udp', [['80/udp', b('127.0.0.1', '8080')]]],
    ['1.2.3.4::80', [['80/tcp', b('1.2.3.4', '')]]],
    ['[::1]:8080:80', [['80/tcp', b('::1', '8080')]]],
    ['::1:8080:80', [['80/tcp', b('::1', '8080')]]],
    ['[1.2.3.4]:80:80', [['80/tcp', b('1.2.3.4', '80')]]],
    ['8000-8001:80-81/sctp', [['80/sctp', b('', '8000')], ['81/sctp', b('', '8001')]]],
    ['8000-8010:80', [['80/tcp', b('', '8000-8010')]]],
    ['1.2.3.4:80-81:90', [['90/tcp', b('1.2.3.4', '80-81')]]],
    ['80-81/udp', [['80/udp', b('', '')], ['81/udp', b('', '')]]],
    ['80/TCP', [['80/tcp', b('', '')]]],
    ['80/', [['80/tcp', b('', '')]]],
    ['080', [['80/tcp', b('', '')]]],
    ['0:80', [['80/tcp', b('', '0')]]],
    // ParsePortRange reads only the first two fields of 1-2-3, as Go's does.
    ['1-2-3', [['1/tcp', b('', '')], ['2/tcp', b('', '')]]],
  ];
  for (const [spec, want] of cases) {
    assert.equal(parsePortSpec(spec).map((m) => [m.port, m.binding]), want, spec);
  }
});

test('bad -p values fail with docker\'s messages', () => {
  const cases = [
    ['bad', 'invalid containerPort: bad'],
    ['80/foo', 'invalid proto: foo'],
    ['1.2.3.4:x:80', 'invalid hostPort: x'],
    ['8000-8010:80-85', 'invalid ranges specified for container and host Ports: 80-85 and 8000-8010'],
    ['300.1.1.1:80:80', 'invalid IP address: 300.1.1.1'],
    ['', 'no port specified: <empty>'],
    ['80:', 'no port specified: 80:<empty>'],
    ['/tcp', 'no port specified: /tcp<empty>'],
    ['1.2.3.4:', 'no port specified: 1.2.3.4:<empty>'],
    ['70000', 'invalid containerPort: 70000'],
    ['65535:65536', 'invalid containerPort: 65536'],
    ['8080-8079:80', 'invalid hostPort: 8080-8079'],
    ['80-79', 'invalid containerPort: 80-79'],
    [' 80', 'invalid containerPort:  80'],
    ['+80', 'invalid containerPort: +80'],
    ['1.2.3.4:80', 'invalid hostPort: 1.2.3.4'],
    ['a:b:c:d', 'invalid IP address: a:b'],
    ['[::1:8080:80', "invalid IP address [::1: address [::1:: missing ']' in address"],
    ['[::1]x:8080:80', 'invalid IP address [::1]x: address [::1]x:: missing port in address'],
    ['[::1]:80', "invalid IP address [:: address [::: missing ']' in address"],
    ['[fe80::1%eth0]:80:80', 'invalid IP address: fe80::1%eth0'],
  ];
  for (const [spec, message] of cases) {
    try {
      parsePortSpec(spec);
      assert.unreachable(spec);
    } catch (e) {
      assert.is(e.message, message, spec);
      assert.is(e.kind, 'invalid-argument');
    }
  }
});

test('parsePublish collects every -p in order; the same port twice gets two bindings', () => {
  const r = parsePublish(['8080:80', '127.0.0.1:8081:80', '53:53/udp', 'published=9000,target=90,protocol=udp,mode=host']);
  assert.equal(r.exposed, ['80/tcp', '53/udp', '90/udp']);
  assert.equal(r.bindings, {
    '80/tcp': [b('', '8080'), b('127.0.0.1', '8081')],
    '53/udp': [b('', '53')],
    '90/udp': [b('', '9000')],
  });
  assert.is(toStandardNotation('target=80'), ':80/tcp');
  assert.throws(() => toStandardNotation('published=8080,target'), (e) => e.message === "invalid publish opts format (should be name=value but got 'target')");
});

test('--expose: ports and ranges, no host part; docker\'s messages', () => {
  assert.equal(parseExpose('80'), ['80/tcp']);
  assert.equal(parseExpose('80/udp'), ['80/udp']);
  assert.equal(parseExpose('80-82'), ['80/tcp', '81/tcp', '82/tcp']);
  assert.equal(parseExpose('80/foo'), ['80/foo']); // docker CLI does not check --expose's protocol
  const bad = [
    ['1:2', 'invalid port format for --expose: 1:2'],
    ['x', 'invalid range format for --expose: x, error: strconv.ParseUint: parsing "x": invalid syntax'],
    ['80-x', 'invalid range format for --expose: 80-x, error: strconv.ParseUint: parsing "x": invalid syntax'],
    ['90-80', 'invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80'],
    ['', 'invalid range format for --expose: , error: empty string specified for ports'],
    ['70000', 'invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "70000": value out of range'],
  ];
  for (const [v, message] of bad) assert.throws(() => parseExpose(v), (e) => e.message === message, v);
  const merged = parsePorts(['8080:80'], ['80', '443']);
  assert.equal(merged.exposed, ['80/tcp', '443/tcp']);
  assert.equal(Object.keys(merged.bindings), ['80/tcp']);
});

test('-P binds each exposed port without a binding to an ephemeral host port', () => {
  const explicit = { '80/tcp': [b('', '8080')] };
  const all = publishAll(explicit, ['80/tcp', '443', '53/UDP']);
  assert.equal(all, { '80/tcp': [b('', '8080')], '443/tcp': [b('', '')], '53/udp': [b('', '')] });
  assert.equal(explicit, { '80/tcp': [b('', '8080')] }, 'input untouched');
  assert.is(normalizeExposedKey('8080'), '8080/tcp');
});

test('splitProtoPort and parsePortRange are nat\'s', () => {
  assert.equal(splitProtoPort('80/udp'), ['udp', '80']);
  assert.equal(splitProtoPort('80'), ['tcp', '80']);
  assert.equal(splitProtoPort(''), ['', '']);
  assert.equal(splitProtoPort('/udp'), ['', '']);
  assert.equal(parsePortRange('1000-1002'), [1000, 1002]);
  assert.throws(() => parsePortRange('5-4'), /invalid range specified for port: 5-4/);
});

test('addresses follow Go net.ParseIP and IP.String', () => {
  const ok = [
    ['1.2.3.4', '1.2.3.4'], ['0.0.0.0', '0.0.0.0'], ['::', '::'], ['::1', '::1'], ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:1.2.3.4', '1.2.3.4'], ['::1.2.3.4', '::102:304'], ['2001:DB8::0001', '2001:db8::1'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], ['1:0:0:0:1:0:0:1', '1::1:0:0:1'], ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['fe80::1:2', 'fe80::1:2'], ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [input, want] of ok) assert.is(formatIP(parseIP(input)), want, input);
  for (const bad of ['01.1.1.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', 'fe80::1%eth0', '1::2::3', '1:2:3:4:5:6:7:8:9', 'abcd::12345', ':1', '1:', '[::1]', '', ' 1.1.1.1', '1:2:3:4:5:6:7:8::']) {
    assert.is(parseIP(bad), undefined, bad);
  }
});

test.run();

// --link: docker's ParseLink and the environment moby's daemon/links writes for a link.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linkEnv, linkedEnv, parseLink } from '../../dist/engine/containers/links.js';

test('--link NAME, NAME:ALIAS, and the /name:/parent/alias form of a HostConfig', () => {
  assert.equal(parseLink('web'), { name: 'web', alias: 'web' });
  assert.equal(parseLink('web:db'), { name: 'web', alias: 'db' });
  assert.equal(parseLink('/web:/client/db'), { name: 'web', alias: 'db' });
  for (const [v, m] of [['', /empty string specified for links/], ['a:b:c', /bad format for links: a:b:c/], ['a:-x', /invalid alias/]]) {
    assert.throws(() => parseLink(v), (e) => m.test(e.message) && e.kind === 'invalid-argument', v);
  }
});

// moby's order: ports sorted tcp first, by number; a run's START/END after the port that ends it
test("a link's environment: the first port, every port's four, a run's START/END, the name, the target's env but HOME and PATH", () => {
  const env = linkEnv('my-db', '/client/my-db', '172.17.0.2', ['5432/tcp', '53/udp', '8001/tcp', '8000/tcp'], ['PATH=/bin', 'HOME=/root', 'PGDATA=/data', 'EMPTY=', 'NOEQ']);
  assert.equal(env, [
    'MY_DB_PORT=tcp://172.17.0.2:5432',
    'MY_DB_PORT_5432_TCP=tcp://172.17.0.2:5432', 'MY_DB_PORT_5432_TCP_ADDR=172.17.0.2', 'MY_DB_PORT_5432_TCP_PORT=5432', 'MY_DB_PORT_5432_TCP_PROTO=tcp',
    'MY_DB_PORT_8000_TCP=tcp://172.17.0.2:8000', 'MY_DB_PORT_8000_TCP_ADDR=172.17.0.2', 'MY_DB_PORT_8000_TCP_PORT=8000', 'MY_DB_PORT_8000_TCP_PROTO=tcp',
    'MY_DB_PORT_8001_TCP=tcp://172.17.0.2:8001', 'MY_DB_PORT_8001_TCP_ADDR=172.17.0.2', 'MY_DB_PORT_8001_TCP_PORT=8001', 'MY_DB_PORT_8001_TCP_PROTO=tcp',
    'MY_DB_PORT_53_UDP=udp://172.17.0.2:53', 'MY_DB_PORT_53_UDP_ADDR=172.17.0.2', 'MY_DB_PORT_53_UDP_PORT=53', 'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_8000_TCP_START=tcp://172.17.0.2:8000', 'MY_DB_PORT_8000_TCP_PORT_START=8000', 'MY_DB_PORT_8000_TCP_END=tcp://172.17.0.2:8001', 'MY_DB_PORT_8000_TCP_PORT_END=8001',
    'MY_DB_NAME=/client/my-db',
    'MY_DB_ENV_PGDATA=/data', 'MY_DB_ENV_EMPTY=',
  ]);
  assert.equal(linkEnv('a', '/c/a', '10.0.0.2', [], []), ['A_NAME=/c/a']);
});

test("the container's own variables win over a link's", () => {
  const links = { hosts: [], env: ['DB_NAME=/c/db', 'DB_PORT=tcp://1.2.3.4:5'] };
  assert.equal(linkedEnv(['DB_PORT=mine', 'X=1'], links), { env: ['DB_NAME=/c/db', 'DB_PORT=mine', 'X=1'] });
  assert.equal(linkedEnv(['X=1'], { hosts: [], env: [] }), {});
});

test.run();

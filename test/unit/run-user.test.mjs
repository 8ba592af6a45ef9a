// --user resolution against the container's passwd and group (runc/moby GetExecUser rules).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGroup, parsePasswd, resolveUser } from '../../dist/runtime/user.js';

const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\n# comment\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\nbroken:x:notanumber:1\nnohome:x:1001:1001::\n');
const group = parseGroup('root:x:0:\nwheel:x:10:alice,bob\naudio:x:29:alice\nalice:x:1000:\nstaff:x:50:\n');

test('parsing skips comments and malformed lines', () => {
  assert.equal(passwd.map((u) => u.name), ['root', 'alice', 'nohome']);
  assert.equal(group.find((g) => g.name === 'wheel').members, ['alice', 'bob']);
});

test('empty user is root with root\'s home', () => {
  assert.equal(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
});

test('a name or a uid in passwd brings its gid, home and supplementary groups', () => {
  const byName = resolveUser('alice', passwd, group);
  assert.equal(byName, { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/alice' });
  assert.equal(resolveUser('1000', passwd, group), byName);
});

test('an explicit group replaces the primary group and drops supplementary ones (docker)', () => {
  assert.equal(resolveUser('1000:1000', passwd, group), { uid: 1000, gid: 1000, additionalGids: [], home: '/home/alice' });
  assert.equal(resolveUser('alice:staff', passwd, group), { uid: 1000, gid: 50, additionalGids: [], home: '/home/alice' });
  assert.equal(resolveUser('alice:4242', passwd, group).gid, 4242);
});

test('numeric ids need no entry; names must exist', () => {
  assert.equal(resolveUser('4000:4001', passwd, group), { uid: 4000, gid: 4001, additionalGids: [], home: '/' });
  assert.equal(resolveUser('4000', null, null), { uid: 4000, gid: 0, additionalGids: [], home: '/' });
  assert.throws(() => resolveUser('bob', passwd, group), /unable to find user bob: no matching entries in passwd file/);
  assert.throws(() => resolveUser('bob', null, null), /unable to find user bob/);
  assert.throws(() => resolveUser('alice:nogroup', passwd, group), /unable to find group nogroup/);
  assert.throws(() => resolveUser('4294967295', passwd, group), /out of range/);
});

test('--group-add by name or number, deduplicated, primary group left out', () => {
  assert.equal(resolveUser('alice', passwd, group, ['staff', '10', '77', '1000']).additionalGids, [10, 29, 50, 77]);
  assert.throws(() => resolveUser('alice', passwd, group, ['ghosts']), /unable to find group ghosts/);
});

test('an entry without a home gets /', () => {
  assert.is(resolveUser('nohome', passwd, group).home, '/');
});

test.run();

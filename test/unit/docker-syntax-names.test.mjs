// Container names: moby's namesgenerator and daemon/names.go rules and messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nameConflict } from '../../dist/container/rootfs.js';
import { ADJECTIVES, SURNAMES, randomName, generateName, validateName, NAME_ATTEMPTS } from '../../dist/engine/docker-syntax/names.js';

// A scripted random source: returns the given fractions in turn.
const script = (...values) => () => {
  if (values.length === 0) throw new Error('script ran out');
  return values.shift();
};
const at = (list, word) => (list.indexOf(word) + 0.5) / list.length;

test("the lists are moby's frozen ones: 108 adjectives, 236 surnames, in moby's order", () => {
  assert.is(ADJECTIVES.length, 108);
  assert.is(SURNAMES.length, 236);
  assert.is(new Set(ADJECTIVES).size, 108);
  assert.is(new Set(SURNAMES).size, 236);
  assert.equal([ADJECTIVES[0], ADJECTIVES[15], ADJECTIVES[63], ADJECTIVES.at(-1)], ['admiring', 'cool', 'mystifying', 'zen']);
  assert.equal([SURNAMES[0], SURNAMES.at(-1)], ['agnesi', 'zhukovsky']);
  // moby's own ordering slips, kept: hellman before heisenberg, murdock before moser, ritchie before rhodes.
  for (const [a, b] of [['hellman', 'heisenberg'], ['murdock', 'moser'], ['ritchie', 'rhodes'], ['mendeleev', 'meitner']]) {
    assert.ok(SURNAMES.indexOf(a) + 1 === SURNAMES.indexOf(b), `${a} then ${b}`);
  }
  for (const w of [...ADJECTIVES, ...SURNAMES]) assert.ok(/^[a-z]+$/.test(w), w);
});

test('randomName is adjective_surname; boring_wozniak is drawn again; retries add one digit', () => {
  assert.is(randomName(0, script(0, 0)), 'admiring_agnesi');
  assert.is(randomName(0, script(0.999999, 0.999999)), 'zen_zhukovsky');
  assert.is(randomName(0, script(at(ADJECTIVES, 'boring'), at(SURNAMES, 'wozniak'), at(ADJECTIVES, 'boring'), at(SURNAMES, 'turing'))), 'boring_turing');
  assert.is(randomName(1, script(at(ADJECTIVES, 'focused'), at(SURNAMES, 'turing'), 0.35)), 'focused_turing3');
  assert.is(randomName(5, script(0, 0, 0.999)), 'admiring_agnesi9');
  for (let i = 0; i < 200; i++) {
    const name = randomName(i % 3);
    assert.ok(/^[a-z]+_[a-z]+[0-9]?$/.test(name), name);
    assert.is.not(name.replace(/[0-9]$/, ''), 'boring_wozniak');
    validateName(name);
  }
});

test('generateName tries six names (retry 0..5), then the 12-character short id', () => {
  const id = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const tried = [];
  const name = generateName(id, (n) => (tried.push(n), true), () => 0);
  assert.is(name, '0123456789ab');
  assert.is(NAME_ATTEMPTS, 6);
  assert.equal(tried, ['admiring_agnesi', 'admiring_agnesi0', 'admiring_agnesi0', 'admiring_agnesi0', 'admiring_agnesi0', 'admiring_agnesi0']);
  assert.is(generateName(id, (n) => n === 'admiring_agnesi', () => 0), 'admiring_agnesi0');
});

const MESSAGE = (n) => `Invalid container name (${n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;

test('validateName: [a-zA-Z0-9][a-zA-Z0-9_.-]+ after one optional /, with docker\'s message', () => {
  const ok = [['web', 'web'], ['/web', 'web'], ['a1', 'a1'], ['my_app.v2-x', 'my_app.v2-x'], ['9lives', '9lives'], ['A.B', 'A.B']];
  for (const [input, want] of ok) assert.is(validateName(input), want, input);
  // One character is too short for the pattern's trailing '+'; that is docker's rule too.
  for (const bad of ['a', '/a', '', '/', '_app', '-app', '.app', 'my app', 'a/b', '//ab', 'ümlaut', 'a:b']) {
    try {
      validateName(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.is(e.message, MESSAGE(bad), bad);
      assert.is(e.kind, 'invalid-argument');
      assert.is(e.exitCode, 125);
    }
  }
});

test('a name in use is a conflict with moby\'s wording', () => {
  const e = nameConflict('web', 'abc123');
  assert.is(e.kind, 'conflict');
  assert.is(e.message, 'Conflict. The container name "/web" is already in use by container "abc123". You have to remove (or rename) that container to be able to reuse that name.');
});

test.run();

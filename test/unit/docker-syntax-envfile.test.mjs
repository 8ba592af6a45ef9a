// --env-file / --label-file: docker CLI pkg/kvfile; messages as `docker run` 28.2 prints them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEnvFile, parseLabelFile, parseKeyValueText } from '../../dist/engine/docker-syntax/envfile.js';

const env = { HOME: '/home/me', EMPTY: '' };
const lookup = (k) => env[k];
const bytes = (...parts) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : [p])));

test('KEY=VALUE lines kept as written; comments, blanks and leading whitespace dropped', () => {
  const text = 'A=1\n# comment\n  B=2\n\n\tC=three words  \nD="quoted"\nE=\nF=a=b\r\nHOME\nUNSET\nEMPTY\n  # indented comment\nG=#not a comment';
  assert.equal(parseEnvFile(text, 'f.env', lookup), [
    'A=1', 'B=2', 'C=three words  ', 'D="quoted"', 'E=', 'F=a=b', 'HOME=/home/me', 'EMPTY=', 'G=#not a comment',
  ]);
  assert.equal(parseEnvFile('', 'f', lookup), []);
  assert.equal(parseEnvFile('A=1', 'f', lookup), ['A=1'], 'no final newline');
  assert.equal(parseEnvFile(bytes(0xef, 0xbb, 0xbf, 'A=1\n'), 'f', lookup), ['A=1'], 'BOM dropped');
  assert.equal(parseEnvFile(bytes('A=1\n', 0xef, 0xbb, 0xbf, 'B=2\n'), 'f', lookup), ['A=1', '\ufeffB=2'], 'BOM only on line 1');
  // Go's unicode.IsSpace: NEL and no-break space lead a line away; other text stays.
  assert.equal(parseEnvFile('\u0085\u00a0X=1\n\u3000Y=2', 'f', lookup), ['X=1', 'Y=2']);
});

test("docker's errors, with the file named", () => {
  const cases = [
    ['A B=1\n', "invalid env file (w.env): variable 'A B' contains whitespaces"],
    [' \tX =1\n', "invalid env file (w.env): variable 'X ' contains whitespaces"],
    ['A\t=1\n', "invalid env file (w.env): variable 'A\t' contains whitespaces"],
    ['=1\n', "invalid env file (w.env): no variable name on line '=1'"],
    ['OK=1\n  =x\n', "invalid env file (w.env): no variable name on line '=x'"],
    ['BARE WORDS\n', "invalid env file (w.env): variable 'BARE WORDS' contains whitespaces"],
    [bytes('A=1\nA=', 0xff, '\n'), 'invalid env file (w.env): invalid utf8 bytes at line 2: [65 61 255]'],
    ['X'.repeat(70000), 'invalid env file (w.env): bufio.Scanner: token too long'],
  ];
  for (const [content, message] of cases) {
    assert.throws(() => parseEnvFile(content, 'w.env', lookup), (e) => e.message === message && e.kind === 'invalid-argument', message);
  }
});

test('label files: same format, a bare KEY is dropped', () => {
  assert.equal(parseLabelFile('com.example.a=1\nHOME\nb=\n', 'l'), ['com.example.a=1', 'b=']);
  assert.throws(() => parseLabelFile('A B=1', 'l'), (e) => e.message === "invalid env file (l): variable 'A B' contains whitespaces");
  assert.equal(parseKeyValueText('K\n', () => 'v'), ['K=v']);
});

test.run();

// Go's text/tabwriter (src/cli/format/tabwriter.ts). The table is Go's own
// (src/text/tabwriter/tabwriter_test.go, `tests`), written, as Go's test does, all at once,
// one character at a time and in Fibonacci-sized slices. Go's Escape byte 0xff is ESCAPE
// (U+FFFF) here. The docker rows were measured on docker 28.2.2 (`docker context ls` with
// such descriptions), whose tabwriter fork counts cells with go-runewidth.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  TabWriter, alignTable, displayWidth, runeCount, ESCAPE,
  FILTER_HTML, STRIP_ESCAPE, ALIGN_RIGHT, DISCARD_EMPTY_COLUMNS, DEBUG,
} from '../../dist/cli/format/tabwriter.js';

const E = ESCAPE;
const GO_TESTS = [
  ['1a', 8, 0, 1, '.', 0, '', ''],
  ['1a debug', 8, 0, 1, '.', DEBUG, '', ''],
  ['1b esc stripped', 8, 0, 1, '.', STRIP_ESCAPE, `${E}${E}`, ''],
  ['1b esc', 8, 0, 1, '.', 0, `${E}${E}`, `${E}${E}`],
  ['1c esc stripped', 8, 0, 1, '.', STRIP_ESCAPE, `${E}\t${E}`, '\t'],
  ['1c esc', 8, 0, 1, '.', 0, `${E}\t${E}`, `${E}\t${E}`],
  ['1d esc stripped', 8, 0, 1, '.', STRIP_ESCAPE, `${E}"foo\t\n\tbar"${E}`, '"foo\t\n\tbar"'],
  ['1d esc', 8, 0, 1, '.', 0, `${E}"foo\t\n\tbar"${E}`, `${E}"foo\t\n\tbar"${E}`],
  ['1e esc stripped', 8, 0, 1, '.', STRIP_ESCAPE, `abc${E}\tdef`, 'abc\tdef'], // unterminated escape
  ['1e esc', 8, 0, 1, '.', 0, `abc${E}\tdef`, `abc${E}\tdef`],
  ['2', 8, 0, 1, '.', 0, '\n\n\n', '\n\n\n'],
  ['3', 8, 0, 1, '.', 0, 'a\nb\nc', 'a\nb\nc'],
  ['4a', 8, 0, 1, '.', 0, '\t', ''], // a tab ends an empty cell on the last line: nothing to print
  ['4b', 8, 0, 1, '.', ALIGN_RIGHT, '\t', ''],
  ['5', 8, 0, 1, '.', 0, '*\t*', '*.......*'],
  ['5b', 8, 0, 1, '.', 0, '*\t*\n', '*.......*\n'],
  ['5c', 8, 0, 1, '.', 0, '*\t*\t', '*.......*'],
  ['5c debug', 8, 0, 1, '.', DEBUG, '*\t*\t', '*.......|*'],
  ['5d', 8, 0, 1, '.', ALIGN_RIGHT, '*\t*\t', '.......**'],
  ['6', 8, 0, 1, '.', 0, '\t\n', '........\n'],
  ['7a', 8, 0, 1, '.', 0, 'a) foo', 'a) foo'],
  ['7b', 8, 0, 1, ' ', 0, 'b) foo\tbar', 'b) foo  bar'],
  ['7c', 8, 0, 1, '.', 0, 'c) foo\tbar\t', 'c) foo..bar'],
  ['7d', 8, 0, 1, '.', 0, 'd) foo\tbar\n', 'd) foo..bar\n'],
  ['7e', 8, 0, 1, '.', 0, 'e) foo\tbar\t\n', 'e) foo..bar.....\n'],
  ['7f', 8, 0, 1, '.', FILTER_HTML, 'f) f&lt;o\t<b>bar</b>\t\n', 'f) f&lt;o..<b>bar</b>.....\n'],
  ['7g', 8, 0, 1, '.', FILTER_HTML, 'g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp', 'g) f&lt;o..<b>bar</b>..... non-terminated entity &amp'],
  ['7g debug', 8, 0, 1, '.', FILTER_HTML | DEBUG, 'g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp', 'g) f&lt;o..|<b>bar</b>.....| non-terminated entity &amp'],
  ['8', 8, 0, 1, '*', 0, 'Hello, world!\n', 'Hello, world!\n'],
  ['9a', 1, 0, 0, '.', 0, '1\t2\t3\t4\n11\t222\t3333\t44444\n', '1.2..3...4\n11222333344444\n'],
  ['9b', 1, 0, 0, '.', FILTER_HTML, '1\t2<!---\f--->\t3\t4\n11\t222\t3333\t44444\n', '1.2<!---\f--->..3...4\n11222333344444\n'], // \f inside HTML is ignored
  ['9c', 1, 0, 0, '.', 0, '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1234\n11222333344444\n'], // \f is a newline and a flush
  ['9c debug', 1, 0, 0, '.', DEBUG, '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1|2|3|4\n---\n11|222|3333|44444\n'],
  ['10a', 5, 0, 0, '.', 0, '1\t2\t3\t4\n', '1....2....3....4\n'],
  ['10b', 5, 0, 0, '.', 0, '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
  ['11', 8, 0, 1, '.', 0, '本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n', '本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n'],
  ['12a', 8, 0, 1, ' ', ALIGN_RIGHT, 'a\tè\tc\t\naa\tèèè\tcccc\tddddd\t\naaa\tèèèè\t\n', '       a       è       c\n      aa     èèè    cccc   ddddd\n     aaa    èèèè\n'],
  ['12b', 2, 0, 0, ' ', 0, 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a  b  c\naa bbbcccc\naaabbbb\n'],
  ['12c', 8, 0, 1, '_', 0, 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n'],
  ['13a', 4, 0, 1, '-', 0,
    '4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n'],
  ['13b', 4, 0, 3, '.', 0,
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n'],
  ['13c', 8, 8, 1, '\t', FILTER_HTML,
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n',
    '4444\t\t333\t22\t1\t333\n999999999\t22\n7\t\t22\n\t\t\t\t88888888\n\n666666\t666666\t666666\t\t4444\n1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n'],
  ['14', 1, 0, 2, ' ', ALIGN_RIGHT,
    '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t',
    '    .0          .3    2.4    -5.1\n  23.0  12345678.9    2.4  -989.4\n   5.1        12.0    2.4    -7.0\n    .0         0.0  332.0  8908.0\n    .0         -.3  456.4    22.1\n    .0         1.2   44.4   -13.3'],
  ['14 debug', 1, 0, 2, ' ', ALIGN_RIGHT | DEBUG,
    '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t',
    '    .0|          .3|    2.4|    -5.1|\n  23.0|  12345678.9|    2.4|  -989.4|\n   5.1|        12.0|    2.4|    -7.0|\n    .0|         0.0|  332.0|  8908.0|\n    .0|         -.3|  456.4|    22.1|\n    .0|         1.2|   44.4|   -13.3|'],
  ['15a', 4, 0, 0, '.', 0, 'a\t\tb', 'a.......b'],
  ['15b', 4, 0, 0, '.', DISCARD_EMPTY_COLUMNS, 'a\t\tb', 'a.......b'], // hard tabs: the column stays
  ['15c', 4, 0, 0, '.', DISCARD_EMPTY_COLUMNS, 'a\v\vb', 'a...b'],
  ['15d', 4, 0, 0, '.', ALIGN_RIGHT | DISCARD_EMPTY_COLUMNS, 'a\v\vb', '...ab'],
  ['16a', 100, 100, 0, '\t', 0, 'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n', 'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n'],
  ['16b', 100, 100, 0, '\t', DISCARD_EMPTY_COLUMNS, 'a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n', 'a\tb\td\na\tb\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n'],
  ['16b debug', 100, 100, 0, '\t', DISCARD_EMPTY_COLUMNS | DEBUG, 'a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n', 'a\t|b\t||d\na\t|b\t||d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n'],
  ['16c', 100, 100, 0, '\t', DISCARD_EMPTY_COLUMNS, 'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n', 'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n'], // hard tabs: kept
  ['16c debug', 100, 100, 0, '\t', DISCARD_EMPTY_COLUMNS | DEBUG, 'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n', 'a\t|b\t|\t|d\na\t|b\t|\t|d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n'],
];

function run(minwidth, tabwidth, padding, padchar, flags, pieces, cellWidth) {
  let out = '';
  const w = new TabWriter({ write: (s) => (out += s) }, minwidth, tabwidth, padding, padchar, flags, cellWidth);
  for (const p of pieces) w.write(p);
  w.flush();
  return out;
}

function fibonacci(src) {
  const pieces = [];
  for (let i = 0, d = 0; i < src.length; ) {
    pieces.push(src.slice(i, i + d));
    i += d;
    d++;
    if (i + d > src.length) d = src.length - i;
  }
  return pieces;
}

for (const [name, minwidth, tabwidth, padding, padchar, flags, src, want] of GO_TESTS) {
  test(`Go's tabwriter test ${name}`, () => {
    assert.is(run(minwidth, tabwidth, padding, padchar, flags, [src]), want, 'written all at once');
    assert.is(run(minwidth, tabwidth, padding, padchar, flags, [...src]), want, 'written one character at a time');
    assert.is(run(minwidth, tabwidth, padding, padchar, flags, fibonacci(src)), want, 'written in Fibonacci slices');
  });
}

test("Go's ExampleWriter_Init: tab padding, then right-aligned space padding", () => {
  const lines = 'a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n';
  assert.is(run(0, 8, 0, '\t', 0, [lines]), 'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n');
  assert.is(run(5, 0, 1, ' ', ALIGN_RIGHT, [lines]), '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n');
});

test('column blocks: b and c are distinct columns, d and e no column at all (the package doc)', () => {
  const out = run(0, 0, 1, ' ', DEBUG, ['aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n']);
  assert.is(out, 'aaaa |bbb |d\naa   |b   |dd\na    |\naa   |cccc |eee\n');
});

test('output is written as lines are settled; a line of one cell flushes what came before it', () => {
  let out = '';
  const w = new TabWriter({ write: (s) => (out += s) }, 0, 0, 1, ' ', 0);
  w.write('a\tb\n');
  assert.is(out, ''); // the column may still widen
  w.write('single\n');
  assert.is(out, 'a b\nsingle\n');
  w.write('x\ty');
  w.flush();
  assert.is(out, 'a b\nsingle\nx y');
});

test("docker's tables: minwidth 10, padding 3, cells counted as go-runewidth counts them (measured on docker 28.2.2)", () => {
  const src = 'NAME\tDESCRIPTION\tDOCKER ENDPOINT\nwide\t日本語テキスト\tunix:///tmp/x.sock\nemoji\ta😀b👍🏽c\tunix:///tmp/y.sock\ncomb\téé̈x\tunix:///tmp/z.sock\n';
  // the DESCRIPTION column is its widest cell (日本語テキスト, 14) plus padding 3
  const sp = (n) => ' '.repeat(n);
  assert.is(
    alignTable(src),
    `NAME${sp(6)}DESCRIPTION${sp(6)}DOCKER ENDPOINT\n` +
      `wide${sp(6)}日本語テキスト${sp(3)}unix:///tmp/x.sock\n` +
      `emoji${sp(5)}a😀b👍🏽c${sp(10)}unix:///tmp/y.sock\n` +
      `comb${sp(6)}éé̈x${sp(14)}unix:///tmp/z.sock\n`,
  );
  // docker's widths, read off its output: East Asian wide 2, one cluster its first rune's width
  const measured = [['±§αβ—…', 6], ['ｈｅｌｌｏ한국어ｶﾀｶﾅ', 20], ['éé̈x', 3], ['a😀b👍🏽c', 7], ['x🇯🇵y', 3], ['x👨‍👩‍👧y', 4], ['x❤️y', 3], ['日本語テキスト', 14]];
  for (const [text, width] of measured) assert.is(displayWidth(text), width, text);
  // Go's own package counts runes
  assert.is(runeCount('日本語'), 3);
  assert.is(runeCount('a😀'), 2);
});

test.run();

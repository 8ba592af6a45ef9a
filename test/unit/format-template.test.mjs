// Go's text/template as docker's CLI runs it (src/cli/format/template.ts). Every row is
// TEMPLATE, DATA, EXPECTED; a row whose expectation is { error } expects that exec or
// parse error text (Go's, after docker's "template parsing error: " prefix). The comment
// on each group says where the rule is written down:
//   [doc]    golang.org/src/text/template/doc.go (the package documentation)
//   [exec]   text/template/exec.go; [funcs] funcs.go; [parse] parse/parse.go, parse/lex.go
//   [fmt]    the fmt package documentation; [docker] docker/cli templates/templates.go
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  renderTemplate, parseTemplate, TemplateError, goMap, goStruct, goFloat, MISSING,
} from '../../dist/cli/format/template.js';

const T = (name, data) => goStruct(data, name);
const err = (message) => ({ error: message });

const inventory = { Material: 'wool', Count: 17 };
const list = ['a', 'b'];
const sample = {
  A: 1, S: 'str', L: list, Empty: [], Zero: 0, Nil: null,
  M: goMap({ b: 2, a: 1, k: null }),
  Labels: goMap({ 'com.example': 'x' }, 'map[string]string'),
  Nested: { B: { C: 'deep' } },
};

const rows = [
  // ---- fields, keys, dot, variables [doc "Arguments", "Variables"] ----
  ['{{.Count}} items are made of {{.Material}}', inventory, '17 items are made of wool'],
  ['{{.Nested.B.C}}', sample, 'deep'],
  ['{{.}}', 'hello', 'hello'],
  ['{{.k}}', goMap({ k: 'v' }), 'v'], // map keys need not be upper case [doc]
  ['{{.missing}}', goMap({}), '<no value>'], // missingkey=default [doc Template.Option]
  ['{{.Labels.nope}}', sample, '<no value>'],
  ['{{.Nil}}', sample, '<no value>'], // a nil interface{} digs down to no value [exec evalPipeline]
  ['{{.}}', undefined, '<no value>'], // nil data
  ['{{.X.Y}}', undefined, '<no value>'], // fields of nil data are no value [exec evalField]
  ['{{$x := .A}}{{$x}}', sample, '1'],
  ['{{range .L}}{{$.S}}{{end}}', sample, 'strstr'], // $ is the data passed to Execute [doc]
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', sample, '2'], // = assigns [doc]
  ['{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', sample, '"output"'], // [doc Examples]
  ['{{"\\"output\\""}}', sample, '"output"'],
  ['{{`"output"`}}', sample, '"output"'],
  ['{{printf "%q" "output"}}', sample, '"output"'],
  ['{{"output" | printf "%q"}}', sample, '"output"'],
  ['{{printf "%q" (print "out" "put")}}', sample, '"output"'],
  ['{{"put" | printf "%s%s" "out" | printf "%q"}}', sample, '"output"'],
  ['{{"output" | printf "%s" | printf "%q"}}', sample, '"output"'],
  ['{{with "output"}}{{printf "%q" .}}{{end}}', sample, '"output"'],
  ['{{with $x := "output"}}{{printf "%q" $x}}{{end}}', sample, '"output"'],
  ['{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', sample, '"output"'],
  ['{{(index .L 1)}}', sample, 'b'], // a parenthesized pipeline [doc]
  ['{{.Greet "bob"}}', { Greet: (n) => `hi ${n}` }, 'hi bob'], // a method with arguments [doc]
  ['{{.}}', { String: () => 'S!' }, 'S!'], // fmt.Stringer [fmt]

  // ---- missing struct fields and other exec errors [exec evalField] ----
  ['{{.Foo}}', T('main.T', { A: 1 }), err('template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type main.T')],
  ['{{.a}}', T('main.T', { a: 1 }), err('template: :1:2: executing "" at <.a>: a is an unexported field of struct type main.T')],
  // a chain's node sits at its second field, so the column is 4 [parse operand]
  ['{{.A.B}}', sample, err('template: :1:4: executing "" at <.A.B>: can\'t evaluate field B in type int')],
  ['{{.M.k.z}}', sample, err('template: :1:4: executing "" at <.M.k.z>: nil pointer evaluating interface {}.z')],
  ['{{.A 1}}', sample, err('template: :1:2: executing "" at <.A>: A has arguments but cannot be invoked as function')],
  ['x\n{{.Foo}}', T('main.T', {}), err('template: :2:2: executing "" at <.Foo>: can\'t evaluate field Foo in type main.T')],
  // the column counts bytes: "é" is two
  ['é{{.Foo}}', T('main.T', {}), err('template: :1:4: executing "" at <.Foo>: can\'t evaluate field Foo in type main.T')],
  ['{{nil}}', sample, err('template: :1:2: executing "" at <nil>: nil is not a command')],
  ['{{"a" 1}}', sample, err('template: :1:2: executing "" at <"a">: can\'t give argument to non-function "a"')],

  // ---- literals [doc "Arguments": Go constants], printed by fmt's %v [fmt] ----
  ['{{1}} {{-1}} {{1.5}} {{1e3}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{\'a\'}}', sample, '1 -1 1.5 1000 31 15 15 5 1000 97'],
  ['{{1e6}} {{1.0}} {{0.000001}}', sample, '1e+06 1 1e-06'], // float64 %v is %g, shortest [fmt]
  ['{{true}} {{false}}', sample, 'true false'],
  ['{{print nil}}', sample, '<nil>'],

  // ---- comments and trimming [doc "Text and spaces", "Actions"] ----
  ['a {{/* a comment */}} b', sample, 'a  b'],
  ['a {{- /* a comment */ -}} b', sample, 'ab'],
  ['{{23 -}} < {{- 45}}', sample, '23<45'], // the doc's own example
  ['{{-3}}', sample, '-3'], // "-3" without a space is a number
  ['x\n\t {{- .A -}} \n y', sample, 'x1y'],
  ['{{/* a\nmulti-line\ncomment */}}ok', sample, 'ok'], // comments may contain newlines
  ['{{.A\n}}', sample, '1'], // actions may span lines (Go 1.16)

  // ---- if / else if / else, truth [doc "Actions": empty values are false] ----
  ['{{if .Zero}}T{{else}}F{{end}}', sample, 'F'],
  ['{{if .Empty}}T{{else}}F{{end}}', sample, 'F'],
  ['{{if ""}}T{{else}}F{{end}}', sample, 'F'],
  ['{{if .Nil}}T{{else}}F{{end}}', sample, 'F'],
  ['{{if .Labels.nope}}T{{else}}F{{end}}', sample, 'F'],
  ['{{if .E}}T{{else}}F{{end}}', { E: goMap({}) }, 'F'],
  ['{{if .Nested}}T{{else}}F{{end}}', sample, 'T'], // structs are always true
  ['{{if .L}}T{{else}}F{{end}}', sample, 'T'],
  ['{{if eq .A 1}}one{{else if eq .A 2}}two{{else}}many{{end}}', { A: 2 }, 'two'],
  ['{{if eq .A 1}}one{{else if eq .A 2}}two{{else}}many{{end}}', { A: 7 }, 'many'],
  ['{{with .S}}[{{.}}]{{end}}', sample, '[str]'], // with sets dot
  ['{{with .Zero}}x{{else}}none{{end}}', sample, 'none'],
  ['{{with .Zero}}a{{else with .S}}b:{{.}}{{end}}', sample, 'b:str'], // else with (Go 1.23)

  // ---- range [doc "Actions", "Variables"] ----
  ['{{range .L}}{{.}},{{end}}', sample, 'a,b,'],
  ['{{range $i, $e := .L}}{{$i}}:{{$e}} {{end}}', sample, '0:a 1:b '],
  ['{{range $e := .L}}{{$e}}{{end}}', sample, 'ab'], // one variable is the element, not the index
  ['{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', goMap({ b: 2, a: 1, c: 3 }), 'a=1;b=2;c=3;'], // maps in sorted key order
  ['{{range .Empty}}x{{else}}empty{{end}}', sample, 'empty'],
  ['{{range .Nil}}x{{else}}empty{{end}}', sample, 'empty'],
  ['{{range 3}}{{.}}{{end}}', sample, '012'], // range over an int (Go 1.22)
  ['{{range .L}}{{if eq . "a"}}{{continue}}{{end}}{{.}}{{end}}', sample, 'b'],
  ['{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4], '12'],
  ['{{range $i, $e := 3}}{{end}}', sample, err('template: :1:18: executing "" at <3>: can\'t use 3 to iterate over more than one variable')],
  ['{{range .S}}{{.}}{{end}}', sample, err('template: :1:8: executing "" at <.S>: range can\'t iterate over str')],

  // ---- define, template, block [doc "Nested template definitions", "Actions"] ----
  ['{{define "T1"}}ONE{{end}}{{define "T2"}}TWO{{end}}{{define "T3"}}{{template "T1"}} {{template "T2"}}{{end}}{{template "T3"}}', sample, 'ONE TWO'],
  ['{{define "T"}}[{{.}}]{{end}}{{template "T" .S}}', sample, '[str]'],
  ['{{block "B" .S}}<{{.}}>{{end}}', sample, '<str>'],
  ['{{template "nope"}}', sample, err('template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined')],

  // ---- the built-in functions [doc "Functions"; funcs] ----
  ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" "z"}} {{or 0 ""}} {{not 0}} {{not "x"}}', sample, '0 2 z  true false'],
  ['{{and .Zero (index .Zero 1)}}', sample, '0'], // and stops at the first empty argument (index would fail)
  ['{{len "héllo"}} {{len .L}} {{len .M}}', sample, '6 2 3'], // a string's length is in bytes
  ['{{index .L 1}} {{index .M "a"}} {{index "abc" 1}}', sample, 'b 1 98'], // a string's index is a byte
  ['{{index .M "nope"}}|{{index .Labels "nope"}}|', sample, '<no value>||'], // the zero value of the element type
  ['{{index .L 5}}', sample, err('template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5')],
  ['{{slice "abcdef" 1 3}} {{slice .L 1}} {{slice .L 0 1}}', sample, 'bc [b] [a]'],
  ['{{print "a" 1 2 "b"}}', sample, 'a1 2b'], // spaces only between two non-strings [fmt Sprint]
  ['{{println "a" 1}}', sample, 'a 1\n'],
  ['{{html "<a href=\'x\'>&\\""}}', sample, '&lt;a href=&#39;x&#39;&gt;&amp;&#34;'],
  ['{{js "a\'b\\"c<d>&="}}', sample, 'a\\\'b\\"c\\u003Cd\\u003E\\u0026\\u003D'],
  ['{{urlquery "a b&c=d/é"}}', sample, 'a+b%26c%3Dd%2F%C3%A9'],
  ['{{eq 1 1}} {{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}', sample, 'true true true true true true false'],
  ['{{eq .Labels.nope "x"}}', sample, 'false'], // a missing key compares as nil, without error
  // Go 1.24's text, which docker 28 prints (later Go adds ": int and string")
  ['{{lt 1 "a"}}', sample, err('template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison')],
  ['{{eq (split "a" ",") (split "a" ",")}}', sample, err('template: :1:2: executing "" at <eq (split "a" ",") (split "a" ",")>: error calling eq: non-comparable type [a]: []string')],
  ['{{call .Add 2 3}}', goMap({ Add: (a, b) => a + b }), '5'], // a func-valued map entry, called
  ['{{printf}}', sample, err('template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0')],
  ['{{len 3}}', sample, err('template: :1:2: executing "" at <len 3>: error calling len: len of type int')],

  // ---- printf verbs [fmt] ----
  ['{{printf "%5.2f|%-6s|%06d|%x|%X|%o|%b|%c|%U|%e|%g|%t|%%" 3.14159 "ab" 42 255 255 8 5 65 65 1234.5678 0.000012 true}}', sample,
    ' 3.14|ab    |000042|ff|FF|10|101|A|U+0041|1.234568e+03|1.2e-05|true|%'],
  ['{{printf "%v %+v" . .}}', { A: 1, B: 'x' }, '{1 x} {A:1 B:x}'],
  ['{{printf "%v" .}}', goMap({ b: [1, 2], a: null }), 'map[a:<nil> b:[1 2]]'],
  ['{{printf "%d|%s %s|%s" "a" "x" "y" "z" "w"}}', sample, '%!d(string=a)|x y|z%!(EXTRA string=w)'],
  ['{{printf "%s %s" "a"}}', sample, 'a %!s(MISSING)'],
  ['{{printf "%T %T %T %T %T" 1 "s" 1.5 .L .M}}', sample, 'int string float64 []interface {} map[string]interface {}'],
  ['{{printf "%q %q %x" .L "é" "hi"}}', sample, '["a" "b"] "é" 6869'],
  ['{{printf "%[2]s %[1]s" "a" "b"}}|{{printf "%*d" 5 42}}|{{printf "%-*d|" 4 7}}', sample, 'b a|   42|7   |'],
  ['{{printf "%+d % d %x %#x %#o %08.3f" 5 5 -255 255 8 -3.14159}}', sample, '+5  5 -ff 0xff 010 -003.142'],
  // rounding is on the exact binary value, halves to even: 2.675 is 2.67499999...
  ['{{printf "%.0f %.0f %.2f %.1f %.3g %.3g %.3g" 0.5 1.5 2.675 0.25 4.26e6 999.999 100.0}}', sample, '0 2 2.67 0.2 4.26e+06 1e+03 100'],
  ['{{.F}} {{.G}} {{.H}}', { F: goFloat(2), G: goFloat(1e6), H: 1.5e-7 }, '2 1e+06 1.5e-07'],

  // ---- docker's functions [docker] ----
  ['{{json .}}', { A: '<b>&', B: [1, 2], C: null }, '{"A":"<b>&","B":[1,2],"C":null}'], // SetEscapeHTML(false), no newline
  ['{{json .L}} {{json "x"}} {{json .M}} {{json .Nil}}', sample, '["a","b"] "x" {"a":1,"b":2,"k":null} null'],
  ['{{split "a,b,c" ","}} {{join .L ", "}} {{join (split "a:b" ":") "-"}}', sample, '[a b c] a, b a-b'],
  ['{{title "hello world-wide_web"}} {{lower "ABC"}} {{upper "abc"}}', sample, 'Hello World-Wide_web abc ABC'],
  ['{{pad "x" 2 1}}|{{pad "" 2 1}}|', sample, '  x ||'],
  ['{{truncate "abcdef" 3}} {{truncate "ab" 5}}', sample, 'abc ab'],
  ['{{upper 5}}', sample, err('template: :1:8: executing "" at <5>: expected string; found 5')],
  ['{{upper .A}}', sample, err('template: :1:8: executing "" at <.A>: wrong type for value; expected string; got int')],
  ['{{join "a" ","}}', sample, err('template: :1:7: executing "" at <"a">: can\'t handle "a" for arg of type []string')],

  // ---- malformed templates [parse, lex] ----
  ['{{', sample, err('template: :1: unclosed action')],
  ['{{.Foo', sample, err('template: :1: unclosed action')],
  ['{{.Foo}', sample, err("template: :1: bad character U+007D '}'")],
  ['{{foo}}', sample, err('template: :1: function "foo" not defined')],
  ['{{if .A}}x', sample, err('template: :1: unexpected EOF')],
  ['{{end}}', sample, err('template: :1: unexpected {{end}}')],
  ['{{else}}', sample, err('template: :1: unexpected {{else}}')],
  ['{{if .A}}{{else}}{{else}}{{end}}', sample, err('template: :1: expected end; found {{else}}')],
  ['{{range}}{{end}}', sample, err('template: :1: missing value for range')],
  ['{{}}', sample, err('template: :1: missing value for command')],
  ['{{$x}}', sample, err('template: :1: undefined variable "$x"')],
  ['{{range $x := .L}}{{end}}{{$x}}', sample, err('template: :1: undefined variable "$x"')], // a variable ends with its {{end}}
  ['{{.A | 3}}', sample, err('template: :1: non executable command in pipeline stage 2')],
  ['{{"abc}}', sample, err('template: :1: unterminated quoted string')],
  ['{{(.A}}', sample, err('template: :1: unclosed left paren')],
  ['{{.A)}}', sample, err('template: :1: unexpected right paren')],
  ['{{3x}}', sample, err('template: :1: bad number syntax: "3x"')],
  ['{{break}}', sample, err('template: :1: {{break}} outside {{range}}')],
  ['{{/* x }}', sample, err('template: :1: unclosed comment')],
  ['{{/* x */ }}', sample, err('template: :1: comment ends before closing delimiter')],
  ['{{range $a, $b, $c := .}}{{end}}', sample, err('template: :1: too many declarations in range')],
  ['{{define "a"}}1{{end}}{{define "a"}}2{{end}}', sample, err('template: :1: template: multiple definition of template "a"')],
  ['{{.A}}\n{{if}}{{end}}', sample, err('template: :2: missing value for if')],
  ['{{.A\n', sample, err('template: :2: unclosed action started at :1')], // the action spans lines
];

const testFn = (tpl, data, want) => () => {
  if (want && typeof want === 'object' && 'error' in want) {
    try {
      const out = renderTemplate(tpl, data);
      assert.unreachable(`expected an error, got ${JSON.stringify(out)}`);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      assert.is(e.goMessage, want.error);
      assert.is(e.message, `template parsing error: ${want.error}`);
    }
    return;
  }
  assert.is(renderTemplate(tpl, data), want);
};

assert.ok(rows.length >= 80, `${rows.length} rows`);
for (const [tpl, data, want] of rows) test(`template ${JSON.stringify(tpl)}`, testFn(tpl, data, want));

test('errors carry docker\'s prefix, kind and exit codes: 64 for a parse error, 1 for an exec error', () => {
  try {
    parseTemplate('{{');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TemplateError);
    assert.is(e.phase, 'parse');
    assert.is(e.kind, 'invalid-argument');
    assert.is(e.exitCode, 64); // docker image inspect -f '{{' exits 64
    assert.is(e.message, 'template parsing error: template: :1: unclosed action');
    assert.is(e.withExitCode(1).exitCode, 1);
  }
  try {
    renderTemplate('ab{{.X.Y}}', { X: 1 });
    assert.unreachable();
  } catch (e) {
    assert.is(e.phase, 'exec');
    assert.is(e.exitCode, 1);
    assert.is(e.partialOutput, 'ab'); // what Go had written before the error
  }
});

test('missingkey=zero and missingkey=error [doc Template.Option]', () => {
  const t = parseTemplate('[{{.nope}}]');
  assert.is(t.execute(goMap({}, 'map[string]string'), { missingKey: 'zero' }), '[]');
  assert.is(t.execute(goMap({}, 'map[string]int'), { missingKey: 'zero' }), '[0]');
  assert.is(t.execute(goMap({}), { missingKey: 'zero' }), '[<no value>]'); // interface{}'s zero is nil
  assert.throws(() => t.execute(goMap({}), { missingKey: 'error' }), (e) => e.goMessage === 'template: :1:3: executing "" at <.nope>: map has no entry for key "nope"');
  assert.throws(() => t.execute(undefined, { missingKey: 'error' }), (e) => e.goMessage.endsWith('nil data; no entry for key "nope"'));
});

test('functions can be added at parse and replaced at execute (Go\'s Funcs)', () => {
  const t = parseTemplate('{{twice .}}|{{upper .}}', { funcs: { twice: (s) => s + s } });
  assert.is(t.execute('ab'), 'abab|AB');
  assert.is(t.execute('ab', { funcs: { upper: { params: ['string'], fn: (s) => `<${s}>` } } }), 'abab|<ab>');
  assert.throws(() => parseTemplate('{{upper .}}', { docker: false }), (e) => e.goMessage === 'template: :1: function "upper" not defined');
});

test('MISSING is Go\'s invalid value; a function error reads "error calling NAME: ..."', () => {
  assert.is(renderTemplate('{{.}}', MISSING), '<no value>');
  const t = parseTemplate('{{boom}}', { funcs: { boom: () => { throw new Error('kaput'); } } });
  assert.throws(() => t.execute({}), (e) => e.goMessage === 'template: :1:2: executing "" at <boom>: error calling boom: kaput');
});

test('a defined template can be run by name; the names are listed', () => {
  const t = parseTemplate('{{define "row"}}{{.Name}}!{{end}}main');
  assert.equal(t.definedTemplates().sort(), ['', 'row']);
  assert.is(t.execute({ Name: 'x' }), 'main');
  assert.is(t.execute({ Name: 'x' }, { template: 'row' }), 'x!');
});

test.run();

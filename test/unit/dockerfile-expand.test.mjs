// Variable substitution with buildkit's shell lexer rules, as a table. Sources, per row:
//   lex_test      moby/buildkit frontend/dockerfile/shell/lex_test.go (TestProcessWithMatches,
//                 TestShellParserMandatoryEnvVars, TestProcessWithMatchesPlatform), same inputs
//                 and expected outputs
//   reference     the Dockerfile reference, "Environment replacement" and ENV
//   lex.go        rules read from frontend/dockerfile/shell/lex.go (quotes, escapes, words)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExpandError, expandWord, expandWords, processWord } from '../../dist/build/dockerfile/expand.js';

const XB = { FOO: 'xxx', BAR: '' };
const env = (o) => new Map(Object.entries(o));

// [word, variables, expected | { error: substring } , source, options]
const words = [
  ['x', { DUMMY: 'dummy' }, 'x', 'lex_test'],
  ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', 'lex_test'],
  ['x ${FOO}', { FOO: 'y' }, 'x y', 'lex_test'],
  ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', XB, 'xxx  ccc', 'lex_test: - replaces only unset'],
  ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', XB, 'xxx bbb ccc', 'lex_test: :- replaces unset or empty'],
  ['${FOO:-}', XB, 'xxx', 'lex_test'],
  ['${FOO:-}', {}, '', 'lex_test'],
  ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', XB, 'aaa bbb ', 'lex_test: + when set, even empty'],
  ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', XB, 'aaa  ', 'lex_test: :+ when set and not empty'],
  ['${FOO?aaa}', XB, 'xxx', 'lex_test'],
  ['${BAR?bbb}', XB, '', 'lex_test: ? allows empty'],
  ['${BAZ?ccc}', XB, { error: 'BAZ: ccc' }, 'lex_test: ? refuses unset'],
  ['${FOO:?aaa}', XB, 'xxx', 'lex_test'],
  ['${BAR:?bbb}', XB, { error: 'BAR: bbb' }, 'lex_test: :? refuses empty'],
  ['${BAZ:?ccc}', XB, { error: 'BAZ: ccc' }, 'lex_test'],
  ['${BAZ:?}', XB, { error: 'BAZ: is not allowed to be unset' }, 'lex_test; wording from lex.go'],
  ['${BAR:?}', XB, { error: 'BAR: is not allowed to be empty' }, 'lex.go'],
  ['${VAR:?message here$ARG}', { VAR: '', ARG: 'x' }, { error: 'message herex' }, 'lex_test TestShellParserMandatoryEnvVars'],
  ['${VAR?message here$ARG}', { VAR: '', ARG: 'x' }, '', 'lex_test TestShellParserMandatoryEnvVars'],
  ['${VAR:?message here$ARG}', { VAR: 'plain', ARG: 'x' }, 'plain', 'lex_test TestShellParserMandatoryEnvVars'],
  ['${FOO=aaa}', XB, { error: 'unsupported modifier (=) in substitution' }, 'lex_test: = is not supported'],
  ['${FOO=:aaa}', XB, { error: 'unsupported modifier' }, 'lex_test'],
  ['${FOO=}', {}, { error: 'unsupported modifier' }, 'lex_test'],
  ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', 'lex_test: regexp characters are literal in patterns'],
  ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', 'lex_test'],
  ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', 'lex_test'],
  ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', 'lex_test: shortest match of * is empty'],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', 'lex_test'],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', 'lex_test'],
  ['${FOO#}', { FOO: 'xxyy' }, 'xxyy', 'lex_test'],
  ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', 'lex_test'],
  ['${FOO##}', { FOO: 'xxyy' }, 'xxyy', 'lex_test'],
  ['${FOO#?\\?}', { FOO: '???y' }, '?y', 'lex_test'],
  ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', 'lex_test'],
  ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', 'lex_test'],
  ['${FOO%}', { FOO: 'xxyy' }, 'xxyy', 'lex_test'],
  ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', 'lex_test'],
  ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', 'lex_test: wildcards'],
  ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', 'lex_test: / in patterns'],
  ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, '/foo/b/c.txt - /foo/c.txt', 'lex_test'],
  ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://google.de', 'lex_test'],
  ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', 'lex_test: escaped separators'],
  ['${FOO//ww}', { FOO: 'xxyy' }, { error: '' }, 'lex_test: replacement missing'],
  ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', 'lex_test'],
  [
    'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' },
    'something-v1.2.3.linux-arm-v7.tar.gz',
    'lex_test TestProcessWithMatchesPlatform',
  ],
  [
    'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'amd64' },
    'something-v1.2.3.linux-amd64.tar.gz',
    'reference: ${variable:+word} is empty when unset',
  ],
  ['${str#f*b}', { str: 'foobarbaz' }, 'arbaz', 'reference'],
  ['${str##f*b}', { str: 'foobarbaz' }, 'az', 'reference'],
  ['${string%b*}', { string: 'foobarbaz' }, 'foobar', 'reference'],
  ['${string%%b*}', { string: 'foobarbaz' }, 'foo', 'reference'],
  ['${string/ba/fo}', { string: 'foobarbaz' }, 'fooforbaz', 'reference'],
  ['${string//ba/fo}', { string: 'foobarbaz' }, 'fooforfoz', 'reference'],
  ['\\$foo', { foo: 'x' }, '$foo', 'reference: \\$foo is a literal'],
  ['\\${foo}', { foo: 'x' }, '${foo}', 'reference: \\${foo} is a literal'],
  ['${FOO}', { FOO: '/bar' }, '/bar', 'reference: WORKDIR ${FOO}'],
  ['$FOO', { FOO: '/bar' }, '/bar', 'reference: ADD . $FOO'],
  ['$undefined', {}, '', 'reference ARG: before its definition a variable is an empty string'],
  ['Rex\\ The\\ Dog', {}, 'Rex The Dog', 'reference ENV: backslash keeps the space'],
  ['"John Doe"', {}, 'John Doe', 'reference ENV: quotes are removed'],
  ["'$FOO'", { FOO: 'x' }, '$FOO', 'lex.go: single quotes are literal'],
  ['"$FOO"', { FOO: 'x' }, 'x', 'lex.go: double quotes expand $'],
  ['"a \\" b"', {}, 'a " b', 'lex.go: \\ escapes " inside double quotes'],
  ['"a \\x b"', {}, 'a \\x b', 'lex.go: other \\ stay inside double quotes'],
  ['"a \\$x b"', { x: '1' }, 'a $x b', 'lex.go: \\$ inside double quotes'],
  ["it's", {}, { error: 'single-quote' }, 'lex.go: unterminated single quote'],
  ['"open', {}, { error: 'double-quote' }, 'lex.go: unterminated double quote'],
  ['$', {}, '$', 'lex.go: a $ that starts no name stays'],
  ['cost: 5$', {}, 'cost: 5$', 'lex.go'],
  ['${}', {}, { error: 'syntax error: bad substitution' }, 'lex.go'],
  ['${', {}, { error: "syntax error: missing '}'" }, 'lex.go'],
  ['${FOO:-x', { FOO: '' }, { error: "syntax error: missing '}'" }, 'lex.go'],
  ['$1 $@', { 1: 'no' }, 'no ', 'lex.go: positional and special parameters are names ($1 set here, $@ not)'],
  ['$KOREAN ${KOREAN}', { KOREAN: '한국어' }, '한국어 한국어', 'lex_test envs: non-ASCII values'],
  ['${한국어}', { 한국어: 'k' }, 'k', 'lex.go processName: unicode letters are name characters'],
  ['a`$b', { b: '1' }, 'a$b', 'reference escape directive: ` escapes when it is the escape token', { escapeToken: '`' }],
  ['C:\\path\\$b', { b: '1' }, 'C:\\path\\1', 'reference escape directive: \\ is literal with # escape=`', { escapeToken: '`' }],
  ['$UNSET ${UNSET} ${UNSET:-x} $SET', { SET: 's' }, '$UNSET ${UNSET} ${UNSET:-x} s', 'lex.go SkipUnsetEnv (heredoc words)', { skipUnsetEnv: true }],
  ["'a' \"b\"", {}, "'a' \"b\"", 'lex.go RawQuotes', { rawQuotes: true }],
  ['say "hi $who"', { who: 'you' }, 'say "hi you"', 'dispatch: heredoc bodies expand with SkipProcessQuotes', { skipProcessQuotes: true }],
];

for (const [word, vars, expected, source, options] of words) {
  test(`${JSON.stringify(word)} -> ${JSON.stringify(expected)}  (${source})`, () => {
    if (typeof expected === 'object') {
      try {
        expandWord(word, env(vars), options);
      } catch (e) {
        assert.instance(e, ExpandError);
        assert.ok(e.message.startsWith(`failed to process "`), e.message);
        assert.ok(e.message.includes(expected.error), `${e.message} lacks ${expected.error}`);
        return;
      }
      assert.unreachable(`no error for ${word}`);
    }
    assert.is(expandWord(word, env(vars), options), expected);
  });
}

// Word splitting (ProcessWords), used where docker takes several words from one (EXPOSE).
const splits = [
  ['$PORTS', { PORTS: '80 443/udp' }, ['80', '443/udp'], 'convert_expose.go: EXPOSE $PORTS gives each port'],
  ['"$PORTS"', { PORTS: '80 443' }, ['80 443'], 'lex.go: quoted text is one word'],
  ["a 'b c' d", {}, ['a', 'b c', 'd'], 'lex.go'],
  ['  spaced   words  ', {}, ['spaced', 'words'], 'lex.go'],
  ['a\\ b c', {}, ['a b', 'c'], 'lex.go: an escaped space joins'],
  ['x${E}y z', { E: ' ' }, ['x', 'y', 'z'], 'lex.go: whitespace from a substitution splits'],
  ['""', {}, [], 'lex.go getWords: an empty word is dropped'],
];

for (const [word, vars, expected, source] of splits) {
  test(`words of ${JSON.stringify(word)} -> ${JSON.stringify(expected)}  (${source})`, () => {
    assert.equal(expandWords(word, env(vars)), expected);
  });
}

test('matched and unmatched variables are reported (lex_test TestProcessWithMatches)', () => {
  const r = processWord('${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', env(XB));
  assert.equal([...r.matched].sort(), ['BAR', 'FOO']);
  assert.equal([...r.unmatched], ['BAZ']);
  const u = processWord('x ${UNUSED}', env({ DUMMY: 'dummy' }));
  assert.equal([...u.matched], []);
  assert.equal([...u.unmatched], ['UNUSED']);
});

test('the error names the word as docker does: failed to process "<word>": <reason>', () => {
  try {
    expandWord('${a', new Map());
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ExpandError);
    assert.is(e.kind, 'invalid-argument');
    assert.is(e.message, 'failed to process "${a": unsupported modifier (\ufffd) in substitution');
  }
});

test.run();

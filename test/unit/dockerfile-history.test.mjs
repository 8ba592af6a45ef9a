// created_by strings and the Go spellings they are made of. Expected values follow:
//   buildkit  frontend/dockerfile/dockerfile2llb convert.go (commitToHistory, dispatchRun,
//             runCommandString, dispatchCmd "CMD %q", dispatchHealthcheck "%+v", dispatchExpose
//             "EXPOSE %v", ...) and convert_copy.go (the COPY/ADD message)
//   buildah   imagebuildah/stage_executor.go getCreatedBy / getBuildArgsResolvedForRun
//   Go        the time package's Duration.String and ParseDuration tables, strconv.Quote
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDockerfile } from '../../dist/build/dockerfile/instructions.js';
import { parseDockerfile } from '../../dist/build/dockerfile/parser.js';
import { StageScope, resolveMetaArgs } from '../../dist/build/dockerfile/scope.js';
import { buildahCreatedBy, buildkitCreatedBy, resolveWorkdir } from '../../dist/build/dockerfile/history.js';
import { formatGoDuration, GoDurationError, goQuote, parseGoDuration } from '../../dist/build/dockerfile/go-format.js';

const DOCKERFILE = `FROM alpine
ARG A=1
ARG B
ENV PATH=/opt/bin:$PATH
RUN echo $A
RUN ["echo", "exec"]
RUN <<EOF
echo heredoc
EOF
RUN <<EOF
#!/usr/bin/env python3
print("hi")
EOF
RUN cat <<EOF > /f
x
EOF
COPY --chown=1:2 --chmod=755 a b /dst/
COPY --parents --link x/ /p/
COPY <<EOF /inline.txt
text
EOF
ADD https://example.com/f.tgz /tmp/
ENV K=v K2="two words"
LABEL l=1
WORKDIR /app
WORKDIR sub
USER nobody
EXPOSE 8080 53/udp
VOLUME /data /cache
STOPSIGNAL SIGINT
SHELL ["/bin/bash", "-c"]
CMD run --fast
ENTRYPOINT ["/bin/app"]
HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/
MAINTAINER me
ONBUILD RUN x
`;

const BUILDKIT = [
  'ARG A=1',
  'ARG B=two',
  'ENV PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'RUN |2 A=1 B=two /bin/sh -c echo $A # buildkit',
  'RUN |2 A=1 B=two echo exec # buildkit',
  'RUN |2 A=1 B=two /bin/sh -c echo heredoc\n # buildkit',
  'RUN |2 A=1 B=two /bin/sh -c /dev/pipes/EOF # buildkit',
  'RUN |2 A=1 B=two /bin/sh -c cat <<EOF > /f\nx\nEOF # buildkit',
  'COPY --chown=1:2 --chmod=755 a b /dst/ # buildkit',
  'COPY --parents x/ /p/ # buildkit',
  'COPY <<EOF /inline.txt # buildkit',
  'ADD https://example.com/f.tgz /tmp/ # buildkit',
  'ENV K=v K2=two words',
  'LABEL l=1',
  'WORKDIR /app',
  'WORKDIR /app/sub',
  'USER nobody',
  'EXPOSE [53/udp 8080/tcp]',
  'VOLUME [/data /cache]',
  'STOPSIGNAL SIGINT',
  'SHELL [/bin/bash -c]',
  'CMD ["/bin/bash" "-c" "run --fast"]',
  'ENTRYPOINT ["/bin/app"]',
  'HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}',
  'MAINTAINER me',
  undefined,
];

test('buildkit: the created_by of each instruction, after expansion, with the stage ARGs on RUN', () => {
  const buildArgs = { B: 'two' };
  const df = loadDockerfile(DOCKERFILE);
  const scope = new StageScope({ globals: resolveMetaArgs(df.metaArgs, buildArgs), buildArgs });
  let shell;
  let workdir = '/';
  const got = df.stages[0].instructions.map((inst) => {
    const e = scope.dispatch(inst);
    const line = buildkitCreatedBy(e, { shell, workdir, runArgs: scope.runArgs() });
    if (e.kind === 'SHELL') shell = e.shell;
    if (e.kind === 'WORKDIR') workdir = resolveWorkdir(workdir, e.path);
    return line;
  });
  assert.equal(got, BUILDKIT);
});

test('buildkit: an ARG declared without value and not given is recorded empty on RUN', () => {
  const df = loadDockerfile('FROM alpine\nARG X\nRUN true\n');
  const scope = new StageScope();
  const [arg, run] = df.stages[0].instructions.map((i) => scope.dispatch(i));
  assert.is(buildkitCreatedBy(arg), 'ARG X');
  assert.is(buildkitCreatedBy(run, { runArgs: scope.runArgs() }), 'RUN |1 X= /bin/sh -c true # buildkit');
});

test('buildkit: an ENV of an ARG\'s name gives RUN that value (convert.go runCommandString reads the env)', () => {
  const df = loadDockerfile('FROM alpine\nARG V=arg\nENV V=env\nRUN true\n');
  const scope = new StageScope();
  const insts = df.stages[0].instructions.map((i) => scope.dispatch(i));
  assert.is(buildkitCreatedBy(insts[2], { runArgs: scope.runArgs() }), 'RUN |1 V=env /bin/sh -c true # buildkit');
});

test('WORKDIR resolves against the previous one and is cleaned', () => {
  assert.is(resolveWorkdir('/', 'a'), '/a');
  assert.is(resolveWorkdir('/a', 'b/../c/'), '/a/c');
  assert.is(resolveWorkdir('/a/b', '/x//y/.'), '/x/y');
});

const node = (text, i = 1) => parseDockerfile(text).nodes[i];

test('buildah: RUN and the other instructions as written, COPY/ADD with the content summary', () => {
  const text = DOCKERFILE;
  const nodes = parseDockerfile(text).nodes;
  const byLine = (start) => nodes.find((n) => n.startLine === start);
  const ctx = { buildArgs: { B: 'two' }, allowedArgs: new Set(['A', 'B']) };
  assert.is(buildahCreatedBy(byLine(1), ctx), undefined, 'FROM makes no history entry');
  assert.is(buildahCreatedBy(byLine(2), { buildArgs: { B: 'two' }, allowedArgs: new Set(['A']) }), '/bin/sh -c #(nop) ARG ');
  assert.is(buildahCreatedBy(byLine(3), ctx), '/bin/sh -c #(nop) ARG B');
  assert.is(buildahCreatedBy(byLine(4), ctx), '/bin/sh -c #(nop) ENV PATH=/opt/bin:$PATH');
  assert.is(buildahCreatedBy(byLine(5), ctx), '|1 B=two /bin/sh -c echo $A');
  assert.is(buildahCreatedBy(byLine(6), ctx), '|1 B=two /bin/sh -c ["echo", "exec"]');
  assert.is(buildahCreatedBy(byLine(7), ctx), '|1 B=two /bin/sh -c <<EOF\necho heredoc');
  assert.is(buildahCreatedBy(byLine(17), { ...ctx, contentSummary: 'multi:0123' }), '/bin/sh -c #(nop) COPY multi:0123 in /dst/ ');
  assert.is(buildahCreatedBy(byLine(18), { ...ctx, contentSummary: 'dir:4567', link: true }), '/bin/sh -c #(nop) COPY --link dir:4567 in /p/ ');
  assert.is(buildahCreatedBy(byLine(22), { ...ctx, contentSummary: 'file:89ab' }), '/bin/sh -c #(nop) ADD file:89ab in /tmp/ ');
  assert.is(buildahCreatedBy(byLine(24), ctx), '/bin/sh -c #(nop) LABEL l=1');
  assert.is(buildahCreatedBy(byLine(32), ctx), '/bin/sh -c #(nop) CMD run --fast');
  assert.is(buildahCreatedBy(byLine(5), { ...ctx, mountChecksums: ['sha256:aa'] }), '|1 B=two /bin/sh -c echo $A:sha256:aa');
});

test('buildah: build args on RUN: only allowed ones, an ENV value wins, proxies only when declared', () => {
  const run = node('FROM a\nRUN make\n');
  const base = { buildArgs: { B: 'two', HTTP_PROXY: 'http://p', UNUSED: 'u' }, allowedArgs: new Set(['B', 'HTTP_PROXY']) };
  assert.is(buildahCreatedBy(run, base), '|1 B=two /bin/sh -c make');
  assert.is(buildahCreatedBy(run, { ...base, argWords: ['HTTP_PROXY'] }), '|2 B=two HTTP_PROXY=http://p /bin/sh -c make');
  assert.is(buildahCreatedBy(run, { ...base, configEnv: { B: 'fromenv' } }), '|1 B=fromenv /bin/sh -c make');
  assert.is(buildahCreatedBy(run, {}), '/bin/sh -c make');
});

// Go's time package tests: Duration.String.
const durations = [
  ['0s', 0n], ['1ns', 1n], ['1.1\u00b5s', 1100n], ['2.2ms', 2200000n], ['3.3s', 3300000000n], ['4m5s', 245000000000n],
  ['4m5.001s', 245001000000n], ['5h6m7.001s', 18367001000000n], ['8m0.000000001s', 480000000001n],
  ['2562047h47m16.854775807s', (1n << 63n) - 1n], ['-1ns', -1n], ['1h0m0s', 3600000000000n],
];

test('Duration.String (Go time package table)', () => {
  for (const [text, ns] of durations) assert.is(formatGoDuration(ns), text, text);
});

// Go's time package tests: ParseDuration, and its error table.
const parsed = [
  ['0', 0n], ['5s', 5000000000n], ['30s', 30000000000n], ['1478s', 1478000000000n], ['-5s', -5000000000n], ['+5s', 5000000000n],
  ['-0', 0n], ['+0', 0n], ['5.0s', 5000000000n], ['5.6s', 5600000000n], ['5.s', 5000000000n], ['.5s', 500000000n],
  ['1.004s', 1004000000n], ['100.00100s', 100001000000n], ['10ns', 10n], ['11us', 11000n], ['12\u00b5s', 12000n], ['12\u03bcs', 12000n],
  ['13ms', 13000000n], ['15m', 900000000000n], ['16h', 57600000000000n], ['3h30m', 12600000000000n], ['10.5s4m', 250500000000n],
  ['-2m3.4s', -123400000000n], ['1h2m3s4ms5us6ns', 3723004005006n], ['39h9m14.425s', 140954425000000n],
  ['52763797000ns', 52763797000n], ['0.3333333333333333333h', 1200000000000n], ['9007199254740993ns', 9007199254740993n],
  ['9223372036854775807ns', (1n << 63n) - 1n], ['9223372036s854ms775us807ns', (1n << 63n) - 1n], ['9223372036854775.807us', (1n << 63n) - 1n],
  ['-9223372036854775808ns', -(1n << 63n)],
];
const badDurations = [
  ['', 'time: invalid duration ""'], ['3', 'time: missing unit in duration "3"'], ['-', 'time: invalid duration "-"'],
  ['s', 'time: invalid duration "s"'], ['.', 'time: invalid duration "."'], ['-.', 'time: invalid duration "-."'],
  ['.s', 'time: invalid duration ".s"'], ['+.s', 'time: invalid duration "+.s"'], ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
];

test('ParseDuration (Go time package tables)', () => {
  for (const [text, ns] of parsed) assert.is(parseGoDuration(text), ns, text);
  for (const [text, message] of badDurations) {
    assert.throws(() => parseGoDuration(text), (e) => e instanceof GoDurationError && e.message === message, text);
  }
});

test('strconv.Quote (Go strconv table)', () => {
  assert.is(goQuote('\x07\b\f\r\n\t\v'), '"\\a\\b\\f\\r\\n\\t\\v"');
  assert.is(goQuote('\\'), '"\\\\"');
  assert.is(goQuote('\u263a'), '"\u263a"');
  assert.is(goQuote('\u{10ffff}'), '"\\U0010ffff"');
  assert.is(goQuote('\x04'), '"\\x04"');
  assert.is(goQuote('a"b'), '"a\\"b"');
  assert.is(goQuote('\u00a0'), '"\\u00a0"');
});

test.run();

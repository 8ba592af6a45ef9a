// Golden tests of the Dockerfile front end: test/fixtures/dockerfile/<name>/ holds a
// Dockerfile, the expected result (result.json, written from docker's documented or
// coded rules, each naming its source in "why") and, when the case needs variables or
// stages resolved, options.json ({ expand, buildArgs, targets }).
//
// result.json lists only what the case is about: objects match when every key given
// matches (null: absent), arrays match element by element and must have the same length.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../../dist/build/dockerfile/parser.js';
import { parseInstructions } from '../../dist/build/dockerfile/instructions.js';
import { StageScope, resolveMetaArgs } from '../../dist/build/dockerfile/scope.js';
import { stageGraph, stagesForTarget } from '../../dist/build/dockerfile/stages.js';
import { DockerfileError } from '../../dist/build/dockerfile/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dockerfile');

/** Compare `actual` with the partial `expected`; returns the first difference's path, or undefined. */
function mismatch(expected, actual, path = '$') {
  if (expected === null) return actual === null || actual === undefined ? undefined : `${path}: expected absent, got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(expected[i], actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const key of Object.keys(expected)) {
      const m = mismatch(expected[key], actual[key], `${path}.${key}`);
      if (m) return m;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** Everything the front end says about one Dockerfile, in the shape result.json uses. */
function run(text, options) {
  const ast = parseDockerfile(text, { file: 'Dockerfile' });
  const df = parseInstructions(ast);
  const out = {
    escapeToken: ast.escapeToken,
    directives: ast.directives,
    warnings: ast.warnings,
    ast: ast.nodes,
    metaArgs: df.metaArgs,
    stages: df.stages,
  };
  if (options.expand) {
    const buildArgs = options.buildArgs ?? {};
    const graph = stageGraph(df, { buildArgs });
    out.graph = graph.stages;
    out.plans = (options.targets ?? [null]).map((t) => stagesForTarget(graph, t ?? undefined));
    const globals = resolveMetaArgs(df.metaArgs, buildArgs);
    const scopes = [];
    out.expanded = df.stages.map((stage) => {
      const base = graph.stages[stage.index].base;
      const scope = base.kind === 'stage' ? StageScope.inheriting(scopes[base.index]) : new StageScope({ globals, buildArgs, escapeToken: df.escapeToken });
      scopes.push(scope);
      return stage.instructions.map((inst) => scope.dispatch(inst));
    });
  }
  return out;
}

const cases = readdirSync(root).filter((name) => existsSync(join(root, name, 'Dockerfile'))).sort();

test('there are golden cases for every rule group (at least 30)', () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
});

for (const name of cases) {
  const dir = join(root, name);
  const expected = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  const options = existsSync(join(dir, 'options.json')) ? JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) : {};
  const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const { why, error, ...rest } = expected;
  test(`${name}: ${why}`, () => {
    let actual;
    try {
      actual = run(text, options);
    } catch (e) {
      if (error === undefined) throw e;
      assert.instance(e, DockerfileError, `not a DockerfileError: ${e}`);
      assert.is(e.message, error);
      const [, line, column] = /^Dockerfile:(\d+):(\d+): /.exec(error);
      assert.is(e.line, Number(line));
      assert.is(e.column, Number(column));
      assert.is(e.kind, 'invalid-argument');
      return;
    }
    assert.is(error, undefined, `expected the error ${JSON.stringify(error)}`);
    const m = mismatch(JSON.parse(JSON.stringify(rest)), JSON.parse(JSON.stringify(actual)));
    assert.is(m, undefined, m);
  });
}

// Anything that is not a Dockerfile must fail with a located DockerfileError, never a
// TypeError or a hang: random instruction soup, through every layer.
test('random input fails only with located DockerfileErrors', () => {
  let seed = 20240601;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const parts = ['FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'LABEL', 'EXPOSE', 'CMD', 'ENTRYPOINT', 'ONBUILD', 'HEALTHCHECK', 'SHELL', 'WORKDIR',
    'USER', 'VOLUME', 'STOPSIGNAL', 'alpine', 'AS', 'x', '$A', '${A:-b}', '${', '"', "'", '\\', '`', '<<EOF', '<<-"E"', 'EOF', '[', ']', '["a"]',
    '--from=x', '--mount=type=cache,target=/c', '--mount=type=$T', '--chmod=755', '--link', '=', 'a=b', '#', '# escape=`', '\n', '\n', ' ', '\t',
    'NONE', '--interval=5s', '80/tcp', '1-3', '0', 'SIGKILL'];
  let parsed = 0;
  for (let n = 0; n < 3000; n++) {
    let text = 'FROM alpine\n';
    const len = 1 + Math.floor(rnd() * 30);
    for (let i = 0; i < len; i++) text += parts[Math.floor(rnd() * parts.length)] + (rnd() < 0.5 ? ' ' : '');
    try {
      run(text, { expand: true });
      parsed++;
    } catch (e) {
      if (!(e instanceof DockerfileError) || !/^Dockerfile:\d+:\d+: /.test(e.message)) {
        assert.unreachable(`${JSON.stringify(text)}: ${e?.stack ?? e}`);
      }
    }
  }
  assert.ok(parsed > 100, `only ${parsed} of the random files parsed`);
});

test.run();

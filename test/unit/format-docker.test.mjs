// The real docker CLI as the oracle: the same templates run through hx's formatter and
// through `docker context inspect -f` / `docker context ls --format`, which format local
// data with docker's own Go text/template, functions, fmt and tabwriter and need no daemon.
// Also the --filter flag's syntax error, which docker reports before it looks for a daemon.
// Runs where a docker CLI is installed (written against docker 28.2.2, built with Go 1.24),
// else skipped. docker gets a fresh DOCKER_CONFIG and no DOCKER_HOST, so it reads and writes
// nothing of the machine's and contacts nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderInspect, renderList } from '../../dist/cli/format/formatter.js';
import { goMap, goStruct } from '../../dist/cli/format/template.js';
import { Filters } from '../../dist/engine/filters.js';

const config = mkdtempSync(join(tmpdir(), 'hx-format-docker-'));
const env = { PATH: process.env.PATH, HOME: config, DOCKER_CONFIG: config };
const docker = (...args) => {
  const r = spawnSync('docker', args, { encoding: 'utf8', env, timeout: 20000 });
  return { out: r.stdout, err: (r.stderr ?? '').trim(), code: r.status };
};
const version = spawnSync('docker', ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8', env });
const have = !version.error && /^\d+\./.test(version.stdout ?? '');
const check = have ? test : test.skip;
const tag = have ? `docker ${version.stdout.trim()}` : 'docker (not installed)';

// `docker context inspect default` as Go values: the types docker's errors and %T name
const endpoint = () => goStruct({ Host: 'unix:///var/run/docker.sock', SkipTLSVerify: false }, 'docker.EndpointMeta');
const contextDoc = goStruct({
  Name: 'default',
  Metadata: goStruct({
    Name: 'default',
    Metadata: goStruct({ Description: '', AdditionalFields: goMap({}) }, 'command.DockerContext'),
    Endpoints: goMap({ docker: endpoint() }),
    // docker's JSON shows this field as {} (the CLI marshals a type of its own there)
    MarshalJSON: () => '{}',
  }, 'store.Metadata'),
  Endpoints: goMap({ docker: endpoint() }),
  TLSMaterial: goMap({}, 'map[string]store.EndpointFiles'),
  Storage: goStruct({ MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' }, 'store.StorageInfo'),
}, 'context.contextWithTLSListing');

function hxInspect(format) {
  try {
    const { output, errors } = renderInspect([contextDoc], format, { raw: false });
    return { out: output, err: errors.map((e) => e.message).join('\n'), code: errors.length ? 1 : 0 };
  } catch (e) {
    return { out: '', err: e.message, code: e.exitCode };
  }
}

// templates over literals, functions, fmt verbs, errors, and the context's fields
const INSPECT = [
  "{{.Name}}",
  "{{.Foo}}",
  "{{",
  "{{.Metadata}}",
  "{{.Endpoints}}",
  "{{.Storage}}",
  "{{index .Endpoints \"docker\"}}",
  "{{.Endpoints.docker.Host}}",
  "{{.Endpoints.nope}}",
  "{{.Endpoints.nope.x}}",
  "{{.Storage.Foo}}",
  "{{json .Storage}}",
  "{{json .Endpoints}}",
  "{{printf \"%5.2f|%-6s|%06d|%x|%X|%o|%b|%c|%U|%e|%g|%t|%%\" 3.14159 \"ab\" 42 255 255 8 5 65 65 1234.5678 0.000012 true}}",
  "{{printf \"%v %+v\" .Storage .Storage}}",
  "{{printf \"%d|%s %s|%s\" \"a\" \"x\" \"y\" \"z\" \"w\"}}",
  "{{printf \"%s %s\" \"a\"}}",
  "{{printf \"%T %T %T %T %T\" 1 \"s\" 1.5 .Endpoints .Storage}}",
  "{{printf \"%q %q %x\" (split \"a,b\" \",\") \"é\" \"hi\"}}",
  "{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}|{{printf \"%*d\" 5 42}}|{{printf \"%-*d|\" 4 7}}",
  "{{printf \"%+d % d %x %#x %#o %08.3f\" 5 5 -255 255 8 -3.14159}}",
  "{{printf \"%.0f %.0f %.2f %.1f %.3g %.3g %.3g\" 0.5 1.5 2.675 0.25 4.26e6 999.999 100.0}}",
  "{{1}} {{-1}} {{1.5}} {{1e3}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{'a'}}",
  "{{1e6}} {{1.0}} {{0.000001}}",
  "{{print nil}}",
  "{{nil}}",
  "{{\"a\" 1}}",
  "{{.Name 1}}",
  "é{{.Foo}}",
  "x\n{{.Foo}}",
  "a {{- /* a comment */ -}} b",
  "{{23 -}} < {{- 45}}",
  "{{-3}}",
  "{{.Name\n}}",
  "{{range $i, $e := 3}}{{end}}",
  "{{range .Name}}{{.}}{{end}}",
  "{{range 3}}{{.}}{{end}}",
  "{{range $k, $v := .Endpoints}}{{$k}}={{$v.Host}}{{end}}",
  "{{with .Metadata.Metadata.Description}}x{{else with .Name}}b:{{.}}{{end}}",
  "{{define \"T1\"}}ONE{{end}}{{define \"T2\"}}TWO{{end}}{{define \"T3\"}}{{template \"T1\"}} {{template \"T2\"}}{{end}}{{template \"T3\"}}",
  "{{template \"nope\"}}",
  "{{block \"B\" .Name}}<{{.}}>{{end}}",
  "{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"z\"}} {{or 0 \"\"}} {{not 0}} {{not \"x\"}}",
  "{{index (split \"a,b\" \",\") 5}}",
  "{{index (split \"a,b\" \",\") 2}}",
  "{{slice \"abcdef\" 1 3}} {{slice (split \"a,b,c\" \",\") 1}}",
  "{{print \"a\" 1 2 \"b\"}}",
  "{{println \"a\" 1}}",
  "{{html \"<a href='x'>&\\\"\"}}",
  "{{js \"a'b\\\"c<d>&=\"}}",
  "{{urlquery \"a b&c=d/é\"}}",
  "{{eq 1 1}} {{eq \"a\" \"b\" \"a\"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}",
  "{{eq .Endpoints.nope \"x\"}}",
  "{{lt 1 \"a\"}}",
  "{{printf}}",
  "{{len 3}}",
  "{{json \"<b>&\"}} {{json 1.5}} {{json 1e21}} {{json 1e-7}}",
  "{{split \"a,b,c\" \",\"}} {{join (split \"a:b\" \":\") \"-\"}}",
  "{{title \"hello world-wide_web\"}} {{lower \"ABC\"}} {{upper \"abc\"}}",
  "{{pad \"x\" 2 1}}|{{pad \"\" 2 1}}|",
  "{{truncate \"abcdef\" 3}} {{truncate \"ab\" 5}}",
  "{{upper 5}}",
  "{{upper 1.5}}",
  "{{join \"a\" \",\"}}",
  "{{pad \"x\" -1 0}}",
  "{{truncate \"abc\" -1}}",
  "{{.Foo}",
  "{{foo}}",
  "{{if .Name}}x",
  "{{end}}",
  "{{else}}",
  "{{if 1}}{{else}}{{else}}{{end}}",
  "{{range}}{{end}}",
  "{{}}",
  "{{$x}}",
  "{{range $x := 1}}{{end}}{{$x}}",
  "{{.Name | 3}}",
  "{{\"abc}}",
  "{{(.Name}}",
  "{{.Name)}}",
  "{{3x}}",
  "{{break}}",
  "{{/* x }}",
  "{{/* x */ }}",
  "{{range $a, $b, $c := .}}{{end}}",
  "{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
  "{{.Name}}\n{{if}}{{end}}",
  "{{.Name\n",
  "{{printf \"%v\" 1e21}} {{printf \"%v\" 123456789.0}} {{printf \"%g\" 100000.0}} {{printf \"%e\" 0.0}} {{printf \"%.3e\" 123456.0}}",
  "{{printf \"%x %X %o %b\" -1 3.0 9 -2}}",
  "{{printf \"%5s|%-5s|%.2s|%5.1s|\" \"abc\" \"abc\" \"abc\" \"abc\"}}",
  "{{printf \"%05s|%-05d|%+.2e\" \"ab\" 3 12345.678}}",
  "{{printf \"%c%c%c\" 72 105 128512}} {{printf \"%q\" 65}} {{printf \"%U %#U\" 9731 9731}}",
  "{{printf \"%t %v\" 1 true}}",
  "{{printf \"%d\" nil}} {{printf \"%s\" nil}} {{printf \"%v\" nil}}",
  "{{printf \"%!\"}} {{printf \"%\"}} {{printf \"%z\" 1}} {{printf \"%d %d\" 1}}",
  "{{printf \"%[3]d\" 1 2}} {{printf \"%.*f\" 2 3.14159}} {{printf \"%*d\" \"x\" 1}}",
  "{{printf \"%6.2f|%-8.3e|%G|%E\" 1234.5678 0.00012345 1e-10 1e10}}",
  "{{printf \"%.0e %.1g %g %g\" 5.0 0.05 1e-5 1e20}}",
  "{{printf \"%v %v\" (split \"\" \",\") (split \"abc\" \"\")}}",
  "{{len (split \"\" \",\")}}",
  "{{printf \"%q\" \"\\x00\\t\\u00a0\\u2028é\\U0001F600\"}}",
  "{{printf \"%+q %#q %#q\" \"é\" \"ab\" \"a`b\"}}",
  "{{printf \"%x % x %#x\" \"hé\" \"hé\" \"hé\"}}",
  "{{index .Endpoints \"docker\" | printf \"%v\"}}",
  "{{.Endpoints.docker | printf \"%+v\"}}",
  "{{.Metadata | printf \"%+v\"}}",
  "{{printf \"%b %x %.2x %X %#x\" 3.0 0.1 1.0 -2.5 1.5}}",
  "{{printf \"%x\" 0.0}} {{printf \"%b\" 0.0}} {{printf \"%x %x\" 1e300 5e-324}}",
  "{{printf \"%#g %#.3g %#v %#e %#.0f %#.0e\" 1.0 2.5 1.0 3.0 5.0 5.0}}",
  "{{printf \"%#g %#g %#x %#.1x\" 100000.0 1e7 0.0 1.0}}",
  "{{eq 1 \"a\"}}",
  "{{eq 1 1.5}}",
  "{{lt 1 1.5}}",
  "{{lt true false}}",
  "{{lt .Endpoints 1}}",
  "{{eq .Endpoints .Endpoints}}",
  "{{eq .Storage .Storage}}",
  "{{eq (split \"a\" \",\") (split \"a\" \",\")}}",
  "{{eq .Endpoints 1}}",
  "{{eq .Endpoints nil}}",
  "{{eq nil nil}}",
  "{{eq .Storage 1}}",
  "{{printf \"%08.3f|%-8.2f|%+08d|% 05d|%x|%X\" 3.14159 2.5 42 42 \"\" \"ÿ\"}}",
  "{{printf \"%.3s|%.10s|%5.3q\" \"héllo\" \"ab\" \"abcdef\"}}",
  "{{printf \"%v %d %s\" (split \"a,b\" \",\") (split \"a,b\" \",\") .Storage}}",
  "{{printf \"%6.3v|%-6v|%06v\" 3.14159 \"ab\" 12}}",
  "{{printf \"%e %E %.0E\" 123456.789 0.000123 9.5}}",
  "{{printf \"%g %g %g %g %g\" 1e-4 1e-5 123456.0 1234567.0 0.1}}",
  "{{printf \"%.2g %.10g %.1f %.1f %.1f\" 0.0001234 1.0 0.05 0.15 0.25}}",
  "{{printf \"%5t|%-6t|\" true false}}",
  "{{printf \"%5.1f%%\" 99.55}}",
  "{{printf \"%d %d\" 9007199254740993 -9223372036854775808}}",
  "{{printf \"%x\" 9223372036854775807}}",
  "{{18446744073709551615}}",
  "{{9223372036854775808}}",
  "{{1e400}}",
  "{{0x}}",
  "{{089}}",
  "{{1.5e}}",
  "{{0x1p-2}} {{0x1.8p1}}",
  "{{'\\n'}} {{'\\x41'}} {{'\\u00e9'}} {{'ab'}} {{''}} {{'\\''}} {{'\"'}}",
  "{{\"\\x41\\u00e9\\101\\t\"}}",
  "{{\"bad\\q\"}}",
  "{{\"a\\'b\"}}",
  "{{(index .Endpoints \"docker\").Host}}",
  "{{(split \"a,b\" \",\").Foo}}",
  "{{$e := .Endpoints}}{{$e.docker.Host}}",
  "{{$x := 1}}{{range $i, $v := split \"a,b\" \",\"}}{{$x = $i}}{{end}}{{$x}}",
  "{{range $i := split \"a,b\" \",\"}}{{$i}}{{end}}",
  "{{$i := 9}}{{range $i = split \"a,b\" \",\"}}{{end}}{{$i}}",
  "{{$k := 0}}{{$v := 0}}{{range $k, $v = .Endpoints}}{{end}}{{$k}}={{$v}}",
  "{{range $i, $e := split \"a,b,c\" \",\"}}{{if $i}},{{end}}{{$e}}{{end}}",
  "{{range .Endpoints}}{{.Host}}{{$.Name}}{{end}}",
  "{{with $x := .Name}}{{$x}}{{end}}",
  "{{with .Nope}}{{end}}",
  "{{- \" a \" -}}",
  "{{-\" a \"-}}",
  "x {{- 3 }} y",
  "{{ 3 -}} y",
  "{{ -3 }}",
  "a{{- /* c */}}b",
  "a{{/* c */ -}}b",
  "{{/* */}}",
  "{{if and .Name (eq .Name \"default\")}}yes{{end}}",
  "{{if or (eq .Name \"x\") (eq .Name \"default\")}}yes{{end}}",
  "{{if not .Nope}}{{end}}",
  "{{.Name | printf \"%s-%s\" \"x\"}}",
  "{{printf \"%s\" .Name | len}}",
  "{{.Name | len | printf \"%03d\"}}",
  "{{\"x\" | print \"a\" \"b\"}}",
  "{{. | printf \"%T\"}}",
  "{{index .Endpoints}}",
  "{{index . \"x\"}}",
  "{{index .Endpoints 1}}",
  "{{index nil 1}}",
  "{{slice .Name 1 2 3}}",
  "{{slice .Name 5 1}}",
  "{{slice .Name 1 99}}",
  "{{len nil}}",
  "{{len .Storage}}",
  "{{not}}",
  "{{and}}",
  "{{eq}}",
  "{{eq 1}}",
  "{{ne 1}}",
  "{{call .Name}}",
  "{{call nil}}",
  "{{html}}",
  "{{print}}",
  "{{println}}",
  "{{urlquery nil}}",
  "{{html nil 1}}",
  "{{js .Endpoints}}",
  "{{json}}",
  "{{json 1 2}}",
  "{{split \"a\"}}",
  "{{title 1}}",
  "{{pad \"a\" 1}}",
  "{{pad \"a\" \"1\" 2}}",
  "{{truncate \"é\" 1}}",
  "{{upper nil}}",
  "{{upper .Nope2}}",
  "{{join nil \",\"}}",
  "{{join (split \"\" \",\") \",\"}}",
  "{{.Storage.MetadataPath | upper}}",
  "{{.Endpoints.docker.Host | split \":\"}}",
  "{{(printf \"%s\" \"x\") | upper}}",
  "{{template \"a\"}}{{define \"a\"}}A{{.}}{{end}}",
  "{{define \"a\"}}{{template \"b\" .}}{{end}}{{define \"b\"}}B{{.Name}}{{end}}{{template \"a\" .}}",
  "{{define \"r\"}}{{if .}}{{template \"r\" (slice . 1)}}{{.}}{{end}}{{end}}{{template \"r\" \"abc\"}}",
  "{{block \"x\" .Name}}{{.}}{{end}}{{define \"x\"}}override{{end}}",
  "{{define \"x\"}}1{{end}}{{block \"x\" .}}2{{end}}",
  "{{range .Nope3}}{{end}}",
  "{{range 0}}x{{else}}y{{end}}",
  "{{range -2}}x{{else}}y{{end}}",
  "{{range $i := 2}}{{$i}}{{end}}",
  "{{range .Storage}}{{end}}",
  "{{range true}}{{end}}",
  "{{if}}",
  "{{with}}",
  "{{else if}}",
  "{{if 1}}{{else if}}{{end}}",
  "{{if 1}}{{else with 2}}{{end}}",
  "{{with 1}}{{else if 2}}{{end}}",
  "{{range 1}}{{else if 2}}{{end}}",
  "{{define}}",
  "{{define \"a\"}}",
  "{{define 1}}{{end}}",
  "{{template}}",
  "{{template 1}}",
  "{{block \"a\"}}{{end}}",
  "{{.Name.}}",
  "{{. .}}",
  "{{.Name .Name}}",
  "{{$.}}",
  "{{$ := 1}}",
  "{{$x := 1 2}}",
  "{{$x, $y := 1}}",
  "{{range $x, $y, := 1}}{{end}}",
  "{{1 | 2}}",
  "{{print | print}}",
  "{{(1) 2}}",
  "{{()}}",
  "{{( )}}",
  "{{.Name|}}",
  "{{'a}}",
  "{{'ab'}}",
  "{{''}}",
  "{{'\\z'}}",
  "{{\"\\z\"}}",
  "{{`a\nb`}}",
  "{{\"a\nb\"}}",
  "{{0x1G}}",
  "{{1e}}",
  "{{1.2.3}}",
  "{{+}}",
  "{{-}}",
  "{{.}}{{.Name}",
  "{{@}}",
  "{{ }}",
  "{{é}}",
  "{{true.x}}",
  "{{nil.x}}",
  "{{\"s\".x}}",
  "{{.Name.x.y}}",
];

check(`${tag}: ${INSPECT.length} templates give docker inspect's output, errors and exit codes`, () => {
  for (const t of INSPECT) assert.equal(hxInspect(t), docker('context', 'inspect', '-f', t, 'default'), t);
});

check(`${tag}: inspect without a format and with -f json (json.Marshal of local objects escapes < > &)`, () => {
  assert.equal(hxInspect(''), docker('context', 'inspect', 'default'));
  assert.equal(hxInspect('json'), docker('context', 'inspect', '-f', 'json', 'default'));
});

const CONTEXTS = {
  defaultFormat: 'table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}',
  quietFormat: '{{.Name}}',
  headers: { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' },
  rowType: '*formatter.clientContextContext',
};
const contextRow = (name, description, endpoint, current = false) => ({ Current: current, Description: description, DockerEndpoint: endpoint, Error: '', Name: name });

function hxList(rows, format, options) {
  try {
    return { out: renderList(rows, format, CONTEXTS, options), err: '', code: 0 };
  } catch (e) {
    return { out: '', err: e.message, code: e.exitCode };
  }
}

// list formats: tables with headers, json lines, templates, \t and \n, errors
const LIST = [
  "table {{.Name}}\t{{json .Current}}\t{{upper .Description}}\t{{pad .Name 2 2}}|{{truncate .DockerEndpoint 4}}|{{.Error}}",
  "tableX{{.Name}}",
  "  {{.Name}}\t{{.Current}}\\n  ",
  "{{.Foo}}",
  "{{",
  "json",
  "{{json .}}",
  "table {{.Name}}\t{{.Current}}",
  "table {{.Name}}\\t{{.DockerEndpoint}}",
  "table {{.Description}}\t{{.Name}}\t{{.Error}}\t{{.DockerEndpoint}}",
  "table {{lower .Name}}\t{{title .DockerEndpoint}}\t{{split .Name \"a\"}}\t{{join (split .Name \"a\") \"-\"}}",
  "table {{.Name}}:{{.Error}}",
  "table {{if .Current}}*{{end}}\t{{.Name}}",
  "table {{printf \"%-20s\" .Name}}|",
  "{{.Name}} {{.Current}} {{.Error}}|",
  "table {{.Name}}\t\t{{.Error}}\t",
  "table {{.Name}}\t{{index .Name 0}}",
  "table {{range $i, $c := split .Description \" \"}}{{$c}}\t{{end}}",
  "{{json .Current}}",
  "table {{.Name | printf \"%q\"}}\t{{.Description | len}}",
];

check(`${tag}: ${LIST.length} list formats give docker context ls's output`, () => {
  const rows = [contextRow('default', 'Current DOCKER_HOST based configuration', 'unix:///var/run/docker.sock', true)];
  for (const f of LIST) assert.equal(hxList(rows, f), docker('context', 'ls', '--format', f), f);
  assert.equal(hxList(rows, undefined, { quiet: true }), docker('context', 'ls', '-q'));
});

check(`${tag}: tables align wide, combining and emoji text as docker's go-runewidth does`, () => {
  const made = [
    ['wide', '日本語テキスト'], ['emoji', 'a😀b👍🏽c'], ['comb', 'éé̈x'], ['amb', '±§αβ—…'],
    ['flags', 'x🇯🇵👨‍👩‍👧❤️❤y'], ['full', 'ｈｅｌｌｏ한국어ｶﾀｶﾅ'],
  ];
  for (const [name, description] of made) {
    const r = docker('context', 'create', name, '--description', description, '--docker', `host=unix:///tmp/${name}.sock`);
    assert.is(r.code, 0, r.err);
  }
  // docker lists contexts sorted by name
  const rows = [...made.map(([n, d]) => contextRow(n, d, `unix:///tmp/${n}.sock`)), contextRow('default', 'Current DOCKER_HOST based configuration', 'unix:///var/run/docker.sock', true)]
    .sort((a, b) => (a.Name < b.Name ? -1 : 1));
  const format = 'table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}';
  assert.equal(hxList(rows, format), docker('context', 'ls', '--format', format));
});

check(`${tag}: a --filter without "=" is the flag error docker prints, exit 125`, () => {
  const message = (flag) => {
    try {
      Filters.fromFlags(['foo'], flag);
    } catch (e) {
      return { line: e.message, code: e.exitCode };
    }
    return undefined;
  };
  // docker adds the usage lines below the first
  const first = (r) => ({ line: r.err.split('\n')[0], code: r.code });
  assert.equal(message('-f, --filter'), first(docker('images', '-f', 'foo')));
  assert.equal(message('--filter'), first(docker('system', 'prune', '--filter', 'foo', '-f')));
});

test.after(() => rmSync(config, { recursive: true, force: true }));
test.run();

// docker's --format for list and inspect commands (src/cli/format/formatter.ts), the image
// list rows (images.ts) and docker's units (units.ts). Where each expectation comes from:
//   [formatter]  docker/cli cli/command/formatter/formatter.go (preFormat, postFormat)
//   [image]      docker/cli cli/command/formatter/image.go (table format, headers, values)
//   [inspector]  docker/cli cli/command/inspect/inspector.go
//   [units]      docker/go-units size.go, size_test.go, duration_test.go
//   [docker28]   measured on docker 28.2.2 (docker context ls / inspect, which need no daemon)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderList, renderInspect, listTemplate, rowContext, withMaps } from '../../dist/cli/format/formatter.js';
import { IMAGE_LIST, IMAGE_LIST_DIGESTS, imageListRow } from '../../dist/cli/format/images.js';
import { humanSize, humanSizeWithPrecision, bytesSize, humanDuration, timeAgo, truncateId, goTimeString } from '../../dist/cli/format/units.js';
import { goStruct } from '../../dist/cli/format/template.js';

const CONTEXTS = {
  defaultFormat: 'table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}',
  quietFormat: '{{.Name}}',
  headers: { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' },
  rowType: '*formatter.clientContextContext',
};
const ctxRow = { Current: true, Description: 'Current DOCKER_HOST based configuration', DockerEndpoint: 'unix:///var/run/docker.sock', Error: '', Name: 'default' };

test('no format and "table" give the command table: header from the headers map, aligned [formatter][docker28]', () => {
  const want = 'NAME      DESCRIPTION                               DOCKER ENDPOINT               ERROR\n' +
    'default   Current DOCKER_HOST based configuration   unix:///var/run/docker.sock   \n';
  assert.is(renderList([ctxRow], undefined, CONTEXTS), want);
  assert.is(renderList([ctxRow], '', CONTEXTS), want);
  assert.is(renderList([ctxRow], 'table', CONTEXTS), want);
  // no rows: the header alone
  assert.is(renderList([], 'table', CONTEXTS), 'NAME      DESCRIPTION   DOCKER ENDPOINT   ERROR\n');
});

test('"table TEMPLATE": each {{.Field}} titled from the headers, a field without one is <no value> [docker28]', () => {
  assert.is(renderList([ctxRow], 'table {{.Name}}\t{{.DockerEndpoint}}\t{{.Current}}', CONTEXTS),
    'NAME      DOCKER ENDPOINT               <no value>\ndefault   unix:///var/run/docker.sock   true\n');
  // docker's HeaderFunctions leave titles alone: upper, json, join... print the column name
  assert.is(renderList([ctxRow], 'table {{upper .Name}}\t{{lower .DockerEndpoint}}', CONTEXTS),
    'NAME      DOCKER ENDPOINT\nDEFAULT   unix:///var/run/docker.sock\n');
  // "table" is a prefix: what follows is the template, spaces trimmed [formatter preFormat]
  assert.is(renderList([ctxRow], 'tableX{{.Name}}', CONTEXTS), 'XNAME\nXdefault\n');
});

test('a header the header template cannot finish keeps what it wrote (docker ignores the error) [docker28]', () => {
  // the header's .Current is missing, and the header json(string) refuses no value
  assert.is(renderList([ctxRow], 'table {{.Name}}\t{{json .Current}}\t{{.Error}}', CONTEXTS), 'NAME      \ndefault   true      \n');
});

test('"json": one object per line, keys sorted and < > & escaped, as json.Marshal of docker\'s row map [formatter][docker28]', () => {
  assert.is(renderList([ctxRow], 'json', CONTEXTS),
    '{"Current":true,"Description":"Current DOCKER_HOST based configuration","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"default"}\n');
  // {{json .}} in a template is the same marshaling
  assert.is(renderList([{ B: '<x>', A: 1 }], '{{json .}}', CONTEXTS), '{"A":1,"B":"\\u003cx\\u003e"}\n');
});

test('any other template: one line per row; \\t and \\n written literally are tab and newline [formatter]', () => {
  assert.is(renderList([ctxRow, { ...ctxRow, Name: 'other' }], '{{.Name}}', CONTEXTS), 'default\nother\n');
  assert.is(renderList([ctxRow], '  {{.Name}}\\t{{.Current}}\\n  ', CONTEXTS), 'default\ttrue\n\n');
  assert.is(listTemplate('table {{.A}}\\t{{.B}}', CONTEXTS).text, '{{.A}}\t{{.B}}');
  assert.ok(listTemplate('table {{.A}}', CONTEXTS).table);
  assert.not.ok(listTemplate('json', CONTEXTS).table);
});

test('-q gives the quiet format unless another --format was asked for [image NewImageFormat]', () => {
  assert.is(renderList([ctxRow], undefined, CONTEXTS, { quiet: true }), 'default\n');
  assert.is(renderList([ctxRow], '{{.DockerEndpoint}}', CONTEXTS, { quiet: true }), 'unix:///var/run/docker.sock\n');
});

test('errors: parse and exec errors read as docker\'s, both exit 1 in a list command [docker28]', () => {
  assert.throws(() => renderList([ctxRow], '{{', CONTEXTS), (e) => e.message === 'template parsing error: template: :1: unclosed action' && e.exitCode === 1);
  assert.throws(() => renderList([ctxRow], '{{.Foo}}', CONTEXTS), (e) =>
    e.message === 'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.clientContextContext' && e.exitCode === 1);
});

test('row contexts: copies typed for errors, fields may be functions docker would call [formatter MarshalJSON]', () => {
  const row = { ID: () => 'abc', Size: '1MB', internal: 'x' };
  const ctx = rowContext(row, '*formatter.imageContext');
  assert.is(renderList([row], '{{.ID}} {{.Size}}', IMAGE_LIST), 'abc 1MB\n');
  assert.is(renderList([row], 'json', IMAGE_LIST), '{"ID":"abc","Size":"1MB"}\n'); // unexported fields are not marshaled
  assert.is(ctx.Size, '1MB');
  assert.is(row.MarshalJSON, undefined); // the caller's object is left alone
});

// ---- images [image] ----

const imageRow = {
  id: 'sha256:3cb356b88a5fe2c690b9b35dcc2bb644ebc08a5f3637569e0770fd042e742c72',
  repository: '<none>', tag: '<none>', digest: '<none>',
  created: '2023-01-05T16:50:01.123Z', size: 2244999999, sharedSize: 0, uniqueSize: 2244999999, containers: 0, dangling: true,
};
const NOW = Date.parse('2023-01-10T16:50:01Z');
const opts = { now: NOW, timeZone: 'Europe/Berlin' };

test('image rows hold docker\'s strings: sizes to 3 and 4 digits, "5 days ago", Go\'s time, short ids [image]', () => {
  const r = imageListRow(imageRow, opts);
  assert.is(r.ID, '3cb356b88a5f');
  assert.is(imageListRow(imageRow, { ...opts, trunc: false }).ID, imageRow.id);
  assert.is(r.Size, '2.24GB'); // HumanSizeWithPrecision(size, 3)
  assert.is(r.VirtualSize, '2.245GB'); // HumanSize
  assert.is(r.CreatedSince, '5 days ago');
  assert.is(r.CreatedAt(), '2023-01-05 17:50:01 +0100 CET'); // time.Unix(created, 0).String()
});

test('docker images --format json: the keys and values docker prints (a line from a real docker 24 in vscode-docker#3783)', () => {
  // {"Containers":"N/A","CreatedAt":"2023-01-05 17:50:01 +0100 CET","CreatedSince":"5 days ago","Digest":"\u003cnone\u003e",
  //  "ID":"sha256:3cb3...","Repository":"\u003cnone\u003e","SharedSize":"N/A","Size":"2.24GB","Tag":"\u003cnone\u003e","UniqueSize":"N/A","VirtualSize":"2.245GB"}
  // hx knows the container count and shared sizes that docker's daemon leaves out (N/A).
  const line = renderList([imageListRow(imageRow, { ...opts, trunc: false })], 'json', IMAGE_LIST);
  assert.is(line, '{"Containers":"0","CreatedAt":"2023-01-05 17:50:01 +0100 CET","CreatedSince":"5 days ago","Digest":"\\u003cnone\\u003e",' +
    `"ID":"${imageRow.id}","Repository":"\\u003cnone\\u003e","SharedSize":"0B","Size":"2.24GB","Tag":"\\u003cnone\\u003e","UniqueSize":"2.245GB","VirtualSize":"2.245GB"}\n`);
});

test('docker images: the default table, --digests, and table headers from image.go [image]', () => {
  const rows = [imageListRow({ ...imageRow, repository: 'alpine', tag: '3.20', digest: 'sha256:abcd' }, opts)];
  assert.is(renderList(rows, undefined, IMAGE_LIST),
    'REPOSITORY   TAG       IMAGE ID       CREATED      SIZE\nalpine       3.20      3cb356b88a5f   5 days ago   2.24GB\n');
  assert.is(renderList(rows, undefined, IMAGE_LIST_DIGESTS),
    'REPOSITORY   TAG       DIGEST        IMAGE ID       CREATED      SIZE\nalpine       3.20      sha256:abcd   3cb356b88a5f   5 days ago   2.24GB\n');
  assert.is(renderList(rows, 'table {{.ID}}\t{{.CreatedAt}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', IMAGE_LIST),
    'IMAGE ID       CREATED AT                      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n3cb356b88a5f   2023-01-05 17:50:01 +0100 CET   0B            2.245GB       0\n');
  assert.is(renderList(rows, undefined, IMAGE_LIST, { quiet: true }), '3cb356b88a5f\n');
});

// ---- inspect [inspector] ----

const doc = { Id: 'sha256:1', RepoTags: ['a:1'], Config: { Cmd: ['sh', '-c', 'a && b <x>'], Labels: null }, Size: 42 };

test('inspect without a format: a JSON array indented by 4 spaces; HTML characters kept as the daemon sends them', () => {
  const { output, errors } = renderInspect([doc], undefined);
  assert.equal(errors, []);
  assert.is(output, '[\n    {\n        "Id": "sha256:1",\n        "RepoTags": [\n            "a:1"\n        ],\n        "Config": {\n            "Cmd": [\n                "sh",\n                "-c",\n                "a && b <x>"\n            ],\n            "Labels": null\n        },\n        "Size": 42\n    }\n]\n');
  assert.is(renderInspect([], undefined).output, '[]\n');
  assert.is(renderInspect([{ E: [], O: {} }], undefined).output, '[\n    {\n        "E": [],\n        "O": {}\n    }\n]\n');
});

test('inspect -f json: the same array on one line (docker 28: json.Compact of the raw array) [docker28]', () => {
  assert.is(renderInspect([doc, { Id: 'sha256:2' }], 'json').output, '[{"Id":"sha256:1","RepoTags":["a:1"],"Config":{"Cmd":["sh","-c","a && b <x>"],"Labels":null},"Size":42},{"Id":"sha256:2"}]\n');
  // objects the CLI holds itself go through json.Marshal, which escapes < > & (docker context inspect -f json)
  assert.is(renderInspect([{ P: '<IN MEMORY>' }], 'json', { raw: false }).output, '[{"P":"\\u003cIN MEMORY\\u003e"}]\n');
});

test('inspect with a template: once per object; a failure is retried on JSON maps with missingkey=error', () => {
  const tpl = '{{.Id}} {{json .Config.Cmd}} {{.Size}}';
  const { output, errors } = renderInspect([doc, { Id: 'sha256:2', Config: { Cmd: null } }], tpl);
  // the second object has no Size: docker's typed pass fails, then the map pass says which key
  assert.is(output, 'sha256:1 ["sh","-c","a && b <x>"] 42\n');
  assert.is(errors.length, 1);
  // the column is the node's byte offset on its line
  assert.is(errors[0].message, `template parsing error: template: :1:${tpl.indexOf('.Size')}: executing "" at <.Size>: map has no entry for key "Size"`);
  assert.is(errors[0].exitCode, 1);
  // nothing written at all: docker prints an empty line
  assert.is(renderInspect([{}], '{{.Nope}}').output, '\n');
  // a local object (raw: false) is not retried: the typed error is what docker shows
  const local = renderInspect([goStruct({ Name: 'x' }, 'context.contextWithTLSListing')], '{{.Foo}}', { raw: false });
  assert.is(local.errors[0].message, 'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type context.contextWithTLSListing');
});

test('maps where docker\'s structs have maps: a missing label is <no value>, index gives ""', () => {
  const img = { Id: 'x', Config: { Labels: { a: '1' }, Env: ['A=1'] } };
  const typed = withMaps(img, { 'Config.Labels': 'map[string]string', 'Nope.Path': 'map[string]string' });
  assert.is(renderInspect([typed], '{{.Config.Labels.a}}|{{.Config.Labels.b}}|{{index .Config.Labels "b"}}|{{.Config.Labels}}').output, '1|<no value>||map[a:1]\n');
  assert.not.instance(img.Config.Labels, Map); // the input is left alone
  // as a plain object, Labels is a struct: docker's retry on maps reports the key
  // (Go places a field chain at its second field: the column of .Labels)
  const tpl = '{{.Config.Labels.b}}';
  assert.is(renderInspect([img], tpl).errors[0].goMessage, `template: :1:${tpl.indexOf('.Labels')}: executing "" at <.Config.Labels.b>: map has no entry for key "b"`);
});

test('inspect with a malformed template throws exit code 64, as docker inspect does [inspector][docker28]', () => {
  assert.throws(() => renderInspect([doc], '{{'), (e) => e.exitCode === 64 && e.message === 'template parsing error: template: :1: unclosed action');
});

// ---- units [units] ----

test('HumanSize and HumanSizeWithPrecision: decimal units, %.Ng (size_test.go; docker images uses 3 digits)', () => {
  const four = [[1000, '1kB'], [1024, '1.024kB'], [1000000, '1MB'], [1048576, '1.049MB'], [2e6, '2MB'], [3.42e9, '3.42GB'], [5.372e12, '5.372TB'], [2.22e15, '2.22PB'], [1e28, '1e+04YB']];
  for (const [n, s] of four) assert.is(humanSize(n), s, String(n));
  const three = [[0, '0B'], [999, '999B'], [4260000, '4.26MB'], [5580000, '5.58MB'], [999999, '1e+03kB'], [1.2e9, '1.2GB']];
  for (const [n, s] of three) assert.is(humanSizeWithPrecision(n, 3), s, String(n));
});

test('BytesSize: binary units (size_test.go)', () => {
  const cases = [[1024, '1KiB'], [1024 * 1024, '1MiB'], [2 * 1024 ** 2, '2MiB'], [3.42 * 1024 ** 3, '3.42GiB'], [5.372 * 1024 ** 4, '5.372TiB'], [2.22 * 1024 ** 5, '2.22PiB'], [1024 ** 5 * 1024 ** 5, '1.049e+06YiB']];
  for (const [n, s] of cases) assert.is(bytesSize(n), s, String(n));
});

test('HumanDuration (go-units duration_test.go TestHumanDuration)', () => {
  const s = 1000, m = 60 * s, h = 60 * m, day = 24 * h, week = 7 * day, month = 30 * day, year = 365 * day;
  const cases = [
    [450, 'Less than a second'], [1 * s, '1 second'], [45 * s, '45 seconds'], [59 * s, '59 seconds'], [60 * s, 'About a minute'],
    [3 * m, '3 minutes'], [35 * m + 40 * s, '35 minutes'], [59 * m, '59 minutes'], [1 * h, 'About an hour'], [1 * h + 29 * m, 'About an hour'],
    [1 * h + 31 * m, '2 hours'], [3 * h + 29 * m, '3 hours'], [3 * h + 31 * m, '4 hours'], [24 * h, '24 hours'], [day + 12 * h, '36 hours'],
    [2 * day, '2 days'], [7 * day, '7 days'], [13 * day + 5 * h, '13 days'], [2 * day + 17 * h, '3 days'], [13 * day + 12 * h, '14 days'],
    [2 * week, '2 weeks'], [2 * week + 4 * day, '3 weeks'], [3 * week + 6 * day, '4 weeks'], [month, '4 weeks'], [8 * week + 3 * day, '8 weeks'],
    [month + 2 * week, '6 weeks'], [2 * month, '2 months'], [3 * month + 20 * day, '4 months'], [13 * month, '13 months'], [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'], [3 * year + 2 * month, '3 years'], [3 * year + 8 * month, '4 years'], [3 * year + 200 * day, '4 years'],
  ];
  for (const [ms, want] of cases) assert.is(humanDuration(ms), want, `${ms} ms`);
  assert.is(timeAgo('2024-01-01T00:00:00Z', Date.parse('2024-01-15T00:00:00Z')), '2 weeks ago');
});

test('TruncateID and Go\'s time.Time String()', () => {
  assert.is(truncateId('sha256:' + 'a'.repeat(64)), 'a'.repeat(12));
  assert.is(truncateId('abc'), 'abc');
  assert.is(truncateId('0123456789abcdef'), '0123456789ab');
  assert.is(goTimeString(Date.parse('2023-01-05T16:50:01Z'), 'UTC'), '2023-01-05 16:50:01 +0000 UTC');
  assert.is(goTimeString(Date.parse('2023-06-29T00:53:20.120Z'), 'Europe/London'), '2023-06-29 01:53:20.12 +0100 BST');
  assert.is(goTimeString(Date.parse('2023-01-05T16:50:01Z'), 'America/New_York'), '2023-01-05 11:50:01 -0500 EST');
  assert.is(goTimeString(Date.parse('2023-01-05T16:50:01Z'), 'Asia/Bangkok'), '2023-01-05 23:50:01 +0700 +07'); // tzdata has no name: Go prints the offset
});

test.run();

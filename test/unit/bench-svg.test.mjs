// Issue 6: the SVG bar chart is well-formed XML, escapes labels, and scales bars to values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { barChart, niceMax, xmlEscape } from '../../dist/bench/svg.js';

/** A small XML well-formedness check: one root, balanced tags, quoted attributes, no stray < or &. */
function checkXml(text) {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    m = re.exec(body);
    if (!m) throw new Error(`not well-formed at ${pos}: ${JSON.stringify(body.slice(pos, pos + 40))}`);
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      if (stack.length === 0 && m[5].trim()) throw new Error('text outside the root');
      if (/&(?!(?:lt|gt|amp|quot|#39);)/.test(m[5])) throw new Error(`raw & in ${m[5]}`);
      continue;
    }
    const [, close, name, attrs, self] = m;
    if (/&(?!(?:lt|gt|amp|quot|#39);)/.test(attrs)) throw new Error(`raw & in attributes of <${name}>`);
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return true;
}

const chart = {
  title: 'layers <&> "quoted"',
  subtitle: "it's a test",
  unit: 'MB/s',
  sections: [
    { title: 'layer 1 <base>', bars: [{ label: 'decompress & hash', value: 400, min: 380, max: 420 }, { label: 'gzip -dc', value: 100, kind: 'peer', note: 'hx 4x faster' }] },
    { title: 'layer 2', bars: [{ label: 'zero', value: 0 }, { label: 'pipeline', value: 50, kind: 'total' }] },
  ],
};

test('well-formed SVG with an svg root and the namespace', () => {
  const svg = barChart(chart);
  assert.ok(checkXml(svg));
  assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
});

test('labels are escaped, not dropped', () => {
  const svg = barChart(chart);
  assert.match(svg, /layers &lt;&amp;&gt; &quot;quoted&quot;/);
  assert.match(svg, /decompress &amp; hash/);
  assert.match(svg, /it&#39;s a test/);
  assert.is(xmlEscape(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('bar widths are proportional to the values', () => {
  const svg = barChart(chart);
  const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="18" fill="([^"]+)">/g)].map((m) => [Number(m[1]), m[2]]);
  assert.is(widths.length, 4);
  const [w400, w100, w0, w50] = widths.map((w) => w[0]);
  assert.ok(Math.abs(w400 / w100 - 4) < 0.02, `${w400} / ${w100}`);
  assert.ok(Math.abs(w100 / w50 - 2) < 0.04);
  assert.is(w0, 1, 'a zero value still shows a hairline');
  assert.is.not(widths[0][1], widths[1][1], 'peers have another colour');
});

test('values spanning more than 50x get a log axis: equal ratios, equal steps', () => {
  const svg = barChart({ title: 't', unit: 'MB/s', sections: [{ title: 's', bars: [{ label: 'a', value: 1 }, { label: 'b', value: 10 }, { label: 'c', value: 100 }, { label: 'd', value: 1000 }] }] });
  assert.ok(checkXml(svg));
  assert.match(svg, /MB\/s \(log scale\)/);
  const w = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(Math.abs(w[2] - w[1] - (w[3] - w[2])) < 1, `steps ${w.join(' ')}`);
  assert.ok(w[1] - w[0] > 10);
});

test('the broken check catches bad XML (so the test above can fail)', () => {
  assert.throws(() => checkXml('<svg><text>a & b</text></svg>'));
  assert.throws(() => checkXml('<svg><g></svg>'));
  assert.throws(() => checkXml('<svg/><svg/>'));
});

test('niceMax: 1, 2, 5 steps', () => {
  assert.is(niceMax(420), 500);
  assert.is(niceMax(101), 200);
  assert.is(niceMax(2000), 2000);
  assert.is(niceMax(0.7), 1);
  assert.is(niceMax(0), 1);
});

test.run();

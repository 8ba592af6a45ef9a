// Text and chart views of a BenchLayersResult (the CLI prints them; nothing here prints).
import type { BenchRunResult } from './run-latency.js';
import type { BenchLayersResult, LayerResult } from './schema.js';
import { formatBytes } from './stats.js';
import { barChart, type Bar, type Chart } from './svg.js';
import { systemLine } from './system.js';

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function num(v: number, digits = 1): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(head: string[], rows: string[][], rightCols: number[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => pad(c, widths[i]!, rightCols.includes(i))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function ratioText(ratio: number): string {
  if (Math.abs(ratio - 1) < 0.03) return 'about the same';
  return ratio >= 1 ? `hx ${ratio.toFixed(2)}x faster` : `hx ${(1 / ratio).toFixed(2)}x slower`;
}

function layerText(l: LayerResult, iterations: number): string {
  const e = l.entries;
  const out: string[] = [];
  out.push(
    `${l.label}: ${formatBytes(l.uncompressedBytes)} tar, ${l.compression === 'none' ? 'uncompressed' : `${l.compression} ${formatBytes(l.compressedBytes)}`}, ` +
      `${e.total.toLocaleString('en-US')} entries (${e.files.toLocaleString('en-US')} files, ${e.dirs.toLocaleString('en-US')} dirs, ${e.symlinks} symlinks, ${e.hardlinks} hardlinks, ${e.whiteouts} whiteouts, ${e.opaques} opaque)`,
  );
  out.push(`  digest ${l.digest}  diff_id ${l.diffId}`);
  out.push('');
  const rows = l.stages.map((s) =>
    s.status === 'ok'
      ? [s.name, num(s.mbPerSec!.median), `±${num(s.seconds!.spreadPct)}%`, Math.round(s.entriesPerSec!.median).toLocaleString('en-US'), `${num(s.seconds!.median * 1000, 0)} ms`, s.via]
      : [s.name, '-', '', '', s.status, s.reason ?? ''],
  );
  out.push(table(['stage', 'MB/s', 'spread', 'entries/s', 'median', 'how'], rows, [1, 2, 3, 4]));
  if (l.compare.length) {
    out.push('');
    out.push(`compared with (same files, same run; ratio = peer time / hx time over ${iterations} iteration${iterations > 1 ? 's' : ''}):`);
    const crow = l.compare.map((c) =>
      c.status === 'ok'
        ? [c.name, num(c.mbPerSec!.median), `${num(c.seconds!.median * 1000, 0)} ms`, c.versus, `${c.ratio!.toFixed(2)}`, ratioText(c.ratio!)]
        : [c.name, '-', c.status, c.versus, '', c.reason ?? ''],
    );
    out.push(table(['peer', 'MB/s', 'median', 'vs hx stage', 'ratio', ''], crow, [1, 2, 4]));
  }
  return out.join('\n');
}

export function renderLayersText(r: BenchLayersResult): string {
  const s = r.system;
  const head = [
    `hx bench layers: ${r.input.kind === 'synthetic' ? `synthetic ${r.input.name}` : r.input.name}, ${r.iterations} iteration${r.iterations > 1 ? 's' : ''} (median; spread = (max-min)/median; MB = 10^6 bytes of uncompressed tar)`,
    `machine: ${systemLine(s)}`,
    `storage: ${s.mode}, driver ${s.storage.driver}; work dir on ${s.workDir.filesystem} (${s.workDir.path})`,
  ];
  const body = r.layers.map((l) => layerText(l, r.iterations));
  const notes = r.notes.map((n) => `note: ${n}`);
  return [...head, '', body.join('\n\n'), ...(notes.length ? ['', ...notes] : []), ''].join('\n');
}

export function layersChart(r: BenchLayersResult): Chart {
  return {
    title: `hx bench layers: ${r.input.name}`,
    subtitle: `${systemLine(r.system)}; ${r.system.mode}, ${r.system.storage.driver} on ${r.system.workDir.filesystem}; median of ${r.iterations}, whiskers min..max`,
    unit: 'MB/s',
    sections: r.layers.map((l) => {
      // each hx stage, then the peers doing the same work (grey)
      const bars: Bar[] = [];
      for (const s of l.stages) {
        if (s.status !== 'ok') continue;
        bars.push({ label: s.name, value: s.mbPerSec!.median, min: s.mbPerSec!.min, max: s.mbPerSec!.max, kind: s.id === 'pipeline' ? 'total' : 'hx' });
        for (const c of l.compare) {
          if (c.versus === s.id && c.status === 'ok') {
            bars.push({ label: c.name, value: c.mbPerSec!.median, min: c.mbPerSec!.min, max: c.mbPerSec!.max, kind: 'peer', note: ratioText(c.ratio!) });
          }
        }
      }
      return { title: `${l.label} (${formatBytes(l.uncompressedBytes)}, ${l.entries.total.toLocaleString('en-US')} entries)`, bars };
    }),
  };
}

export function renderLayersSvg(r: BenchLayersResult): string {
  return barChart(layersChart(r));
}

// ---------------------------------------------------------------- hx bench run

export function renderRunText(r: BenchRunResult): string {
  const t = r.total.ms;
  const out = [
    `hx bench run: hx run --rm ${r.image}${r.command.length ? ` ${r.command.join(' ')}` : ''}, ${r.iterations} runs after ${r.warmup} warm-up (median; spread = (max-min)/median)`,
    `machine: ${systemLine(r.system)}`,
    `storage: ${r.system.mode}, driver ${r.system.storage.driver}`,
    '',
    `start to exit: ${num(t.median)} ms median (min ${num(t.min)}, max ${num(t.max)}, ±${num(t.spreadPct, 0)}%)`,
    '',
  ];
  const rows = r.phases.map((p) =>
    p.status === 'ok' ? [p.name, `${num(p.ms!.median, 2)} ms`, `${num(p.share! * 100)}%`, `${num(p.ms!.min, 2)}..${num(p.ms!.max, 2)}`] : [p.name, '-', '', p.reason ?? ''],
  );
  out.push(table(['phase', 'median', 'share', 'min..max'], rows, [1, 2]));
  if (r.compare.length) {
    out.push('', 'compared with (same image and command, same run; ratio = peer time / hx time):');
    const crow = r.compare.map((c) =>
      c.status === 'ok' ? [c.name, `${num(c.ms!.median)} ms`, c.ratio!.toFixed(2), ratioText(c.ratio!)] : [c.name, c.status, '', c.reason ?? ''],
    );
    out.push(table(['peer', 'median', 'ratio', ''], crow, [1, 2]));
  }
  for (const n of r.notes) out.push('', `note: ${n}`);
  return `${out.join('\n')}\n`;
}

export function runChart(r: BenchRunResult): Chart {
  const phases: Bar[] = r.phases
    .filter((p) => p.status === 'ok' && !(p.id === 'other' && p.ms!.median < 0.05))
    .map((p) => ({ label: p.name.replace(/ \(.*\)$/, ''), value: p.ms!.median, min: p.ms!.min, max: p.ms!.max, note: `${(p.share! * 100).toFixed(0)}%` }));
  const totals: Bar[] = [{ label: `hx run --rm ${r.image}`, value: r.total.ms.median, min: r.total.ms.min, max: r.total.ms.max, kind: 'total' }];
  for (const c of r.compare) if (c.status === 'ok') totals.push({ label: c.name, value: c.ms!.median, min: c.ms!.min, max: c.ms!.max, kind: 'peer', note: ratioText(c.ratio!) });
  return {
    title: `hx bench run: ${r.image}`,
    subtitle: `${systemLine(r.system)}; ${r.system.mode}, ${r.system.storage.driver}; median of ${r.iterations}, whiskers min..max`,
    unit: 'ms',
    scale: 'linear', // shares of one total read best on a linear axis
    sections: [
      { title: 'start to exit', bars: totals },
      { title: 'where the time goes (hx run)', bars: phases },
    ],
  };
}

export function renderRunSvg(r: BenchRunResult): string {
  return barChart(runChart(r));
}

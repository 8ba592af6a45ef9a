// A plain horizontal bar chart as an SVG string (no dependency): one or more sections of
// labelled bars, optional min..max whiskers, two colours (hx, and the peer tools).

export interface Bar {
  label: string;
  value: number;
  /** Range drawn as a whisker (e.g. slowest and fastest iteration). */
  min?: number;
  max?: number;
  kind?: 'hx' | 'peer' | 'total';
  /** Text after the value (e.g. "1.8x hx"). */
  note?: string;
}

export interface ChartSection {
  title: string;
  bars: Bar[];
}

export interface Chart {
  title: string;
  subtitle?: string;
  /** Unit of the values, shown after each value and on the axis. */
  unit: string;
  sections: ChartSection[];
  /** Axis: 'auto' (the default) is logarithmic when the values span more than 50x. */
  scale?: 'linear' | 'log' | 'auto';
}

const COLORS = { hx: '#2b6cb0', peer: '#a0aec0', total: '#2f855a' } as const;
const WIDTH = 1000;
const LABEL_W = 380;
const BAR_H = 18;
const GAP = 6;
const VALUE_W = 260;
/** Longest label drawn whole (~6 px per character at 12 px): longer ones end in an ellipsis. */
const LABEL_CHARS = 60;

/** Escape text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at or above MAX. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function barChart(c: Chart): string {
  const all = c.sections.flatMap((s) => s.bars);
  const hi = Math.max(0, ...all.map((b) => Math.max(b.value, b.max ?? 0)));
  const positive = all.flatMap((b) => [b.value, b.min ?? b.value]).filter((v) => v > 0);
  const lo = positive.length ? Math.min(...positive) : 0;
  const log = c.scale === 'log' || ((c.scale ?? 'auto') === 'auto' && lo > 0 && hi / lo > 50);
  const plotW = WIDTH - LABEL_W - VALUE_W;
  let x: (v: number) => number;
  let ticks: number[];
  if (log) {
    const d0 = Math.floor(Math.log10(lo));
    const d1 = Math.max(d0 + 1, Math.ceil(Math.log10(hi)));
    x = (v) => LABEL_W + ((Math.log10(Math.max(v, 10 ** d0)) - d0) / (d1 - d0)) * plotW;
    ticks = Array.from({ length: d1 - d0 + 1 }, (_, i) => 10 ** (d0 + i));
  } else {
    const top = niceMax(hi);
    x = (v) => LABEL_W + (Math.max(0, v) / top) * plotW;
    ticks = [0, 1, 2, 3, 4].map((i) => (top * i) / 4);
  }
  const out: string[] = [];
  let y = 30;
  const text = (tx: number, ty: number, s: string, attrs = ''): void => {
    out.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}"${attrs ? ` ${attrs}` : ''}>${xmlEscape(s)}</text>`);
  };
  text(10, y, c.title, 'font-size="16" font-weight="bold"');
  if (c.subtitle) {
    y += 20;
    text(10, y, c.subtitle, 'font-size="11" fill="#4a5568"');
  }
  y += 14;
  for (const s of c.sections) {
    y += 22;
    text(10, y, s.title, 'font-size="13" font-weight="bold"');
    y += 10;
    for (const b of s.bars) {
      const color = COLORS[b.kind ?? 'hx'];
      const label = b.label.length > LABEL_CHARS ? `${b.label.slice(0, LABEL_CHARS - 1)}…` : b.label;
      text(LABEL_W - 8, y + BAR_H - 5, label, 'text-anchor="end" font-size="12"');
      const w = Math.max(1, x(b.value) - LABEL_W);
      out.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color}"><title>${xmlEscape(`${b.label}: ${fmt(b.value)} ${c.unit}`)}</title></rect>`);
      if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
        const mid = y + BAR_H / 2;
        out.push(`<line x1="${x(b.min).toFixed(1)}" y1="${mid}" x2="${x(b.max).toFixed(1)}" y2="${mid}" stroke="#1a202c" stroke-width="1.5"/>`);
      }
      text(Math.max(x(b.value), b.max !== undefined ? x(b.max) : 0) + 6, y + BAR_H - 5, `${fmt(b.value)} ${c.unit}${b.note ? `  ${b.note}` : ''}`, 'font-size="11"');
      y += BAR_H + GAP;
    }
  }
  // axis
  y += 4;
  out.push(`<line x1="${LABEL_W}" y1="${y}" x2="${LABEL_W + plotW}" y2="${y}" stroke="#718096"/>`);
  for (const v of ticks) {
    const tx = x(v);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${y}" x2="${tx.toFixed(1)}" y2="${y + 4}" stroke="#718096"/>`);
    text(tx, y + 16, fmt(v), 'text-anchor="middle" font-size="10" fill="#4a5568"');
  }
  text(LABEL_W + plotW / 2, y + 32, log ? `${c.unit} (log scale)` : c.unit, 'text-anchor="middle" font-size="11" fill="#4a5568"');
  const height = y + 44;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    out.join('\n') +
    '\n</svg>\n'
  );
}

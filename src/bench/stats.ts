// Summary statistics of a few timed samples. Benchmarks run a handful of iterations, so
// the median (not the mean) is the figure, and the spread says how much to trust it.

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (0 for one sample). */
  stddev: number;
  /** (max - min) / median, in percent: the whole range relative to the figure reported. */
  spreadPct: number;
  samples: number[];
}

/** The median of VALUES (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  const n = samples.length;
  const med = median(samples);
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    median: med,
    min,
    max,
    mean,
    stddev: Math.sqrt(variance),
    spreadPct: med > 0 ? ((max - min) / med) * 100 : 0,
    samples: [...samples],
  };
}

/** Throughput in MB/s (10^6 bytes per second) of BYTES moved in SECONDS. */
export function mbPerSec(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}

/** Parse a size like 128M, 1.5G, 64k, 4096 (binary units: K = 1024). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const value = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** 134217728 -> "128 MiB" (for messages). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}
